/* The fused MLP backward on a GPU (CUDA or HIP): one block per chunk of rows recomputes its
   activations tile by tile in shared memory and back-propagates them (gnnk::MLPBackwardChunk) */
#include "kernels/gpu/gpulaunch.h"

using namespace gnngpu;

namespace {

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
   chunk's gradient entries in its row of work; each thread's items TR x TC blocks of outputs, their
   values by vector loads with VEC; registers for MINB blocks per multiprocessor. The inputs are
   __restrict__ (nothing the kernel writes aliases them): read through the read-only cache (go's
   arrays are read through its plain pointers) */
template <typename T, int TR, int TC, bool VEC, int MINB>
__global__ void __launch_bounds__(kThreads, MINB) MLPBackwardKernel(gnnk::MLPShape s, const T *__restrict__ P, const T *__restrict__ Pw, const T *__restrict__ bias, const T *__restrict__ x, GNNOutGrad<T> go, int64_t M, int64_t rows, int64_t R, T *work, int64_t nacc, T *dX, const T *__restrict__ A, const T *__restrict__ B, const int64_t *__restrict__ ia, const int64_t *__restrict__ ib, T *dStart)
{
  extern __shared__ __align__(16) double smem[]; /* VEC's tile rows: 16-byte aligned */
  gnnk::MLPBackwardChunk<TR, TC, VEC>(BlockTeam(), s, P, Pw, bias, x, go, M, rows, (int64_t)blockIdx.x, R, reinterpret_cast<T *>(smem), work + blockIdx.x * nacc, dX, A, B, ia, ib, dStart);
}

} // namespace

/* each thread's block of outputs in the fused backward's products (1, 2 or 4: TR = TC); the same
   bits whatever it is */
static int gTile = 2;
void       GNNGpuSetMLPBackwardTile(int t) { gTile = t == 1 || t == 4 ? t : 2; }
int        GNNGpuMLPBackwardTile() { return gTile; }
/* ... whether their values come by vector loads where the shape allows it (the default) ... */
static bool gVec = true;
void        GNNGpuSetMLPBackwardVectorLoads(bool v) { gVec = v; }
bool        GNNGpuMLPBackwardVectorLoads() { return gVec; }
/* ... and how many blocks of its threads a multiprocessor must hold at once: 3 (80 registers per
   thread on NVIDIA's, the default) or 2 (128: no spills, sm_90's ptxas says, for fewer warps) */
static int gBlocks = 3;
void       GNNGpuSetMLPBackwardBlocks(int b) { gBlocks = b == 2 ? 2 : 3; }
int        GNNGpuMLPBackwardBlocks() { return gBlocks; }

namespace {
/* the kernel of the settings above, launched on args */
template <typename T, bool VEC, int MINB, typename... Args>
void LaunchTile(unsigned chunks, size_t smemB, Args... args)
{
  if (gTile == 1) MLPBackwardKernel<T, 1, 1, VEC, MINB><<<chunks, kThreads, smemB>>>(args...);
  else if (gTile == 4) MLPBackwardKernel<T, 4, 4, VEC, MINB><<<chunks, kThreads, smemB>>>(args...);
  else MLPBackwardKernel<T, 2, 2, VEC, MINB><<<chunks, kThreads, smemB>>>(args...);
}
template <typename T, bool VEC, typename... Args>
void LaunchMLPBackward(unsigned chunks, size_t smemB, Args... args)
{
  if (gBlocks == 2) LaunchTile<T, VEC, 2>(chunks, smemB, args...);
  else LaunchTile<T, VEC, 3>(chunks, smemB, args...);
}
} // namespace

int64_t GNNGpuMLPBackwardWorkspace(int64_t M, int64_t entries) { return std::max<int64_t>(1, gnnk::OuterChunks(M) * entries); }

template <typename T>
bool GNNGpuMLPBackward(const T *x, GNNOutGrad<T> go, int64_t M, int nl, const int64_t *dims, const T *P, const T *Pw, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *dX, T *grads, T *work, const T *A, const T *B, const int64_t *ia, const int64_t *ib, T *dStart)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  /* vector loads when every width and the weights' places allow them; tiles as tall as the shared
     memory holds (the result depends on neither), at most 64 rows */
  const bool    vec    = gVec && gnnk::MLPBackwardVec4(s) && Aligned16(P) && Aligned16(Pw);
  const int64_t perRow = gnnk::MLPBackwardScratch(s, 1, vec) * (int64_t)sizeof(T), R = std::min<int64_t>(64, kSharedBytes / perRow);
  if (R < 1) return false;
  const int64_t chunks = gnnk::OuterChunks(M), nacc = gnnk::MLPGradEntries(s);
  if (chunks > 0) {
    const int64_t rows  = gnnk::OuterChunkRows(M);
    const size_t  smemB = (size_t)(R * perRow);
    if (vec) LaunchMLPBackward<T, true>((unsigned)chunks, smemB, s, P, Pw, bias, x, go, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    else LaunchMLPBackward<T, false>((unsigned)chunks, smemB, s, P, Pw, bias, x, go, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    Check("fused MLP backward");
  }
  /* the chunks in order (the weight-gradient sum with every entry a "dW" entry) */
  OuterSumKernel<T><<<Blocks(nacc), kThreads>>>(work, chunks, nacc, 0, grads, (T *)nullptr);
  Check("fused MLP backward sum");
  return true;
}

GNN_GPU_INSTANTIATE_MLPBACKWARD(float)
GNN_GPU_INSTANTIATE_MLPBACKWARD(double)
