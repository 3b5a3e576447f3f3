/* Whole-file I/O for the files every rank must agree on (weights, checkpoints): rank 0 reads and
   shares the bytes, so all ranks see the same content and the same errors. Every file the library
   writes (weights, checkpoints, history, node fields, edges) goes through the atomic output below:
   a temporary file renamed over the target only when complete. */
#include "gnnfileio.h"
#include <cerrno>
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
