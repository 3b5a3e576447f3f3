/*
   GNN: a MeshGraphNets-style encode-process-decode graph neural network evaluated on a
   distributed GNNGraph, consistently: N ranks give the numbers of one rank holding the whole graph.

     node encoder   MLP(F_in -> H) + LayerNorm
     edge encoder   MLP(d + 1 -> H) + LayerNorm, edge input [x_j - x_i, |x_j - x_i|]
     L processor layers:
        e_ji <- e_ji + phi_e([h_j, h_i, e_ji])      (MLP + LayerNorm)
        a_i   = sum over edges j->i of e_ji         (the graph's sparse product, fixed order)
        h_i  <- h_i + phi_n([h_i, a_i])             (MLP + LayerNorm)
     decoder        MLP(H -> F_out)
   MLP(a -> b) = Linear(a, H), ELU, n_hidden x [Linear(H, H), ELU], Linear(H, b).

   The neural layers are LibTorch modules; the ghost exchange before each processor layer is the
   graph's PetscSF (its adjoint, a reduce with ADD, in backward).
*/
#ifndef PETSCGNN_H
#define PETSCGNN_H

#include <petscgnngraph.h>

typedef struct _p_GNN *GNN;

typedef enum {
  GNN_PRECISION_FLOAT32,
  GNN_PRECISION_FLOAT64
} GNNPrecision;
PETSC_EXTERN const char *const GNNPrecisions[];

/* Where the model's parameters, activations and kernels live: the CPU, or a GPU through LibTorch's
   CUDA device (NVIDIA, or AMD with a ROCm build of LibTorch) and the library's own CUDA or HIP
   kernels. Ranks sharing a node take the node's GPUs round-robin by their rank on the node. */
typedef enum {
  GNN_DEVICE_CPU,
  GNN_DEVICE_CUDA,
  GNN_DEVICE_HIP
} GNNDevice;
PETSC_EXTERN const char *const GNNDevices[];

/* What training keeps for backward: every activation (GNN_RECOMPUTE_NONE), or only each processor
   layer's inputs, the layer being run again in backward (GNN_RECOMPUTE_LAYERS: about a third of
   the memory for one more forward of the processor), or only each MLP's input, its activations
   computed again on chip by the fused backward (GNN_RECOMPUTE_MLP, the default: less memory than
   layers, no second halo exchange). The gradients are the same, bit for bit. */
typedef enum {
  GNN_RECOMPUTE_NONE,
  GNN_RECOMPUTE_LAYERS,
  GNN_RECOMPUTE_MLP
} GNNRecompute;
PETSC_EXTERN const char *const GNNRecomputes[];

PETSC_EXTERN PetscClassId GNN_CLASSID;

