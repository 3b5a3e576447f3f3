/* Pre-flight memory estimate of training: an out-of-memory kill comes without a message, minutes
   into a run; the estimate stops it before the first step instead (the trainer compares it with the
   rank's share of the memory it trains in, GNNGetMemoryAvailable) and is printed by -gnn_view. */
#include "gnnimpl.h"
#include "sys/gnncollective.hpp"
#include "kernels/gpu/gpukernels.h"

/* Memory per node at the peak of a training step, at H = 32, L = 4, float32, 6 edges per node (a
   hexahedral lattice), the tensor cache on: 34.3 KiB keeping every activation (make bench's large
   tensor blocks at the peak, bench/livepeak.c, 32^3), 15.5 KiB recomputing each processor layer in
   backward (13.4 KiB of live tensors in make bench, plus what the heap keeps: fitted to the peak
   resident growth of example 2, below), 7.2 KiB with the fused MLP backward (8.2 KiB of live
   tensors at 32^3 since 2026-12-02, 10.0 before; fitted likewise). Checked on example 2, 24^3
   hexahedra (15,625 nodes), 1 rank, 3 steps, growth of VmHWM over a run without steps: none 506
   MiB (estimate 511), layers 236 MiB (estimate 234); again on 2026-12-01: none 515, layers 231,
   mlp 138 MiB (estimate 138); mlp on 2026-12-02 (the edge MLP keeping B's ghost rows only and
   reading the aggregation's gradient itself, the node MLP keeping h and a): 112 and 110 MiB in two
   runs (estimate 111.5). They scale with the width, the bytes per number, the edges per node
   (edge activations dominate) and the layers (plus the encoders and decoder, about one layer's
   worth). */
static const double kPerNodeNone = 34.3 * 1024, kPerNodeLayers = 15.5 * 1024, kPerNodeMLP = 7.2 * 1024;

/*@C
  GNNGetMemoryEstimate - An estimate of the memory this rank needs to train the model: the
  activations of its owned and ghost nodes and edges at the peak of a step (by -gnn_recompute,
  precision, width, layers and edges per node, calibrated on make bench's measurement), the graph,
  the parameters with their gradient and Adam moments: what training adds to a process that has
  set up its model (LibTorch, PETSc and MPI themselves are already resident). Not collective.
@*/
PetscErrorCode GNNGetMemoryEstimate(GNN gnn, PetscLogDouble *bytes)
{
  PetscInt nOwned, nGhost, nEdges, np;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidRealPointer(bytes, 2);
  PetscCheck(gnn->setupcalled, PETSC_COMM_SELF, PETSC_ERR_ORDER, "Call GNNSetUp() first");
  PetscCall(GNNGraphGetSizes(gnn->graph, &nOwned, &nGhost, &nEdges, NULL));
  PetscCall(GNNGetNumParameters(gnn, &np));
  const double nodes   = (double)(nOwned + nGhost);
  const double epn     = nOwned > 0 ? (double)nEdges / (double)nOwned : 6.0;
  const double real    = gnn->precision == GNN_PRECISION_FLOAT64 ? 8.0 : 4.0;
  const double perNode = (gnn->recompute == GNN_RECOMPUTE_LAYERS ? kPerNodeLayers : gnn->recompute == GNN_RECOMPUTE_MLP ? kPerNodeMLP : kPerNodeNone) * ((double)gnn->hidden / 32.0) * (real / 4.0) * ((1.0 + epn) / 7.0) * ((double)gnn->layers + 1.0) / 5.0;
  const double graph   = nodes * (3 * 8 + 3 * sizeof(PetscInt)) + (double)nEdges * 3 * sizeof(PetscInt);
  const double model   = (double)np * (4 * 8 + 3 * real); /* flat p, g, m, v; tensors and their gradients */
  *bytes               = (PetscLogDouble)(nodes * perNode + graph + model);
  PetscFunctionReturn(0);
}

/*@C
  GNNGetMemoryAvailable - This rank's share of the memory its model trains in, what the trainer's
  pre-flight compares GNNGetMemoryEstimate() with: on the CPU, the node's available memory
  (/proc/meminfo MemAvailable) divided by the ranks on the node; on a GPU, the device's free memory
  as its runtime reports it divided by the ranks of the node that use that device (ranks take a
  node's GPUs in turn). 0 when it cannot be read (no check). Collective; after GNNSetUp().

  The device's figure leaves out what LibTorch's caching allocator holds unused: before the first
  step (where the trainer asks), little.
@*/
PetscErrorCode GNNGetMemoryAvailable(GNN gnn, PetscLogDouble *bytes)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)gnn);
  PetscMPIInt    sharing;
  PetscLogDouble pool = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidRealPointer(bytes, 2);
  PetscCheck(gnn->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNSetUp() first");
  if (gnn->deviceIndex < 0) PetscCall(GNNHostAvailableMemory_Private(&pool));
  else {
    int64_t freeBytes, totalBytes;
    if (GNNGpuMemoryInfo((int)gnn->deviceIndex, &freeBytes, &totalBytes)) pool = (PetscLogDouble)freeBytes;
  }
  PetscCall(GNNRanksSharing_Private(comm, (PetscMPIInt)(gnn->deviceIndex + 1), &sharing));
  *bytes = pool / sharing;
  PetscFunctionReturn(0);
}
