/* GNNGraph type "vertex": nodes are the vertices of a DMPlex (any cell type), edges both
   directions of every mesh edge. */
#include "plexgraph.h"
#include <vector>

static PetscErrorCode GNNGraphBuildAdjacency_Vertex(GNNGraph graph, Mat *A, Vec *coords)
{
  DM                 dm;
  PetscSection       local, global;
  PetscInt           nOwned, depth, dim, vStart, vEnd, eStart, eEnd, rstart;
  const PetscInt     dofs[4] = {1, 0, 0, 0};
  Vec                cloc;
  PetscSection       csec;
  const PetscScalar *carr;
  PetscScalar       *x;
  std::vector<PetscInt> pairs;

  PetscFunctionBegin;
  PetscCall(GNNGraphPlexCheck_Private(graph, &dm));
  PetscCall(DMPlexGetDepth(dm, &depth));
  PetscCall(DMGetCoordinateDim(dm, &dim));
  PetscCall(GNNPlexNodeNumbering_Private(dm, dofs, &local, &global, &nOwned));
  PetscCall(DMPlexGetDepthStratum(dm, 0, &vStart, &vEnd));
  PetscCall(DMPlexGetDepthStratum(dm, 1, &eStart, &eEnd));

  /* Coordinates of the owned vertices */
  PetscCall(GNNPlexCreateCoordinateVec_Private(graph, nOwned, dim, coords));
  PetscCall(VecGetOwnershipRange(*coords, &rstart, NULL));
  rstart /= dim;
  PetscCall(DMGetCoordinatesLocal(dm, &cloc));
  PetscCall(DMGetCoordinateSection(dm, &csec));
  PetscCall(VecGetArrayRead(cloc, &carr));
  PetscCall(VecGetArray(*coords, &x));
  for (PetscInt v = vStart; v < vEnd; v++) {
    PetscInt goff, coff;
    PetscCall(PetscSectionGetOffset(global, v, &goff));
    if (goff < 0) continue;
    PetscCall(PetscSectionGetOffset(csec, v, &coff));
    for (PetscInt d = 0; d < dim; d++) x[(goff - rstart) * dim + d] = carr[coff + d];
  }
  PetscCall(VecRestoreArray(*coords, &x));
  PetscCall(VecRestoreArrayRead(cloc, &carr));

  /* Both directions of every local mesh edge; an edge seen by several ranks collapses into one
     nonzero on the receiver's owner */
  pairs.reserve(4 * (eEnd - eStart));
  for (PetscInt e = eStart; e < eEnd; e++) {
    const PetscInt *cone;
    PetscInt        g0, g1;
    PetscCall(DMPlexGetCone(dm, e, &cone));
    PetscCall(GNNPlexPointGlobalOffset(global, cone[0], &g0));
    PetscCall(GNNPlexPointGlobalOffset(global, cone[1], &g1));
    pairs.insert(pairs.end(), {g1, g0, g0, g1});
  }
  PetscCall(GNNGraphAssembleAdjacency_Private(graph, nOwned, (PetscInt)pairs.size() / 2, pairs.data(), A));
  PetscCall(PetscSectionDestroy(&local));
  PetscCall(GNNPlexKeepNodeSection_Private(graph, dm, global));
  PetscCall(PetscSectionDestroy(&global));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_Vertex(GNNGraph graph)
{
  PetscFunctionBegin;
  PetscCall(GNNGraphCreate_Plex_Private(graph));
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_Vertex;
  PetscFunctionReturn(0);
}
