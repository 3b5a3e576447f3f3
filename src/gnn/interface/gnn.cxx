/* GNN interface: creation, options, set-up, viewing, destruction */
#include "gnn/gnntorchstate.hpp"
#include "sys/tensorcache.hpp"
#include "sys/gnncollective.hpp"
#include "sys/gnnoptions.hpp"
#include "kernels/gpu/gpukernels.h"
#include <torch/cuda.h>
#include <petscdmda.h>
#include <cstring>
#include <unistd.h>
#include <vector>

const char *const GNNPrecisions[] = {"float32", "float64", "GNNPrecision", "GNN_PRECISION_", NULL};
const char *const GNNDevices[]    = {"cpu", "cuda", "hip", "GNNDevice", "GNN_DEVICE_", NULL};
const char *const GNNRecomputes[] = {"none", "layers", "mlp", "GNNRecompute", "GNN_RECOMPUTE_", NULL};

static PetscErrorCode GNNSelectDevice_Private(GNN);

static const int kMaxHidden = 65536, kMaxLayers = 1024, kMaxThreads = 1024;

/*@C
  GNNCreate - Creates a GNN model. Give it a graph (GNNGraphSetUp() done) with GNNSetGraph(), the
  numbers of input and output features per node with GNNSetSizes(), then GNNSetFromOptions() and
  GNNSetUp().
@*/
PetscErrorCode GNNCreate(MPI_Comm comm, GNN *gnn)
{
  GNN g;

  PetscFunctionBegin;
  PetscValidPointer(gnn, 2);
  PetscCall(GNNInitializePackage());
  PetscCall(PetscHeaderCreate(g, GNN_CLASSID, "GNN", "Graph neural network", "GNN", comm, GNNDestroy, GNNView));
  g->hidden    = 32;
  g->mlpHidden = 5;
  g->layers    = 4;
  g->layerNorm = PETSC_TRUE;
  g->precision = GNN_PRECISION_FLOAT32;
  g->seed      = 12;
  g->threads   = 1;
  g->tensorCache = PETSC_TRUE;
  g->haloOverlap = PETSC_TRUE;
  g->recompute   = GNN_RECOMPUTE_MLP;
  g->device      = GNN_DEVICE_CPU;
  g->deviceIndex = -1;
  g->nin = g->nout = -1;
  *gnn             = g;
  PetscFunctionReturn(0);
}

/*@C
  GNNCreateFromDM - The one call from a solver's mesh to a model: a GNNGraph on the DM (its own
  partition; GNNGraphSetFromOptions() and GNNGraphSetUp() done) and a GNN on it with nin and nout
  features per node and GNNSetFromOptions() done. PETSC_DECIDE: on a DMDA the DMDA's dof (its global
  Vecs are then the GNN's input and output as they are: the graph numbers the points as the DMDA
  does), on a DMPlex the coordinate dimension. The graph type follows the DM (da on a DMDA, vertex
  otherwise) unless -gnn_graph_type says otherwise. The GNN is not set up, so the caller may still
  change it; GNNGetGraph() returns the graph.
@*/
PetscErrorCode GNNCreateFromDM(DM dm, PetscInt nin, PetscInt nout, GNN *gnn)
{
  MPI_Comm comm;
  GNNGraph graph;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(dm, DM_CLASSID, 1);
  PetscValidPointer(gnn, 4);
  PetscCall(PetscObjectGetComm((PetscObject)dm, &comm));
  PetscCall(GNNGraphCreate(comm, &graph));
  PetscCall(GNNGraphSetDM(graph, dm));
  PetscCall(GNNCreateFromGraph(graph, nin, nout, gnn));
  PetscCall(GNNGraphDestroy(&graph)); /* the GNN holds it */
  PetscFunctionReturn(0);
}

