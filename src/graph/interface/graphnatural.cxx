/* The natural node order: partition-independent (lexicographic in the coordinates), used for every
   file the library writes so that the files do not depend on the rank count. */
#include "gnngraphimpl.h"
#include "sys/gnncollective.hpp"
#include <algorithm>
#include <numeric>
#include <vector>

/* Gathers n values per owned node (global numbering order, i.e. rank order) on rank 0 */
static PetscErrorCode GatherOwned(GNNGraph graph, PetscInt n, const PetscScalar *local, std::vector<PetscScalar> &all)
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt              cnt  = (PetscMPIInt)(graph->nOwned * n);
  std::vector<PetscMPIInt> counts, displs;

  PetscFunctionBegin;
  PetscCall(GNNGatherLayout_Private(comm, cnt, counts, displs));
  if (!displs.empty()) all.resize(displs.back());
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

/* Rank 0 holds values of the N nodes in natural order (bs each); every rank receives its owned
   nodes' values in the global numbering */
static PetscErrorCode ScatterNatural(GNNGraph graph, PetscInt bs, const PetscScalar *natural, PetscScalar *owned)
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt              rank, cnt = (PetscMPIInt)(graph->nOwned * bs);
  std::vector<PetscMPIInt> counts, displs;
  std::vector<PetscScalar> global;

  PetscFunctionBegin;
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(GNNGatherLayout_Private(comm, cnt, counts, displs));
  if (rank == 0) {
    global.resize(graph->N * bs);
    for (PetscInt k = 0; k < graph->N; k++)
      for (PetscInt f = 0; f < bs; f++) global[graph->naturalPerm[k] * bs + f] = natural[k * bs + f];
  }
  PetscCallMPI(MPI_Scatterv(global.data(), counts.data(), displs.data(), MPIU_SCALAR, owned, cnt, MPIU_SCALAR, 0, comm));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetNaturalIndices - The natural (partition-independent) index of every owned node, e.g. to
  draw random numbers per node that do not depend on the rank count.
@*/
PetscErrorCode GNNGraphGetNaturalIndices(GNNGraph graph, const PetscInt *idx[])
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCheck(graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  if (!graph->naturalIndex) {
    std::vector<PetscScalar> nat, owned(graph->nOwned);
    PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
    PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)graph), &rank));
    if (rank == 0) {
      nat.resize(graph->N);
      for (PetscInt k = 0; k < graph->N; k++) nat[k] = (PetscScalar)k;
    }
    PetscCall(ScatterNatural(graph, 1, nat.data(), owned.data()));
    PetscCall(PetscMalloc1(graph->nOwned + 1, &graph->naturalIndex));
    for (PetscInt i = 0; i < graph->nOwned; i++) graph->naturalIndex[i] = (PetscInt)PetscRealPart(owned[i]);
  }
  *idx = graph->naturalIndex;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSaveNaturalVec - Writes a node Vec (block size F) to a PETSc binary file in natural order
@*/
PetscErrorCode GNNGraphSaveNaturalVec(GNNGraph graph, Vec v, const char file[])
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)graph);
  PetscInt     n, bs;
  PetscScalar *a;
  PetscMPIInt  rank;
  PetscBool    ok = PETSC_TRUE;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 2);
  PetscValidCharPointer(file, 3);
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCall(GNNGraphGatherNatural(graph, v, &n, &a));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscViewer    viewer;
    Vec            s;
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = PetscViewerBinaryOpen(PETSC_COMM_SELF, file, FILE_MODE_WRITE, &viewer);
    if (!ierr) {
      PetscCall(VecCreateSeqWithArray(PETSC_COMM_SELF, bs, n * bs, a, &s));
      ierr = VecView(s, viewer);
      PetscCall(VecDestroy(&s));
      PetscCall(PetscViewerDestroy(&viewer));
    }
    PetscCall(PetscPopErrorHandler());
    ok = ierr ? PETSC_FALSE : PETSC_TRUE;
  }
  PetscCall(PetscFree(a));
  PetscCallMPI(MPI_Bcast(&ok, 1, MPIU_BOOL, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "Cannot write %s", file);
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphLoadNaturalVec - Reads a node Vec written by GNNGraphSaveNaturalVec() (on any rank count)
  into v, whose block size must match the file's values per node
@*/
PetscErrorCode GNNGraphLoadNaturalVec(GNNGraph graph, const char file[], Vec v)
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscInt                 bs, info[2] = {0, 0}; /* status, length */
  PetscMPIInt              rank;
  std::vector<PetscScalar> nat;
  PetscScalar             *a;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidCharPointer(file, 2);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 3);
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscViewer    viewer;
    Vec            s;
    PetscErrorCode ierr;
    PetscBool      exists;
    PetscCall(PetscTestFile(file, 'r', &exists));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = exists ? PetscViewerBinaryOpen(PETSC_COMM_SELF, file, FILE_MODE_READ, &viewer) : 1;
    if (ierr) info[0] = 1;
    else {
      PetscCall(VecCreate(PETSC_COMM_SELF, &s));
      ierr = VecLoad(s, viewer);
      if (ierr) info[0] = 2;
      else {
        const PetscScalar *sa;
        PetscCall(VecGetSize(s, &info[1]));
        PetscCall(VecGetArrayRead(s, &sa));
        nat.assign(sa, sa + info[1]);
        PetscCall(VecRestoreArrayRead(s, &sa));
      }
      PetscCall(VecDestroy(&s));
      PetscCall(PetscViewerDestroy(&viewer));
    }
    PetscCall(PetscPopErrorHandler());
  }
  PetscCallMPI(MPI_Bcast(info, 2, MPIU_INT, 0, comm));
  PetscCheck(info[0] != 1, comm, PETSC_ERR_FILE_OPEN, "Cannot open the data file %s", file);
  PetscCheck(info[0] != 2, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s is not a PETSc binary Vec", file);
  PetscCheck(info[1] == graph->N * bs, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s holds %" PetscInt_FMT " values, the graph needs %" PetscInt_FMT " nodes x %" PetscInt_FMT, file, info[1], graph->N, bs);
  PetscCall(VecGetArrayWrite(v, &a));
  PetscCall(ScatterNatural(graph, bs, nat.data(), a));
  PetscCall(VecRestoreArrayWrite(v, &a));
  PetscFunctionReturn(0);
}
