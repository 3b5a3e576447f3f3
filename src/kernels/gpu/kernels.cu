/* The GPU kernels of the layers one at a time, the segment sums, LayerNorm and the reproducible
   sums (the fused MLP's are in mlpforward.cu and mlpbackward.cu), one source for CUDA (nvcc) and
   HIP (hipcc -x hip): thin launch wrappers around the bodies of src/kernels/gnnkernelbodies.h, one
   thread per output, so that a GPU result is the same sequence of operations as the CPU's.
   Compiled without floating-point contraction (--fmad=false, -ffp-contract=off): the bodies' fused
   multiply-adds are all explicit.

   The kernels walk their outputs in grid-stride loops over a grid that fills the device once; the
   small right-hand operand (W^T, at most 48 KiB) is staged in shared memory per block. */
#include "kernels/gpu/gpulaunch.h"

using namespace gnngpu;

namespace {

/* a row product [M, N] (src/kernels/gnnkernelbodies.h: RowProductAt); P [K, N] (W^T in forward, W in
   dX = g W) staged in shared memory when `shared` */
template <typename T>
__global__ void RowProductKernel(const T *x, int64_t M, int64_t K, const T *P, const T *b, int64_t N, T *y, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib, bool shared)
{
  extern __shared__ double smem[]; /* double: aligned for either type */
  const T *p = P;
  if (shared) {
    T *s = reinterpret_cast<T *>(smem);
    for (int64_t q = threadIdx.x; q < K * N; q += blockDim.x) s[q] = P[q];
    __syncthreads();
    p = s;
  }
  GNN_GRID_STRIDE(idx, M * N) y[idx] = gnnk::RowProductAt(x, K, p, b, N, elu, A, B, ia, ib, idx);
}

template <typename T>
__global__ void EluBackwardKernel(const T *g, const T *y, int64_t n, T *out)
{
  GNN_GRID_STRIDE(idx, n) out[idx] = gnnk::EluGrad(g[idx], y[idx]);
}

/* one block per chunk of rows */
template <typename T>
__global__ void OuterChunkKernel(const T *g, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, T *work)
{
  const int64_t c = blockIdx.x, NKN = N * K + N;
  for (int64_t e = threadIdx.x; e < NKN; e += blockDim.x) work[c * NKN + e] = gnnk::OuterChunkAt(g, M, N, x, K, rows, c, e);
}

/* LayerNorm, one thread per row */
template <typename T>
__global__ void LayerNormForwardKernel(const T *x, int64_t M, int64_t H, const T *gamma, const T *beta, T eps, T *y, T *mean, T *rstd)
{
  GNN_GRID_STRIDE(i, M) gnnk::LayerNormRow(x + i * H, H, gamma, beta, eps, y + i * H, mean[i], rstd[i]);
}

template <typename T>
__global__ void LayerNormBackwardKernel(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const T *gamma, T *dx)
{
  GNN_GRID_STRIDE(i, M) gnnk::LayerNormBackwardRow(g + i * H, x + i * H, H, mean[i], rstd[i], gamma, dx + i * H);
}

/* one block per chunk of rows */
template <typename T>
__global__ void LayerNormParamChunkKernel(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, T *work)
{
  const int64_t c = blockIdx.x;
  for (int64_t e = threadIdx.x; e < 2 * H; e += blockDim.x) work[c * 2 * H + e] = gnnk::LayerNormParamChunkAt(g, x, mean, rstd, M, H, rows, c, e);
}

/* Reproducible (fixed-point) sums, one block per chunk of rows, one thread per entry: the chunk's
   maxima and integer sums go to the global arrays by atomics, which give the same result in any
   order: the maximum of non-negative doubles is the maximum of their bit patterns as unsigned
   integers, and int64 sums are exact (two's complement: the unsigned addition is the signed one) */
__device__ void AtomicMaxNonNegative(double *a, double v) { atomicMax(reinterpret_cast<unsigned long long *>(a), (unsigned long long)__double_as_longlong(v)); }
__device__ void AtomicAddFixed(int64_t *a, int64_t v) { atomicAdd(reinterpret_cast<unsigned long long *>(a), (unsigned long long)v); }

template <typename T>
__global__ void OuterBoundKernel(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, double *maxima)
{
  for (int64_t col = threadIdx.x; col < N + K; col += blockDim.x) AtomicMaxNonNegative(maxima + col, gnnk::OuterBoundChunkAt(ge, M, N, x, K, rows, (int64_t)blockIdx.x, col));
}

template <typename T>
__global__ void FixedOuterKernel(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, const double *f, int64_t *acc)
{
  for (int64_t e = threadIdx.x; e < N * K + N; e += blockDim.x) AtomicAddFixed(acc + e, gnnk::FixedOuterChunkAt(ge, M, N, x, K, rows, (int64_t)blockIdx.x, e, f));
}

template <typename T>
__global__ void LayerNormBoundKernel(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, double *maxima)
{
  for (int64_t e = threadIdx.x; e < 2 * H; e += blockDim.x) AtomicMaxNonNegative(maxima + e, gnnk::LayerNormBoundChunkAt(g, x, mean, rstd, M, H, rows, (int64_t)blockIdx.x, e));
}

template <typename T>
__global__ void LayerNormFixedKernel(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, const double *f, int64_t *acc)
{
  for (int64_t e = threadIdx.x; e < 2 * H; e += blockDim.x) AtomicAddFixed(acc + e, gnnk::LayerNormFixedChunkAt(g, x, mean, rstd, M, H, rows, (int64_t)blockIdx.x, e, f));
}

template <typename T>
__global__ void SegmentSumKernel(const T *e, const int64_t *ptr, const int64_t *perm, int64_t n, int64_t H, T *out)
{
  GNN_GRID_STRIDE(idx, n * H) out[idx] = gnnk::SegmentSumAt(e, ptr, perm, H, idx);
}

template <typename T>
void RowProduct(const T *x, int64_t M, int64_t K, const T *P, const T *b, int64_t N, T *y, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib)
{
  if (M * N == 0) return;
  const int64_t bytes  = K * N * (int64_t)sizeof(T);
  const bool    shared = bytes <= kSharedBytes;
  RowProductKernel<T><<<Blocks(M * N), kThreads, shared ? (size_t)bytes : 0>>>(x, M, K, P, b, N, y, elu, A, B, ia, ib, shared);
  Check("row product");
}

} // namespace

