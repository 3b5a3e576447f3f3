/* The GPU kernels on raw device arrays (src/kernels/gpu: kernels.cu, mlpforward.cu and
   mlpbackward.cu, each one source for CUDA and HIP): what src/kernels/kernels.cxx calls for GPU
   tensors. Plain C++: no torch and no GPU runtime types, so the torch side compiles with the host
   compiler alone. Every call is asynchronous on the default stream (the one LibTorch's operations
   use unless told otherwise) and throws std::runtime_error when the launch fails. In a build
   without GPU kernels (no -DGNN_GPU) every call throws. */
#ifndef GNNGPUKERNELS_H
#define GNNGPUKERNELS_H

#include <cstdint>
#include "kernels/kernelargs.h"

/* "cuda" or "hip": the runtime the kernels were built for; NULL in a build without GPU kernels */
const char *GNNGpuBackend();
/* The free and total bytes of GPU `device` as its runtime reports them now (what LibTorch's
   caching allocator holds counts as used; the current device is left as it was): false if they
   cannot be read, always in a build without GPU kernels. Does not throw. */
bool GNNGpuMemoryInfo(int device, int64_t *freeBytes, int64_t *totalBytes);

/* How the fused MLP kernels split their work on a GPU: a process-wide setting (-gnn_gpu_* options,
   src/kernels/gputuning.cxx), for comparing the variants (bench -bench_mode kernels) and tuning
   to a GPU. No result's bits depend on any of it. */
struct GNNGpuTuning {
  /* the fused backward (GNNGpuMLPBackward): each thread's block of outputs in its products,
     t x t (gnnk::ChainTile), t = 1, 2 or 4 */
  int tile = 2;
  /* ... whether those products read their values by vector loads where the MLP's widths and its
     weights' places allow it */
  bool vectorLoads = true;
  /* ... the blocks a multiprocessor must hold at once, which bound the registers per thread:
     3 (80 on NVIDIA's) or 2 (128); the tiles' shared memory is sized so that they fit */
  int blocks = 3;
  /* ... the shared memory of a block at most, in KiB: its tiles are at most as many rows as fit
     (at most 64) there and in the multiprocessor's share for `blocks` blocks
     (gnnk::MLPBackwardTileRows rounds them to fill the threads' rounds); 48 is what needs no
     opt-in on NVIDIA's (an H200 has 228 KiB per multiprocessor: 75 each for 3 blocks; an MI250X
     64 per compute unit: 20 each) */
  int sharedKiB = 48;
  /* the fused forward (GNNGpuMLPForward) of float MLPs up to 32 wide (the paper's): rows each
     thread runs together, 1 or 2 (each weight read feeds both rows' chains, for twice the
     registers: 214 instead of 104 on sm_90) */
  int forwardRows = 1;
  /* ... whether it stages the weights in shared memory where they fit (else reads them in place:
     through the read-only cache, on AMD's by scalar loads, the same for every thread) */
  bool stageWeights = true;
};
/* the current setting */
GNNGpuTuning GNNGpuGetTuning();
/* set t, each value out of its range replaced by its default; returns the previous setting */
GNNGpuTuning GNNGpuSetTuning(const GNNGpuTuning &t);
/* call() with the tuning changed by set(GNNGpuTuning &), then the tuning as it was; returns what
   call returns (the benchmark's and the tests' comparisons of the variants) */
template <typename Set, typename Call>
auto GNNGpuWithTuning(const Set &set, const Call &call)
{
  GNNGpuTuning t = GNNGpuGetTuning();
  set(t);
  const GNNGpuTuning old = GNNGpuSetTuning(t);
  struct Restore {
    GNNGpuTuning old;
    ~Restore() { GNNGpuSetTuning(old); }
  } restore{old};
  return call();
}

/* y = x W^T + b, then ELU when elu; Wt = W^T [K, N]. With A, the row i starts from
   A[ia[i]] + B[ib[i]] instead of b (the split first edge layer). Bitwise the CPU path's result. */
