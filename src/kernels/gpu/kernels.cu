/* The GPU kernels, one source for CUDA (nvcc) and HIP (hipcc -x hip): thin launch wrappers around
   the bodies of src/kernels/gnnkernelbodies.h, one thread per output, so that a GPU result is the
   same sequence of operations as the CPU's. Compiled without floating-point contraction
   (--fmad=false, -ffp-contract=off): the bodies' fused multiply-adds are all explicit.

   The kernels walk their outputs in grid-stride loops over a grid that fills the device once; the
   small right-hand operand (W^T, at most 48 KiB) is staged in shared memory per block. */
#include "kernels/gpu/gnngpuruntime.h"
#include "kernels/gpu/gpukernels.h"
#include "kernels/gnnkernelbodies.h"
#include <algorithm>
#include <stdexcept>
#include <string>

namespace {

constexpr int     kThreads     = 256;
constexpr int64_t kSharedBytes = 48 * 1024;
#ifndef GNN_BWD_MIN_BLOCKS
  #define GNN_BWD_MIN_BLOCKS 3
#endif

void Check(const char *what)
{
  gnnGpuError_t e = gnnGpuGetLastError();
  if (e != gnnGpuSuccess) throw std::runtime_error(std::string("GPU kernel ") + what + ": " + gnnGpuGetErrorString(e));
}

/* blocks of a grid-stride loop over `work` items: enough to fill the device, no more than needed */
int Blocks(int64_t work)
{
  static int sms = 0;
  if (!sms) {
    int d = 0;
    if (gnnGpuGetDevice(&d) != gnnGpuSuccess || gnnGpuDeviceGetAttribute(&sms, 0, d) != gnnGpuSuccess || sms <= 0) sms = 64;
  }
  const int64_t need = (work + kThreads - 1) / kThreads;
  return (int)std::max<int64_t>(1, std::min<int64_t>(need, (int64_t)sms * 8));
}

#define GNN_GRID_STRIDE(idx, total) for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < (total); idx += (int64_t)gridDim.x * blockDim.x)

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

/* an MLP, one thread per row (MLPRowAt, widths <= MAXW; VEC: the weights read four at a time);
   every layer's W^T and bias staged in shared memory when `shared`; the inputs through the
   read-only cache (__restrict__: y aliases none of them) */
template <typename T, int MAXW, bool VEC>
__global__ void MLPKernel(const T *__restrict__ x, int64_t M, gnnk::MLPShape s, const T *__restrict__ P, int64_t nP, const T *__restrict__ bias, int64_t nb, T *__restrict__ y, const T *__restrict__ A, const T *__restrict__ B, const int64_t *__restrict__ ia, const int64_t *__restrict__ ib, bool shared)
{
  extern __shared__ __align__(16) double smem16[]; /* 16-byte aligned: Load4's reads of W^T */
  const T *p = P, *bb = bias;
  if (shared) {
    T *sp = reinterpret_cast<T *>(smem16);
    for (int64_t q = threadIdx.x; q < nP; q += blockDim.x) sp[q] = P[q];
    for (int64_t q = threadIdx.x; q < nb; q += blockDim.x) sp[nP + q] = bias[q];
    __syncthreads();
    p  = sp;
    bb = sp + nP;
  }
  GNN_GRID_STRIDE(i, M) gnnk::MLPRowAt<T, MAXW, VEC>(x, s, p, bb, A, B, ia, ib, i, y);
}

/* The threads of a block as the team of gnnk::MLPBackwardChunk */
struct BlockTeam {
  template <typename F>
  GNN_HD void run(int64_t n, F &&f) const
  {
#ifdef GNN_DEVICE_CODE
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) f(i);
#else
    (void)n;
    (void)f;
#endif
  }
  GNN_HD void sync() const
  {
#ifdef GNN_DEVICE_CODE
    __syncthreads();
#endif
  }
};

/* the fused MLP backward: one block per chunk of rows, its tiles of R rows in shared memory; the
   chunk's gradient entries in its row of work; each thread's items TR x TC blocks of outputs. The
   inputs are __restrict__ (nothing the kernel writes aliases them): read through the read-only
   cache */