const char *GNNGpuBackend() { return GNN_GPU_BACKEND; }

bool GNNGpuMemoryInfo(int device, int64_t *freeBytes, int64_t *totalBytes)
{
  int    current = 0;
  size_t f = 0, t = 0;
  bool   ok = gnnGpuGetDevice(&current) == gnnGpuSuccess;
  if (ok && current != device) ok = gnnGpuSetDevice(device) == gnnGpuSuccess;
  ok = ok && gnnGpuMemGetInfo(&f, &t) == gnnGpuSuccess;
  if (current != device) (void)gnnGpuSetDevice(current);
  (void)gnnGpuGetLastError(); /* a failed query is not a kernel's error */
  *freeBytes  = ok ? (int64_t)f : 0;
  *totalBytes = ok ? (int64_t)t : 0;
  return ok;
}

template <typename T>
void GNNGpuLinearForward(const T *x, int64_t M, int64_t K, const T *Wt, const T *b, int64_t N, T *y, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib)
{
  RowProduct(x, M, K, Wt, b, N, y, elu, A, B, ia, ib);
}

template <typename T>
void GNNGpuLinearDx(const T *ge, int64_t M, int64_t N, const T *W, int64_t K, T *dX)
{
  RowProduct<T>(ge, M, N, W, nullptr, K, dX, false, nullptr, nullptr, nullptr, nullptr);
}

template <typename T>
void GNNGpuEluBackward(const T *g, const T *y, int64_t n, T *out)
{
  if (!n) return;
  EluBackwardKernel<T><<<Blocks(n), kThreads>>>(g, y, n, out);
  Check("ELU backward");
}

int64_t GNNGpuOuterWorkspace(int64_t M, int64_t N, int64_t K) { return std::max<int64_t>(1, gnnk::OuterChunks(M) * (N * K + N)); }