template <typename T>
void GNNGpuLinearForward(const T *x, int64_t M, int64_t K, const T *Wt, const T *b, int64_t N, T *y, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib);
/* The Linear layers of an MLP in one pass, one thread per row or two (gnnk::MLPRowsAt in
   src/kernels/gnnkernelbodies.h): layer l maps dims[l] -> dims[l + 1], ELU on all but the last;
   P holds the layers' W^T one after the other, bias their biases, layer l's at bias + boff[l]
   (boff[l] < 0: none; dims and boff are host arrays); lnoff >= 0: a LayerNorm (eps) of the output
   follows, its gamma at bias + lnoff, beta right after. With A, layer 0 starts from A[ia[i]] + B[ib[i]].
   With residual, y = x[:, :dims[nl]] + that (dims[0] >= dims[nl]). Bitwise the result of
   GNNGpuLinearForward layer by layer (and the add). False (nothing launched) when the
   shape is beyond the fused kernel's bounds (gnnk::kFusedMaxLayers layers, gnnk::kFusedMaxWidth wide). */
template <typename T>
bool GNNGpuMLPForward(const T *x, int64_t M, int nl, const int64_t *dims, const T *P, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *y, const T *A, const T *B, const int64_t *ia, const int64_t *ib, bool residual);
/* The backward of such an MLP from dL/dy [M, dims[nl]] (go: GNNOutGrad) and its input x, with nothing of its
   forward kept: each chunk of rows (gnnk::OuterChunkRows) recomputes its activations tile by tile
   in shared memory (gnnk::MLPBackwardChunk). dX [M, dims[0]] (may be NULL) and grads (per layer dW
   [N K] then db [N], then dgamma and dbeta when lnoff >= 0: gnnk::MLPGradEntries values) are
   bitwise those of the layer-by-layer backward (GNNGpuLinearDx, GNNGpuOuter,
   GNNGpuLayerNormBackward). Pw: the layers' W (as P holds their W^T, at the same offsets), which
   dX reads. With A (the edge start, as GNNGpuMLPForward's), layer 0's
   pre-activation gradient goes to dStart [M, dims[1]]. work holds GNNGpuMLPBackwardWorkspace(M,
   entries) values. False (nothing launched) beyond the fused kernels' bounds. */
int64_t GNNGpuMLPBackwardWorkspace(int64_t M, int64_t entries);
template <typename T>
bool GNNGpuMLPBackward(const T *x, GNNOutGrad<T> go, int64_t M, int nl, const int64_t *dims, const T *P, const T *Pw, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *dX, T *grads, T *work, const T *A, const T *B, const int64_t *ia, const int64_t *ib, T *dStart);
/* out = g ELU'(y) on n values */
template <typename T>
void GNNGpuEluBackward(const T *g, const T *y, int64_t n, T *out);
/* dX = ge W, W [N, K]: bitwise the CPU path's result */
template <typename T>
void GNNGpuLinearDx(const T *ge, int64_t M, int64_t N, const T *W, int64_t K, T *dX);
/* dW = ge^T x [N, K] and db = sum over rows of ge [N]: fma chains over fixed chunks of rows, the
   chunks added in order (the same bits on every run); work holds GNNGpuOuterWorkspace() values */
int64_t GNNGpuOuterWorkspace(int64_t M, int64_t N, int64_t K);
template <typename T>
void GNNGpuOuter(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, T *dW, T *db, T *work);
/* out[i] = sum of rows e[perm[q]] (e[q] without perm) for q = ptr[i] .. ptr[i+1]-1, in order: the CPU's bits */
template <typename T>
void GNNGpuSegmentSum(const T *e, const int64_t *ptr, const int64_t *perm, int64_t n, int64_t H, T *out);

/* LayerNorm over rows of H: y, and the row statistics mean and rstd [M] (the CPU's bits) */
template <typename T>
void GNNGpuLayerNormForward(const T *x, int64_t M, int64_t H, const T *gamma, const T *beta, T eps, T *y, T *mean, T *rstd);
/* its gradients: dx (may be NULL) row by row, dgamma and dbeta (both NULL: not computed) in the
   CPU's fixed chunks of rows (the CPU's bits); work holds GNNGpuOuterWorkspace(M, H, 1) values */
