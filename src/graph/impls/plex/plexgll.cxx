/* GNNGraph type "gll": the spectral-element graph. Nodes are the Gauss-Lobatto-Legendre points of
   a degree-p tensor element on every quadrilateral/hexahedron (the nodes of a Q_p space, a point
   shared by several elements counted once); edges join lattice neighbours (i+-1, j+-1, k+-1)
   inside each element, both directions.

   A node lies in the interior of one mesh point (vertex, edge, face or cell) and is numbered by
   that point's section offset plus its place in the point's own (p-1)^d lattice. The place and
   the coordinates are computed in a frame fixed by the point's vertex coordinates alone, so every
   element and every rank sharing the point gets the same number and the same bits. */
#include "plexgraph.h"
#include "sys/gnncollective.hpp"
#include "sys/gnnoptions.hpp"
#include <petscdt.h>
#include <algorithm>
#include <cmath>
#include <vector>

/* The p+1 GLL points on [-1,1], made exactly antisymmetric so that reversing an axis is exact */
static PetscErrorCode GLLPoints(PetscInt p, std::vector<PetscReal> &x)
{
  std::vector<PetscReal> q(p + 1), w(p + 1);

  PetscFunctionBegin;
  PetscCall(PetscDTGaussLobattoLegendreQuadrature(p + 1, PETSCGAUSSLOBATTOLEGENDRE_VIA_NEWTON, q.data(), w.data()));
  x.resize(p + 1);
  for (PetscInt i = 0; i <= p; i++) x[i] = (q[i] - q[p - i]) / 2;
  PetscFunctionReturn(0);
}

static inline bool LexLess(PetscInt dim, const PetscReal *a, const PetscReal *b)
{
  return GNNCompareKeys_Private(dim, a, 0, b, 0) < 0;
}

typedef struct {
  PetscInt  dim, cdim, p;
  PetscInt  vStart, vEnd;
  PetscSection global, csec;
  const PetscScalar *carr;
  std::vector<PetscReal> gll;
} GLLContext;

static const PetscReal *VertexCoords(GLLContext *ctx, PetscInt v, PetscReal *buf)
{
  PetscInt off;
  PetscSectionGetOffset(ctx->csec, v, &off);
  for (PetscInt d = 0; d < ctx->cdim; d++) buf[d] = PetscRealPart(ctx->carr[off + d]);
  return buf;
}

/* Orders the vertices of cell c as a tensor lattice: tv[mask] is the vertex at corner mask (bit a
   = far side along axis a), found from the cell's edges alone. Also maps every closure point to
   the set of corners it touches (an 8-bit set) so that the point carrying a node can be looked up. */
