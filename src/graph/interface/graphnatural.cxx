/* The natural node order: partition-independent (lexicographic in the coordinates), used for every
   file the library writes so that the files do not depend on the rank count. */
#include "gnngraphimpl.h"
#include <algorithm>
#include <numeric>
#include <vector>

/* Gathers n values per owned node (global numbering order, i.e. rank order) on rank 0 */
static PetscErrorCode GatherOwned(GNNGraph graph, PetscInt n, const PetscScalar *local, std::vector<PetscScalar> &all)
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt              size, rank, cnt = (PetscMPIInt)(graph->nOwned * n);
  std::vector<PetscMPIInt> counts, displs;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    counts.resize(size);
    displs.resize(size + 1);
  }
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 0; r < size; r++) displs[r + 1] = displs[r] + counts[r];
    all.resize(displs[size]);
  }
  PetscCallMPI(MPI_Gatherv(local, cnt, MPIU_SCALAR, all.data(), counts.data(), displs.data(), MPIU_SCALAR, 0, comm));
  PetscFunctionReturn(0);
}

/* The natural order on rank 0: naturalPerm[k] = global number of the k-th node (collective) */
PetscErrorCode GNNGraphEnsureNaturalOrder_Private(GNNGraph graph)
{
  PetscInt    dim = graph->dim;
  PetscMPIInt rank;

  PetscFunctionBegin;
  if (graph->naturalPerm) PetscFunctionReturn(0); /* set on every rank at once */
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)graph), &rank));
  std::vector<PetscScalar> xc(graph->coords, graph->coords + graph->nOwned * dim), X;
  PetscCall(GatherOwned(graph, dim, xc.data(), X));
  PetscCall(PetscMalloc1(rank == 0 ? graph->N + 1 : 1, &graph->naturalPerm)); /* non-NULL on every rank: the test above must agree */
  if (rank == 0) {
    std::vector<PetscReal> Xr(X.size());
    for (size_t i = 0; i < X.size(); i++) Xr[i] = PetscRealPart(X[i]);
    std::iota(graph->naturalPerm, graph->naturalPerm + graph->N, 0);
    std::sort(graph->naturalPerm, graph->naturalPerm + graph->N, [&](PetscInt i, PetscInt j) { return GNNCompareKeys_Private(dim, &Xr[i * dim], i, &Xr[j * dim], j) < 0; });
  }
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGatherNatural - Gathers a node Vec (block size bs, the graph's global numbering) on
  rank 0 in the natural node order. On rank 0 *n = number of nodes and *values a new array of
  n*bs entries (free with PetscFree()); elsewhere *n = 0 and *values = NULL. For output only: it
  does not scale beyond what rank 0 can hold.
@*/
PetscErrorCode GNNGraphGatherNatural(GNNGraph graph, Vec v, PetscInt *n, PetscScalar *values[])
{
  PetscInt                 bs;
  PetscMPIInt              rank;
  const PetscScalar       *a;
  std::vector<PetscScalar> all;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 2);
  PetscCheck(graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  PetscCall(VecGetBlockSize(v, &bs));
  {
    PetscInt nl;
    PetscCall(VecGetLocalSize(v, &nl));
    PetscCheck(nl == bs * graph->nOwned, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Vec has %" PetscInt_FMT " local entries, expected block size %" PetscInt_FMT " x %" PetscInt_FMT " owned nodes", nl, bs, graph->nOwned);
  }
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)graph), &rank));
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  PetscCall(VecGetArrayRead(v, &a));
  PetscCall(GatherOwned(graph, bs, a, all));
  PetscCall(VecRestoreArrayRead(v, &a));
  *n      = rank == 0 ? graph->N : 0;
  *values = NULL;
  if (rank == 0) {
    PetscCall(PetscMalloc1(graph->N * bs, values));
    for (PetscInt i = 0; i < graph->N; i++)
      for (PetscInt f = 0; f < bs; f++) (*values)[i * bs + f] = all[graph->naturalPerm[i] * bs + f];
  }
  PetscFunctionReturn(0);
}
