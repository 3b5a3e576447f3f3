/* What the plug-in's two types share: the GNN on a TS's own DM, the solver state <-> node Vec
   moves, and the end-of-run check that their options were read at all */
#include "tsgnnimpl.h"
#include <petsc/private/petscimpl.h>
#include <petscdmda.h>
#include <petscdmplex.h>
#include <petscfe.h>

/* The graph a DMPlex field's values sit on, one node per mesh point carrying the field (what
   GNNGraphPlexFieldToNodes() needs): a degree-1 Lagrange field on the vertex graph, a degree-2
   one on quadrilaterals/hexahedra on the GLL graph of degree 2 (its nodes are the vertices, edge
   midpoints and cell centres, where PetscFE puts the Q2 nodes). Anything else is an error naming
   the field, its discretisation and what is supported, on every rank (the DS is the same there). */
static PetscErrorCode FieldGraph(DM dm, const char who[], PetscInt field, GNNGraphType *type, PetscInt *degree)
{
  MPI_Comm         comm = PetscObjectComm((PetscObject)dm);
  PetscObject      disc;
  PetscClassId     id;
  PetscFE          fe;
  PetscSpace       sp;
  PetscDualSpace   dsp;
  PetscDualSpaceType dtype;
  PetscBool        simplex, lagrange;
  PetscInt         deg;
  const char      *name;
  static const char supported[] = "supported: Lagrange (PetscFE) fields of degree 1 (vertex graph) or degree 2 on quadrilaterals/hexahedra (GLL graph of degree 2)";

  PetscFunctionBegin;
  PetscCall(DMGetField(dm, field, NULL, &disc));
  PetscCheck(disc, comm, PETSC_ERR_SUP, "%s: field %" PetscInt_FMT " of the DMPlex has no discretisation (%s)", who, field, supported);
  PetscCall(PetscObjectGetName(disc, &name));
  PetscCall(PetscObjectGetClassId(disc, &id));
  PetscCheck(id == PETSCFE_CLASSID, comm, PETSC_ERR_SUP, "%s: field %" PetscInt_FMT " (%s) is not a finite element field (%s)", who, field, name, supported);
  fe = (PetscFE)disc;
  PetscCall(PetscFEGetBasisSpace(fe, &sp));
  PetscCall(PetscSpaceGetDegree(sp, &deg, NULL));
  PetscCall(PetscFEGetDualSpace(fe, &dsp));
  PetscCall(PetscDualSpaceGetType(dsp, &dtype));
  PetscCall(PetscStrcmp(dtype, PETSCDUALSPACELAGRANGE, &lagrange));
  PetscCall(DMPlexIsSimplex(dm, &simplex));
  PetscCheck(lagrange && (deg == 1 || (deg == 2 && !simplex)), comm, PETSC_ERR_SUP, "%s: field %" PetscInt_FMT " (%s) is a %s field of degree %" PetscInt_FMT " on %s cells (%s)", who, field, name, dtype, deg, simplex ? "simplex" : "tensor-product", supported);
  *type   = deg == 1 ? GNNGRAPHVERTEX : GNNGRAPHGLL;
  *degree = deg;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTSCreateGNN_Private(TS ts, const char who[], PetscInt field, GNN *gnn)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)ts);
  DM        dm;
  PetscBool isDA, isPlex;

  PetscFunctionBegin;
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &isDA));
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMPLEX, &isPlex));
  /* the DM type is the same on every rank, so this fails everywhere or nowhere */
  PetscCheck(isDA || isPlex, comm, PETSC_ERR_SUP, "%s needs a TS on a DMDA (grid points as nodes, dof as features) or a DMPlex (a vertex or GLL field), not a DM of type %s", who, ((PetscObject)dm)->type_name);
  if (isDA) PetscCall(GNNCreateFromDM(dm, PETSC_DECIDE, PETSC_DECIDE, gnn));
  else { /* the chosen field's components are the node features, on the graph of its discretisation */
    PetscSection s;
    PetscInt     nfields, nf, degree, gdegree = 1;
    GNNGraphType type, gtype;
    GNNGraph     graph;
    PetscBool    same;

    PetscCall(DMGetLocalSection(dm, &s));
    PetscCall(PetscSectionGetNumFields(s, &nfields));
    PetscCheck(field >= 0 && field < nfields, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_ts_field %" PetscInt_FMT ": the DM has %" PetscInt_FMT " fields", field, nfields);
    PetscCall(PetscSectionGetFieldComponents(s, field, &nf));
    PetscCall(FieldGraph(dm, who, field, &type, &degree));
    PetscCall(GNNGraphCreate(comm, &graph));
    PetscCall(GNNGraphSetDM(graph, dm));
    PetscCall(GNNGraphSetType(graph, type));
    if (degree > 1) PetscCall(GNNGraphSetDegree(graph, degree));
    PetscCall(GNNCreateFromGraph(graph, nf, nf, gnn)); /* -gnn_graph_type, -gnn_graph_degree still apply */
    PetscCall(GNNGraphDestroy(&graph));
    /* ... and must still fit the field: a vertex graph on a Q2 field would leave its edge and cell
       values alone without any error */
    PetscCall(GNNGetGraph(*gnn, &graph));
    PetscCall(GNNGraphGetType(graph, &gtype));
    PetscCall(PetscStrcmp(gtype, type, &same));
    if (same && degree > 1) PetscCall(GNNGraphGetDegree(graph, &gdegree));
    PetscCheck(same && gdegree == degree, comm, PETSC_ERR_ARG_INCOMP, "%s: field %" PetscInt_FMT " is a degree-%" PetscInt_FMT " Lagrange field, which needs the graph type %s%s, not the %s graph given by the options", who, field, degree, type, degree > 1 ? " of degree 2" : "", gtype);
  }
  PetscFunctionReturn(0);
}