static PetscErrorCode CellTensorFrame(DM dm, GLLContext *ctx, PetscInt c, PetscInt tv[8], PetscInt pointBySet[256])
{
  PetscInt *cl = NULL, ncl, nv = 0, verts[8], nc = 1 << ctx->dim;
  PetscBool adj[8][8] = {{PETSC_FALSE}};

  PetscFunctionBegin;
  PetscCall(DMPlexGetTransitiveClosure(dm, c, PETSC_TRUE, &ncl, &cl));
  for (PetscInt q = 0; q < ncl; q++) {
    PetscInt pt = cl[2 * q];
    if (pt >= ctx->vStart && pt < ctx->vEnd) {
      PetscCheck(nv < 8, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Cell %" PetscInt_FMT " has more than 8 vertices", c);
      verts[nv++] = pt;
    }
  }
  PetscCheck(nv == nc, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Cell %" PetscInt_FMT " has %" PetscInt_FMT " vertices, a tensor cell has %" PetscInt_FMT, c, nv, nc);
  for (PetscInt q = 0; q < ncl; q++) {
    PetscInt pt = cl[2 * q], ps, pe;
    PetscCall(DMPlexGetDepthStratum(dm, 1, &ps, &pe));
    if (pt >= ps && pt < pe) {
      const PetscInt *cone;
      PetscInt        a = -1, b = -1;
      PetscCall(DMPlexGetCone(dm, pt, &cone));
      for (PetscInt k = 0; k < nv; k++) {
        if (verts[k] == cone[0]) a = k;
        if (verts[k] == cone[1]) b = k;
      }
      if (a >= 0 && b >= 0) adj[a][b] = adj[b][a] = PETSC_TRUE;
    }
  }
  /* corner 0 and its neighbours along the axes */
  PetscInt idx[8], na = 0;
  for (PetscInt k = 0; k < 8; k++) idx[k] = -1;
  idx[0] = 0;
  for (PetscInt k = 1; k < nv; k++)
    if (adj[0][k]) {
      PetscCheck(na < ctx->dim, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Cell %" PetscInt_FMT " is not a tensor cell", c);
      idx[1 << na++] = k;
    }
  PetscCheck(na == ctx->dim, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Cell %" PetscInt_FMT " is not a tensor cell", c);
  for (PetscInt mask = 3; mask < nc; mask++) {
    if (!(mask & (mask - 1))) continue; /* single bits are set */
    for (PetscInt k = 0; k < nv && idx[mask] < 0; k++) {
      PetscBool ok = PETSC_TRUE;
      for (PetscInt m2 = 0; m2 < nc && ok; m2++)
        if (idx[m2] == k) ok = PETSC_FALSE;
      for (PetscInt a = 0; a < ctx->dim && ok; a++)
        if ((mask >> a) & 1) ok = adj[idx[mask ^ (1 << a)]][k];
      if (ok) idx[mask] = k;
    }
    PetscCheck(idx[mask] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Cell %" PetscInt_FMT " is not a tensor cell", c);
  }
  for (PetscInt mask = 0; mask < nc; mask++) tv[mask] = verts[idx[mask]];

  for (PetscInt s = 0; s < 256; s++) pointBySet[s] = -1;
  for (PetscInt q = 0; q < ncl; q++) {
    PetscInt  pt = cl[2 * q], *sub = NULL, nsub, set = 0;
    PetscCall(DMPlexGetTransitiveClosure(dm, pt, PETSC_TRUE, &nsub, &sub));
    for (PetscInt r = 0; r < nsub; r++)
      for (PetscInt mask = 0; mask < nc; mask++)
        if (sub[2 * r] == tv[mask]) set |= 1 << mask;
    PetscCall(DMPlexRestoreTransitiveClosure(dm, pt, PETSC_TRUE, &nsub, &sub));
    pointBySet[set] = pt;
  }
  PetscCall(DMPlexRestoreTransitiveClosure(dm, c, PETSC_TRUE, &ncl, &cl));
  PetscFunctionReturn(0);
}

/* Global number and coordinates of lattice node ijk of a cell with corner vertices tv */
static PetscErrorCode LatticeNode(GLLContext *ctx, const PetscInt tv[8], const PetscInt pointBySet[256], const PetscInt ijk[3], PetscInt *gid, PetscBool *owned, PetscReal x[3])
{
  const PetscInt p = ctx->p, cdim = ctx->cdim;
  PetscInt       ax[3], k = 0, b = 0, set = 0, P, goff;
  PetscReal      W[8][3], s[3];
  PetscInt       t[3];

  PetscFunctionBegin;
  for (PetscInt a = 0; a < ctx->dim; a++) {
    if (ijk[a] > 0 && ijk[a] < p) ax[k++] = a;
    else if (ijk[a] == p) b |= 1 << a;
  }
  /* corners of the point carrying the node, indexed by the bits of its interior axes */
  for (PetscInt mm = 0; mm < (1 << k); mm++) {
    PetscInt corner = b;
    for (PetscInt j = 0; j < k; j++)
      if ((mm >> j) & 1) corner |= 1 << ax[j];
    set |= 1 << corner;
    VertexCoords(ctx, tv[corner], W[mm]);
  }
  P = pointBySet[set];
  PetscCheck(P >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "No mesh point carries a GLL node: is the mesh conforming and interpolated?");
  for (PetscInt j = 0; j < k; j++) {
    s[j] = ctx->gll[ijk[ax[j]]];
    t[j] = ijk[ax[j]];
  }
  /* canonical frame: origin at the lexicographically smallest corner ... */
  PetscInt o = 0;
  for (PetscInt mm = 1; mm < (1 << k); mm++)
    if (LexLess(cdim, W[mm], W[o])) o = mm;
  PetscReal W1[8][3];
  for (PetscInt j = 0; j < k; j++)
    if ((o >> j) & 1) {
      s[j] = -s[j];
      t[j] = p - t[j];
    }
  for (PetscInt mm = 0; mm < (1 << k); mm++)
    for (PetscInt d = 0; d < cdim; d++) W1[mm][d] = W[mm ^ o][d];
  /* ... and axes ordered by their first corners */
  PetscInt perm[3] = {0, 1, 2};
  std::sort(perm, perm + k, [&](PetscInt i1, PetscInt i2) { return LexLess(cdim, W1[1 << i1], W1[1 << i2]); });
  PetscInt local = 0, stride = 1;
  for (PetscInt j = 0; j < k; j++) {
    local += (t[perm[j]] - 1) * stride;
    stride *= p - 1;
  }
  PetscCall(PetscSectionGetOffset(ctx->global, P, &goff));
  *owned = goff >= 0 ? PETSC_TRUE : PETSC_FALSE;
  if (goff < 0) goff = -(goff + 1);
  *gid = goff + local;
  for (PetscInt d = 0; d < cdim; d++) x[d] = 0;
  for (PetscInt m2 = 0; m2 < (1 << k); m2++) {
    PetscInt  mm = 0;
    PetscReal w  = 1;
    for (PetscInt j = 0; j < k; j++) {
      PetscReal sj = s[perm[j]];
      if ((m2 >> j) & 1) {
        mm |= 1 << perm[j];
        w *= (1 + sj) / 2;
      } else w *= (1 - sj) / 2;
    }
    for (PetscInt d = 0; d < cdim; d++) x[d] += w * W1[mm][d];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphBuildAdjacency_GLL(GNNGraph graph, Mat *A, Vec *coords)
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  DM                    dm;
  GLLContext            ctx;
  PetscSection          local;
  PetscInt              nOwned, cStart, cEnd, rstart, dofs[4], depth, bad = 0;
  Vec                   cloc;
  PetscScalar          *xo;
  std::vector<PetscInt> pairs;

  PetscFunctionBegin;
  PetscCall(GNNGraphPlexCheck_Private(graph, &dm));
  PetscCall(DMGetDimension(dm, &ctx.dim));
  PetscCall(DMGetCoordinateDim(dm, &ctx.cdim));
  PetscCall(DMPlexGetDepth(dm, &depth));
  ctx.p = ((GNNGraph_Plex *)graph->data)->degree;
  PetscCheck(ctx.p >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "GLL graph degree must be positive, got %" PetscInt_FMT, ctx.p);
  PetscCheck(ctx.dim >= 2, comm, PETSC_ERR_ARG_WRONG, "The GLL graph needs a 2-D or 3-D mesh of quadrilaterals or hexahedra");
  /* every rank checks its cells, then all agree, so a bad mesh is an error on every rank */
  PetscCall(DMPlexGetHeightStratum(dm, 0, &cStart, &cEnd));
  for (PetscInt c = cStart; c < cEnd; c++) {
    DMPolytopeType ct;
    PetscCall(DMPlexGetCellType(dm, c, &ct));
    if (ct != (ctx.dim == 2 ? DM_POLYTOPE_QUADRILATERAL : DM_POLYTOPE_HEXAHEDRON)) bad = 1;
  }
  GNNCheckCollective(comm, !bad, PETSC_ERR_ARG_WRONG, "-gnn_graph_type gll needs a mesh of %s only (tensor cells; use -dm_plex_simplex 0), this mesh has other cells", ctx.dim == 2 ? "quadrilaterals" : "hexahedra");

  { /* the degree's limit on this mesh: about cells x p^dim nodes and 2 dim of edges per node must
       be indexable (PetscInt) before anything is allocated for them */
    double cells = (double)(cEnd - cStart), nodes, edges;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &cells, 1, MPI_DOUBLE, MPI_SUM, comm));
    nodes = cells * std::pow((double)ctx.p, (double)ctx.dim);
    edges = 2.0 * ctx.dim * nodes;
    PetscCheck(edges < (double)PETSC_MAX_INT, comm, PETSC_ERR_ARG_OUTOFRANGE, "GLL graph degree %" PetscInt_FMT " on %.0f cells (%" PetscInt_FMT "-D) gives about %.3g nodes and %.3g edges, past PetscInt's range (%" PetscInt_FMT "): lower the degree or the cell count", ctx.p, cells, ctx.dim, nodes, edges, PETSC_MAX_INT);
  }
  for (PetscInt d = 0; d <= depth; d++) dofs[d] = d == 0 ? 1 : (PetscInt)PetscPowInt(ctx.p - 1, d);
  PetscCall(GNNPlexNodeNumbering_Private(dm, dofs, &local, &ctx.global, &nOwned));
  PetscCall(GLLPoints(ctx.p, ctx.gll));
  PetscCall(DMPlexGetDepthStratum(dm, 0, &ctx.vStart, &ctx.vEnd));
  PetscCall(DMGetCoordinatesLocal(dm, &cloc));
  PetscCall(DMGetCoordinateSection(dm, &ctx.csec));
  PetscCall(VecGetArrayRead(cloc, &ctx.carr));

  PetscCall(GNNPlexCreateCoordinateVec_Private(graph, nOwned, ctx.cdim, coords));
  PetscCall(VecGetOwnershipRange(*coords, &rstart, NULL));
  rstart /= ctx.cdim;
  PetscCall(VecGetArray(*coords, &xo));

  const PetscInt n1 = ctx.p + 1, nn = (PetscInt)PetscPowInt(n1, ctx.dim);
  std::vector<PetscInt> gid(nn);
  pairs.reserve((size_t)(cEnd - cStart) * nn * ctx.dim * 4);
  for (PetscInt c = cStart; c < cEnd; c++) {
    PetscInt tv[8], pointBySet[256];
    PetscCall(CellTensorFrame(dm, &ctx, c, tv, pointBySet));
    for (PetscInt n = 0; n < nn; n++) {
      PetscInt  ijk[3] = {n % n1, (n / n1) % n1, n / (n1 * n1)};
      PetscBool owned = PETSC_FALSE;
      PetscReal x[3];
      PetscCall(LatticeNode(&ctx, tv, pointBySet, ijk, &gid[n], &owned, x));
      if (owned)
        for (PetscInt d = 0; d < ctx.cdim; d++) xo[(gid[n] - rstart) * ctx.cdim + d] = x[d];
    }
    for (PetscInt n = 0; n < nn; n++) {
      PetscInt ijk[3] = {n % n1, (n / n1) % n1, n / (n1 * n1)}, stride = 1;
      for (PetscInt a = 0; a < ctx.dim; a++, stride *= n1) {
        if (ijk[a] == ctx.p) continue;
        pairs.insert(pairs.end(), {gid[n + stride], gid[n], gid[n], gid[n + stride]});
      }
    }
  }
  PetscCall(VecRestoreArray(*coords, &xo));
  PetscCall(VecRestoreArrayRead(cloc, &ctx.carr));
  PetscCall(GNNGraphAssembleAdjacency_Private(graph, nOwned, (PetscInt)pairs.size() / 2, pairs.data(), A));
  PetscCall(PetscSectionDestroy(&local));
  PetscCall(GNNPlexKeepNodeSection_Private(graph, dm, ctx.global));
  PetscCall(PetscSectionDestroy(&ctx.global));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphSetDegree_GLL(GNNGraph graph, PetscInt p)
{
  PetscFunctionBegin;
  PetscCheck(!graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Set the degree before GNNGraphSetUp()");
  ((GNNGraph_Plex *)graph->data)->degree = p;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphGetDegree_GLL(GNNGraph graph, PetscInt *p)
{
  PetscFunctionBegin;
  *p = ((GNNGraph_Plex *)graph->data)->degree;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphSetFromOptions_GLL(GNNGraph graph, PetscOptionItems *PetscOptionsObject)
{
  PetscInt  p = ((GNNGraph_Plex *)graph->data)->degree;
  PetscBool flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "GNNGraph GLL options");
  PetscCall(GNNOptionsInt("-gnn_graph_degree", "Polynomial degree p of the GLL graph", "GNNGraphSetDegree", p, &p, &flg));
  if (flg) PetscCall(GNNGraphSetDegree(graph, p));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphView_GLL(GNNGraph graph, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "GLL degree %" PetscInt_FMT "\n", ((GNNGraph_Plex *)graph->data)->degree));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_GLL(GNNGraph graph)
{
  PetscFunctionBegin;
  PetscCall(GNNGraphCreate_Plex_Private(graph));
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_GLL;
  graph->ops->setfromoptions = GNNGraphSetFromOptions_GLL;
  graph->ops->view           = GNNGraphView_GLL;
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphSetDegree_C", GNNGraphSetDegree_GLL));
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphGetDegree_C", GNNGraphGetDegree_GLL));
  PetscFunctionReturn(0);
}
