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

namespace {
/* the kernel of the tuning's tile and blocks (GNNGpuTuning), launched on args with smemB bytes of
   shared memory (beyond 48 KiB by the kernel's opt-in) */
template <typename T, int TR, bool VEC, int MINB, typename... Args>
void LaunchKernel(unsigned chunks, size_t smemB, Args... args)
{
  auto kernel = MLPBackwardKernel<T, TR, TR, VEC, MINB>;
  AllowShared(kernel, smemB);
  kernel<<<chunks, kThreads, smemB>>>(args...);
}
template <typename T, bool VEC, int MINB, typename... Args>
void LaunchTile(int tile, unsigned chunks, size_t smemB, Args... args)
{
  if (tile == 1) LaunchKernel<T, 1, VEC, MINB>(chunks, smemB, args...);
  else if (tile == 4) LaunchKernel<T, 4, VEC, MINB>(chunks, smemB, args...);
  else LaunchKernel<T, 2, VEC, MINB>(chunks, smemB, args...);
}
template <typename T, bool VEC, typename... Args>
void LaunchMLPBackward(const GNNGpuTuning &tu, unsigned chunks, size_t smemB, Args... args)
{
  if (tu.blocks == 2) LaunchTile<T, VEC, 2>(tu.tile, chunks, smemB, args...);
  else LaunchTile<T, VEC, 3>(tu.tile, chunks, smemB, args...);
}
} // namespace

int64_t GNNGpuMLPBackwardWorkspace(int64_t M, int64_t entries) { return std::max<int64_t>(1, gnnk::OuterChunks(M) * entries); }

template <typename T>
bool GNNGpuMLPBackward(const T *x, GNNOutGrad<T> go, int64_t M, int nl, const int64_t *dims, const T *P, const T *Pw, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *dX, T *grads, T *work, const T *A, const T *B, const int64_t *ia, const int64_t *ib, T *dStart)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  /* vector loads when every width and the weights' places allow them; tiles as tall as the
     tuning's shared memory holds with its blocks per multiprocessor, at most 64 rows, rounded to
     fill the team's rounds over the products' items (the result depends on none of it) */
  const GNNGpuTuning tu     = GNNGpuGetTuning();
  const bool         vec    = tu.vectorLoads && gnnk::MLPBackwardVec4(s) && Aligned16(P) && Aligned16(Pw);
  const int64_t      perRow = gnnk::MLPBackwardScratch(s, 1, vec) * (int64_t)sizeof(T);
  const int64_t      R      = gnnk::MLPBackwardTileRows(std::min<int64_t>(64, SharedBudget(tu.blocks, tu.sharedKiB) / perRow), tu.tile, tu.tile, width, kThreads);
  if (R < 1) return false;
  const int64_t chunks = gnnk::OuterChunks(M), nacc = gnnk::MLPGradEntries(s);
  if (chunks > 0) {
    const int64_t rows  = gnnk::OuterChunkRows(M);
    const size_t  smemB = (size_t)(R * perRow);
    if (vec) LaunchMLPBackward<T, true>(tu, (unsigned)chunks, smemB, s, P, Pw, bias, x, go, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    else LaunchMLPBackward<T, false>(tu, (unsigned)chunks, smemB, s, P, Pw, bias, x, go, M, rows, R, work, nacc, dX, A, B, ia, ib, dStart);
    Check("fused MLP backward");
  }
  /* the chunks in order (the weight-gradient sum with every entry a "dW" entry) */
  OuterSumKernel<T><<<Blocks(nacc), kThreads>>>(work, chunks, nacc, 0, grads, (T *)nullptr);
  Check("fused MLP backward sum");
  return true;
}

GNN_GPU_INSTANTIATE_MLPBACKWARD(float)
GNN_GPU_INSTANTIATE_MLPBACKWARD(double)
