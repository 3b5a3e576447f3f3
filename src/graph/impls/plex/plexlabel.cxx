/* Node types from a DMPlex label: the one-hot node features MeshGraphNets gives its network
   (fluid, wall, inflow, outflow, ...), read from the boundary labels a mesh already carries */
#include <petscgnngraph.h>
#include <petsc/private/petscimpl.h> /* argument validation */
#include "sys/gnncollective.hpp"
#include <petscdmplex.h>
#include <vector>

/*@C
  GNNGraphCreatePlexLabelNodeVec - A node Vec of n features per node: feature k is 1 at the nodes that
  sit in the closure of a mesh point with value values[k] of the DM's label `name`, 0 elsewhere (a
  node on a boundary face's vertex or edge gets its face's type; a corner of two boundaries gets both).
  For graphs on a DMPlex (types vertex, gll). Nodes of none of the values are the interior (fluid)
  nodes: all n features 0.
@*/
PetscErrorCode GNNGraphCreatePlexLabelNodeVec(GNNGraph graph, const char name[], PetscInt n, const PetscInt values[], Vec *types)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)graph);
  DM           dm;
  DMLabel      label;
  PetscSection nodes;
  PetscInt     pStart, pEnd, rstart;
  PetscBool    has;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCheck(n > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "Need at least one label value for the node types, got %" PetscInt_FMT, n);
  PetscCall(GNNGraphGetPlexNodes(graph, &nodes, &rstart));
  PetscCall(GNNGraphGetDM(graph, &dm));
  PetscCheck(nodes && dm, comm, PETSC_ERR_ARG_WRONG, "Node types from a label need a graph on a DMPlex (types vertex, gll)");
  PetscCall(DMHasLabel(dm, name, &has));
  GNNCheckCollective(comm, has, PETSC_ERR_ARG_WRONG, "The mesh has no label \"%s\" for the node types (a Gmsh mesh's physical groups are \"Face Sets\" and \"Cell Sets\"; see -dm_view)", name);
  PetscCall(DMGetLabel(dm, name, &label));
  PetscCall(DMPlexGetChart(dm, &pStart, &pEnd));
  /* the points of each type: every point in the closure of a labelled point */
  std::vector<unsigned char> flag((size_t)(pEnd - pStart) * n, 0);
  for (PetscInt k = 0; k < n; k++) {
    IS              is;
    const PetscInt *pts;
    PetscInt        np;

    PetscCall(DMLabelGetStratumIS(label, values[k], &is));
    if (!is) continue; /* no such point on this rank */
    PetscCall(ISGetLocalSize(is, &np));
    PetscCall(ISGetIndices(is, &pts));
    for (PetscInt i = 0; i < np; i++) {
      PetscInt *closure = NULL, nc;

      PetscCall(DMPlexGetTransitiveClosure(dm, pts[i], PETSC_TRUE, &nc, &closure));
      for (PetscInt c = 0; c < nc; c++) flag[(size_t)(closure[2 * c] - pStart) * n + k] = 1;
      PetscCall(DMPlexRestoreTransitiveClosure(dm, pts[i], PETSC_TRUE, &nc, &closure));
    }
    PetscCall(ISRestoreIndices(is, &pts));
    PetscCall(ISDestroy(&is));
  }
  /* the label lives on the local points, ghosts included, so each owner sees its nodes' types */
  PetscCall(GNNGraphCreateNodeVec(graph, n, types));
  PetscCall(VecGetArrayWrite(*types, &a));
  for (PetscInt p = pStart; p < pEnd; p++) {
    PetscInt nn, off;

    PetscCall(PetscSectionGetDof(nodes, p, &nn));
    if (nn <= 0) continue; /* no node here, or one owned by another rank */
    PetscCall(PetscSectionGetOffset(nodes, p, &off));
    for (PetscInt j = 0; j < nn; j++)
      for (PetscInt k = 0; k < n; k++) a[(off - rstart + j) * n + k] = flag[(size_t)(p - pStart) * n + k];
  }
  PetscCall(VecRestoreArrayWrite(*types, &a));
  PetscFunctionReturn(0);
}