template <typename T>
void GNNGpuOuter(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, T *dW, T *db, T *work)
{
  const int64_t chunks = gnnk::OuterChunks(M);
  if (chunks > 0) {
    OuterChunkKernel<T><<<(unsigned)chunks, kThreads>>>(ge, M, N, x, K, gnnk::OuterChunkRows(M), work);
    Check("weight gradient chunks");
  }
  OuterSumKernel<T><<<Blocks(N * K + N), kThreads>>>(work, chunks, N * K, N, dW, db);
  Check("weight gradient sum");
}

template <typename T>
void GNNGpuSegmentSum(const T *e, const int64_t *ptr, const int64_t *perm, int64_t n, int64_t H, T *out)
{
  if (n * H == 0) return;
  SegmentSumKernel<T><<<Blocks(n * H), kThreads>>>(e, ptr, perm, n, H, out);
  Check("segment sum");
}

template <typename T>
void GNNGpuLayerNormForward(const T *x, int64_t M, int64_t H, const T *gamma, const T *beta, T eps, T *y, T *mean, T *rstd)
{
  if (!M) return;
  LayerNormForwardKernel<T><<<Blocks(M), kThreads>>>(x, M, H, gamma, beta, eps, y, mean, rstd);
  Check("LayerNorm");
}

template <typename T>
void GNNGpuLayerNormBackward(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta, T *work)
{
  if (dx && M) {
    LayerNormBackwardKernel<T><<<Blocks(M), kThreads>>>(g, x, M, H, mean, rstd, gamma, dx);
    Check("LayerNorm backward");
  }
  if (!dgamma) return;
  const int64_t chunks = gnnk::OuterChunks(M);
  if (chunks > 0) {
    LayerNormParamChunkKernel<T><<<(unsigned)chunks, kThreads>>>(g, x, mean, rstd, M, H, gnnk::OuterChunkRows(M), work);
    Check("LayerNorm parameter gradient chunks");
  }
  /* [dgamma, dbeta] is [H + H]: the weight-gradient sum with N K = H, N = H */
  OuterSumKernel<T><<<Blocks(2 * H), kThreads>>>(work, chunks, H, H, dgamma, dbeta);
  Check("LayerNorm parameter gradient sum");
}

template <typename T>
void GNNGpuOuterBounds(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, double *maxima)
{
  const int64_t chunks = gnnk::OuterChunks(M);
  if (!chunks) return;
  OuterBoundKernel<T><<<(unsigned)chunks, kThreads>>>(ge, M, N, x, K, gnnk::OuterChunkRows(M), maxima);
  Check("reproducible weight gradient bounds");
}

template <typename T>
void GNNGpuFixedOuter(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, const double *f, int64_t *acc)
{
  const int64_t chunks = gnnk::OuterChunks(M);
  if (!chunks) return;
  FixedOuterKernel<T><<<(unsigned)chunks, kThreads>>>(ge, M, N, x, K, gnnk::OuterChunkRows(M), f, acc);
  Check("reproducible weight gradient sums");
}

template <typename T>
void GNNGpuLayerNormParamBounds(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, double *maxima)
{
  const int64_t chunks = gnnk::OuterChunks(M);
  if (!chunks) return;
  LayerNormBoundKernel<T><<<(unsigned)chunks, kThreads>>>(g, x, mean, rstd, M, H, gnnk::OuterChunkRows(M), maxima);
  Check("reproducible LayerNorm parameter gradient bounds");
}

template <typename T>
void GNNGpuLayerNormParamsFixed(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const double *f, int64_t *acc)
{
  const int64_t chunks = gnnk::OuterChunks(M);
  if (!chunks) return;
  LayerNormFixedKernel<T><<<(unsigned)chunks, kThreads>>>(g, x, mean, rstd, M, H, gnnk::OuterChunkRows(M), f, acc);
  Check("reproducible LayerNorm parameter gradient sums");
}

GNN_GPU_INSTANTIATE_LAYERS(float)
GNN_GPU_INSTANTIATE_LAYERS(double)
