/* GNNGraph type "mat": the user supplies the adjacency (MATMPIAIJ, row i = edges into node i) and
   the owned nodes' coordinates (GNNGraphSetAdjacency()); the graph takes them as they are. */
#include "gnngraphimpl.h"

typedef struct {
  Mat adj;
  Vec coords;
} GNNGraph_Mat;

static PetscErrorCode GNNGraphSetAdjacency_Mat(GNNGraph graph, Mat adj, Vec coords)
{
  GNNGraph_Mat *m = (GNNGraph_Mat *)graph->data;

  PetscFunctionBegin;
  PetscCheck(!graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Set the adjacency before GNNGraphSetUp()");
  PetscCall(PetscObjectReference((PetscObject)adj));
  PetscCall(PetscObjectReference((PetscObject)coords));
  PetscCall(MatDestroy(&m->adj));
  PetscCall(VecDestroy(&m->coords));
  m->adj    = adj;
  m->coords = coords;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphBuildAdjacency_Mat(GNNGraph graph, Mat *A, Vec *coords)
{
  GNNGraph_Mat *m = (GNNGraph_Mat *)graph->data;

  PetscFunctionBegin;
  PetscCheck(m->adj && m->coords, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_WRONGSTATE, "GNNGraph of type mat needs GNNGraphSetAdjacency()");
  PetscCall(PetscObjectReference((PetscObject)m->adj));
  PetscCall(PetscObjectReference((PetscObject)m->coords));
  *A      = m->adj;
  *coords = m->coords;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphDestroy_Mat(GNNGraph graph)
{
  GNNGraph_Mat *m = (GNNGraph_Mat *)graph->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&m->adj));
  PetscCall(VecDestroy(&m->coords));
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphSetAdjacency_C", NULL));
  PetscCall(PetscFree(graph->data));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_Mat(GNNGraph graph)
{
  GNNGraph_Mat *m;

  PetscFunctionBegin;
  PetscCall(PetscNew(&m));
  graph->data                = m;
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_Mat;
  graph->ops->destroy        = GNNGraphDestroy_Mat;
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphSetAdjacency_C", GNNGraphSetAdjacency_Mat));
  PetscFunctionReturn(0);
}
