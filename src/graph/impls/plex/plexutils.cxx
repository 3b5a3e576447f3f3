/* Helpers shared by the graph types built on a DMPlex: checks and node numbering. */
#include "plexgraph.h"
#include <petscdmplex.h>

/* Returns (a new reference to) an interpolated DMPlex for the graph's mesh, with errors raised
   on every rank for a missing or unsuitable DM. */
PetscErrorCode GNNGraphPlexCheck_Private(GNNGraph graph, DM *dmOut)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)graph);
  PetscBool isPlex;
  DMPlexInterpolatedFlag interp;
  PetscInt  dim;

  PetscFunctionBegin;
  PetscCheck(graph->dm, comm, PETSC_ERR_ARG_WRONGSTATE, "GNNGraph of type %s needs a mesh: call GNNGraphSetDM()", ((PetscObject)graph)->type_name);
  PetscCall(PetscObjectTypeCompare((PetscObject)graph->dm, DMPLEX, &isPlex));
  PetscCheck(isPlex, comm, PETSC_ERR_ARG_WRONG, "GNNGraph of type %s needs a DMPLEX, not %s", ((PetscObject)graph)->type_name, ((PetscObject)graph->dm)->type_name);
  PetscCall(DMGetDimension(graph->dm, &dim));
  PetscCheck(dim >= 1 && dim <= 3, comm, PETSC_ERR_ARG_OUTOFRANGE, "Mesh dimension must be 1, 2 or 3, got %" PetscInt_FMT, dim);
  PetscCall(DMPlexIsInterpolatedCollective(graph->dm, &interp));
  if (interp == DMPLEX_INTERPOLATED_FULL) {
    PetscCall(PetscObjectReference((PetscObject)graph->dm));
    *dmOut = graph->dm;
  } else {
    /* The edges of the graph are the mesh's edges: make them explicit */
    PetscCall(DMPlexInterpolate(graph->dm, dmOut));
    PetscCall(DMCopyDisc(graph->dm, *dmOut));
  }
  PetscFunctionReturn(0);
}

/*
  GNNPlexNodeNumbering_Private - Numbers the graph nodes carried by the mesh points: a point of
  depth d carries dofsPerDepth[d] nodes. The local section counts the nodes of every local point;
  the global section numbers them globally, each node owned by the owner of its point (the point
  SF of the DM: the solver's partition). nOwned returns the number of owned nodes.
*/
PetscErrorCode GNNPlexNodeNumbering_Private(DM dm, const PetscInt dofsPerDepth[], PetscSection *local, PetscSection *global, PetscInt *nOwned)
{
  PetscInt pStart, pEnd, depth;
  PetscSF  pointSF;

  PetscFunctionBegin;
  PetscCall(DMPlexGetChart(dm, &pStart, &pEnd));
  PetscCall(DMPlexGetDepth(dm, &depth));
  /* the section lives on the DM's communicator: the global numbering is a scan over it */
  PetscCall(PetscSectionCreate(PetscObjectComm((PetscObject)dm), local));
  PetscCall(PetscSectionSetChart(*local, pStart, pEnd));
  for (PetscInt d = 0; d <= depth; d++) {
    PetscInt s, e;
    PetscCall(DMPlexGetDepthStratum(dm, d, &s, &e));
    for (PetscInt p = s; p < e; p++) PetscCall(PetscSectionSetDof(*local, p, dofsPerDepth[d]));
  }
  PetscCall(PetscSectionSetUp(*local));
  PetscCall(DMGetPointSF(dm, &pointSF));
  PetscCall(PetscSectionCreateGlobalSection(*local, pointSF, PETSC_FALSE, PETSC_FALSE, global));
  PetscCall(PetscSectionGetConstrainedStorageSize(*global, nOwned));
  PetscFunctionReturn(0);
}

/* An empty coordinate Vec for nOwned nodes in dimension dim: block size dim, the adjacency's layout */
PetscErrorCode GNNPlexCreateCoordinateVec_Private(GNNGraph graph, PetscInt nOwned, PetscInt dim, Vec *coords)
{
  PetscFunctionBegin;
  PetscCall(VecCreate(PetscObjectComm((PetscObject)graph), coords));
  PetscCall(VecSetSizes(*coords, nOwned * dim, PETSC_DETERMINE));
  PetscCall(VecSetBlockSize(*coords, dim));
  PetscCall(VecSetType(*coords, VECSTANDARD));
  PetscFunctionReturn(0);
}

/* Keeps the mesh and the node numbering on its points, for moving fields between a solver's
   vectors on the same mesh and node vectors (src/ts) */
PetscErrorCode GNNPlexKeepNodeSection_Private(GNNGraph graph, DM dm, PetscSection global)
{
  GNNGraph_Plex *plex = (GNNGraph_Plex *)graph->data;

  PetscFunctionBegin;
  PetscCall(PetscObjectReference((PetscObject)dm));
  PetscCall(PetscObjectReference((PetscObject)global));
  PetscCall(DMDestroy(&plex->dm));
  PetscCall(PetscSectionDestroy(&plex->nodes));
  plex->dm    = dm;
  plex->nodes = global;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphGetPlexNodes_Plex(GNNGraph graph, PetscSection *nodes)
{
  PetscFunctionBegin;
  *nodes = ((GNNGraph_Plex *)graph->data)->nodes;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphDestroy_Plex(GNNGraph graph)
{
  GNNGraph_Plex *plex = (GNNGraph_Plex *)graph->data;

  PetscFunctionBegin;
  PetscCall(DMDestroy(&plex->dm));
  PetscCall(PetscSectionDestroy(&plex->nodes));
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphGetPlexNodes_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphSetDegree_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphGetDegree_C", NULL));
  PetscCall(PetscFree(graph->data));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_Plex_Private(GNNGraph graph)
{
  GNNGraph_Plex *plex;

  PetscFunctionBegin;
  PetscCall(PetscNew(&plex));
  plex->degree         = 1;
  graph->data          = plex;
  graph->ops->destroy  = GNNGraphDestroy_Plex;
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphGetPlexNodes_C", GNNGraphGetPlexNodes_Plex));
  PetscFunctionReturn(0);
}
