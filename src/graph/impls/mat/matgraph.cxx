/* GNNGraph type "mat": the user supplies the adjacency (MATMPIAIJ, row i = edges into node i) and
   the owned nodes' coordinates; the graph takes them as they are. */
#include "gnngraphimpl.h"

static PetscErrorCode GNNGraphBuildAdjacency_Mat(GNNGraph graph, Mat *A, Vec *coords)
{
  PetscFunctionBegin;
  PetscCheck(graph->userAdj && graph->userCoords, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_WRONGSTATE, "GNNGraph of type mat needs GNNGraphSetAdjacency()");
  PetscCall(PetscObjectReference((PetscObject)graph->userAdj));
  PetscCall(PetscObjectReference((PetscObject)graph->userCoords));
  *A      = graph->userAdj;
  *coords = graph->userCoords;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_Mat(GNNGraph graph)
{
  PetscFunctionBegin;
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_Mat;
  PetscFunctionReturn(0);
}
