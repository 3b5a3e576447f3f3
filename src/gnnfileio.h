/* Whole-file I/O shared by weights and checkpoints (src/sys/fileio.cxx) */
#ifndef GNNFILEIO_H
#define GNNFILEIO_H

#include <petscsys.h>
#include <vector>

/* Rank 0 reads the file and every rank gets its bytes; found = false if it cannot be opened */
PETSC_INTERN PetscErrorCode GNNReadFileEverywhere_Private(MPI_Comm, const char[], std::vector<char> &, PetscBool *);
/* Rank 0 writes FILE.tmp, syncs it and renames it to FILE: a crash leaves the old FILE intact */
PETSC_INTERN PetscErrorCode GNNWriteFileAtomic_Private(MPI_Comm, const char[], const std::vector<char> &, PetscBool *);

#endif
