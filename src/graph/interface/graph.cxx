/* GNNGraph interface: creation, options, viewing, destruction and queries. */
#include "gnngraphimpl.h"
#include <cmath>

#define GNNGraphCheckSetUp(g) PetscCheck((g)->setupcalled, PetscObjectComm((PetscObject)(g)), PETSC_ERR_ORDER, "Call GNNGraphSetUp() first")

const char *const GNNHaloTypes[] = {"sf", "none", "GNNHaloType", "GNN_HALO_", NULL};

/*@C
  GNNGraphCreate - Creates an empty distributed graph; give it a mesh with GNNGraphSetDM() or an
  adjacency with GNNGraphSetAdjacency(), then call GNNGraphSetFromOptions() and GNNGraphSetUp().
@*/
PetscErrorCode GNNGraphCreate(MPI_Comm comm, GNNGraph *graph)
{
  GNNGraph g;

  PetscFunctionBegin;
  PetscValidPointer(graph, 2);
  PetscCall(GNNInitializePackage());
  PetscCall(PetscHeaderCreate(g, GNNGRAPH_CLASSID, "GNNGraph", "Distributed mesh graph", "GNN", comm, GNNGraphDestroy, GNNGraphView));
  g->haloType    = GNN_HALO_SF;
  g->haloUnit[0] = g->haloUnit[1] = MPI_DATATYPE_NULL;
  *graph         = g;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphSetType(GNNGraph graph, GNNGraphType type)
{
  PetscErrorCode (*create)(GNNGraph);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)graph, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(GNNGraphList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown GNNGraph type %s: use vertex, gll, mat, nekrs or da", type);
  PetscCheck(!graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Cannot change the type of a graph that is set up");
  if (graph->ops->destroy) PetscCall((*graph->ops->destroy)(graph));
  PetscCall(PetscMemzero(graph->ops, sizeof(struct _GNNGraphOps)));
  graph->data = NULL;
  PetscCall((*create)(graph));
  PetscCall(PetscObjectChangeTypeName((PetscObject)graph, type));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetType(GNNGraph graph, GNNGraphType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  *type = ((PetscObject)graph)->type_name;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphDefaultType_Private(GNNGraph graph, GNNGraphType *type)
{
  PetscBool isDA = PETSC_FALSE;

  PetscFunctionBegin;
  if (graph->dm) PetscCall(PetscObjectTypeCompare((PetscObject)graph->dm, DMDA, &isDA));
  *type = isDA ? GNNGRAPHDA : GNNGRAPHVERTEX;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSetDM - Sets the DMPlex or DMDA the graph is built from. The graph keeps the DM's own
  distribution: its owned nodes are the DM's owned points.
@*/
PetscErrorCode GNNGraphSetDM(GNNGraph graph, DM dm)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(dm, DM_CLASSID, 2);
  PetscCheckSameComm(graph, 1, dm, 2);
  PetscCall(PetscObjectReference((PetscObject)dm));
  PetscCall(DMDestroy(&graph->dm));
  graph->dm = dm;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetDM(GNNGraph graph, DM *dm)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  *dm = graph->dm;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSetAdjacency - Supplies the graph directly: a square MATMPIAIJ whose row i holds a
  nonzero in column j for each edge j->i, and the coordinates of the owned nodes (a Vec of block
  size = the coordinate dimension, with the matrix's row layout). Sets the type to mat.
@*/
PetscErrorCode GNNGraphSetAdjacency(GNNGraph graph, Mat adj, Vec coords)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(adj, MAT_CLASSID, 2);
  PetscValidHeaderSpecific(coords, VEC_CLASSID, 3);
  PetscCall(GNNGraphSetType(graph, GNNGRAPHMAT));
  PetscUseMethod(graph, "GNNGraphSetAdjacency_C", (GNNGraph, Mat, Vec), (graph, adj, coords));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphSetPeriodicity(GNNGraph graph, const PetscReal period[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCheck(!graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Set the periodicity before GNNGraphSetUp(): the edge features depend on it");
  for (int d = 0; d < 3; d++) {
    PetscCheck(period[d] >= 0, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_OUTOFRANGE, "Periods must be non-negative");
    graph->period[d] = period[d];
  }
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetEdgeVector - x_j - x_i for local edge q (sender j, receiver i), the minimum image on
  periodic axes: the geometry that the edge features [x_j - x_i, |x_j - x_i|] are made of.
@*/
PetscErrorCode GNNGraphGetEdgeVector(GNNGraph graph, PetscInt q, PetscReal v[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidRealPointer(v, 3);
  GNNGraphCheckSetUp(graph);
  PetscCheck(q >= 0 && q < graph->nEdges, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Edge %" PetscInt_FMT " is not a local edge (0 <= q < %" PetscInt_FMT ")", q, graph->nEdges);
  const PetscInt   dim = graph->dim;
  const PetscReal *xj = graph->coords + graph->senders[q] * dim, *xi = graph->coords + graph->receivers[q] * dim;
  for (PetscInt d = 0; d < dim; d++) {
    PetscReal L = graph->period[d];
    v[d]        = xj[d] - xi[d];
    if (L > 0) v[d] -= L * std::round(v[d] / L);
  }
  PetscFunctionReturn(0);
}

/* The polynomial degree of a graph of type gll (other types ignore it; their degree is 1) */
PetscErrorCode GNNGraphSetDegree(GNNGraph graph, PetscInt p)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  /* degree 64 already gives 4096 nodes per quad, 262,144 per hex; far beyond, the lattice
     arithmetic overflows */
  PetscCheck(p >= 1 && p <= 64, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_OUTOFRANGE, "GLL graph degree must be in [1, 64], got %" PetscInt_FMT, p);
  PetscTryMethod(graph, "GNNGraphSetDegree_C", (GNNGraph, PetscInt), (graph, p));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetDegree(GNNGraph graph, PetscInt *p)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidIntPointer(p, 2);
  *p = 1;
  PetscTryMethod(graph, "GNNGraphGetDegree_C", (GNNGraph, PetscInt *), (graph, p));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphSetHaloType(GNNGraph graph, GNNHaloType type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  graph->haloType = type;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetHaloType(GNNGraph graph, GNNHaloType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  *type = graph->haloType;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphSetOptionsPrefix(GNNGraph graph, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)graph, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphAppendOptionsPrefix(GNNGraph graph, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(PetscObjectAppendOptionsPrefix((PetscObject)graph, prefix));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSetFromOptions - Options database keys:
+ -gnn_graph_type <vertex,gll,mat,nekrs,da> - how the graph is built (default: da on a DMDA, vertex otherwise)
. -gnn_graph_da_period <L or Lx,Ly,Lz> - (type da) period of the DMDA's periodic axes (default: from the coordinates)
. -gnn_graph_degree <p>            - (type gll) polynomial degree of the GLL graph (quads/hexes only)
. -gnn_halo_type <sf,none>         - consistent halo exchange, or drop the cross-rank edges
. -gnn_graph_adjacency_view       - view the adjacency matrix (any Mat viewer)
. -gnn_halo_sf_type <type>         - PetscSF type of the halo exchange (own prefix: a global -sf_type leaves it alone)
- -gnn_graph_view                  - print per-rank statistics after set-up
@*/
PetscErrorCode GNNGraphSetFromOptions(GNNGraph graph)
{
  char         type[256];
  PetscBool    flg;
  GNNHaloType  halo;
  GNNGraphType deftype;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(GNNInitializePackage());
  PetscObjectOptionsBegin((PetscObject)graph);
  PetscCall(GNNGraphDefaultType_Private(graph, &deftype));
  PetscCall(PetscOptionsFList("-gnn_graph_type", "How the graph is built from the mesh", "GNNGraphSetType", GNNGraphList, ((PetscObject)graph)->type_name ? ((PetscObject)graph)->type_name : deftype, type, sizeof(type), &flg));
  if (flg) PetscCall(GNNGraphSetType(graph, type));
  else if (!((PetscObject)graph)->type_name) PetscCall(GNNGraphSetType(graph, deftype));
  if (graph->ops->setfromoptions) PetscCall((*graph->ops->setfromoptions)(graph, PetscOptionsObject));
  halo = graph->haloType;
  PetscCall(PetscOptionsEnum("-gnn_halo_type", "Halo exchange: sf (consistent) or none (cross-rank edges dropped)", "GNNGraphSetHaloType", GNNHaloTypes, (PetscEnum)halo, (PetscEnum *)&halo, &flg));
  if (flg) PetscCall(GNNGraphSetHaloType(graph, halo));
  PetscCall(PetscOptionsName("-gnn_graph_view", "Print graph statistics per rank after set-up", "GNNGraphView", &flg));
  PetscCall(PetscOptionsName("-gnn_graph_adjacency_view", "View the adjacency matrix (MATMPIAIJ) after set-up", "GNNGraphGetAdjacency", &flg));
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)graph, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphViewFromOptions(GNNGraph graph, PetscObject obj, const char name[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(PetscObjectViewFromOptions((PetscObject)graph, obj, name));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphView - Prints the graph: type, global sizes and, per rank, owned and ghost nodes, edges,
  neighbour ranks and halo bytes per exchange of one double per node.
@*/
PetscErrorCode GNNGraphView(GNNGraph graph, PetscViewer viewer)
{
  PetscBool   iascii;
  PetscMPIInt rank;
  PetscInt    nE = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)graph), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)graph), &rank));
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)graph, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (!graph->setupcalled) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "not set up\n"));
    PetscCall(PetscViewerASCIIPopTab(viewer));
    PetscFunctionReturn(0);
  }
  PetscCallMPI(MPI_Allreduce(&graph->nEdges, &nE, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)graph)));
  if (graph->ops->view) PetscCall((*graph->ops->view)(graph, viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "dimension %" PetscInt_FMT ", %" PetscInt_FMT " nodes, %" PetscInt_FMT " directed edges, halo %s\n", graph->dim, graph->N, nE, GNNHaloTypes[graph->haloType]));
  PetscCall(PetscViewerASCIIPushSynchronized(viewer));
  PetscCall(PetscViewerASCIISynchronizedPrintf(viewer, "[%d] owned %" PetscInt_FMT ", ghost %" PetscInt_FMT ", edges %" PetscInt_FMT ", neighbour ranks %" PetscInt_FMT ", halo bytes per exchange of one double per node %" PetscInt_FMT "\n", rank, graph->nOwned, graph->nGhost, graph->nEdges, graph->nNeighbors,
                                               (PetscInt)(graph->nGhost * sizeof(double))));
  PetscCall(PetscViewerFlush(viewer));
  PetscCall(PetscViewerASCIIPopSynchronized(viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphDestroy(GNNGraph *graph)
{
  PetscFunctionBegin;
  if (!*graph) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*graph, GNNGRAPH_CLASSID, 1);
  if (--((PetscObject)(*graph))->refct > 0) {
    *graph = NULL;
    PetscFunctionReturn(0);
  }
  if ((*graph)->ops->destroy) PetscCall((*(*graph)->ops->destroy)(*graph));
  PetscCall(DMDestroy(&(*graph)->dm));
  PetscCall(MatDestroy(&(*graph)->adj));
  PetscCall(PetscSFDestroy(&(*graph)->haloSF));
  for (int dir = 0; dir < 2; dir++)
    if ((*graph)->haloUnit[dir] != MPI_DATATYPE_NULL) PetscCallMPI(MPI_Type_free(&(*graph)->haloUnit[dir])); /* an exchange begun and never ended (an error in between) */
  PetscCall(PetscFree3((*graph)->rowptr, (*graph)->senders, (*graph)->receivers));
  PetscCall(PetscFree2((*graph)->globalNumbers, (*graph)->coords));
  PetscCall(PetscSFDestroy(&(*graph)->naturalSF));
  PetscCall(PetscFree((*graph)->naturalIndex));
  PetscCall(PetscHeaderDestroy(graph));
  PetscFunctionReturn(0);
}


PetscErrorCode GNNGraphGetDimension(GNNGraph graph, PetscInt *dim)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  *dim = graph->dim;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetSizes - Returns the numbers of owned nodes, ghost nodes and local edges, and the
  global number of nodes (any may be NULL).
@*/
PetscErrorCode GNNGraphGetSizes(GNNGraph graph, PetscInt *nOwned, PetscInt *nGhost, PetscInt *nEdges, PetscInt *N)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  if (nOwned) *nOwned = graph->nOwned;
  if (nGhost) *nGhost = graph->nGhost;
  if (nEdges) *nEdges = graph->nEdges;
  if (N) *N = graph->N;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetAdjacency(GNNGraph graph, Mat *adj)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  *adj = graph->adj;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphGetHaloSF(GNNGraph graph, PetscSF *sf)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  *sf = graph->haloSF;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetPlexNodes - For a graph built on a DMPlex (types vertex, gll): the global section that
  numbers the graph nodes on the mesh points (dof 1 at a point carrying a node owned here, negative
  elsewhere as in any global section) and the global number of the first owned node, so that a
  point's node is owned row offset - rstart. section is NULL for other types.
@*/
PetscErrorCode GNNGraphGetPlexNodes(GNNGraph graph, PetscSection *section, PetscInt *rstart)
{
  PetscSection s = NULL;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  PetscTryMethod(graph, "GNNGraphGetPlexNodes_C", (GNNGraph, PetscSection *), (graph, &s));
  if (section) *section = s;
  if (rstart) *rstart = graph->rstart;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetEdges - The local edges in CSR form by receiver: rowptr[nOwned+1] and, for each edge,
  the local index of its sender (owned < nOwned <= ghost). Inside a row the senders are in the
  partition-independent natural order, so sums over a row are identical on any rank count.
@*/
PetscErrorCode GNNGraphGetEdges(GNNGraph graph, const PetscInt *rowptr[], const PetscInt *senders[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  if (rowptr) *rowptr = graph->rowptr;
  if (senders) *senders = graph->senders;
  PetscFunctionReturn(0);
}

/* Coordinates of the owned and ghost nodes, [nOwned + nGhost, dim] */
PetscErrorCode GNNGraphGetCoordinates(GNNGraph graph, const PetscReal *coords[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  *coords = graph->coords;
  PetscFunctionReturn(0);
}

/* Global numbers of the owned and ghost nodes */
PetscErrorCode GNNGraphGetGlobalNumbers(GNNGraph graph, const PetscInt *numbers[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  *numbers = graph->globalNumbers;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphCreateNodeVec - Creates a Vec holding F values per owned node (block size F), in the
  graph's global numbering.
@*/
PetscErrorCode GNNGraphCreateNodeVec(GNNGraph graph, PetscInt F, Vec *v)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  PetscCheck(F > 0, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_OUTOFRANGE, "Number of features per node must be positive, got %" PetscInt_FMT, F);
  PetscCall(VecCreate(PetscObjectComm((PetscObject)graph), v));
  PetscCall(VecSetSizes(*v, graph->nOwned * F, graph->N * F));
  PetscCall(VecSetBlockSize(*v, F));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

/* The owned nodes' coordinates as a Vec of block size dim (a copy) */
PetscErrorCode GNNGraphGetCoordinateVec(GNNGraph graph, Vec *v)
{
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(GNNGraphCreateNodeVec(graph, graph->dim, v));
  PetscCall(VecGetArray(*v, &a));
  for (PetscInt i = 0; i < graph->nOwned * graph->dim; i++) a[i] = graph->coords[i];
  PetscCall(VecRestoreArray(*v, &a));
  PetscFunctionReturn(0);
}

/* The halo exchanges in two phases, so that a caller can compute between them (the model overlaps
   the exchange with the edges whose sender is owned). The unit (F values of one node) lives from
   Begin to End in graph->haloUnit[dir]: one exchange per direction in flight at a time. Each phase
   is timed by its event, so -log_view's halo time is what the exchange costs the caller (posting,
   then waiting), not the computation in between. */
static PetscErrorCode HaloPhaseBegin_Private(GNNGraph graph, int dir, PetscInt F, MPI_Datatype dtype)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  GNNGraphCheckSetUp(graph);
  PetscCheck(graph->haloUnit[dir] == MPI_DATATYPE_NULL, PETSC_COMM_SELF, PETSC_ERR_ORDER, "A halo %s is already in flight on this graph: end it first", dir ? "reverse" : "update");
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)F, dtype, &graph->haloUnit[dir]));
  PetscCallMPI(MPI_Type_commit(&graph->haloUnit[dir]));
  PetscFunctionReturn(0);
}

static PetscErrorCode HaloPhaseEnd_Private(GNNGraph graph, int dir)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCheck(graph->haloUnit[dir] != MPI_DATATYPE_NULL, PETSC_COMM_SELF, PETSC_ERR_ORDER, "No halo %s in flight on this graph", dir ? "reverse" : "update");
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphHaloUpdateBegin - Starts copying the owned rows of a node array into its ghost rows: the
  one halo exchange of the library (the model's, src/halo, calls it too). owned is laid out
  [nOwned, F] and all [nOwned + nGhost, F] with elements of type dtype; only all's ghost rows are
  written, and owned may be all itself. Neither array may be touched (owned: changed; all's ghost
  rows: read or written) before GNNGraphHaloUpdateEnd() with the same arrays.
@*/
PetscErrorCode GNNGraphHaloUpdateBegin(GNNGraph graph, PetscInt F, MPI_Datatype dtype, const void *owned, void *all)
{
  PetscFunctionBegin;
  PetscCall(HaloPhaseBegin_Private(graph, 0, F, dtype));
  PetscCall(PetscLogEventBegin(GNN_HaloExchange, graph, 0, 0, 0));
  PetscCall(PetscSFBcastBegin(graph->haloSF, graph->haloUnit[0], owned, all, MPI_REPLACE));
  PetscCall(PetscLogEventEnd(GNN_HaloExchange, graph, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphHaloUpdateEnd(GNNGraph graph, const void *owned, void *all)
{
  PetscFunctionBegin;
  PetscCall(HaloPhaseEnd_Private(graph, 0));
  PetscCall(PetscLogEventBegin(GNN_HaloExchange, graph, 0, 0, 0));
  PetscCall(PetscSFBcastEnd(graph->haloSF, graph->haloUnit[0], owned, all, MPI_REPLACE));
  PetscCallMPI(MPI_Type_free(&graph->haloUnit[0]));
  PetscCall(PetscLogEventEnd(GNN_HaloExchange, graph, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* GNNGraphHaloUpdateBegin() and End() at once */
PetscErrorCode GNNGraphHaloUpdate(GNNGraph graph, PetscInt F, MPI_Datatype dtype, const void *owned, void *all)
{
  PetscFunctionBegin;
  PetscCall(GNNGraphHaloUpdateBegin(graph, F, dtype, owned, all));
  PetscCall(GNNGraphHaloUpdateEnd(graph, owned, all));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphHaloReverseBegin - Starts the adjoint of GNNGraphHaloUpdate(): adds the ghost rows of all
  ([nOwned + nGhost, F]) into their owners' rows of owned ([nOwned, F]), in double precision
  (PETSc 3.18's SF has no local reduce kernel for rows of floats). owned may be all itself. The
  additions are complete after GNNGraphHaloReverseEnd() with the same arrays; until then neither
  may be touched.
@*/
PetscErrorCode GNNGraphHaloReverseBegin(GNNGraph graph, PetscInt F, const double *all, double *owned)
{
  PetscFunctionBegin;
  PetscCall(HaloPhaseBegin_Private(graph, 1, F, MPI_DOUBLE));
  PetscCall(PetscLogEventBegin(GNN_HaloReverse, graph, 0, 0, 0));
  PetscCall(PetscSFReduceBegin(graph->haloSF, graph->haloUnit[1], all, owned, MPI_SUM));
  PetscCall(PetscLogEventEnd(GNN_HaloReverse, graph, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphHaloReverseEnd(GNNGraph graph, const double *all, double *owned)
{
  PetscFunctionBegin;
  PetscCall(HaloPhaseEnd_Private(graph, 1));
  PetscCall(PetscLogEventBegin(GNN_HaloReverse, graph, 0, 0, 0));
  PetscCall(PetscSFReduceEnd(graph->haloSF, graph->haloUnit[1], all, owned, MPI_SUM));
  PetscCallMPI(MPI_Type_free(&graph->haloUnit[1]));
  PetscCall(PetscLogEventEnd(GNN_HaloReverse, graph, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* GNNGraphHaloReverseBegin() and End() at once */
PetscErrorCode GNNGraphHaloReverse(GNNGraph graph, PetscInt F, const double *all, double *owned)
{
  PetscFunctionBegin;
  PetscCall(GNNGraphHaloReverseBegin(graph, F, all, owned));
  PetscCall(GNNGraphHaloReverseEnd(graph, all, owned));
  PetscFunctionReturn(0);
}