PETSC_EXTERN PetscErrorCode GNNCreate(MPI_Comm, GNN *);
PETSC_EXTERN PetscErrorCode GNNCreateFromDM(DM, PetscInt, PetscInt, GNN *);
PETSC_EXTERN PetscErrorCode GNNCreateFromGraph(GNNGraph, PetscInt, PetscInt, GNN *);
PETSC_EXTERN PetscErrorCode GNNSetGraph(GNN, GNNGraph);
PETSC_EXTERN PetscErrorCode GNNGetGraph(GNN, GNNGraph *);
PETSC_EXTERN PetscErrorCode GNNSetSizes(GNN, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode GNNGetSizes(GNN, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNSetArchitecture(GNN, PetscInt, PetscInt, PetscInt, PetscBool);
PETSC_EXTERN PetscErrorCode GNNGetArchitecture(GNN, PetscInt *, PetscInt *, PetscInt *, PetscBool *);
PETSC_EXTERN PetscErrorCode GNNSetResidual(GNN, PetscBool);
/* Fixed per-node input features (e.g. node types), appended to every input */
PETSC_EXTERN PetscErrorCode GNNSetNodeFeatures(GNN, Vec);
PETSC_EXTERN PetscErrorCode GNNGetNodeFeatures(GNN, PetscInt *, Vec *);
PETSC_EXTERN PetscErrorCode GNNSetNodeTypes(GNN, const char[], PetscInt, const PetscInt[]);
PETSC_EXTERN PetscErrorCode GNNSetPrecision(GNN, GNNPrecision);
PETSC_EXTERN PetscErrorCode GNNGetPrecision(GNN, GNNPrecision *);
PETSC_EXTERN PetscErrorCode GNNSetSeed(GNN, PetscInt);
PETSC_EXTERN PetscErrorCode GNNGetSeed(GNN, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNSetDevice(GNN, GNNDevice);
PETSC_EXTERN PetscErrorCode GNNGetDevice(GNN, GNNDevice *);
PETSC_EXTERN PetscErrorCode GNNSetRecompute(GNN, GNNRecompute);
PETSC_EXTERN PetscErrorCode GNNGetRecompute(GNN, GNNRecompute *);
PETSC_EXTERN PetscErrorCode GNNSetHaloOverlap(GNN, PetscBool);
PETSC_EXTERN PetscErrorCode GNNGetHaloOverlap(GNN, PetscBool *);
PETSC_EXTERN PetscErrorCode GNNSetReproducible(GNN, PetscBool);
PETSC_EXTERN PetscErrorCode GNNGetReproducible(GNN, PetscBool *);
PETSC_EXTERN PetscErrorCode GNNSetOptionsPrefix(GNN, const char[]);
PETSC_EXTERN PetscErrorCode GNNAppendOptionsPrefix(GNN, const char[]);
PETSC_EXTERN PetscErrorCode GNNSetFromOptions(GNN);
PETSC_EXTERN PetscErrorCode GNNSetUp(GNN);
PETSC_EXTERN PetscErrorCode GNNView(GNN, PetscViewer);
PETSC_EXTERN PetscErrorCode GNNViewFromOptions(GNN, PetscObject, const char[]);
PETSC_EXTERN PetscErrorCode GNNDestroy(GNN *);

/* Evaluation: x and y are node Vecs (GNNGraphCreateNodeVec) with F_in and F_out values per node */
PETSC_EXTERN PetscErrorCode GNNApply(GNN, Vec, Vec);
/* Rollout u_{k+1} = GNN(u_k), k < n (F_in = F_out), with a monitor after each step (may be NULL) */
PETSC_EXTERN PetscErrorCode GNNRollout(GNN, Vec, PetscInt, PetscErrorCode (*)(GNN, PetscInt, Vec, void *), void *);

/* Parameters as one flat array, replicated on every rank, in state_dict order */
PETSC_EXTERN PetscErrorCode GNNGetNumParameters(GNN, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNGetMemoryEstimate(GNN, PetscLogDouble *);
PETSC_EXTERN PetscErrorCode GNNGetMemoryAvailable(GNN, PetscLogDouble *);
PETSC_EXTERN PetscErrorCode GNNGetParameters(GNN, PetscScalar[]);
PETSC_EXTERN PetscErrorCode GNNSetParameters(GNN, const PetscScalar[]);

/* Mean squared error over all owned nodes of all ranks and all output features (normalised
   output space, optional per-node weights), and its gradient with respect to the parameters
   (summed over ranks, identical on every rank; grad may be NULL) */
PETSC_EXTERN PetscErrorCode GNNComputeLossGradient(GNN, Vec, Vec, Vec, PetscReal *, PetscScalar[]);

/* Normalisation stored with the model (state_dict buffers input_mean, input_std, output_mean,
   output_std); GNNComputeNormalization() sets them from samples: mean and standard deviation per
   feature over the owned nodes of all ranks (so partitions do not bias them) */
PETSC_EXTERN PetscErrorCode GNNSetNormalization(GNN, const PetscReal[], const PetscReal[], const PetscReal[], const PetscReal[]);
PETSC_EXTERN PetscErrorCode GNNGetNormalization(GNN, PetscReal[], PetscReal[], PetscReal[], PetscReal[]);
PETSC_EXTERN PetscErrorCode GNNComputeNormalization(GNN, PetscInt, Vec[], Vec[]);

/* Weights in PyTorch's state_dict format (torch.load in Python reads them as a dict of tensors) */
PETSC_EXTERN PetscErrorCode GNNSaveWeights(GNN, const char[]);
PETSC_EXTERN PetscErrorCode GNNLoadWeights(GNN, const char[]);
PETSC_EXTERN PetscErrorCode GNNSaveWeightsFromOptions(GNN);
/* Metadata in the weights file: what a later run needs besides the weights, as option names and
   values (e.g. "gnn_ts_every", 2), stored as float64 entries "meta.<name>" (a file with metadata
   also records the model's -gnn_hidden, -gnn_layers, -gnn_mlp_hidden_layers, -gnn_layer_norm,
   -gnn_residual); GNNReadWeightsMetadata() gives them as an options database: "-<name> <value>"
   (empty for a file without metadata) */
PETSC_EXTERN PetscErrorCode GNNSetMetadata(GNN, const char[], PetscReal);
PETSC_EXTERN PetscErrorCode GNNReadWeightsMetadata(MPI_Comm, const char[], PetscOptions *);

#endif
