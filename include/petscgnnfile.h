/* Atomic output files for programs that use petscgnn, by the library's own mechanism
   (src/sys/fileio.cxx): rank 0 writes FILE.tmp in FILE's directory, which is synced and renamed to
   FILE when closed, so FILE is the previous file or the whole new one, never a fragment (a full
   disk, a killed run). Both calls are collective; a failure is the same error on every rank and
   leaves no temporary file. */
#ifndef PETSCGNNFILE_H
#define PETSCGNNFILE_H

#include <petscsys.h>
#include <stdio.h>

/* *fp: FILE.tmp open for writing on rank 0, NULL on the other ranks */
PETSC_EXTERN PetscErrorCode GNNFileOpenAtomic(MPI_Comm, const char[], FILE **);
/* Closes *fp (NULL afterwards) and commits FILE: an error on every rank if a write failed */
PETSC_EXTERN PetscErrorCode GNNFileCloseAtomic(MPI_Comm, const char[], FILE **);

#endif
