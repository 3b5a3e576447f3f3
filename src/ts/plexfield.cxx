/* Fields of a solver's DMPlex vectors <-> node vectors of a graph built on the same DMPlex */
#include <petscgnnts.h>
#include "sys/gnncollective.hpp"
#include <petsc/private/petscimpl.h> /* argument validation */
#include <petscdmplex.h>

/* Walks the mesh points that carry a graph node owned here, with the node's local row, the
   offset of the field's values in dm's local vector and the point */
template <typename Fn>
static PetscErrorCode ForEachNodePoint(GNNGraph graph, DM dm, PetscInt field, PetscInt ncomp, Fn fn)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)graph);
  PetscSection lsec, nodes;
  PetscInt     pStart, pEnd, qStart, qEnd, rstart, bad = 0;

  PetscFunctionBegin;
  PetscCall(GNNGraphGetPlexNodes(graph, &nodes, &rstart));
  PetscCheck(nodes, comm, PETSC_ERR_ARG_WRONG, "The graph is not built on a DMPlex (types vertex, gll)");
  PetscCall(DMPlexGetChart(dm, &pStart, &pEnd));
  PetscCall(PetscSectionGetChart(nodes, &qStart, &qEnd));
  GNNCheckCollective(comm, pStart == qStart && pEnd == qEnd, PETSC_ERR_ARG_WRONG, "The DM is not the mesh the graph was built on (build the graph with GNNGraphSetDM() on the solver's DM)");
  PetscCall(DMGetLocalSection(dm, &lsec));
  for (PetscInt p = pStart; p < pEnd && !bad; p++) {
    PetscInt nn, goff, fdof, foff;
    PetscCall(PetscSectionGetDof(nodes, p, &nn));
    if (nn <= 0) continue; /* no node here, or a node owned by another rank */
    PetscCall(PetscSectionGetOffset(nodes, p, &goff));
    PetscCall(PetscSectionGetFieldDof(lsec, p, field, &fdof));
    PetscCall(PetscSectionGetFieldOffset(lsec, p, field, &foff));
    if (nn != 1 || fdof != ncomp) {
      bad = 1;
      break;
    }
    fn(goff - rstart, foff, p);
  }
  GNNCheckCollective(comm, !bad, PETSC_ERR_ARG_WRONG, "Field %" PetscInt_FMT " does not match the graph: each graph node must sit alone on a mesh point that carries %" PetscInt_FMT " values of the field (vertex graph with a vertex field, GLL degree p <= 2 with a degree-p Lagrange field)", field, ncomp);
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphPlexFieldToNodes(GNNGraph graph, DM dm, PetscInt field, PetscReal t, Vec u, Vec nodes)
{
  Vec                loc;
  PetscInt           ncomp;
  const PetscScalar *la;
  PetscScalar       *na;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(VecGetBlockSize(nodes, &ncomp));
  PetscCall(DMGetLocalVector(dm, &loc));
  PetscCall(DMGlobalToLocal(dm, u, INSERT_VALUES, loc));
  PetscCall(DMPlexInsertBoundaryValues(dm, PETSC_TRUE, loc, t, NULL, NULL, NULL));
  PetscCall(VecGetArrayRead(loc, &la));
  PetscCall(VecGetArrayWrite(nodes, &na));
  PetscCall(ForEachNodePoint(graph, dm, field, ncomp, [&](PetscInt i, PetscInt off, PetscInt) {
    for (PetscInt c = 0; c < ncomp; c++) na[i * ncomp + c] = la[off + c];
  }));
  PetscCall(VecRestoreArrayWrite(nodes, &na));
  PetscCall(VecRestoreArrayRead(loc, &la));
  PetscCall(DMRestoreLocalVector(dm, &loc));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphPlexNodesToField(GNNGraph graph, DM dm, PetscInt field, Vec nodes, Vec u)
{
  Vec                loc;
  PetscInt           ncomp;
  const PetscScalar *na;
  PetscScalar       *la;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(VecGetBlockSize(nodes, &ncomp));
  PetscCall(DMGetLocalVector(dm, &loc));
  PetscCall(DMGlobalToLocal(dm, u, INSERT_VALUES, loc));
  PetscCall(VecGetArray(loc, &la));
  PetscCall(VecGetArrayRead(nodes, &na));
  PetscCall(ForEachNodePoint(graph, dm, field, ncomp, [&](PetscInt i, PetscInt off, PetscInt) {
    for (PetscInt c = 0; c < ncomp; c++) la[off + c] = na[i * ncomp + c];
  }));
  PetscCall(VecRestoreArrayRead(nodes, &na));
  PetscCall(VecRestoreArray(loc, &la));
  /* owned points only were written: INSERT keeps the owners' values */
  PetscCall(DMLocalToGlobal(dm, loc, INSERT_VALUES, u));
  PetscCall(DMRestoreLocalVector(dm, &loc));
  PetscFunctionReturn(0);
}

/*@C
  GNNPlexApplyField - uout = uin with field `field` replaced by GNN(field of uin): one surrogate
  step on the solver's own vectors (t: time of uin, for its boundary values)
@*/
PetscErrorCode GNNPlexApplyField(GNN gnn, DM dm, PetscInt field, PetscReal t, Vec uin, Vec uout)
{
  GNNGraph graph;
  PetscInt nin, nout;
  Vec      x, y;

  PetscFunctionBegin;
  PetscCall(GNNGetGraph(gnn, &graph));
  PetscCall(GNNGetSizes(gnn, &nin, &nout));
  PetscCall(GNNGraphCreateNodeVec(graph, nin, &x));
  PetscCall(GNNGraphCreateNodeVec(graph, nout, &y));
  PetscCall(GNNGraphPlexFieldToNodes(graph, dm, field, t, uin, x));
  PetscCall(GNNApply(gnn, x, y));
  if (uout != uin) PetscCall(VecCopy(uin, uout));
  PetscCall(GNNGraphPlexNodesToField(graph, dm, field, y, uout));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphPlexConstrainedNodes - mask[i] = 1 at the nodes whose values of field `field` are all
  constrained in the DM's section (Dirichlet boundary values: the solver does not compute them, so a
  surrogate need not predict them), 0 elsewhere; mask is a node Vec with one value per node. For
  example, 1 - mask as the trainer's node weights leaves those nodes out of the loss.
@*/
PetscErrorCode GNNGraphPlexConstrainedNodes(GNNGraph graph, DM dm, PetscInt field, Vec mask)
{
  PetscSection lsec;
  PetscInt     ncomp;
  PetscScalar *m;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(DMGetLocalSection(dm, &lsec));
  PetscCall(PetscSectionGetFieldComponents(lsec, field, &ncomp));
  PetscCall(VecGetArrayWrite(mask, &m));
  PetscCall(ForEachNodePoint(graph, dm, field, ncomp, [&](PetscInt i, PetscInt, PetscInt p) {
    PetscInt cdof = 0;
    PetscSectionGetFieldConstraintDof(lsec, p, field, &cdof); /* cannot fail on a point of the chart */
    m[i] = cdof == ncomp ? 1.0 : 0.0;
  }));
  PetscCall(VecRestoreArrayWrite(mask, &m));
  PetscFunctionReturn(0);
}
