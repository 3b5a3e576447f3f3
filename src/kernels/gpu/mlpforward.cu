/* The fused MLP forward on a GPU (CUDA or HIP): one thread per row (or two,
   GNNGpuSetMLPForwardRows) runs every layer (gnnk::MLPRowsAt), the weights in shared memory. The
   launcher, and the kernels for widths up to 32 (the paper's); the wider ones in mlpforward64f.cu
   and mlpforward64d.cu. */
#include "kernels/gpu/mlpkernel.h"

using namespace gnngpu;

static int gRows = 1;
void       GNNGpuSetMLPForwardRows(int r) { gRows = r == 2 ? 2 : 1; }
int        GNNGpuMLPForwardRows() { return gRows; }

template <typename T>
bool GNNGpuMLPForward(const T *x, int64_t M, int nl, const int64_t *dims, const T *P, const T *bias, const int64_t *boff, int64_t lnoff, double eps, T *y, const T *A, const T *B, const int64_t *ia, const int64_t *ib, bool residual)
{
  gnnk::MLPShape s;
  int64_t        nP, nb, width;
  if (!MLPShapeOf(nl, dims, boff, lnoff, eps, s, nP, nb, width)) return false;
  s.residual = residual;
  if (M == 0) return true;
  const int64_t bytes  = (nP + nb) * (int64_t)sizeof(T);
  const bool    shared = bytes <= kSharedBytes;
  /* the paper's width (32) gets registers for 2 x 32 values, wider MLPs 2 x 64; the weights four
     at a time when every width allows it and they are 16-byte aligned (in shared memory they are) */
  const bool   vec   = gnnk::MLPShapeVec4(s) && (shared || Aligned16(P));
  /* ... and the rows too when their widths and arrays allow it (LibTorch's allocations are) */
  s.rows4 = vec && dims[0] % 4 == 0 && Aligned16(x) && Aligned16(y) && (!A || (Aligned16(A) && Aligned16(B)));
  const size_t          smemB = shared ? (size_t)bytes : 0;
  const MLPKernelArgs<T> a     = {x, M, s, P, nP, bias, nb, y, A, B, ia, ib, shared};
  if (width <= 32) {
    if constexpr (sizeof(T) == 4) { /* two rows per thread on request (GNNGpuSetMLPForwardRows; double would spill) */
      if (vec && gRows == 2) {
        LaunchMLPKernel<T, 32, true, 2>(a, smemB);
        Check("fused MLP");
        return true;
      }
    }
    if (vec) LaunchMLPKernel<T, 32, true>(a, smemB);
    else LaunchMLPKernel<T, 32, false>(a, smemB);
  } else if (vec) LaunchMLPKernel<T, gnnk::kFusedMaxWidth, true>(a, smemB);
  else LaunchMLPKernel<T, gnnk::kFusedMaxWidth, false>(a, smemB);
  Check("fused MLP");
  return true;
}

GNN_GPU_INSTANTIATE_MLPFORWARD(float)
GNN_GPU_INSTANTIATE_MLPFORWARD(double)
