/* Whole-file I/O for the files every rank must agree on (weights, checkpoints): rank 0 reads and
   shares the bytes, so all ranks see the same content and the same errors; rank 0 writes to a
   temporary file that is renamed over the target only when complete. */
#include "gnnfileio.h"
#include <cstdio>
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

PetscErrorCode GNNWriteFileAtomic_Private(MPI_Comm comm, const char file[], const std::vector<char> &bytes, PetscBool *ok)
{
  PetscMPIInt rank;
  int         good = 1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::string tmp = std::string(file) + ".tmp";
    FILE       *fp  = fopen(tmp.c_str(), "wb");
    good            = fp != NULL;
    if (fp) {
      good = fwrite(bytes.data(), 1, bytes.size(), fp) == bytes.size();
      good = good && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
      good = (fclose(fp) == 0) && good;
      good = good && std::rename(tmp.c_str(), file) == 0;
    }
    if (!good) std::remove(tmp.c_str()); /* no half-written temporary left behind */
  }
  PetscCallMPI(MPI_Bcast(&good, 1, MPI_INT, 0, comm));
  *ok = good ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}