/*@C
  GNNCreateFromGraph - GNNCreateFromDM() for a graph that has its DM and may have a type (and its
  settings) chosen already, e.g. from the discretisation of the field the GNN will see: the
  graph's GNNGraphSetFromOptions() (the options still override) and GNNGraphSetUp(), then the GNN
  on it (sizes as in GNNCreateFromDM(), GNNSetFromOptions() done, not set up). The GNN takes a
  reference to the graph.
@*/
PetscErrorCode GNNCreateFromGraph(GNNGraph graph, PetscInt nin, PetscInt nout, GNN *gnn)
{
  MPI_Comm  comm;
  DM        dm;
  PetscInt  dim;
  PetscBool isDA = PETSC_FALSE;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidPointer(gnn, 4);
  PetscCall(PetscObjectGetComm((PetscObject)graph, &comm));
  PetscCall(GNNGraphSetFromOptions(graph));
  PetscCall(GNNGraphSetUp(graph));
  PetscCall(GNNGraphGetDimension(graph, &dim));
  PetscCall(GNNGraphGetDM(graph, &dm));
  if (dm) PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &isDA));
  if (isDA) PetscCall(DMDAGetDof(dm, &dim)); /* the default feature count: the DMDA's fields */
  PetscCall(GNNCreate(comm, gnn));
  PetscCall(GNNSetGraph(*gnn, graph));
  PetscCall(GNNSetSizes(*gnn, nin == PETSC_DECIDE ? dim : nin, nout == PETSC_DECIDE ? dim : nout));
  PetscCall(GNNSetFromOptions(*gnn));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNSetGraph(GNN gnn, GNNGraph graph)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 2);
  PetscCheck(!gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Cannot change the graph of a GNN that is set up");
  PetscCall(PetscObjectReference((PetscObject)graph));
  PetscCall(GNNGraphDestroy(&gnn->graph));
  gnn->graph = graph;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetGraph(GNN gnn, GNNGraph *graph)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  *graph = gnn->graph;
  PetscFunctionReturn(0);
}

