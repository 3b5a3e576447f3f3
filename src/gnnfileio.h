/* Whole-file I/O shared by weights and checkpoints, and the one way the library writes an output
   file (src/sys/fileio.cxx) */
#ifndef GNNFILEIO_H
#define GNNFILEIO_H

#include <petscsys.h>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

/* Rank 0 reads the file and every rank gets its bytes; found = false if it cannot be opened */
PETSC_INTERN PetscErrorCode GNNReadFileEverywhere_Private(MPI_Comm, const char[], std::vector<char> &, PetscBool *);

/* Atomic output. A file is written as FILE.tmp in FILE's directory (a rename is atomic only within
   one file system), synced, and renamed to FILE when complete: FILE is always the previous file or
   the whole new one, never a fragment. On failure the temporary file is removed and errno says why.
   These run on the writing rank alone; GNNCheckWritten_Private() then makes the outcome collective. */
std::string GNNAtomicTempName_Private(const char[]);
/* FILE.tmp opened for writing, or NULL (errno set) */
PETSC_INTERN FILE *GNNAtomicOpen_Private(const char[]);
/* Closes the stream of GNNAtomicOpen_Private() and, if good and no write to it failed, syncs it and
   renames it to FILE; returns whether FILE is now the new file */
PETSC_INTERN int GNNAtomicClose_Private(FILE *, const char[], int);
/* The same for a writer that opens GNNAtomicTempName_Private(FILE) by name itself (HDF5) */
PETSC_INTERN int GNNAtomicCommit_Private(const char[], int);
/* Collective: the outcome of rank 0's write of FILE (good; errno otherwise) as the same error on
   every rank: "Cannot write the <what> FILE: <reason>" */
PETSC_INTERN PetscErrorCode GNNCheckWritten_Private(MPI_Comm, int, int, const char[], const char[]);
/* Collective writers (PETSc viewers that every rank calls) open the temporary file by name
   themselves: write(FILE.tmp) runs on every rank. A rank on which it fails (a full disk in
   VecView) removes FILE.tmp and FILE.tmp.info (the binary viewer's) and returns the writer's error
   at once (the others may be waiting inside PETSc's viewer for it: no collective check can follow;
   the writer itself returns without closing its viewer, since closing is collective too).
   On success, after a barrier, FILE.tmp is complete: the caller commits it (GNNAtomicCommit_Private).
   what names the file in messages. */
PETSC_INTERN PetscErrorCode GNNAtomicWriteCollective_Private(MPI_Comm, const char[], const char[], const std::function<PetscErrorCode(const char[])> &);
/* PetscViewerHDF5Open() with -viewer_hdf5_collective honoured (independent I/O by default): the
   one way the library opens an HDF5 file */
PETSC_INTERN PetscErrorCode GNNViewerHDF5Open_Private(MPI_Comm, const char[], PetscFileMode, PetscViewer *);
/* Rank 0 writes the bytes to FILE atomically; an error on every rank if that fails */
PETSC_INTERN PetscErrorCode GNNWriteFileAtomic_Private(MPI_Comm, const char[], const char[], const std::vector<char> &);

/* Why bytes are not a sound zip archive (what LibTorch's pickle_load reads), or "" if they are:
   every offset and size inside the file. Call it before LibTorch sees a file. */
std::string GNNZipInvalid_Private(const std::vector<char> &);

#endif