template <typename T, int TR, int TC>
__global__ void __launch_bounds__(kThreads, GNN_BWD_MIN_BLOCKS) MLPBackwardKernel(gnnk::MLPShape s, const T *__restrict__ P, const T *__restrict__ Pw, const T *__restrict__ bias, const T *__restrict__ x, const T *__restrict__ g, int64_t M, int64_t rows, int64_t R, T *work, int64_t nacc, T *dX, const T *__restrict__ A, const T *__restrict__ B, const int64_t *__restrict__ ia, const int64_t *__restrict__ ib, T *dStart)
{
  extern __shared__ double smem[];
  gnnk::MLPBackwardChunk<TR, TC>(BlockTeam(), s, P, Pw, bias, x, g, M, rows, (int64_t)blockIdx.x, R, reinterpret_cast<T *>(smem), work + blockIdx.x * nacc, dX, A, B, ia, ib, dStart);
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

template <typename T>
__global__ void OuterSumKernel(const T *work, int64_t chunks, int64_t NK, int64_t N, T *dW, T *db)
{
  GNN_GRID_STRIDE(e, NK + N)
  {
    const T acc = gnnk::OuterSumAt(work, chunks, NK + N, e);
    if (e < NK) dW[e] = acc;
    else db[e - NK] = acc;
  }
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

template <typename T>
void GNNGpuLinearForward(const T *x, int64_t M, int64_t K, const T *Wt, const T *b, int64_t N, T *y, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib)
{
  RowProduct(x, M, K, Wt, b, N, y, elu, A, B, ia, ib);
}

static bool Aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

/* an MLP's shape for the fused kernels (GNNGpuMLPForward's arguments); false beyond their bounds.
   nP, nb: the values of P and bias, width: the widest layer */
static bool MLPShapeOf(int nl, const int64_t *dims, const int64_t *boff, int64_t lnoff, double eps, gnnk::MLPShape &s, int64_t &nP, int64_t &nb, int64_t &width)
{
  if (nl < 1 || nl > gnnk::kFusedMaxLayers) return false;
  s.nl    = nl;
  s.lnoff = lnoff;
  s.eps   = eps;
  nP = nb = width = 0;
  for (int l = 0; l <= nl; l++) {
    if (dims[l] > gnnk::kFusedMaxWidth) return false;
    s.dims[l] = dims[l];
    width     = std::max(width, dims[l]);
  }
  for (int l = 0; l < nl; l++) {
    s.poff[l] = nP;
    s.boff[l] = boff[l];
    nP += dims[l] * dims[l + 1];
    if (boff[l] >= 0) nb = std::max(nb, boff[l] + dims[l + 1]);
  }
  if (lnoff >= 0) nb = std::max(nb, lnoff + 2 * dims[nl]);
  return true;
}

template <typename T>
bool GNNGpuMLPForward(const T *x, int64_t M, int nl, const int64_t *dims, const T *P, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *y, const T *A, const T *B, const int64_t *ia, const int64_t *ib)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  if (M == 0) return true;
  const int64_t bytes  = (nP + nb) * (int64_t)sizeof(T);
  const bool    shared = bytes <= kSharedBytes;
  /* the paper's width (32) gets registers for 2 x 32 values, wider MLPs 2 x 64; the weights four
     at a time when every width allows it and they are 16-byte aligned (in shared memory they are) */
  const bool   vec   = gnnk::MLPShapeVec4(s) && (shared || Aligned16(P));
  /* ... and the rows too when their widths and arrays allow it (LibTorch's allocations are) */
  s.rows4 = vec && dims[0] % 4 == 0 && Aligned16(x) && Aligned16(y) && (!A || (Aligned16(A) && Aligned16(B)));
  const int    grid  = Blocks(M);
  const size_t smemB = shared ? (size_t)bytes : 0;
  if (width <= 32) {
    if (vec) MLPKernel<T, 32, true><<<grid, kThreads, smemB>>>(x, M, s, P, nP, bias, nb, y, A, B, ia, ib, shared);
    else MLPKernel<T, 32, false><<<grid, kThreads, smemB>>>(x, M, s, P, nP, bias, nb, y, A, B, ia, ib, shared);
  } else if (vec) MLPKernel<T, gnnk::kFusedMaxWidth, true><<<grid, kThreads, smemB>>>(x, M, s, P, nP, bias, nb, y, A, B, ia, ib, shared);
  else MLPKernel<T, gnnk::kFusedMaxWidth, false><<<grid, kThreads, smemB>>>(x, M, s, P, nP, bias, nb, y, A, B, ia, ib, shared);
  Check("fused MLP");
  return true;
}

/* each thread's block of outputs in the fused backward's products (1, 2 or 4: TR = TC); the same
   bits whatever it is */
static int gTile = 2;
void       GNNGpuSetMLPBackwardTile(int t) { gTile = t == 1 || t == 4 ? t : 2; }
int        GNNGpuMLPBackwardTile() { return gTile; }

int64_t GNNGpuMLPBackwardWorkspace(int64_t M, int64_t entries) { return std::max<int64_t>(1, gnnk::OuterChunks(M) * entries); }

template <typename T>
bool GNNGpuMLPBackward(const T *x, const T *g, int64_t M, int nl, const int64_t *dims, const T *P, const T *Pw, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *dX, T *grads, T *work, const T *A, const T *B, const int64_t *ia, const int64_t *ib, T *dStart)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  /* tiles as tall as the shared memory holds (the result does not depend on it), at most 64 rows */
  const int64_t perRow = gnnk::MLPBackwardScratch(s, 1) * (int64_t)sizeof(T), R = std::min<int64_t>(64, kSharedBytes / perRow);
  if (R < 1) return false;
  const int64_t chunks = gnnk::OuterChunks(M), nacc = gnnk::MLPGradEntries(s);
  if (chunks > 0) {
    const int64_t rows  = gnnk::OuterChunkRows(M);
    const size_t  smemB = (size_t)(R * perRow);
    if (gTile == 1) MLPBackwardKernel<T, 1, 1><<<(unsigned)chunks, kThreads, smemB>>>(s, P, Pw, bias, x, g, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    else if (gTile == 4) MLPBackwardKernel<T, 4, 4><<<(unsigned)chunks, kThreads, smemB>>>(s, P, Pw, bias, x, g, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    else MLPBackwardKernel<T, 2, 2><<<(unsigned)chunks, kThreads, smemB>>>(s, P, Pw, bias, x, g, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    Check("fused MLP backward");
  }
  /* the chunks in order (the weight-gradient sum with every entry a "dW" entry) */
  OuterSumKernel<T><<<Blocks(nacc), kThreads>>>(work, chunks, nacc, 0, grads, (T *)nullptr);
  Check("fused MLP backward sum");
  return true;
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

GNN_GPU_INSTANTIATE(float)
GNN_GPU_INSTANTIATE(double)
