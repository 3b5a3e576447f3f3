/* GNNGraph type "da": nodes are the grid points of a DMDA (1-3-D), edges both directions between a
   point and every neighbour of its stencil (star: along one axis, box: the full cube of the stencil
   width), on the DMDA's own partition.

   The graph's global numbering is the DMDA's PETSc ordering (DMDA global Vecs list each rank's
   points contiguously), so a DMDA global Vec with dof values per point IS a node Vec of block size
   dof: the solver's state goes into GNNApply() as it is, with no scatter. */
#include "gnngraphimpl.h"
#include "sys/gnncollective.hpp"
#include <petscdmda.h>
#include <petsc/private/dmimpl.h> /* setupcalled */
#include <vector>

typedef struct {
  PetscReal period[3];  /* from -gnn_graph_da_period (0: derive it, see GNNDAPeriods) */
  PetscBool uniform;    /* after set-up: the DM had no coordinates, the unit box was used */
} GNNGraph_DA;

/* Errors on every rank for a missing or unsuitable DM (every rank holds the same DMDA sizes, so
   these checks agree across ranks) */
static PetscErrorCode GNNDACheck(GNNGraph graph)
{
  MPI_Comm         comm = PetscObjectComm((PetscObject)graph);
  PetscBool        isDA;
  PetscInt         dim, M[3], s;
  DMBoundaryType   bt[3];
  const char      *axis = "xyz";

  PetscFunctionBegin;
  PetscCheck(graph->dm, comm, PETSC_ERR_ARG_WRONGSTATE, "GNNGraph of type da needs a DMDA: call GNNGraphSetDM()");
  PetscCall(PetscObjectTypeCompare((PetscObject)graph->dm, DMDA, &isDA));
  PetscCheck(isDA, comm, PETSC_ERR_ARG_WRONG, "GNNGraph of type da needs a DMDA, not %s", ((PetscObject)graph->dm)->type_name);
  PetscCheck(graph->dm->setupcalled, comm, PETSC_ERR_ARG_WRONGSTATE, "Call DMSetUp() on the DMDA before GNNGraphSetUp()");
  PetscCall(DMDAGetInfo(graph->dm, &dim, &M[0], &M[1], &M[2], NULL, NULL, NULL, NULL, &s, &bt[0], &bt[1], &bt[2], NULL));
  for (PetscInt d = 0; d < dim; d++) {
    PetscCheck(bt[d] == DM_BOUNDARY_NONE || bt[d] == DM_BOUNDARY_PERIODIC || bt[d] == DM_BOUNDARY_GHOSTED, comm, PETSC_ERR_SUP, "GNNGraph of type da supports the boundary types none, ghosted and periodic, not %s along %c", DMBoundaryTypes[bt[d]], axis[d]);
    /* a shorter periodic axis would reach the same point from both sides: one edge with two
       different edge vectors, and no unique minimum image */
    PetscCheck(bt[d] != DM_BOUNDARY_PERIODIC || M[d] > 2 * s, comm, PETSC_ERR_ARG_OUTOFRANGE, "A periodic DMDA axis needs more than 2 x stencil width points for a graph: %c has %" PetscInt_FMT " points, stencil width %" PetscInt_FMT, axis[d], M[d], s);
  }
  PetscFunctionReturn(0);
}

/* The period of each periodic axis: -gnn_graph_da_period if given, else the L of
   DMSetPeriodicity() if the DM has one, else, for coordinates of DMDASetUniformCoordinates() or
   the unit box, M times the spacing, (max - min) M / (M - 1): max and min are global reductions,
   the same bits on any rank count. */
