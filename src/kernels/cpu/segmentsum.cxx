/* CSR segment sums on the CPU: rows in parallel, each summed sequentially in edge order (the body
   shared with the GPU), so the result depends neither on threads nor on how rows are split
   between ranks */
#include "kernels/cpu/cpukernels.hpp"
#include "kernels/gnnkernelbodies.h"
#include <ATen/Parallel.h>

template <typename T>
void GNNSegmentSumRowsCPU(const T *e, const int64_t *ptr, const int64_t *perm, int64_t n, int64_t H, T *out)
{
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++)
      for (int64_t h = 0; h < H; h++) out[i * H + h] = gnnk::SegmentSum(e, ptr, perm, i, h, H);
  });
}

template void GNNSegmentSumRowsCPU<float>(const float *, const int64_t *, const int64_t *, int64_t, int64_t, float *);
template void GNNSegmentSumRowsCPU<double>(const double *, const int64_t *, const int64_t *, int64_t, int64_t, double *);
