/* Collective idioms shared by every layer */
#ifndef GNNCOLLECTIVE_HPP
#define GNNCOLLECTIVE_HPP

#include <petscsys.h>
#include "sys/gnnreprosum.h"
#include <vector>

/* A check whose outcome may differ between ranks (sizes of local parts, file contents read by
   one rank): every rank learns whether any failed and all raise the same error, instead of one
   rank stopping while the others wait in the next collective */
#define GNNCheckCollective(comm, cond, ierr, ...) \
  do { \
    int gnn_bad_ = !(cond), gnn_any_; \
    PetscCallMPI(MPI_Allreduce(&gnn_bad_, &gnn_any_, 1, MPI_INT, MPI_MAX, (comm))); \
    PetscCheck(!gnn_any_, (comm), (ierr), __VA_ARGS__); \
  } while (0)

/* The layout of a gather to (or scatter from) rank 0 of cnt values per rank: counts[r] and
   displs[r] (displs[size] = the total) on rank 0, empty elsewhere */
PETSC_INTERN PetscErrorCode GNNGatherLayout_Private(MPI_Comm comm, PetscMPIInt cnt, std::vector<PetscMPIInt> &counts, std::vector<PetscMPIInt> &displs);

/* The first non-finite value (NaN, +-Inf) among the blocks of bs values that the ranks hold: block i
   of this rank is block number index[i] of the whole (index NULL: blockStart + i). Collective; on
   every rank *first = block * bs + component of the smallest such entry, -1 if there is none, and
   *value = the value there. A check where data enter (files, samples, coordinates): the messages
   name the first bad entry, the same on every rank. */
/* "nan", "inf" or "-inf" for messages (PETSc's %g prints "inf.") */
static inline const char *GNNNonFiniteName(PetscReal x) { return x != x ? "nan" : (x > 0 ? "inf" : "-inf"); }
PETSC_INTERN PetscErrorCode GNNFindNonFinite_Private(MPI_Comm comm, PetscInt nblocks, PetscInt bs, const PetscScalar a[], const PetscInt index[], PetscInt blockStart, PetscInt64 *first, PetscReal *value);

/* How many ranks of comm on this rank's node (this one included) passed the same color (>= 0):
   the ranks that share one pool of memory, the node's or a GPU's. Collective. */
PETSC_INTERN PetscErrorCode GNNRanksSharing_Private(MPI_Comm comm, PetscMPIInt color, PetscMPIInt *n);
/* The memory this rank's node has available now (/proc/meminfo MemAvailable), in bytes; 0 if
   unknown. Not collective. */
PETSC_INTERN PetscErrorCode GNNHostAvailableMemory_Private(PetscLogDouble *bytes);
/* ---- reproducible sums (src/sys/gnnreprosum.h) ---- */

/* The two collective steps of a reproducible sum on comm, for the kernels (the callbacks throw
   std::runtime_error on an MPI error: they run inside LibTorch's backward) */
struct GNNReproComm {
  MPI_Comm       comm;
  GNNReproReduce rr;
  explicit GNNReproComm(MPI_Comm c);
};

/* The reproducible reductions in force, or NULL (ordinary sums): set by the model for the extent
   of one loss-and-gradient evaluation (GNNReproScope), read by the layers' backward passes */
const GNNReproReduce *GNNReproCurrent();
struct GNNReproScope {
  const GNNReproReduce *prev;
  explicit GNNReproScope(const GNNReproReduce *r);
  ~GNNReproScope();
};

/* sums[c] = the sum over all ranks of terms[i ncols + c], i < m: each term rounded to the
   reduction's agreed power of two (the bound 2^E_c from the global max |term| of column c and
   the global count of rows), added exactly in int64, so the same bits at any rank count and
   in any order (collective) */
PETSC_INTERN PetscErrorCode GNNSumReproducible(MPI_Comm comm, PetscInt m, PetscInt ncols, const double terms[], double sums[]);

#endif
