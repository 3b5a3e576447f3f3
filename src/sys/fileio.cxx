/* Whole-file I/O for the files every rank must agree on (weights, checkpoints): rank 0 reads and
   shares the bytes, so all ranks see the same content and the same errors. Every file the library
   writes (weights, checkpoints, history, node fields, edges) goes through the atomic output below:
   a temporary file renamed over the target only when complete. */
#include "gnnfileio.h"
#include <petscgnnfile.h>
#include <petsc/private/petscimpl.h>
#include <petscviewerhdf5.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

PetscErrorCode GNNReadFileEverywhere_Private(MPI_Comm comm, const char file[], std::vector<char> &bytes, PetscBool *found)
{
  PetscMPIInt rank;
  long long   n = -1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    struct stat st;
    /* only regular files: reading a directory throws from inside the C++ library */
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
      try {
        std::ifstream in(file, std::ios::binary);
        if (in) {
          bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
          n = (long long)bytes.size();
        }
      } catch (const std::exception &) {
        n = -1;
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  *found = n >= 0 ? PETSC_TRUE : PETSC_FALSE;
  if (n < 0) PetscFunctionReturn(0);
  bytes.resize(n);
  for (long long off = 0; off < n; off += 1 << 30) PetscCallMPI(MPI_Bcast(bytes.data() + off, (int)std::min<long long>(n - off, 1 << 30), MPI_CHAR, 0, comm));
  PetscFunctionReturn(0);
}

std::string GNNAtomicTempName_Private(const char file[]) { return std::string(file) + ".tmp"; }

FILE *GNNAtomicOpen_Private(const char file[])
{
  errno = 0;
  return fopen(GNNAtomicTempName_Private(file).c_str(), "wb");
}

/* The end of both ways: rename the synced temporary file to FILE, or remove it (errno kept) */
static int AtomicFinish(const char file[], int good, int err)
{
  const std::string tmp = GNNAtomicTempName_Private(file);
  if (good && std::rename(tmp.c_str(), file) != 0) {
    good = 0;
    err  = errno;
  }
  if (!good) {
    std::remove(tmp.c_str()); /* no temporary file left behind */
    errno = err;
  }
  return good;
}

int GNNAtomicClose_Private(FILE *fp, const char file[], int good)
{
  int err = 0;
  /* ferror: a write that failed on the way (a full disk) leaves the stream's error flag set */
  good = good && !ferror(fp) && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
  if (!good) err = errno;
  if (fclose(fp) != 0 && good) {
    good = 0;
    err  = errno;
  }
  return AtomicFinish(file, good, err);
}

int GNNAtomicCommit_Private(const char file[], int good)
{
  int err = 0; /* a writer that failed (HDF5) reported why itself: errno would be a guess */
  if (good) {
    const int fd = open(GNNAtomicTempName_Private(file).c_str(), O_RDONLY);
    good         = fd >= 0 && fsync(fd) == 0;
    if (!good) err = errno;
    if (fd >= 0) close(fd);
  }
  return AtomicFinish(file, good, err);
}

PetscErrorCode GNNCheckWritten_Private(MPI_Comm comm, int good, int err, const char what[], const char file[])
{
  int info[2] = {good, err};

  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(info, 2, MPI_INT, 0, comm));
  PetscCheck(info[0], comm, PETSC_ERR_FILE_WRITE, "Cannot write the %s %s: %s", what, file, info[1] ? strerror(info[1]) : "the writer failed (see the messages above)");
  PetscFunctionReturn(0);
}

PetscErrorCode GNNWriteFileAtomic_Private(MPI_Comm comm, const char what[], const char file[], const std::vector<char> &bytes)
{
  PetscMPIInt rank;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = GNNAtomicOpen_Private(file);
    good     = fp && GNNAtomicClose_Private(fp, file, fwrite(bytes.data(), 1, bytes.size(), fp) == bytes.size());
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, what, file));
  PetscFunctionReturn(0);
}

