/* The natural edge order: the directed edges sorted by receiver, then sender, both by natural node
   index, so that an edge file does not depend on the rank count. Edge j->i lives on the owner of i;
   the edges move to the "natural edge layout": rank r holds the edges whose receivers are in its
   block of the natural node layout (graph->naturalSF's roots), which are contiguous in the natural
   edge order. Nothing is gathered: each rank holds its own edges and its block of the sorted ones,
   and a collective write of the block gives the file (graphio.cxx). */
#include "gnngraphimpl.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

/*
  GNNGraphCreateNaturalEdges_Private - The edges of the rank's block of the natural edge order.

  Output: *nLocal edges on this rank, *nTotal in all; pairs[2k], pairs[2k+1] = natural index of the
  sender and of the receiver of edge k (both arrays PetscMalloc2'd: free with PetscFree2(*pairs, *features)); features[k(dim+1) ..]
  = the edge vector x_j - x_i (minimum image, GNNGraphGetEdgeVector()) and its length: the model's
  edge input. Collective.
*/
PetscErrorCode GNNGraphCreateNaturalEdges_Private(GNNGraph graph, PetscInt *nLocal, PetscInt *nTotal, PetscInt *pairs[], PetscScalar *features[])
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  const PetscInt        nO = graph->nOwned, dim = graph->dim, nf = dim + 1;
  const PetscInt       *natOwned;
  PetscInt              nNat, local = 0, offset = 0;
  PetscMPIInt           rank;
  std::vector<PetscInt> natural(nO + graph->nGhost), deg(nO), start(nO), leafPairs(2 * graph->nEdges), remote(graph->nEdges);
  std::vector<PetscScalar> leafFeat(nf * graph->nEdges);
  PetscLayout           map;
  PetscSF               sf;
  MPI_Datatype          pairType, featType;

  PetscFunctionBegin;
  /* the natural index of every local node: the ghosts' from their owners */
  PetscCall(GNNGraphGetNaturalIndices(graph, &natOwned));
  std::copy(natOwned, natOwned + nO, natural.begin());
  PetscCall(GNNGraphHaloUpdate(graph, 1, MPIU_INT, natural.data(), natural.data()));

  /* each receiver's in-degree to the natural layout; there, the first edge of each receiver in the
     natural edge order is a prefix sum over the blocks, which goes back to the receiver's owner */
  for (PetscInt i = 0; i < nO; i++) deg[i] = graph->rowptr[i + 1] - graph->rowptr[i];
  PetscCall(PetscSFGetGraph(graph->naturalSF, &nNat, NULL, NULL, NULL));
  std::vector<PetscInt> degNat(nNat), startNat(nNat);
  PetscCall(PetscSFReduceBegin(graph->naturalSF, MPIU_INT, deg.data(), degNat.data(), MPI_REPLACE));
  PetscCall(PetscSFReduceEnd(graph->naturalSF, MPIU_INT, deg.data(), degNat.data(), MPI_REPLACE));
  for (PetscInt k = 0; k < nNat; k++) local += degNat[k];
  PetscCallMPI(MPI_Exscan(&local, &offset, 1, MPIU_INT, MPI_SUM, comm));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) offset = 0; /* MPI_Exscan leaves rank 0's result undefined */
  for (PetscInt k = 0, s = offset; k < nNat; k++) {
    startNat[k] = s;
    s += degNat[k];
  }
  PetscCall(PetscSFBcastBegin(graph->naturalSF, MPIU_INT, startNat.data(), start.data(), MPI_REPLACE));
  PetscCall(PetscSFBcastEnd(graph->naturalSF, MPIU_INT, startNat.data(), start.data(), MPI_REPLACE));

  /* each local edge's place: its receiver's first edge plus its rank among the receiver's edges by
     sender natural index (the CSR row is in that order already; sorted again so as not to depend
     on it) */
  for (PetscInt i = 0; i < nO; i++) {
    const PetscInt        r0 = graph->rowptr[i], r1 = graph->rowptr[i + 1];
    std::vector<PetscInt> row(r1 - r0);
    std::iota(row.begin(), row.end(), r0);
    std::sort(row.begin(), row.end(), [&](PetscInt a, PetscInt b) { return natural[graph->senders[a]] < natural[graph->senders[b]]; });
    for (PetscInt k = 0; k < r1 - r0; k++) {
      const PetscInt q = row[k];
      PetscReal      v[3], len2 = 0;
      remote[q]            = start[i] + k;
      leafPairs[2 * q]     = natural[graph->senders[q]];
      leafPairs[2 * q + 1] = natural[i];
      PetscCall(GNNGraphGetEdgeVector(graph, q, v));
      for (PetscInt d = 0; d < dim; d++) {
        leafFeat[q * nf + d] = v[d];
        len2 += v[d] * v[d];
      }
      leafFeat[q * nf + dim] = std::sqrt(len2);
    }
  }

  /* the edges to their places: an SF from the local edges (leaves) to the natural edge layout
     (roots), one leaf per root, so a reduce with MPI_REPLACE is a move */
  PetscCall(PetscLayoutCreate(comm, &map));
  PetscCall(PetscLayoutSetLocalSize(map, local));
  PetscCall(PetscLayoutSetUp(map));
  PetscCall(PetscLayoutGetSize(map, nTotal));
  PetscCall(PetscSFCreate(comm, &sf));
  PetscCall(PetscSFSetGraphLayout(sf, map, graph->nEdges, NULL, PETSC_COPY_VALUES, remote.data()));
  PetscCall(PetscLayoutDestroy(&map));
  PetscCall(PetscMalloc2(2 * local, pairs, nf * local, features));
  PetscCallMPI(MPI_Type_contiguous(2, MPIU_INT, &pairType));
  PetscCallMPI(MPI_Type_commit(&pairType));
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)nf, MPIU_SCALAR, &featType));
  PetscCallMPI(MPI_Type_commit(&featType));
  PetscCall(PetscSFReduceBegin(sf, pairType, leafPairs.data(), *pairs, MPI_REPLACE));
  PetscCall(PetscSFReduceEnd(sf, pairType, leafPairs.data(), *pairs, MPI_REPLACE));
  PetscCall(PetscSFReduceBegin(sf, featType, leafFeat.data(), *features, MPI_REPLACE));
  PetscCall(PetscSFReduceEnd(sf, featType, leafFeat.data(), *features, MPI_REPLACE));
  PetscCallMPI(MPI_Type_free(&pairType));
  PetscCallMPI(MPI_Type_free(&featType));
  PetscCall(PetscSFDestroy(&sf));
  *nLocal = local;
  PetscFunctionReturn(0);
}
