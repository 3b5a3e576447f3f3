/* The fused MLP forward's kernel and its launch, one instantiation per register bound MAXW, VEC
   and type. The widest bound's are large unrolled kernels that take the GPU compiler most of its
   time: each is compiled in a source of its own (mlpforward64*.cu), so that the build compiles
   them in parallel; mlpforward.cu has the rest and the launcher. */
#ifndef GNNMLPKERNEL_H
#define GNNMLPKERNEL_H

#include "kernels/gpu/gpulaunch.h"

namespace gnngpu {

/* an MLP, one thread per ROWS consecutive rows (MLPRowsAt, widths <= MAXW; VEC: the weights read
   four at a time); with STAGED every layer's W^T and bias staged in shared memory first, else read
   where they are (global memory, through the read-only cache). STAGED is a compile-time choice so
   that the weights' reads are of one kind (LDS or global): chosen at run time, the pointer is
   generic and hipcc reads by flat loads, nvcc by generic ones. The inputs through the read-only
   cache (__restrict__: y aliases none of them). 256 threads at most: without the bound hipcc
   allows a block of 1024, so 128 VGPRs per thread, and spilled the row's registers (gfx90a). */
template <typename T, int MAXW, bool VEC, int ROWS, bool STAGED>
__global__ void __launch_bounds__(kThreads) MLPKernel(const T *__restrict__ x, int64_t M, gnnk::MLPShape s, const T *__restrict__ P, int64_t nP, const T *__restrict__ bias, int64_t nb, T *__restrict__ y, const T *__restrict__ A, const T *__restrict__ B, const int64_t *__restrict__ ia, const int64_t *__restrict__ ib)
{
  const T *p = P, *bb = bias;
  if constexpr (STAGED) {
    extern __shared__ __align__(16) double smem16[]; /* 16-byte aligned: Load4's reads of W^T */
    T *sp = reinterpret_cast<T *>(smem16);
    for (int64_t q = threadIdx.x; q < nP; q += blockDim.x) sp[q] = P[q];
    for (int64_t q = threadIdx.x; q < nb; q += blockDim.x) sp[nP + q] = bias[q];
    __syncthreads();
    p  = sp;
    bb = sp + nP;
  }
  GNN_GRID_STRIDE(t, (M + ROWS - 1) / ROWS) gnnk::MLPRowsAt<T, MAXW, VEC, ROWS>(x, s, p, bb, A, B, ia, ib, t * ROWS, M, y);
}

/* MLPKernel's arguments, for its launch */
template <typename T>
struct MLPKernelArgs {
  const T       *x;
  int64_t        M;
  gnnk::MLPShape s;
  const T       *P;
  int64_t        nP;
  const T       *bias;
  int64_t        nb;
  T             *y;
  const T       *A, *B;
  const int64_t *ia, *ib;
};

/* STAGED: shared memory for the weights, (nP + nb) values */
template <typename T, int MAXW, bool VEC, int ROWS, bool STAGED>
void LaunchMLPKernel(const MLPKernelArgs<T> &a)
{
  const size_t smemB = STAGED ? (size_t)(a.nP + a.nb) * sizeof(T) : 0;
  MLPKernel<T, MAXW, VEC, ROWS, STAGED><<<Blocks((a.M + ROWS - 1) / ROWS), kThreads, smemB>>>(a.x, a.M, a.s, a.P, a.nP, a.bias, a.nb, a.y, a.A, a.B, a.ia, a.ib);
}

/* the widest bound's launches (the MLPs wider than 32, such as the paper's node MLP with its
   64-wide input), instantiated (INST empty) in their own sources and only declared (INST extern)
   elsewhere, one kernel per source so that the build compiles them in parallel (nvcc for sm_90
   took 125 s on a source holding both of a type's in-place kernels, 59 and 62 s on each alone):
   weights read in place by vector loads (mlpforward64fv.cu, mlpforward64dv.cu) or scalar ones
   (mlpforward64f.cu, mlpforward64d.cu), and staged in shared memory by vector loads
   (mlpforward64fs.cu, mlpforward64ds.cu: a scalar MLP this wide reads them in place) */
#define GNN_MLP_KERNEL_WIDEST(INST, T, VEC)   INST template void LaunchMLPKernel<T, gnnk::kFusedMaxWidth, VEC, 1, false>(const MLPKernelArgs<T> &);
#define GNN_MLP_KERNEL_WIDEST_STAGED(INST, T) INST template void LaunchMLPKernel<T, gnnk::kFusedMaxWidth, true, 1, true>(const MLPKernelArgs<T> &);
GNN_MLP_KERNEL_WIDEST(extern, float, true)
GNN_MLP_KERNEL_WIDEST(extern, float, false)
GNN_MLP_KERNEL_WIDEST(extern, double, true)
GNN_MLP_KERNEL_WIDEST(extern, double, false)
GNN_MLP_KERNEL_WIDEST_STAGED(extern, float)
GNN_MLP_KERNEL_WIDEST_STAGED(extern, double)

} // namespace gnngpu

#endif