/* Independent MPI-IO unless -viewer_hdf5_collective (PETSc's option, also off by default there):
   collective I/O is what parallel file systems favour at scale, but a write that fails inside it (a
   full disk) can leave the ranks waiting in different collective calls inside HDF5 (seen at 3
   ranks: one in H5FD_truncate's broadcast, the others in a flush barrier), beyond the reach of the
   caller; independent writes fail on the rank that failed, which then returns. */
PetscErrorCode GNNViewerHDF5Open_Private(MPI_Comm comm, const char path[], PetscFileMode mode, PetscViewer *viewer)
{
  PetscBool collective = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-viewer_hdf5_collective", &collective, NULL));
  PetscCall(PetscViewerHDF5Open(comm, path, mode, viewer));
  PetscCall(PetscViewerHDF5SetCollective(*viewer, collective));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNAtomicWriteCollective_Private(MPI_Comm comm, const char what[], const char file[], const std::function<PetscErrorCode(const char[])> &write)
{
  const std::string tmp = GNNAtomicTempName_Private(file);
  PetscErrorCode    ierr;

  PetscFunctionBegin;
  ierr = write(tmp.c_str());
  if (ierr) {
    /* The rank that failed removes the temporary files itself and returns at once, with PETSc's
       error (which names the reason). No collective step here: the other ranks may be waiting
       inside the writer for this one (PETSc's binary viewer: rank 0 writes and the others wait
       their turn), and would wait in a check as well; a program that stops on the error (every
       example does) ends them, and nothing is left behind. */
    std::remove(tmp.c_str());
    std::remove((tmp + ".info").c_str());
    /* a second error would not be printed while PETSc reports the first: the file is named here */
    (void)(*PetscErrorPrintf)("Cannot write the %s %s: the writer failed on this rank (PETSc error %d); no temporary file is left\n", what, file, (int)ierr);
    PetscCall(ierr);
  }
  /* every rank wrote its part: only then may rank 0 commit (a rank that failed never gets here) */
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}

/* Zip structure check. LibTorch 1.13's zip reader (miniz) trusts the end-of-central-directory
   record and the entries' offsets and sizes: a file cut short makes it read out of bounds before
   it reports anything. Every weights file and checkpoint passes here first: the record found, the
   central directory and every entry's local header and data inside the file. Zip64 (what the writer
   uses past 4 GiB) is followed; no data are decompressed (PyTorch stores its entries). */
namespace {
struct ZipBytes {
  const unsigned char *p;
  uint64_t             n;
  bool                 has(uint64_t off, uint64_t len) const { return off <= n && len <= n - off; }
  uint64_t             u(uint64_t off, int bytes) const
  {
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; k--) v = (v << 8) | p[off + k];
    return v;
  }
};

/* The zip64 extra field (id 1) of a central entry: the values that are 0xFFFFFFFF in the entry, in
   the order uncompressed, compressed, local header offset */
bool Zip64Extra(const ZipBytes &z, uint64_t extra, uint64_t len, uint64_t *usize, uint64_t *csize, uint64_t *local)
{
  for (uint64_t off = extra; off + 4 <= extra + len;) {
    const uint64_t id = z.u(off, 2), sz = z.u(off + 2, 2), end = off + 4 + sz;
    if (end > extra + len) return false;
    if (id == 1) {
      uint64_t q = off + 4;
      for (uint64_t *v : {usize, csize, local})
        if (*v == 0xFFFFFFFFu) {
          if (q + 8 > end) return false;
          *v = z.u(q, 8);
          q += 8;
        }
      return true;
    }
    off = end;
  }
  return false;
}
/* The pickle of a zip entry (data.pkl): every opcode known and every length-prefixed argument
   inside the entry. LibTorch 1.13's unpickler reserves a string of the announced length before it
   reads it (make fuzz found 4 GiB reserved for a 27 kB file), so the lengths are checked here. */
std::string PickleInvalid(const unsigned char *p, uint64_t n)
{
  auto u = [&](uint64_t off, int bytes) {
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; k--) v = (v << 8) | p[off + k];
    return v;
  };
  for (uint64_t off = 0; off < n;) {
    const unsigned char op = p[off++];
    uint64_t            arg = 0, len = 0; /* fixed argument bytes; length-prefix bytes */
    int                 lines = 0;        /* newline-terminated arguments */
    switch (op) {
    case '.': return ""; /* STOP */
    case '(': case ')': case ']': case '}': case 'a': case 'e': case 'u': case 's': case 't': case 'R': case 'b': case 'N': case '0': case '1': case '2':
    case 'Q': case 'l': case 'd': case 'o': case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91: case 0x92:
    case 0x93: case 0x94: case 0x97: case 0x98: break;
    case 'K': case 'q': case 'h': case 0x80: case 0x82: arg = 1; break;
    case 'M': case 0x83: arg = 2; break;
    case 'J': case 'r': case 'j': case 0x84: arg = 4; break;
    case 'G': case 0x95: arg = 8; break;
    case 'C': case 0x8c: case 'U': case 0x8a: len = 1; break;
    case 'X': case 'B': case 'T': case 0x8b: len = 4; break;
    case 0x8d: case 0x8e: case 0x96: len = 8; break;
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'p': case 'g': lines = 1; break;
    case 'c': case 'i': lines = 2; break;
    default: return "its pickle has an unknown opcode " + std::to_string(op) + " at byte " + std::to_string(off - 1);
    }
    if (len) {
      if (n - off < len) return "its pickle ends inside an opcode at byte " + std::to_string(off - 1);
      arg = u(off, (int)len);
      if ((op == 'T' || op == 0x8b) && (arg & 0x80000000u)) return "its pickle has a negative length at byte " + std::to_string(off - 1);
      off += len;
    }
    if (arg > n - off) return "its pickle announces " + std::to_string(arg) + " bytes at byte " + std::to_string(off) + ", past its end (" + std::to_string(n) + " bytes): it is damaged";
    off += arg;
    for (int k = 0; k < lines; k++) {
      const void *nl = std::memchr(p + off, '\n', n - off);
      if (!nl) return "its pickle ends inside a text argument";
      off = (uint64_t)((const unsigned char *)nl - p) + 1;
    }
  }
  return "its pickle has no STOP opcode: it is truncated";
}
} // namespace

