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
  GNNGraphAssembleAdjacency_Private - Assembles the MATAIJ adjacency (values 1) of nOwned local rows
  from edges given as (receiver, sender) global pairs, which may belong to rows of other ranks;
  repeated edges collapse into one nonzero, pairs with a negative index are left out (as
  MatSetValues() does). Pairs of other ranks' rows go to their owners first (one sparse exchange);
  then each rank sorts its rows' columns (a counting sort by row, then each row's few columns),
  drops repeats, preallocates exactly and inserts row by row: no hash of every nonzero (a
  MATPREALLOCATOR's: two thirds of the set-up of a 2.1 M-node graph).
*/
PetscErrorCode GNNGraphAssembleAdjacency_Private(GNNGraph graph, PetscInt nOwned, PetscInt nPairs, const PetscInt pairs[], Mat *A)
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  PetscLayout           map;
  PetscInt              rstart, rend, N, bad = 0;
  std::vector<PetscInt> received; /* pairs of this rank's rows from other ranks */

  PetscFunctionBegin;
  PetscCall(PetscLayoutCreateFromSizes(comm, nOwned, PETSC_DECIDE, 1, &map));
  PetscCall(PetscLayoutGetRange(map, &rstart, &rend));
  PetscCall(PetscLayoutGetSize(map, &N));
  { /* the pairs of other ranks' rows, to their owners */
    std::vector<PetscMPIInt> owner;
    std::vector<PetscMPIInt> toranks;
    std::vector<PetscInt>    tocounts, first, remote; /* remote: pairs of other ranks' rows, then grouped by owner */
    for (PetscInt e = 0; e < nPairs; e++) {
      const PetscInt r = pairs[2 * e], c = pairs[2 * e + 1];
      if (r < 0 || c < 0) continue;
      if (r >= N || c >= N) {
        bad++;
        continue;
      }
      if (r >= rstart && r < rend) continue;
      PetscMPIInt o;
      PetscCall(PetscLayoutFindOwner(map, r, &o));
      owner.push_back(o);
      remote.insert(remote.end(), {r, c});
    }
    GNNCheckCollective(comm, bad == 0, PETSC_ERR_ARG_OUTOFRANGE, "Graph edges name node numbers >= %" PetscInt_FMT ", the graph's node count", N);
    { /* grouped by owner (a stable sort: each owner gets them in this rank's order) */
      std::vector<PetscInt> order(owner.size());
      for (size_t k = 0; k < owner.size(); k++) order[k] = (PetscInt)k;
      std::stable_sort(order.begin(), order.end(), [&](PetscInt a, PetscInt b) { return owner[a] < owner[b]; });
      std::vector<PetscInt> sorted(remote.size());
      for (size_t k = 0; k < order.size(); k++) {
        sorted[2 * k]     = remote[2 * order[k]];
        sorted[2 * k + 1] = remote[2 * order[k] + 1];
        if (toranks.empty() || toranks.back() != owner[order[k]]) {
          toranks.push_back(owner[order[k]]);
          tocounts.push_back(0);
          first.push_back(2 * (PetscInt)k);
        }
        tocounts.back() += 2;
      }
      remote.swap(sorted);
    }
    PetscMPIInt  nfrom, *fromranks, tag;
    PetscInt    *fromcounts;
    PetscCall(PetscObjectGetNewTag((PetscObject)graph, &tag));
    PetscCall(PetscCommBuildTwoSided(comm, 1, MPIU_INT, (PetscMPIInt)toranks.size(), toranks.data(), tocounts.data(), &nfrom, &fromranks, &fromcounts));
    std::vector<PetscInt>    at(nfrom + 1, 0);
    std::vector<MPI_Request> req(nfrom + toranks.size());
    for (PetscMPIInt k = 0; k < nfrom; k++) at[k + 1] = at[k] + fromcounts[k];
    received.resize(at[nfrom]);
    for (PetscMPIInt k = 0; k < nfrom; k++) PetscCallMPI(MPI_Irecv(received.data() + at[k], (PetscMPIInt)fromcounts[k], MPIU_INT, fromranks[k], tag, comm, &req[k]));
    for (size_t k = 0; k < toranks.size(); k++) PetscCallMPI(MPI_Isend(remote.data() + first[k], (PetscMPIInt)tocounts[k], MPIU_INT, toranks[k], tag, comm, &req[nfrom + k]));
    PetscCallMPI(MPI_Waitall((PetscMPIInt)req.size(), req.data(), MPI_STATUSES_IGNORE));
    PetscCall(PetscFree(fromranks));
    PetscCall(PetscFree(fromcounts));
  }
  { /* this rank's rows: columns bucketed by row, sorted, repeats dropped */
    std::vector<PetscInt> ptr(nOwned + 1, 0), cols, dnnz(nOwned), onnz(nOwned);
    auto                  each = [&](auto &&f) { /* every local-row pair, this rank's own then those received */
      for (PetscInt e = 0; e < nPairs; e++) {
        const PetscInt r = pairs[2 * e], c = pairs[2 * e + 1];
        if (r >= rstart && r < rend && c >= 0) f(r - rstart, c);
      }
      for (size_t e = 0; e < received.size(); e += 2) f(received[e] - rstart, received[e + 1]);
    };
    each([&](PetscInt i, PetscInt) { ptr[i + 1]++; });
    for (PetscInt i = 0; i < nOwned; i++) ptr[i + 1] += ptr[i];
    cols.resize(ptr[nOwned]);
    {
      std::vector<PetscInt> fill(ptr.begin(), ptr.end() - 1);
      each([&](PetscInt i, PetscInt c) { cols[fill[i]++] = c; });
    }
    PetscInt maxRow = 0, w = 0;
    for (PetscInt i = 0; i < nOwned; i++) { /* compacted in place: row i's unique columns at ptr[i] (new) */
      PetscInt *b = cols.data() + ptr[i], *e = cols.data() + ptr[i + 1];
      std::sort(b, e);
      e       = std::unique(b, e);
      ptr[i]  = w;
      dnnz[i] = onnz[i] = 0;
      for (PetscInt *c = b; c < e; c++) {
        (*c >= rstart && *c < rend ? dnnz[i] : onnz[i])++;
        cols[w++] = *c;
      }
      maxRow = std::max(maxRow, dnnz[i] + onnz[i]);
    }
    ptr[nOwned] = w;
    const std::vector<PetscScalar> ones(maxRow, 1.0);
    PetscCall(MatCreate(comm, A));
    PetscCall(MatSetSizes(*A, nOwned, nOwned, PETSC_DETERMINE, PETSC_DETERMINE));
    PetscCall(MatSetType(*A, MATAIJ));
    PetscCall(MatXAIJSetPreallocation(*A, 1, dnnz.data(), onnz.data(), NULL, NULL));
    for (PetscInt i = 0; i < nOwned; i++) {
      const PetscInt row = rstart + i;
      PetscCall(MatSetValues(*A, 1, &row, ptr[i + 1] - ptr[i], cols.data() + ptr[i], ones.data(), INSERT_VALUES));
    }
    PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  }
  PetscCall(PetscLayoutDestroy(&map));
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
