#include "sys/gnncollective.hpp"
#include <cmath>
#include <cstdint>
#include <cstdio>

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

PetscErrorCode GNNFindNonFinite_Private(MPI_Comm comm, PetscInt nblocks, PetscInt bs, const PetscScalar a[], const PetscInt index[], PetscInt blockStart, PetscInt64 *first, PetscReal *value)
{
  PetscInt64 mine = INT64_MAX, all;
  int        kind = -1; /* of the entry at `all` on the rank that holds it: 0 NaN, 1 +Inf, 2 -Inf */
  PetscInt   at   = -1;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nblocks; i++)
    for (PetscInt f = 0; f < bs; f++) {
      if (PetscIsInfOrNanScalar(a[i * bs + f])) {
        const PetscInt64 pos = (PetscInt64)(index ? index[i] : blockStart + i) * bs + f;
        if (pos < mine) {
          mine = pos;
          at   = i * bs + f;
        }
      }
    }
  PetscCallMPI(MPI_Allreduce(&mine, &all, 1, MPIU_INT64, MPI_MIN, comm));
  if (all != INT64_MAX && mine == all) {
    const PetscReal x = PetscRealPart(a[at]);
    kind              = std::isinf((double)x) ? (x > 0 ? 1 : 2) : 0;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &kind, 1, MPI_INT, MPI_MAX, comm));
  *first = all == INT64_MAX ? -1 : all;
  *value = kind == 1 ? (PetscReal)INFINITY : (kind == 2 ? -(PetscReal)INFINITY : (kind == 0 ? (PetscReal)NAN : 0)); /* PETSC_INFINITY is finite (PETSC_MAX_REAL / 4) */
  PetscFunctionReturn(0);
}

PetscErrorCode GNNAvailableMemoryPerRank_Private(MPI_Comm comm, PetscLogDouble *bytes)
{
  MPI_Comm    node;
  PetscMPIInt onNode;
  double      kb = 0;
  char        line[256];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Comm_size(node, &onNode));
  PetscCallMPI(MPI_Comm_free(&node));
  if (FILE *fp = fopen("/proc/meminfo", "r")) {
    while (fgets(line, sizeof(line), fp))
      if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    fclose(fp);
  }
  *bytes = (PetscLogDouble)(kb * 1024.0 / onNode);
  PetscFunctionReturn(0);
}