std::string GNNZipInvalid_Private(const std::vector<char> &bytes)
{
  const ZipBytes z{(const unsigned char *)bytes.data(), (uint64_t)bytes.size()};
  uint64_t       eocd = UINT64_MAX;

  if (z.n < 22) return "it is too short to be a zip archive (" + std::to_string(z.n) + " bytes)";
  /* the record is the last 22 bytes, unless a comment (at most 65535 bytes) follows it */
  for (uint64_t back = 0; back <= 65535 && back + 22 <= z.n; back++) {
    const uint64_t off = z.n - 22 - back;
    if (z.u(off, 4) == 0x06054b50 && z.u(off + 20, 2) == back) {
      eocd = off;
      break;
    }
  }
  if (eocd == UINT64_MAX) return "it is not a zip archive, or it is truncated (no end-of-central-directory record)";
  uint64_t entries = z.u(eocd + 10, 2), cdSize = z.u(eocd + 12, 4), cdOff = z.u(eocd + 16, 4), cdEnd = eocd;
  if (entries == 0xFFFF || cdSize == 0xFFFFFFFFu || cdOff == 0xFFFFFFFFu) {
    if (eocd < 20 || z.u(eocd - 20, 4) != 0x07064b50) return "its zip64 locator is missing";
    const uint64_t rec = z.u(eocd - 20 + 8, 8);
    if (!z.has(rec, 56) || rec + 56 > eocd - 20 || z.u(rec, 4) != 0x06064b50) return "its zip64 end-of-central-directory record is outside the file or damaged";
    entries = z.u(rec + 32, 8);
    cdSize  = z.u(rec + 40, 8);
    cdOff   = z.u(rec + 48, 8);
    cdEnd   = rec;
  }
  if (cdOff > cdEnd || cdSize > cdEnd - cdOff) return "its central directory (offset " + std::to_string(cdOff) + ", " + std::to_string(cdSize) + " bytes) lies outside the file: it is truncated or damaged";
  uint64_t off = cdOff, count = 0;
  for (; off < cdOff + cdSize; count++) {
    if (!z.has(off, 46) || off + 46 > cdOff + cdSize || z.u(off, 4) != 0x02014b50) return "its central directory entry " + std::to_string(count) + " is damaged";
    uint64_t       csize = z.u(off + 20, 4), usize = z.u(off + 24, 4), local = z.u(off + 42, 4);
    const uint64_t nlen = z.u(off + 28, 2), elen = z.u(off + 30, 2), clen = z.u(off + 32, 2), method = z.u(off + 10, 2);
    if (off + 46 + nlen + elen + clen > cdOff + cdSize) return "its central directory entry " + std::to_string(count) + " runs past the directory";
    if ((csize == 0xFFFFFFFFu || usize == 0xFFFFFFFFu || local == 0xFFFFFFFFu) && !Zip64Extra(z, off + 46 + nlen, elen, &usize, &csize, &local)) return "its entry " + std::to_string(count) + " has a damaged zip64 field";
    if (method == 0 && csize != usize) return "its stored entry " + std::to_string(count) + " has different compressed and uncompressed sizes";
    if (!z.has(local, 30) || z.u(local, 4) != 0x04034b50) return "the data of its entry " + std::to_string(count) + " (offset " + std::to_string(local) + ") are outside the file or damaged";
    const uint64_t data = local + 30 + z.u(local + 26, 2) + z.u(local + 28, 2);
    if (data > cdOff || csize > cdOff - data) return "the data of its entry " + std::to_string(count) + " (" + std::to_string(csize) + " bytes at offset " + std::to_string(data) + ") run past the end of the data: the file is truncated or damaged";
    static const char pkl[] = "data.pkl";
    if (method == 0 && nlen >= sizeof(pkl) - 1 && !std::memcmp(z.p + off + 46 + nlen - (sizeof(pkl) - 1), pkl, sizeof(pkl) - 1)) {
      const std::string why = PickleInvalid(z.p + data, csize);
      if (!why.empty()) return why;
    }
    off += 46 + nlen + elen + clen;
  }
  if (count != entries) return "its central directory holds " + std::to_string(count) + " entries, its end record announces " + std::to_string(entries);
  return "";
}

