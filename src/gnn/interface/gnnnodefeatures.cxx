/* Fixed node features: per-node inputs that do not change from step to step (MeshGraphNets' node
   types: fluid, wall, inflow, ...). They are appended to every input the model sees, so a one-step
   model's state stays its F_in features (a rollout feeds its output back) while the network still
   knows which node is a wall. */
#include "gnn/gnntorchstate.hpp"
#include "sys/gnncollective.hpp"
#include <cstring>

/*@C
  GNNSetNodeFeatures - Fixed input features per node, appended to every input: a node Vec of the
  GNN's graph (GNNGraphCreateNodeVec()) with nf values per node, its block size. The network then sees
  F_in + nf features per node; a residual model adds its output to the first F_in. NULL removes them.
  The count is fixed at GNNSetUp(); the values may be changed later (same count).
@*/
PetscErrorCode GNNSetNodeFeatures(GNN gnn, Vec f)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)gnn);
  PetscInt nf   = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (f) {
    PetscInt n, nOwned;

    PetscValidHeaderSpecific(f, VEC_CLASSID, 2);
    PetscCheck(gnn->graph, comm, PETSC_ERR_ORDER, "Call GNNSetGraph() before GNNSetNodeFeatures()");
    PetscCall(VecGetBlockSize(f, &nf));
    PetscCall(VecGetLocalSize(f, &n));
    PetscCall(GNNGraphGetSizes(gnn->graph, &nOwned, NULL, NULL, NULL));
    GNNCheckCollective(comm, n == nf * nOwned, PETSC_ERR_ARG_SIZ, "The node features must be a node Vec of the GNN's graph with the feature count as its block size (GNNGraphCreateNodeVec())");
  }
  PetscCheck(!gnn->setupcalled || nf == gnn->nfeat, comm, PETSC_ERR_ORDER, "The GNN is set up with %" PetscInt_FMT " node features per node: their count cannot change now (got %" PetscInt_FMT ")", gnn->nfeat, nf);
  if (f) PetscCall(PetscObjectReference((PetscObject)f));
  PetscCall(VecDestroy(&gnn->nodeFeatures));
  gnn->nodeFeatures = f;
  gnn->nfeat        = nf;
  if (gnn->setupcalled) PetscCall(GNNNodeFeaturesToTensor_Private(gnn));
  PetscFunctionReturn(0);
}

/* The fixed node features and their count per node (f may be NULL) */
PetscErrorCode GNNGetNodeFeatures(GNN gnn, PetscInt *nf, Vec *f)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (nf) *nf = gnn->nfeat;
  if (f) *f = gnn->nodeFeatures;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetNodeTypes - Node types as fixed one-hot features, built at GNNSetUp() from a label of the
  graph's DMPlex: feature k = 1 on the closure of the points with label value values[k]
  (GNNGraphCreatePlexLabelNodeVec()). Options -gnn_node_types_label "Face Sets" -gnn_node_types 1,2,3,4.
@*/
PetscErrorCode GNNSetNodeTypes(GNN gnn, const char label[], PetscInt n, const PetscInt values[])
{
  MPI_Comm comm = PetscObjectComm((PetscObject)gnn);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(!gnn->setupcalled, comm, PETSC_ERR_ORDER, "Cannot change the node types of a GNN that is set up");
  PetscCheck(n >= 1 && n <= (PetscInt)(sizeof(gnn->nodeTypes) / sizeof(gnn->nodeTypes[0])), comm, PETSC_ERR_ARG_OUTOFRANGE, "Give 1 to %d label values as node types, got %" PetscInt_FMT, (int)(sizeof(gnn->nodeTypes) / sizeof(gnn->nodeTypes[0])), n);
  PetscCall(PetscStrncpy(gnn->nodeTypesLabel, label, sizeof(gnn->nodeTypesLabel)));
  for (PetscInt k = 0; k < n; k++) gnn->nodeTypes[k] = values[k];
  gnn->nNodeTypes = n;
  PetscFunctionReturn(0);
}

/* At set-up: the node types' one-hot Vec from the label, if asked and no features were given */
PetscErrorCode GNNSetUpNodeFeatures_Private(GNN gnn)
{
  Vec f;

  PetscFunctionBegin;
  if (!gnn->nodeTypesLabel[0] || gnn->nodeFeatures) PetscFunctionReturn(0);
  PetscCall(GNNGraphCreatePlexLabelNodeVec(gnn->graph, gnn->nodeTypesLabel, gnn->nNodeTypes, gnn->nodeTypes, &f));
  PetscCall(GNNSetNodeFeatures(gnn, f));
  PetscCall(VecDestroy(&f));
  PetscFunctionReturn(0);
}

/* The features as a [nOwned, nf] tensor on the model's device, kept for every forward */
PetscErrorCode GNNNodeFeaturesToTensor_Private(GNN gnn)
{
  PetscFunctionBegin;
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    if (!gnn->nodeFeatures) gnn->torch->nodeFeatures = torch::Tensor();
    else {
      const PetscScalar *a;
      gnn->torch->nodeFeatures = GNNVecToTensor(gnn, gnn->nodeFeatures, gnn->nfeat, &a).clone(); /* own copy */
      GNNCallThrow(VecRestoreArrayRead(gnn->nodeFeatures, &a));
    }
  });
  PetscFunctionReturn(0);
}

/* What the network sees: the input x [nOwned, F_in], then the fixed node features */
torch::Tensor GNNInputToTensor(GNN gnn, Vec x, const PetscScalar **array)
{
  auto xt = GNNVecToTensor(gnn, x, gnn->nin, array);
  return gnn->torch->nodeFeatures.defined() ? torch::cat({xt, gnn->torch->nodeFeatures}, 1) : xt;
}
