/* GNNGraph set-up: from an adjacency matrix to the local CSR, the ghost map and the halo SF.
   Every graph type ends here, so the rules that make sums partition-independent live in one place. */
#include "gnngraphimpl.h"
#include "sys/gnncollective.hpp"
#include <petsc/private/matimpl.h>
#include <algorithm>
#include <vector>

/* Partition-independent order of two nodes: lexicographic in the coordinates; the global number
   (which depends on the partition) only breaks ties between coincident nodes. */
int GNNCompareKeys_Private(PetscInt dim, const PetscReal *a, PetscInt ga, const PetscReal *b, PetscInt gb)
{
  for (PetscInt d = 0; d < dim; d++) {
    if (a[d] < b[d]) return -1;
    if (a[d] > b[d]) return 1;
  }
  return ga < gb ? -1 : (ga > gb ? 1 : 0);
}

/*
  GNNGraphAssembleAdjacency_Private - Assembles the MATAIJ adjacency of nOwned local rows from
  edges given as (receiver, sender) global pairs, which may belong to rows of other ranks; repeated
  edges collapse into one nonzero. The insertion runs twice: once to count, once to fill.
*/
PetscErrorCode GNNGraphAssembleAdjacency_Private(GNNGraph graph, PetscInt nOwned, PetscInt nPairs, const PetscInt pairs[], Mat *A)
{
  Mat             prealloc;
  MPI_Comm        comm = PetscObjectComm((PetscObject)graph);

  PetscFunctionBegin;
  PetscCall(MatCreate(comm, &prealloc));
  PetscCall(MatSetType(prealloc, MATPREALLOCATOR));
  PetscCall(MatSetSizes(prealloc, nOwned, nOwned, PETSC_DETERMINE, PETSC_DETERMINE));
  PetscCall(MatSetUp(prealloc));
  for (PetscInt e = 0; e < nPairs; e++) PetscCall(MatSetValue(prealloc, pairs[2 * e], pairs[2 * e + 1], 1.0, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(prealloc, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(prealloc, MAT_FINAL_ASSEMBLY));

  PetscCall(MatCreate(comm, A));
  PetscCall(MatSetType(*A, MATAIJ));
  PetscCall(MatSetSizes(*A, nOwned, nOwned, PETSC_DETERMINE, PETSC_DETERMINE));
  PetscCall(MatPreallocatorPreallocate(prealloc, PETSC_FALSE, *A));
  PetscCall(MatDestroy(&prealloc));
  for (PetscInt e = 0; e < nPairs; e++) PetscCall(MatSetValue(*A, pairs[2 * e], pairs[2 * e + 1], 1.0, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphSetUpFromAdjacency_Private(GNNGraph graph, Mat A, Vec coords)
{
  MPI_Comm        comm = PetscObjectComm((PetscObject)graph);
  Mat             Ad = NULL, Ao = NULL;
  const PetscInt *garray = NULL, *ia, *ja, *oia = NULL, *oja = NULL;
  PetscInt        m, n, M, Nc, bs, nloc, nrows, nGhostAll = 0;
  PetscBool       isMPI, isSeq, done;
  PetscInt       *ilocal;
  PetscLayout     rmap;
  char            prefix[256] = "";
  const char     *gprefix;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)A, MATMPIAIJ, &isMPI));
  PetscCall(PetscObjectTypeCompare((PetscObject)A, MATSEQAIJ, &isSeq));
  PetscCheck(isMPI || isSeq, comm, PETSC_ERR_ARG_WRONG, "The adjacency must be a MATAIJ matrix, not %s", ((PetscObject)A)->type_name);
  PetscCall(MatGetLocalSize(A, &m, &n));
  PetscCall(MatGetSize(A, &M, &Nc));
  PetscCheck(M == Nc, comm, PETSC_ERR_ARG_SIZ, "The adjacency must be square, it is %" PetscInt_FMT " x %" PetscInt_FMT, M, Nc);
  GNNCheckCollective(comm, m == n, PETSC_ERR_ARG_SIZ, "The adjacency's row and column layouts must be the same (one node per row and column)");
  PetscCall(VecGetBlockSize(coords, &bs));
  PetscCall(VecGetLocalSize(coords, &nloc));
  GNNCheckCollective(comm, nloc == m * bs, PETSC_ERR_ARG_SIZ, "The coordinates must hold block size (dimension) values per owned node of the adjacency");
  PetscCheck(bs >= 1 && bs <= 3, comm, PETSC_ERR_ARG_OUTOFRANGE, "Coordinate dimension must be 1, 2 or 3, got %" PetscInt_FMT, bs);
  { /* every graph type's coordinates pass here: a NaN would break the natural order's sort and every edge feature */
    const PetscScalar *c;
    PetscInt64         bad;
    PetscReal          val;
    PetscInt           lo;
    PetscCall(MatGetOwnershipRange(A, &lo, NULL));
    PetscCall(VecGetArrayRead(coords, &c));
    PetscCall(GNNFindNonFinite_Private(comm, m, bs, c, NULL, lo, &bad, &val));
    PetscCall(VecRestoreArrayRead(coords, &c));
    PetscCheck(bad < 0, comm, PETSC_ERR_FP, "The mesh or graph coordinates are not finite: node %" PetscInt64_FMT " (global number) has coordinate %" PetscInt64_FMT " = %s", bad / bs, bad % bs, GNNNonFiniteName(val));
  }

  if (isMPI) PetscCall(MatMPIAIJGetSeqAIJ(A, &Ad, &Ao, &garray));
  else Ad = A;
  if (Ao) PetscCall(MatGetSize(Ao, NULL, &nGhostAll));

  graph->dim    = bs;
  graph->nOwned = m;
  graph->N      = M;
  PetscCall(MatGetOwnershipRange(A, &graph->rstart, NULL));
  graph->nGhost = graph->haloType == GNN_HALO_SF ? nGhostAll : 0;

  PetscCall(MatGetRowIJ(Ad, 0, PETSC_FALSE, PETSC_FALSE, &nrows, &ia, &ja, &done));
  PetscCheck(done, PETSC_COMM_SELF, PETSC_ERR_SUP, "Cannot get the row structure of the adjacency");
  if (Ao && graph->nGhost) {
    PetscCall(MatGetRowIJ(Ao, 0, PETSC_FALSE, PETSC_FALSE, &nrows, &oia, &oja, &done));
    PetscCheck(done, PETSC_COMM_SELF, PETSC_ERR_SUP, "Cannot get the row structure of the adjacency");
  }
  graph->nEdges = ia[m] + (oia ? oia[m] : 0);
  PetscCall(PetscMalloc3(m + 1, &graph->rowptr, graph->nEdges, &graph->senders, graph->nEdges, &graph->receivers));
  PetscCall(PetscMalloc2(m + graph->nGhost, &graph->globalNumbers, (m + graph->nGhost) * bs, &graph->coords));
  for (PetscInt i = 0; i < m; i++) graph->globalNumbers[i] = graph->rstart + i;
  for (PetscInt k = 0; k < graph->nGhost; k++) graph->globalNumbers[m + k] = garray[k];

  /* The halo SF: roots are the owned rows, leaves the ghost rows nOwned + k */
  PetscCall(PetscMalloc1(graph->nGhost, &ilocal));
  for (PetscInt k = 0; k < graph->nGhost; k++) ilocal[k] = m + k;
  PetscCall(PetscSFCreate(comm, &graph->haloSF));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)graph, &gprefix));
  PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%sgnn_halo_", gprefix ? gprefix : ""));
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)graph->haloSF, prefix));
  PetscCall(MatGetLayouts(A, &rmap, NULL));
  PetscCall(PetscSFSetGraphLayout(graph->haloSF, rmap, graph->nGhost, ilocal, PETSC_OWN_POINTER, garray));
  PetscCall(PetscSFSetFromOptions(graph->haloSF));
  PetscCall(PetscSFSetUp(graph->haloSF));
  {
    PetscInt nranks = 0;
    if (graph->nGhost) PetscCall(PetscSFGetRootRanks(graph->haloSF, &nranks, NULL, NULL, NULL, NULL));
    graph->nNeighbors = nranks;
  }

  /* Coordinates: owned from the Vec, ghosts through the halo exchange itself */
  {
    const PetscScalar *c;
    PetscCall(VecGetArrayRead(coords, &c));
    for (PetscInt i = 0; i < m * bs; i++) graph->coords[i] = PetscRealPart(c[i]);
    PetscCall(VecRestoreArrayRead(coords, &c));
  }
  graph->setupcalled = PETSC_TRUE; /* the halo update below checks it */
  PetscCall(GNNGraphHaloUpdate(graph, bs, MPIU_REAL, graph->coords, graph->coords));

  /* CSR by receiver; inside a row the senders follow the natural order, so that a sum over the
     row adds the same numbers in the same order on any number of ranks */
  {
    const PetscReal *X = graph->coords;
    const PetscInt  *gn = graph->globalNumbers;
    PetscInt         e  = 0;
    graph->rowptr[0]    = 0;
    for (PetscInt i = 0; i < m; i++) {
      PetscInt start = e;
      for (PetscInt q = ia[i]; q < ia[i + 1]; q++) graph->senders[e++] = ja[q];
      if (oia)
        for (PetscInt q = oia[i]; q < oia[i + 1]; q++) graph->senders[e++] = m + oja[q];
      std::sort(graph->senders + start, graph->senders + e, [&](PetscInt a, PetscInt b) { return GNNCompareKeys_Private(bs, X + a * bs, gn[a], X + b * bs, gn[b]) < 0; });
      for (PetscInt q = start; q < e; q++) graph->receivers[q] = i;
      graph->rowptr[i + 1] = e;
    }
  }
  PetscCall(MatRestoreRowIJ(Ad, 0, PETSC_FALSE, PETSC_FALSE, &nrows, &ia, &ja, &done));
  if (oia) PetscCall(MatRestoreRowIJ(Ao, 0, PETSC_FALSE, PETSC_FALSE, &nrows, &oia, &oja, &done));

  PetscCall(PetscObjectReference((PetscObject)A));
  PetscCall(MatDestroy(&graph->adj));
  graph->adj = A;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSetUp - Builds the distributed graph: adjacency, ghosts, halo SF and local edge lists.
@*/
PetscErrorCode GNNGraphSetUp(GNNGraph graph)
{
  Mat A;
  Vec coords;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  if (graph->setupcalled) PetscFunctionReturn(0);
  if (!((PetscObject)graph)->type_name) { /* GNNGraphSetAdjacency() sets mat */
    GNNGraphType type;
    PetscCall(GNNGraphDefaultType_Private(graph, &type));
    PetscCall(GNNGraphSetType(graph, type));
  }
  PetscCall(PetscLogEventBegin(GNN_GraphSetUp, graph, 0, 0, 0));
  PetscCall((*graph->ops->buildadjacency)(graph, &A, &coords));
  PetscCall(GNNGraphSetUpFromAdjacency_Private(graph, A, coords));
  PetscCall(MatDestroy(&A));
  PetscCall(VecDestroy(&coords));
  PetscCall(PetscLogEventEnd(GNN_GraphSetUp, graph, 0, 0, 0));
  PetscCall(GNNGraphViewFromOptions(graph, NULL, "-gnn_graph_view"));
  PetscCall(MatViewFromOptions(graph->adj, (PetscObject)graph, "-gnn_graph_adjacency_view"));
  PetscFunctionReturn(0);
}
