/* The fused MLP forward on a GPU (CUDA or HIP): one thread per row (or two: GNNGpuTuning's
   forwardRows) runs every layer (gnnk::MLPRowsAt), the weights staged in shared memory where they
   fit. The launcher, and the kernels for widths up to 32 (the paper's); the wider ones in
   mlpforward64{f,d}{,v}.cu (weights read in place, scalar or vector loads) and
   mlpforward64{f,d}s.cu (staged). */
#include "kernels/gpu/mlpkernel.h"

using namespace gnngpu;

template <typename T>
bool GNNGpuMLPForward(const T *x, int64_t M, int nl, const int64_t *dims, const T *P, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *y, const T *A, const T *B, const int64_t *ia, const int64_t *ib, bool residual)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  s.residual = residual;
  if (M == 0) return true;
  /* the paper's width (32) gets registers for 2 x 32 values, wider MLPs 2 x 64; the weights
     staged in shared memory where they fit and the tuning asks for it (a wider MLP: only by
     vector loads), else read in place; four at a time when every width allows it and they are
     16-byte aligned (in shared memory they are) */
  const GNNGpuTuning tu     = GNNGpuGetTuning();
  const bool         staged = tu.stageWeights && (nP + nb) * (int64_t)sizeof(T) <= kSharedBytes;
  const bool         vec    = gnnk::MLPShapeVec4(s) && (staged || Aligned16(P));
  /* ... and the rows too when their widths and arrays allow it (LibTorch's allocations are) */
  s.rows4 = vec && dims[0] % 4 == 0 && Aligned16(x) && Aligned16(y) && (!A || (Aligned16(A) && Aligned16(B)));
  const MLPKernelArgs<T> a  = {x, M, s, P, nP, bias, nb, y, A, B, ia, ib};
  constexpr int          kW = gnnk::kFusedMaxWidth;
  if (width <= 32 && staged) {
    if constexpr (sizeof(T) == 4) { /* two rows per thread on request (the tuning's forwardRows; double would spill) */
      if (vec && tu.forwardRows == 2) {
        LaunchMLPKernel<T, 32, true, 2, true>(a);
        Check("fused MLP");
        return true;
      }
    }
    if (vec) LaunchMLPKernel<T, 32, true, 1, true>(a);
    else LaunchMLPKernel<T, 32, false, 1, true>(a);
  } else if (width <= 32) { /* e.g. the paper's edge MLP in double: 51 KiB of weights */
    if (vec) LaunchMLPKernel<T, 32, true, 1, false>(a);
    else LaunchMLPKernel<T, 32, false, 1, false>(a);
  } else if (vec && staged) LaunchMLPKernel<T, kW, true, 1, true>(a);
  else if (vec) LaunchMLPKernel<T, kW, true, 1, false>(a);
  else LaunchMLPKernel<T, kW, false, 1, false>(a);
  Check("fused MLP");
  return true;
}

GNN_GPU_INSTANTIATE_MLPFORWARD(float)
GNN_GPU_INSTANTIATE_MLPFORWARD(double)
