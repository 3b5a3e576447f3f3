/* Collective idioms shared by every layer */
#ifndef GNNCOLLECTIVE_HPP
#define GNNCOLLECTIVE_HPP

#include <petscsys.h>
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

#endif
