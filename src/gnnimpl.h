/* Private data of the GNN object. The LibTorch state sits behind a pointer (PetscHeaderCreate
   zero-fills the object, which is no way to construct C++ members). */
#ifndef GNNIMPL_H
#define GNNIMPL_H

#include <petscgnn.h>
#include <petsc/private/petscimpl.h>

struct GNNTorch; /* src/gnn/gnntorchstate.hpp */

#define GNN_MAX_METADATA 32

struct _p_GNN {
  PETSCHEADER(int);
  GNNGraph     graph;
  PetscInt     nin, nout;
  /* fixed per-node input features (node types) appended to every input: nfeat per node */
  Vec          nodeFeatures;
  PetscInt     nfeat;
  char         nodeTypesLabel[PETSC_MAX_PATH_LEN]; /* -gnn_node_types_label: built at set-up */
  PetscInt     nodeTypes[16], nNodeTypes;
  PetscInt     hidden, mlpHidden, layers;
  PetscBool    layerNorm;
  PetscBool    residual;
  GNNPrecision precision;
  GNNDevice    device;
  PetscInt     deviceIndex; /* the GPU this rank uses (set up), -1 on the CPU */
  GNNRecompute recompute;
  PetscBool    haloOverlap; /* the processor layers compute while their halo exchange is in flight */
  PetscBool    logSync;     /* -gnn_log_sync: a GPU waited for at each logged phase's start and end */
  PetscBool    reproducible; /* training's sums in fixed point: the same bits at any rank count (GNNSetReproducible) */
  PetscInt     seed;
  PetscInt     threads;
  PetscBool    tensorCache; /* install the caching CPU tensor allocator at set-up (src/sys/tensorcache.hpp) */
  char         loadWeights[PETSC_MAX_PATH_LEN];
  char         saveWeights[PETSC_MAX_PATH_LEN];
  /* GNNSetMetadata(): written to the weights file next to the weights */
  char         metaName[GNN_MAX_METADATA][64];
  PetscReal    metaValue[GNN_MAX_METADATA];
  PetscInt     nmeta;
  PetscBool    setupcalled;
  GNNTorch    *torch;
};

/* Between the C interface and the LibTorch implementation (src/nn) */
PETSC_INTERN PetscErrorCode GNNTorchCreate_Private(GNN);
PETSC_INTERN PetscErrorCode GNNTorchDestroy_Private(GNN);
PETSC_INTERN PetscErrorCode GNNLoadWeights_Private(GNN, const char[]);
PETSC_INTERN PetscErrorCode GNNSetUpNodeFeatures_Private(GNN);
PETSC_INTERN PetscErrorCode GNNNodeFeaturesToTensor_Private(GNN);

#endif