template <typename T>
void GNNGpuLayerNormBackward(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta, T *work);

/* Reproducible (fixed-point) sums of the gradients over the rows (src/sys/gnnreprosum.h), the
   device's part: the bodies of src/kernels/gnnkernelbodies.h on the CPU's chunks of rows, the
   chunks combined by atomics (the same bits in any order). The host agrees on the scales between
   the two calls and converts the integer sums back (gnnrepro::AgreeOuterScales, OuterFromFixed).
   maxima and acc are device arrays that the calls fold into (start them at 0); f: the agreed
   scales, a device array. Linear: maxima [N + K] of |ge| and |x| per column, acc [N K + N] (dW,
   then db) on the scales f [N + K + 1] (gnnrepro::OuterScales::f) */
template <typename T>
void GNNGpuOuterBounds(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, double *maxima);
template <typename T>
void GNNGpuFixedOuter(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, const double *f, int64_t *acc);
/* LayerNorm's dgamma, dbeta: maxima [2 H] of the terms, acc [2 H] on the scales f [2 H]
   (gnnrepro::ColumnScales::f) */
template <typename T>
void GNNGpuLayerNormParamBounds(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, double *maxima);
template <typename T>
void GNNGpuLayerNormParamsFixed(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const double *f, int64_t *acc);

/* the explicit instantiations, float and double, of whichever implementation is built: per
   source of the GPU build (kernels.cu, mlpforward.cu, mlpbackward.cu), all at once otherwise */
#define GNN_GPU_INSTANTIATE_MLPFORWARD(T) \
  template bool GNNGpuMLPForward<T>(const T *, int64_t, int, const int64_t *, const T *, const T *, const int64_t *, int64_t, double, T *, const T *, const T *, const int64_t *, const int64_t *, bool);
#define GNN_GPU_INSTANTIATE_MLPBACKWARD(T) \
  template bool GNNGpuMLPBackward<T>(const T *, GNNOutGrad<T>, int64_t, int, const int64_t *, const T *, const T *, const T *, const int64_t *, int64_t, double, T *, T *, T *, const T *, const T *, const int64_t *, const int64_t *, T *);
#define GNN_GPU_INSTANTIATE_LAYERS(T) \
  template void GNNGpuLinearForward<T>(const T *, int64_t, int64_t, const T *, const T *, int64_t, T *, bool, const T *, const T *, const int64_t *, const int64_t *); \
  template void GNNGpuLinearDx<T>(const T *, int64_t, int64_t, const T *, int64_t, T *); \
  template void GNNGpuEluBackward<T>(const T *, const T *, int64_t, T *); \
  template void GNNGpuOuter<T>(const T *, int64_t, int64_t, const T *, int64_t, T *, T *, T *); \
  template void GNNGpuSegmentSum<T>(const T *, const int64_t *, const int64_t *, int64_t, int64_t, T *); \
  template void GNNGpuLayerNormForward<T>(const T *, int64_t, int64_t, const T *, const T *, T, T *, T *, T *); \
  template void GNNGpuLayerNormBackward<T>(const T *, const T *, int64_t, int64_t, const T *, const T *, const T *, T *, T *, T *, T *); \
  template void GNNGpuOuterBounds<T>(const T *, int64_t, int64_t, const T *, int64_t, double *); \
  template void GNNGpuFixedOuter<T>(const T *, int64_t, int64_t, const T *, int64_t, const double *, int64_t *); \
  template void GNNGpuLayerNormParamBounds<T>(const T *, const T *, int64_t, int64_t, const T *, const T *, double *); \
  template void GNNGpuLayerNormParamsFixed<T>(const T *, const T *, int64_t, int64_t, const T *, const T *, const double *, int64_t *);
#define GNN_GPU_INSTANTIATE(T) \
  GNN_GPU_INSTANTIATE_MLPFORWARD(T) \
  GNN_GPU_INSTANTIATE_MLPBACKWARD(T) \
  GNN_GPU_INSTANTIATE_LAYERS(T)

#endif