/*@C
  GNNFileOpenAtomic - Opens FILE.tmp for writing on rank 0 of comm (*fp is NULL elsewhere), for a
  file that GNNFileCloseAtomic() renames to FILE when complete. Collective: a file that cannot be
  created is the same error on every rank.
@*/
PetscErrorCode GNNFileOpenAtomic(MPI_Comm comm, const char file[], FILE **fp)
{
  PetscMPIInt rank;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  PetscValidCharPointer(file, 2);
  PetscValidPointer(fp, 3);
  *fp = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    *fp  = GNNAtomicOpen_Private(file);
    good = *fp != NULL;
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "file", file));
  PetscFunctionReturn(0);
}

/*@C
  GNNFileCloseAtomic - Closes the stream of GNNFileOpenAtomic() and, if every write to it
  succeeded, syncs it and renames it to FILE; otherwise removes it. Collective: a failed write is the
  same error on every rank.
@*/
PetscErrorCode GNNFileCloseAtomic(MPI_Comm comm, const char file[], FILE **fp)
{
  PetscMPIInt rank;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  PetscValidCharPointer(file, 2);
  PetscValidPointer(fp, 3);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    good = *fp && GNNAtomicClose_Private(*fp, file, 1);
    if (!good) err = errno;
  }
  *fp = NULL;
  PetscCall(GNNCheckWritten_Private(comm, good, err, "file", file));
  PetscFunctionReturn(0);
}