/* Numbers of input and output features per node */
PetscErrorCode GNNSetSizes(GNN gnn, PetscInt nin, PetscInt nout)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(nin > 0 && nout > 0, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Feature counts must be positive, got %" PetscInt_FMT " in, %" PetscInt_FMT " out", nin, nout);
  gnn->nin  = nin;
  gnn->nout = nout;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetSizes(GNN gnn, PetscInt *nin, PetscInt *nout)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (nin) *nin = gnn->nin;
  if (nout) *nout = gnn->nout;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetArchitecture - Latent width H, hidden layers per MLP, processor layers L, LayerNorm on/off
@*/
PetscErrorCode GNNSetArchitecture(GNN gnn, PetscInt hidden, PetscInt mlpHidden, PetscInt layers, PetscBool layerNorm)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)gnn);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(!gnn->setupcalled, comm, PETSC_ERR_ORDER, "Cannot change the architecture of a GNN that is set up");
  /* upper bounds far above any mesh GNN, below sizes that only exhaust memory or time */
  PetscCheck(hidden > 0 && hidden <= kMaxHidden, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_hidden must be in [1, %d], got %" PetscInt_FMT, kMaxHidden, hidden);
  PetscCheck(mlpHidden >= 0 && mlpHidden <= kMaxLayers, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_mlp_hidden_layers must be in [0, %d], got %" PetscInt_FMT, kMaxLayers, mlpHidden);
  PetscCheck(layers >= 0 && layers <= kMaxLayers, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_layers must be in [0, %d], got %" PetscInt_FMT, kMaxLayers, layers);
  gnn->hidden    = hidden;
  gnn->mlpHidden = mlpHidden;
  gnn->layers    = layers;
  gnn->layerNorm = layerNorm;
  PetscFunctionReturn(0);
}

/* Latent width, hidden layers per MLP, processor layers, LayerNorm (any may be NULL) */
PetscErrorCode GNNGetArchitecture(GNN gnn, PetscInt *hidden, PetscInt *mlpHidden, PetscInt *layers, PetscBool *layerNorm)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (hidden) *hidden = gnn->hidden;
  if (mlpHidden) *mlpHidden = gnn->mlpHidden;
  if (layers) *layers = gnn->layers;
  if (layerNorm) *layerNorm = gnn->layerNorm;
  PetscFunctionReturn(0);
}

/* Output = input + network(input): a one-step model then learns the increment */
PetscErrorCode GNNSetResidual(GNN gnn, PetscBool residual)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(!gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Cannot change a GNN that is set up");
  gnn->residual = residual;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNSetPrecision(GNN gnn, GNNPrecision precision)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(!gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Cannot change the precision of a GNN that is set up");
  gnn->precision = precision;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetPrecision(GNN gnn, GNNPrecision *precision)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  *precision = gnn->precision;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetDevice - Where the model runs: GNN_DEVICE_CPU (default), GNN_DEVICE_CUDA or GNN_DEVICE_HIP
  (needs a build with -DGNN_GPU=cuda or hip and a LibTorch that sees a GPU). Results per node do
  not depend on the rank count on either device.
@*/
PetscErrorCode GNNSetDevice(GNN gnn, GNNDevice device)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(!gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Cannot change the device of a GNN that is set up");
  PetscCheck(device >= GNN_DEVICE_CPU && device <= GNN_DEVICE_HIP, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Unknown device %d", (int)device);
  gnn->device = device;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetDevice(GNN gnn, GNNDevice *device)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidPointer(device, 2);
  *device = gnn->device;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetRecompute - What training keeps for backward: GNN_RECOMPUTE_NONE (every activation),
  GNN_RECOMPUTE_LAYERS (each processor layer's inputs only; the layer, its halo exchange included,
  runs again in backward) or GNN_RECOMPUTE_MLP (each MLP's input only; the fused backward computes
  its activations again, chunk by chunk of rows, on chip: the default). The gradients are the
  same, bit for bit. On the CPU (make bench, 32^3 nodes) layers holds 0.41x the live memory per
  node of none for 1.2x the step time; mlp 0.31x for 0.82-0.89x: one more forward of each MLP, no
  second halo exchange, and less memory traffic than keeping the activations. With reproducible
  sums (-gnn_train_reproducible) the MLPs run again with autograd in backward instead, for the
  layers' own fixed-point sums (the edge MLP's halo exchange included): on example 2, 24^3
  hexahedra, 6 steps, 4.3 s and 607 MiB peak against 4.1 s and 951 MiB keeping every activation.
  May be changed at any time.
@*/
PetscErrorCode GNNSetRecompute(GNN gnn, GNNRecompute recompute)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(recompute >= GNN_RECOMPUTE_NONE && recompute <= GNN_RECOMPUTE_MLP, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Unknown recompute mode %d", (int)recompute);
  gnn->recompute = recompute;
  if (gnn->torch && gnn->torch->net) {
    gnn->torch->net->recomputeLayers = recompute == GNN_RECOMPUTE_LAYERS;
    gnn->torch->net->setRecomputeMLPs(recompute == GNN_RECOMPUTE_MLP);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetRecompute(GNN gnn, GNNRecompute *recompute)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidPointer(recompute, 2);
  *recompute = gnn->recompute;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetHaloOverlap - Whether each processor layer computes while its halo exchange is in flight:
  in forward, the receiver part of the first edge layer and the edges (their rows are final for
  the edges whose sender is owned; those whose sender is a ghost are computed again after the end)
  between the start and the end of the ghost update of the sender part h W_j; in backward, the
  gradients of the edge and receiver parts while the ghosts' sums by sender travel to their owners. The results are the same bit
  for bit either way (each edge's row depends on its own inputs alone, and the sums keep their
  order); only the time differs. Default on. May be changed at any time.
@*/
PetscErrorCode GNNSetHaloOverlap(GNN gnn, PetscBool overlap)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  gnn->haloOverlap = overlap;
  if (gnn->torch) gnn->torch->g.halo->overlap = overlap;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetHaloOverlap(GNN gnn, PetscBool *overlap)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidBoolPointer(overlap, 2);
  *overlap = gnn->haloOverlap;
  PetscFunctionReturn(0);
}

/*@C
  GNNSetReproducible - Whether GNNComputeLossGradient() makes every sum over nodes and edges
  reproducible: the weight, bias and LayerNorm gradients, the sums by sender that meet in the halo,
  the loss and the weights' sum are added in fixed point (each term rounded to a power of two all
  ranks agree on, added exactly in int64), so the loss and the gradient are the same bits at any
  rank count, and so are the normalisation statistics (GNNComputeNormalization). Training is then
  bitwise reproducible on any number of ranks, on the CPU and on GPUs alike (the same bits on
  both: the GPU adds the same integers). The trainer's option is -gnn_train_reproducible.
@*/
PetscErrorCode GNNSetReproducible(GNN gnn, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  gnn->reproducible = flg;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetReproducible(GNN gnn, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidBoolPointer(flg, 2);
  *flg = gnn->reproducible;
  PetscFunctionReturn(0);
}

/* The seed of the initial weights: they depend on it alone, never on the rank count */
PetscErrorCode GNNSetSeed(GNN gnn, PetscInt seed)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  gnn->seed = seed;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetSeed(GNN gnn, PetscInt *seed)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidIntPointer(seed, 2);
  *seed = gnn->seed;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNSetOptionsPrefix(GNN gnn, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)gnn, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNAppendOptionsPrefix(GNN gnn, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCall(PetscObjectAppendOptionsPrefix((PetscObject)gnn, prefix));
  PetscFunctionReturn(0);
}

/*@C
  GNNSetFromOptions - Options database keys:
+ -gnn_hidden <32>              - latent width H
. -gnn_mlp_hidden_layers <5>    - hidden Linear(H,H) layers per MLP
. -gnn_layers <4>               - message-passing (processor) layers L
. -gnn_layer_norm <true>        - LayerNorm on every MLP output but the decoder's
. -gnn_residual <false>         - output = input + network(input): a one-step model learns the increment
. -gnn_node_types_label <name>  - node types as fixed one-hot input features from this DMPlex label (e.g. "Face Sets")
. -gnn_node_types <v1,v2,...>   - the label values, one feature each (a node in the closure of a point of value v_k has feature k = 1)
. -gnn_precision <float32,float64> - arithmetic of the network
. -gnn_device <cpu,cuda,hip>    - where the model runs (GPU: a build with -DGNN_GPU=cuda or hip)
. -gnn_recompute <mlp,none,layers> - what training keeps for backward (mlp, the default: each MLP's input only, the fused backward recomputes its activations on chip; layers: each processor layer's inputs only; none: every activation; the same gradients bit for bit)
. -gnn_halo_overlap <true>      - compute the edges while the halo exchange is in flight (same results)
. -gnn_gpu_tile <2>             - on a GPU, each thread's block of outputs in the fused MLP backward: 1, 2 or 4 (1x1, 2x2, 4x4; process-wide, no result changes; bench -bench_mode kernels times all three)
. -gnn_gpu_vector_loads <true>  - on a GPU, the fused MLP backward's products read by vector loads where the widths allow it (process-wide, no result changes)
. -gnn_gpu_backward_blocks <3>  - on a GPU, the fused MLP backward's blocks per multiprocessor (3 or 2), which bound its registers per thread (process-wide, no result changes)
. -gnn_gpu_backward_shared_kib <48> - on a GPU, the fused MLP backward's shared memory per block at most: its tiles hold as many rows as fit (at most 64) there and in a multiprocessor's share for its blocks (process-wide, no result changes)
. -gnn_gpu_forward_rows <1>     - on a GPU, the rows each thread runs together in the fused MLP forward of float MLPs up to 32 wide: 1 or 2 (process-wide, no result changes)
. -gnn_gpu_stage_weights <true> - on a GPU, the fused MLP forward stages the weights in shared memory where they fit, else reads them in place (process-wide, no result changes)
. -gnn_log_sync                 - on a GPU, wait for the device at the start and end of every logged phase (-log_view's GNNEncode, GNNEdgeMLP, ..., GNNBackward), so that their times are the device's and not the launches' (a little slower)
. -gnn_seed <12>                - seed of the initial weights (independent of the rank count)
. -gnn_threads <1>              - LibTorch threads per rank
. -gnn_tensor_cache <true>      - keep freed tensor blocks (>= 1 MiB) for reuse: see GNNTensorCacheInstall() in src/sys/tensorcache.hpp
. -gnn_load_weights <file>      - initial weights from a PyTorch state_dict file (a dict of tensors)
. -gnn_save_weights <file>      - write the weights in that format once the model is final (GNNSaveWeightsFromOptions())
- -gnn_view                     - print the model after set-up
@*/
PetscErrorCode GNNSetFromOptions(GNN gnn)
{
  PetscInt     hidden, mlpHidden, layers, threads;
  PetscBool    ln, flg;
  GNNPrecision prec;
  GNNDevice    dev = gnn->device;
  GNNRecompute rec = gnn->recompute;
  PetscBool    ov  = gnn->haloOverlap;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  hidden    = gnn->hidden;
  mlpHidden = gnn->mlpHidden;
  layers    = gnn->layers;
  ln        = gnn->layerNorm;
  prec      = gnn->precision;
  threads   = gnn->threads;
  PetscObjectOptionsBegin((PetscObject)gnn);
  PetscCall(GNNOptionsInt("-gnn_hidden", "Latent width H", "GNNSetArchitecture", hidden, &hidden, NULL));
  PetscCall(GNNOptionsInt("-gnn_mlp_hidden_layers", "Hidden Linear(H,H) layers per MLP", "GNNSetArchitecture", mlpHidden, &mlpHidden, NULL));
  PetscCall(GNNOptionsInt("-gnn_layers", "Message-passing layers L", "GNNSetArchitecture", layers, &layers, NULL));
  PetscCall(PetscOptionsBool("-gnn_layer_norm", "LayerNorm after every MLP but the decoder", "GNNSetArchitecture", ln, &ln, NULL));
  PetscCall(GNNSetArchitecture(gnn, hidden, mlpHidden, layers, ln));
  PetscCall(PetscOptionsBool("-gnn_residual", "Output = input + network(input) (one-step models; needs F_in = F_out)", "GNNSetResidual", gnn->residual, &gnn->residual, NULL));
  {
    char      label[PETSC_MAX_PATH_LEN];
    PetscInt  values[16], n = 16;
    PetscBool setLabel, setValues;

    PetscCall(PetscStrncpy(label, gnn->nodeTypesLabel, sizeof(label)));
    PetscCall(PetscOptionsString("-gnn_node_types_label", "Node types as fixed one-hot input features from this DMPlex label (e.g. \"Face Sets\")", "GNNSetNodeTypes", label, label, sizeof(label), &setLabel));
    PetscCall(PetscOptionsIntArray("-gnn_node_types", "The label values that are node types (one feature each)", "GNNSetNodeTypes", values, &n, &setValues));
    PetscCheck(setLabel == setValues, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_WRONG, "Give -gnn_node_types_label and -gnn_node_types together");
    if (setLabel) PetscCall(GNNSetNodeTypes(gnn, label, n, values));
  }
  PetscCall(PetscOptionsEnum("-gnn_precision", "Arithmetic of the network", "GNNSetPrecision", GNNPrecisions, (PetscEnum)prec, (PetscEnum *)&prec, NULL));
  PetscCall(GNNSetPrecision(gnn, prec));
  PetscCall(PetscOptionsEnum("-gnn_device", "Where the model runs (parameters, activations, kernels)", "GNNSetDevice", GNNDevices, (PetscEnum)gnn->device, (PetscEnum *)&dev, NULL));
  PetscCall(GNNSetDevice(gnn, dev));
  PetscCall(PetscOptionsEnum("-gnn_recompute", "What training keeps for backward, the same gradients in each: mlp (each MLP's input; the fused backward recomputes its activations), none (every activation) or layers (each processor layer's inputs; the layer runs again in backward)", "GNNSetRecompute", GNNRecomputes, (PetscEnum)gnn->recompute, (PetscEnum *)&rec, NULL));
  PetscCall(GNNSetRecompute(gnn, rec));
  PetscCall(PetscOptionsBool("-gnn_halo_overlap", "Compute the edges while the halo exchange is in flight, redo those with a ghost sender after it (the same results bit for bit)", "GNNSetHaloOverlap", gnn->haloOverlap, &ov, NULL));
  PetscCall(GNNSetHaloOverlap(gnn, ov));
  { /* the GPU kernels' shapes: one process-wide setting of the kernel layer, not of this object */
    GNNGpuTuning t = GNNGpuGetTuning();
    PetscInt     tile = t.tile, blocks = t.blocks, kib = t.sharedKiB, rows = t.forwardRows;
    PetscBool    vec = t.vectorLoads ? PETSC_TRUE : PETSC_FALSE, stage = t.stageWeights ? PETSC_TRUE : PETSC_FALSE;
    MPI_Comm     comm = PetscObjectComm((PetscObject)gnn);
    PetscCall(GNNOptionsInt("-gnn_gpu_tile", "On a GPU, each thread's block of outputs in the fused MLP backward: 1, 2 or 4 (process-wide; no result changes)", "GNNSetUp", tile, &tile, NULL));
    PetscCheck(tile == 1 || tile == 2 || tile == 4, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_gpu_tile must be 1, 2 or 4, got %" PetscInt_FMT, tile);
    PetscCall(PetscOptionsBool("-gnn_gpu_vector_loads", "On a GPU, the fused MLP backward's products read their values by vector loads where the widths allow it (process-wide; no result changes)", "GNNSetUp", vec, &vec, NULL));
    PetscCall(GNNOptionsInt("-gnn_gpu_backward_blocks", "On a GPU, the fused MLP backward's blocks per multiprocessor, which bound its registers per thread: 3 or 2 (process-wide; no result changes)", "GNNSetUp", blocks, &blocks, NULL));
    PetscCheck(blocks == 2 || blocks == 3, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_gpu_backward_blocks must be 2 or 3, got %" PetscInt_FMT, blocks);
    PetscCall(GNNOptionsInt("-gnn_gpu_backward_shared_kib", "On a GPU, the fused MLP backward's shared memory per block at most (KiB; its tiles are as many rows as fit, at most 64, within a multiprocessor's share for its blocks; above 48 by opt-in): 1 to 1024 (process-wide; no result changes)", "GNNSetUp", kib, &kib, NULL));
    PetscCheck(kib >= 1 && kib <= 1024, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_gpu_backward_shared_kib must be 1 to 1024, got %" PetscInt_FMT, kib);
    PetscCall(GNNOptionsInt("-gnn_gpu_forward_rows", "On a GPU, the rows each thread runs together in the fused MLP forward (float, widths up to 32): 1 or 2 (process-wide; no result changes)", "GNNSetUp", rows, &rows, NULL));
    PetscCheck(rows == 1 || rows == 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_gpu_forward_rows must be 1 or 2, got %" PetscInt_FMT, rows);
    PetscCall(PetscOptionsBool("-gnn_gpu_stage_weights", "On a GPU, the fused MLP forward stages the weights in shared memory where they fit, else reads them in place (process-wide; no result changes)", "GNNSetUp", stage, &stage, NULL));
    t.tile         = (int)tile;
    t.vectorLoads  = vec ? true : false;
    t.blocks       = (int)blocks;
    t.sharedKiB    = (int)kib;
    t.forwardRows  = (int)rows;
    t.stageWeights = stage ? true : false;
    GNNGpuSetTuning(t);
  }
  PetscCall(PetscOptionsBool("-gnn_log_sync", "On a GPU, wait for the device at the start and end of every logged phase, so that -log_view's phase times are the device's", "GNNSetUp", gnn->logSync, &gnn->logSync, NULL));
  PetscCall(GNNOptionsInt("-gnn_seed", "Seed of the initial weights (independent of the rank count)", "GNNSetSeed", gnn->seed, &gnn->seed, NULL));
  PetscCall(GNNOptionsInt("-gnn_threads", "LibTorch threads per rank", "GNNSetUp", threads, &threads, &flg));
  {
    /* more threads than a few per core only thrash (100000 made the machine unusable) */
    const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
    const int  most  = (int)std::min<long>(kMaxThreads, 4 * cores);
    PetscCheck(threads > 0 && threads <= most, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "-gnn_threads must be in [1, %d] (at most 4 per core of the %ld here, at most %d), got %" PetscInt_FMT, most, cores, kMaxThreads, threads);
  }
  gnn->threads = threads;
  PetscCall(PetscOptionsBool("-gnn_tensor_cache", "Reuse freed tensor blocks >= 1 MiB by size (LibTorch CPU allocator for the whole process; glibc's heap fragments under Debian's PETSc)", "GNNSetUp", gnn->tensorCache, &gnn->tensorCache, NULL));
  PetscCall(PetscOptionsString("-gnn_load_weights", "Initial weights: PyTorch state_dict file (dict of tensors)", "GNNLoadWeights", gnn->loadWeights, gnn->loadWeights, sizeof(gnn->loadWeights), NULL));
  PetscCall(PetscOptionsString("-gnn_save_weights", "Write the final weights (PyTorch state_dict)", "GNNSaveWeightsFromOptions", gnn->saveWeights, gnn->saveWeights, sizeof(gnn->saveWeights), NULL));
  PetscCall(PetscOptionsName("-gnn_view", "Print the model after set-up", "GNNView", &flg));
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)gnn, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

/*@C
  GNNSetUp - Builds the network (initial weights from the seed, or the -gnn_load_weights file) and
  the tensors of the graph's local edges.
@*/
PetscErrorCode GNNSetUp(GNN gnn)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)gnn);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (gnn->setupcalled) PetscFunctionReturn(0);
  PetscCheck(gnn->graph, comm, PETSC_ERR_ARG_WRONGSTATE, "Call GNNSetGraph() first");
  PetscCheck(gnn->nin > 0 && gnn->nout > 0, comm, PETSC_ERR_ARG_WRONGSTATE, "Call GNNSetSizes() first");
  PetscCheck(!gnn->residual || gnn->nin == gnn->nout, comm, PETSC_ERR_ARG_WRONG, "-gnn_residual needs as many outputs as inputs, got %" PetscInt_FMT " -> %" PetscInt_FMT, gnn->nin, gnn->nout);
  PetscCall(GNNGraphSetUp(gnn->graph));
  PetscCall(GNNSelectDevice_Private(gnn));
  PetscCall(GNNSetUpNodeFeatures_Private(gnn));
  PetscCall(GNNTorchCreate_Private(gnn));
  PetscCall(GNNNodeFeaturesToTensor_Private(gnn));
  if (gnn->loadWeights[0]) PetscCall(GNNLoadWeights_Private(gnn, gnn->loadWeights));
  gnn->setupcalled = PETSC_TRUE;
  PetscCall(GNNViewFromOptions(gnn, NULL, "-gnn_view"));
  PetscFunctionReturn(0);
}

/* The GPU of this rank: the build must have the kernels of the asked vendor and LibTorch must see a
   GPU (checked on every rank, the same error everywhere); ranks on one node take its GPUs in turn */
static PetscErrorCode GNNSelectDevice_Private(GNN gnn)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)gnn), node;
  const char *want = GNNDevices[gnn->device], *built = GNNGpuBackend();
  int         count = 0;
  PetscMPIInt local;

  PetscFunctionBegin;
  gnn->deviceIndex = -1;
  if (gnn->device == GNN_DEVICE_CPU) PetscFunctionReturn(0);
  PetscCheck(built, comm, PETSC_ERR_SUP, "-gnn_device %s: this build of petscgnn has no GPU kernels (configure with -DGNN_GPU=%s)", want, want);
  PetscCheck(!std::strcmp(built, want), comm, PETSC_ERR_SUP, "-gnn_device %s: this build's GPU kernels are for %s", want, built);
  GNNTorchTry(comm, count = torch::cuda::is_available() ? (int)torch::cuda::device_count() : 0);
  GNNCheckCollective(comm, count >= 1, PETSC_ERR_SUP, "-gnn_device %s: LibTorch sees no GPU (on at least one rank)", want);
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Comm_rank(node, &local));
  PetscCallMPI(MPI_Comm_free(&node));
  gnn->deviceIndex = local % count;
  PetscFunctionReturn(0);
}

/* Every parameter made a view of one flat tensor, in params' order (their values, autograd
   identities and version counters unchanged): GNNSetParameters then writes them all in one copy
   and GNNGetParameters reads them in one transfer, instead of one small device operation each
   (174 for the paper's model, every training step) */
static torch::Tensor FlattenParameters(std::vector<std::pair<std::string, torch::Tensor>> &params, int64_t numel)
{
  torch::NoGradGuard nograd;
  if (params.empty()) return torch::Tensor();
  auto    flat = torch::empty({numel}, params[0].second.options());
  int64_t off  = 0;
  for (auto &kv : params) {
    auto part = flat.narrow(0, off, kv.second.numel());
    part.copy_(kv.second.reshape({-1}));
    kv.second.set_data(part.view(kv.second.sizes()));
    off += kv.second.numel();
  }
  return flat;
}

PetscErrorCode GNNTorchCreate_Private(GNN gnn)
{
  GNNGraph            graph = gnn->graph;
  MeshGraphNetOptions o;
  PetscInt            dim;

  PetscFunctionBegin;
  o.nin       = gnn->nin + gnn->nfeat; /* the input, then the fixed node features */
  o.nout      = gnn->nout;
  PetscCall(GNNGraphGetDimension(graph, &dim));
  o.edgeIn    = dim + 1;
  o.hidden    = gnn->hidden;
  o.mlpHidden = gnn->mlpHidden;
  o.layers    = gnn->layers;
  o.layerNorm = gnn->layerNorm;
  o.residual  = gnn->residual;
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    auto t   = new GNNTorch;
    gnn->torch = t;
    torch::set_num_threads((int)gnn->threads);
    if (gnn->tensorCache) GNNTensorCacheInstall();
    t->dtype  = gnn->precision == GNN_PRECISION_FLOAT64 ? torch::kFloat64 : torch::kFloat32;
    t->device = gnn->deviceIndex < 0 ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, (c10::DeviceIndex)gnn->deviceIndex);
    /* the same seed on every rank: identical initial weights whatever the rank count */
    torch::manual_seed((uint64_t)gnn->seed);
    t->net = MeshGraphNet(o);
    t->net->to(t->device, t->dtype); /* initial weights drawn on the CPU: the same on every device */
    t->net->recomputeLayers = gnn->recompute == GNN_RECOMPUTE_LAYERS;
    t->net->setRecomputeMLPs(gnn->recompute == GNN_RECOMPUTE_MLP);
    t->net->setLogSync(gnn->logSync && t->device.is_cuda());
    for (auto &kv : t->net->named_parameters()) {
      t->params.emplace_back(kv.key(), kv.value());
      t->numel += kv.value().numel();
    }
    t->flat  = FlattenParameters(t->params, t->numel);
    t->state = t->params;
    for (auto &kv : t->net->named_buffers()) t->state.emplace_back(kv.key(), kv.value());
    t->g = GNNGraphTensorsCreate(graph, t->device, t->dtype);
    t->g.halo->overlap = gnn->haloOverlap;
    GNNCallThrow(GNNGraphGetSizes(graph, &t->nOwned, NULL, NULL, &t->N));
  });
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTorchDestroy_Private(GNN gnn)
{
  PetscFunctionBegin;
  delete gnn->torch;
  gnn->torch = NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNViewFromOptions(GNN gnn, PetscObject obj, const char name[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCall(PetscObjectViewFromOptions((PetscObject)gnn, obj, name));
  PetscFunctionReturn(0);
}

/*@C
  GNNView - Prints the model: architecture, precision, seed, parameter count, graph.
@*/
PetscErrorCode GNNView(GNN gnn, PetscViewer viewer)
{
  PetscBool iascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)gnn), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)gnn, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "encode-process-decode: %" PetscInt_FMT " -> %" PetscInt_FMT " features per node\n", gnn->nin, gnn->nout));
  if (gnn->nfeat) {
    if (gnn->nodeTypesLabel[0]) {
      PetscCall(PetscViewerASCIIPrintf(viewer, "fixed node features: %" PetscInt_FMT " node types, one-hot from label \"%s\" values", gnn->nfeat, gnn->nodeTypesLabel));
      PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
      for (PetscInt k = 0; k < gnn->nNodeTypes; k++) PetscCall(PetscViewerASCIIPrintf(viewer, "%s%" PetscInt_FMT, k ? "," : " ", gnn->nodeTypes[k]));
      PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
      PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
    } else PetscCall(PetscViewerASCIIPrintf(viewer, "fixed node features: %" PetscInt_FMT " per node, appended to the input\n", gnn->nfeat));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "latent width %" PetscInt_FMT ", %" PetscInt_FMT " hidden layers per MLP, %" PetscInt_FMT " message-passing layers, LayerNorm %s, ELU%s\n", gnn->hidden, gnn->mlpHidden, gnn->layers, gnn->layerNorm ? "on" : "off", gnn->residual ? ", residual (output = input + network)" : ""));
  if (gnn->setupcalled && gnn->deviceIndex >= 0) {
    const GNNGpuTuning t = GNNGpuGetTuning();
    PetscCall(PetscViewerASCIIPrintf(viewer, "device %s:%" PetscInt_FMT " (LibTorch CUDA device, %s kernels; fused MLP backward %dx%d outputs per thread%s, %d blocks per multiprocessor, at most %d KiB of shared memory per block; forward %d row(s) per thread, weights %s)\n", GNNDevices[gnn->device], gnn->deviceIndex, GNNGpuBackend(), t.tile, t.tile,
                                     t.vectorLoads ? " by vector loads" : "", t.blocks, t.sharedKiB, t.forwardRows, t.stageWeights ? "staged in shared memory where they fit" : "read in place"));
  }
  else PetscCall(PetscViewerASCIIPrintf(viewer, "device %s\n", GNNDevices[gnn->device]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "precision %s, seed %" PetscInt_FMT ", %" PetscInt_FMT " LibTorch thread(s) per rank, tensor cache %s, recompute %s, halo overlap %s, reproducible sums %s%s\n", GNNPrecisions[gnn->precision], gnn->seed, gnn->threads, gnn->tensorCache ? "on" : "off", GNNRecomputes[gnn->recompute], gnn->haloOverlap ? "on" : "off", gnn->reproducible ? "on" : "off", gnn->logSync ? ", phases timed with the GPU waited for (-gnn_log_sync)" : ""));
  if (gnn->setupcalled) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "parameters: %" PetscInt64_FMT "\n", (PetscInt64)gnn->torch->numel));
    if (gnn->loadWeights[0]) PetscCall(PetscViewerASCIIPrintf(viewer, "weights loaded from %s\n", gnn->loadWeights));
    {
      PetscLogDouble est;
      PetscInt       n;
      PetscCall(GNNGetMemoryEstimate(gnn, &est));
      PetscCall(GNNGraphGetSizes(gnn->graph, &n, NULL, NULL, NULL));
      PetscCall(PetscViewerASCIIPrintf(viewer, "training memory estimate (rank 0, %" PetscInt_FMT " owned nodes, recompute %s): %.1f MiB\n", n, GNNRecomputes[gnn->recompute], est / 1048576.0));
    }
  }
  if (gnn->graph) PetscCall(GNNGraphView(gnn->graph, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNDestroy(GNN *gnn)
{
  PetscFunctionBegin;
  if (!*gnn) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*gnn, GNN_CLASSID, 1);
  if (--((PetscObject)(*gnn))->refct > 0) {
    *gnn = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(GNNTorchDestroy_Private(*gnn));
  PetscCall(VecDestroy(&(*gnn)->nodeFeatures));
  PetscCall(GNNGraphDestroy(&(*gnn)->graph));
  PetscCall(PetscHeaderDestroy(gnn));
  PetscFunctionReturn(0);
}