static PetscErrorCode GNNDAPeriods(GNNGraph graph, Vec coords, PetscInt dim, const PetscInt M[], const DMBoundaryType bt[])
{
  GNNGraph_DA     *da = (GNNGraph_DA *)graph->data;
  const PetscReal *maxCell, *Lstart, *L;

  PetscFunctionBegin;
  PetscCall(DMGetPeriodicity(graph->dm, &maxCell, &Lstart, &L));
  for (PetscInt d = 0; d < 3; d++) graph->period[d] = 0;
  for (PetscInt d = 0; d < dim; d++) {
    if (bt[d] != DM_BOUNDARY_PERIODIC) continue;
    if (da->period[d] > 0) graph->period[d] = da->period[d];
    else if (L && L[d] > 0) graph->period[d] = L[d];
    else {
      PetscReal lo, hi;
      PetscCall(VecStrideMin(coords, d, NULL, &lo));
      PetscCall(VecStrideMax(coords, d, NULL, &hi));
      graph->period[d] = (hi - lo) * M[d] / (M[d] - 1);
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphBuildAdjacency_DA(GNNGraph graph, Mat *A, Vec *coords)
{
  GNNGraph_DA           *da = (GNNGraph_DA *)graph->data;
  DM                     dm = graph->dm;
  PetscInt               dim, M[3] = {1, 1, 1}, s, dof, xs[3] = {0, 0, 0}, xm[3] = {1, 1, 1}, gs[3] = {0, 0, 0}, gm[3] = {1, 1, 1}, nOwned;
  DMBoundaryType         bt[3];
  DMDAStencilType        st;
  Vec                    dmCoords;
  ISLocalToGlobalMapping ltog;
  const PetscInt        *gidx;
  std::vector<PetscInt>  offsets, pairs;

  PetscFunctionBegin;
  PetscCall(GNNDACheck(graph));
  PetscCall(DMDAGetInfo(dm, &dim, &M[0], &M[1], &M[2], NULL, NULL, NULL, &dof, &s, &bt[0], &bt[1], &bt[2], &st));
  PetscCall(DMDAGetCorners(dm, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  PetscCall(DMDAGetGhostCorners(dm, &gs[0], &gs[1], &gs[2], &gm[0], &gm[1], &gm[2]));
  nOwned = xm[0] * xm[1] * xm[2];

  /* Coordinates of the owned points: the DM's (same layout as a DMDA global Vec of dof dim), or
     the unit box of DMDASetUniformCoordinates(0, 1, ...) on a copy of the layout, so that the DM
     the user gave is not changed */
  PetscCall(DMGetCoordinates(dm, &dmCoords));
  da->uniform = dmCoords ? PETSC_FALSE : PETSC_TRUE;
  PetscCall(VecCreate(PetscObjectComm((PetscObject)graph), coords));
  PetscCall(VecSetSizes(*coords, nOwned * dim, PETSC_DETERMINE));
  PetscCall(VecSetBlockSize(*coords, dim));
  PetscCall(VecSetType(*coords, VECSTANDARD));
  if (dmCoords) PetscCall(VecCopy(dmCoords, *coords));
  else {
    PetscScalar *x;
    PetscReal    h[3];
    /* the spacing of DMDASetUniformCoordinates(): a periodic axis of M points has M intervals */
    for (PetscInt d = 0; d < dim; d++) h[d] = bt[d] == DM_BOUNDARY_PERIODIC ? 1.0 / M[d] : (M[d] > 1 ? 1.0 / (M[d] - 1) : 0.0);
    PetscCall(VecGetArrayWrite(*coords, &x));
    for (PetscInt k = 0, n = 0; k < xm[2]; k++)
      for (PetscInt j = 0; j < xm[1]; j++)
        for (PetscInt i = 0; i < xm[0]; i++, n++) {
          const PetscInt p[3] = {xs[0] + i, xs[1] + j, xs[2] + k};
          for (PetscInt d = 0; d < dim; d++) x[n * dim + d] = p[d] * h[d];
        }
    PetscCall(VecRestoreArrayWrite(*coords, &x));
  }
  PetscCall(GNNDAPeriods(graph, *coords, dim, M, bt));

  /* The stencil's offsets (the same list on every rank) */
  {
    const PetscInt r[3] = {s, dim > 1 ? s : 0, dim > 2 ? s : 0};
    for (PetscInt ok = -r[2]; ok <= r[2]; ok++)
      for (PetscInt oj = -r[1]; oj <= r[1]; oj++)
        for (PetscInt oi = -r[0]; oi <= r[0]; oi++) {
          const PetscInt nz = (oi != 0) + (oj != 0) + (ok != 0);
          if (nz == 0 || (st == DMDA_STENCIL_STAR && nz > 1)) continue;
          offsets.insert(offsets.end(), {oi, oj, ok});
        }
  }

  /* Edges neighbour -> owned point. The neighbour is a point of the ghosted patch (for a periodic
     axis the patch holds the wrapped images); a neighbour past a non-periodic boundary does not
     exist. The local-to-global map gives its global number, whichever rank owns it. */
  PetscCall(DMGetLocalToGlobalMapping(dm, &ltog));
  PetscCall(ISLocalToGlobalMappingGetBlockIndices(ltog, &gidx));
  pairs.reserve(2 * nOwned * (offsets.size() / 3));
  for (PetscInt k = xs[2]; k < xs[2] + xm[2]; k++)
    for (PetscInt j = xs[1]; j < xs[1] + xm[1]; j++)
      for (PetscInt i = xs[0]; i < xs[0] + xm[0]; i++) {
        const PetscInt p[3] = {i, j, k};
        const PetscInt me   = gidx[(i - gs[0]) + gm[0] * ((j - gs[1]) + gm[1] * (k - gs[2]))];
        for (size_t o = 0; o < offsets.size(); o += 3) {
          PetscInt q[3], l;
          bool     inside = true;
          for (PetscInt d = 0; d < 3; d++) {
            q[d] = p[d] + offsets[o + d];
            if (bt[d] != DM_BOUNDARY_PERIODIC && (q[d] < 0 || q[d] >= M[d])) inside = false;
          }
          if (!inside) continue;
          l = (q[0] - gs[0]) + gm[0] * ((q[1] - gs[1]) + gm[1] * (q[2] - gs[2]));
          PetscCheck(gidx[l] >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "DMDA ghost point (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") has no global number", q[0], q[1], q[2]);
          pairs.insert(pairs.end(), {me, gidx[l]});
        }
      }
  PetscCall(ISLocalToGlobalMappingRestoreBlockIndices(ltog, &gidx));
  PetscCall(GNNGraphAssembleAdjacency_Private(graph, nOwned, (PetscInt)pairs.size() / 2, pairs.data(), A));
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphSetFromOptions_DA(GNNGraph graph, PetscOptionItems *PetscOptionsObject)
{
  GNNGraph_DA *da = (GNNGraph_DA *)graph->data;
  PetscReal    p[3] = {da->period[0], da->period[1], da->period[2]};
  PetscInt     np   = 3;
  PetscBool    flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "GNNGraph da options");
  PetscCall(PetscOptionsRealArray("-gnn_graph_da_period", "Period of the DMDA's periodic axes: one value for all, or Lx,Ly[,Lz] (default: from the coordinates)", "GNNGraphSetDM", p, &np, &flg));
  if (flg) { /* one value: every axis; else one per axis from x on (an axis left out: derived) */
    PetscCheck(np >= 1, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_WRONG, "-gnn_graph_da_period needs a value");
    for (PetscInt d = 0; d < 3; d++) {
      da->period[d] = np == 1 ? p[0] : (d < np ? p[d] : 0);
      PetscCheck(da->period[d] > 0 || d >= np, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_OUTOFRANGE, "-gnn_graph_da_period must be positive");
    }
  }
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphView_DA(GNNGraph graph, PetscViewer viewer)
{
  GNNGraph_DA    *da = (GNNGraph_DA *)graph->data;
  PetscInt        dim, M[3], s, dof;
  DMBoundaryType  bt[3];
  DMDAStencilType st;

  PetscFunctionBegin;
  PetscCall(DMDAGetInfo(graph->dm, &dim, &M[0], &M[1], &M[2], NULL, NULL, NULL, &dof, &s, &bt[0], &bt[1], &bt[2], &st));
  PetscCall(PetscViewerASCIIPrintf(viewer, "DMDA %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT ", %s stencil of width %" PetscInt_FMT ", dof %" PetscInt_FMT ", coordinates %s, periods %g %g %g (0: not periodic)\n", M[0], dim > 1 ? M[1] : 1, dim > 2 ? M[2] : 1, st == DMDA_STENCIL_STAR ? "star" : "box", s, dof,
                                   da->uniform ? "of the unit box (the DM has none)" : "of the DM", (double)graph->period[0], (double)graph->period[1], (double)graph->period[2]));
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphDestroy_DA(GNNGraph graph)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(graph->data));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_DA(GNNGraph graph)
{
  GNNGraph_DA *da;

  PetscFunctionBegin;
  PetscCall(PetscNew(&da));
  graph->data                = da;
  graph->ops->setfromoptions = GNNGraphSetFromOptions_DA;
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_DA;
  graph->ops->view           = GNNGraphView_DA;
  graph->ops->destroy        = GNNGraphDestroy_DA;
  PetscFunctionReturn(0);
}
