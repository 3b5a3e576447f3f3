/* The library's own kernels on LibTorch tensors of either device: the one interface between the
   neural layers (src/nn) and the device-specific code. CPU tensors go to the CPU kernels
   (src/kernels/cpu), GPU tensors to the GPU kernels (src/kernels/gpu, CUDA or HIP); both run the
   bodies of src/kernels/gnnkernelbodies.h. Inputs of one call must be on one device. */
#ifndef GNNKERNELS_HPP
#define GNNKERNELS_HPP

#include <torch/torch.h>
#include "sys/gnnreprosum.h"

/* The split first edge layer: output row i starts from A[ia[i]] + B[ib[i]] instead of the bias */
struct GNNEdgeStart {
  torch::Tensor A, B, ia, ib;
};

/* y = x W^T + b, then ELU when elu; b may be undefined (zero) and is unused with start.
   Row-deterministic: a row's outputs depend on that row alone, bitwise the same on CPU and GPU. */
torch::Tensor GNNKernelLinearForward(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu, const GNNEdgeStart *start);
/* The Linear layers of an MLP in one pass, for a forward without autograd: layer l is
   act(in W[l]^T + b[l]), act = ELU on all but the last layer, b[l] may be undefined (zero); with
   start, layer 0 starts from A[ia[i]] + B[ib[i]] instead of its bias; with gamma, the LayerNorm
   (GNNKernelLayerNormForward: gamma, beta, eps) of the output follows in the same pass; with
   residual, the output is x[:, :N] + that (N, the last width, <= x's: a residual block's add,
   x + y). Only the output is written (each row's activations stay in the cache or the GPU thread),
   and it is bitwise that of GNNKernelLinearForward layer by layer (then the add). */
torch::Tensor GNNKernelMLPForward(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const GNNEdgeStart *start, const torch::Tensor &gamma = {}, const torch::Tensor &beta = {}, double eps = 0, bool residual = false);
/* The backward of GNNKernelMLPForward from g = dL/dy, with nothing of its forward kept: the
   activations are computed again chunk by chunk of rows, on chip, and back-propagated (the fused
   backward). dX (when wantDx), dW[l] and db[l] (one per layer, b[l] defined or not) and, with
   gamma, dgamma and dbeta are those of the layers' own backward (GNNKernelLinearBackward,
   GNNKernelLayerNormBackward) after a forward that kept every activation, bit for bit, on either
   device. With start, layer 0 starts from it (db[0] is then the sum of what dStart holds) and
   dStart is set to layer 0's pre-activation gradient ge [M, N_1], what the start's parts need
   (GNNKernelEluBackward's bits). With ga (and ig [M], int64), dL/dy is g + ga.index_select(0, ig)
   (or the gather alone when g is undefined), formed row by row as the kernels read it (the
   aggregation's backward without its [M, N] gather and add); with residual, y is x[:, :N] + the MLP
   (GNNKernelMLPForward's residual) and dX gets dL/dy added to those columns as it is written. The
   bits are those of forming the sum, then the backward, then dX's add. Not for reproducible sums. */
void GNNKernelMLPBackward(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, const torch::Tensor &g, bool wantDx, torch::Tensor &dX, std::vector<torch::Tensor> &dW, std::vector<torch::Tensor> &db, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNEdgeStart *start = nullptr, torch::Tensor *dStart = nullptr, const torch::Tensor &ga = {}, const torch::Tensor &ig = {}, bool residual = false);
/* The output gradient that GNNKernelMLPBackward's g, ga and ig stand for, as one [M, N] tensor:
   g + ga.index_select(0, ig), the gather alone when g is undefined, g alone when ga is */
torch::Tensor GNNKernelOutGrad(const torch::Tensor &g, const torch::Tensor &ga, const torch::Tensor &ig);
/* The same from the layers' own kernels: the forward again layer by layer, every activation kept,
   then GNNKernelLayerNormBackward and GNNKernelLinearBackward layer by layer, as the autograd
   graph of GNNLinear and GNNLayerNorm computes it (ga: the gather and the add first; residual: dX's
   add last). GNNKernelMLPBackward's reference (the tests and the benchmark time it against this)
   and its fallback beyond the fused GPU kernels' bounds. */
void GNNKernelMLPBackwardLayers(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, const torch::Tensor &g, bool wantDx, torch::Tensor &dX, std::vector<torch::Tensor> &dW, std::vector<torch::Tensor> &db, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNEdgeStart *start = nullptr, torch::Tensor *dStart = nullptr, const torch::Tensor &ga = {}, const torch::Tensor &ig = {}, bool residual = false);
/* How the fused MLP kernels split their work on a GPU (GNNGpuTuning: tile, vector loads, blocks
   per multiprocessor, shared memory, forward rows, staged weights): GNNGpuGetTuning and
   GNNGpuSetTuning, process-wide (-gnn_gpu_* options), for comparing the variants (bench
   -bench_mode kernels) and tuning to a GPU; no result's bits depend on it. A build without GPU
   kernels keeps the setting, unread. */
#include "kernels/gpu/gpukernels.h"
/* Gradients of y = act(x W^T + b) from g = dL/dy: y is the forward's output when act is ELU,
   undefined when act is the identity. dX (only when wantDx) is bitwise the same on CPU and GPU;
   dW and db are sums over the rows and agree to rounding. With rr, dW and db are reproducible sums over
   the rows of all ranks (src/sys/gnnreprosum.h, collective): the global gradient, whose bits depend
   neither on how the rows are split between ranks or threads nor on the device (the same integers). */
void GNNKernelLinearBackward(const torch::Tensor &g, const torch::Tensor &y, const torch::Tensor &x, const torch::Tensor &W, bool wantDx, torch::Tensor &dX, torch::Tensor &dW, torch::Tensor &db, const GNNReproReduce *rr = nullptr);
/* g ELU'(z) from the ELU's output y */
torch::Tensor GNNKernelEluBackward(const torch::Tensor &g, const torch::Tensor &y);
/* [ptr.size(0) - 1, H]: row i = sum of rows[perm[q]] (rows[q] when perm is undefined) for
   q = ptr[i] .. ptr[i+1]-1, in order (ptr, perm: int64) */
torch::Tensor GNNKernelSegmentSum(const torch::Tensor &rows, const torch::Tensor &ptr, const torch::Tensor &perm);

/* LayerNorm over the last dimension (torch.nn.LayerNorm's definition, biased variance), the
   library's own so that it is the same sequence of operations on every device: y, and the row
   statistics mean and rstd [M] that backward needs */
torch::Tensor GNNKernelLayerNormForward(const torch::Tensor &x, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, torch::Tensor &mean, torch::Tensor &rstd);
/* its gradients from g = dL/dy: dx (when wantDx; bitwise the same on CPU and GPU), dgamma and
   dbeta (fixed chunks of rows added in order: the same bits on CPU and GPU, and on every run) */
/* (with rr: reproducible sums over all ranks, as GNNKernelLinearBackward's) */
void GNNKernelLayerNormBackward(const torch::Tensor &g, const torch::Tensor &x, const torch::Tensor &mean, const torch::Tensor &rstd, const torch::Tensor &gamma, bool wantDx, torch::Tensor &dx, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNReproReduce *rr = nullptr);

#endif
