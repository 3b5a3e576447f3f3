#include "sys/gnncollective.hpp"

PetscErrorCode GNNGatherLayout_Private(MPI_Comm comm, PetscMPIInt cnt, std::vector<PetscMPIInt> &counts, std::vector<PetscMPIInt> &displs)
{
  PetscMPIInt rank, size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  counts.assign(rank == 0 ? size : 0, 0);
  displs.assign(rank == 0 ? size + 1 : 0, 0);
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm));
  for (PetscMPIInt r = 0; r < (rank == 0 ? size : 0); r++) displs[r + 1] = displs[r] + counts[r];
  PetscFunctionReturn(0);
}