/* On a DMDA graph the DMDA's global Vec already is a node Vec (the graph numbers the points as the
   DMDA does, dof values each); on a DMPlex field `field` is picked out */
static PetscErrorCode IsDAGraph(GNNGraph graph, PetscBool *isDA)
{
  GNNGraphType type;

  PetscFunctionBegin;
  PetscCall(GNNGraphGetType(graph, &type));
  PetscCall(PetscStrcmp(type, GNNGRAPHDA, isDA));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTSStateToNodes_Private(GNNGraph graph, DM dm, PetscInt field, PetscReal t, Vec u, Vec nodes)
{
  PetscBool isDA;

  PetscFunctionBegin;
  PetscCall(IsDAGraph(graph, &isDA));
  if (isDA) PetscCall(VecCopy(u, nodes));
  else PetscCall(GNNGraphPlexFieldToNodes(graph, dm, field, t, u, nodes));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTSNodesToState_Private(GNNGraph graph, DM dm, PetscInt field, Vec nodes, Vec u)
{
  PetscBool isDA;

  PetscFunctionBegin;
  PetscCall(IsDAGraph(graph, &isDA));
  if (isDA) PetscCall(VecCopy(nodes, u));
  else PetscCall(GNNGraphPlexNodesToField(graph, dm, field, nodes, u));
  PetscFunctionReturn(0);
}

/* Set by the two types' SetFromOptions: the plug-in was reached by the options database */
PetscBool GNNTSPluginRead = PETSC_FALSE;

/* An option given (with value `value` when not NULL) */
static PetscErrorCode OptionGiven(const char name[], const char value[], PetscBool *given)
{
  char v[64] = "";

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(NULL, NULL, name, v, sizeof(v), given));
  if (*given && value) PetscCall(PetscStrcmp(v, value, given));
  PetscFunctionReturn(0);
}

/* Called at PetscFinalize() (the package's finalize): the user of an unmodified program has no
   other way to learn that the plug-in never ran (PETSc reports unused options only with
   -options_left); rank 0 prints it */
PetscErrorCode GNNTSCheckOptionsUsed_Private(void)
{
  static const char *const opts[][2] = {
    {"-ts_trajectory_type", "gnn"     },
    {"-ts_type",            "gnn"     },
    {"-gnn_ts_every",       NULL      },
    {"-gnn_ts_train_per_sample", NULL },
    {"-gnn_ts_field",       NULL      },
    {"-gnn_ts_hybrid_every", NULL     },
  };
  char list[256] = "";

  PetscFunctionBegin;
  if (GNNTSPluginRead) PetscFunctionReturn(0);
  for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
    PetscBool given;
    PetscCall(OptionGiven(opts[i][0], opts[i][1], &given));
    if (!given) continue;
    PetscCall(PetscStrlcat(list, " ", sizeof(list)));
    PetscCall(PetscStrlcat(list, opts[i][0], sizeof(list)));
    if (opts[i][1]) {
      PetscCall(PetscStrlcat(list, " ", sizeof(list)));
      PetscCall(PetscStrlcat(list, opts[i][1], sizeof(list)));
    }
  }
  if (list[0]) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "WARNING (petscgnn): the GNN plug-in never ran although%s was given: the program never called TSSetFromOptions() on a TS (or has no TS), so no GNN was trained or used. The plug-in serves programs that call TSSetFromOptions().\n", list));
  PetscFunctionReturn(0);
}
