/* What the GPU kernel sources (src/kernels/gpu: kernels.cu, mlpforward.cu and mlpbackward.cu,
   each compiled by nvcc or hipcc -x hip) share: the launch configuration, the launch check, the
   shape of a fused MLP and the in-order sum of chunked gradient entries. Several sources so that
   the build compiles them in parallel: the fused MLP kernels take most of the GPU compiler's
   time. Not a public header: device code only. */
#ifndef GNNGPULAUNCH_H
#define GNNGPULAUNCH_H

#include "kernels/gpu/gnngpuruntime.h"
#include "kernels/gpu/gpukernels.h"
#include "kernels/gnnkernelbodies.h"
#include <algorithm>
#include <stdexcept>
#include <string>

namespace gnngpu {

constexpr int     kThreads     = 256;
constexpr int64_t kSharedBytes = 48 * 1024;

inline void Check(const char *what)
{
  gnnGpuError_t e = gnnGpuGetLastError();
  if (e != gnnGpuSuccess) throw std::runtime_error(std::string("GPU kernel ") + what + ": " + gnnGpuGetErrorString(e));
}

/* an attribute of the current device (the process uses one), fallback when it cannot be read */
inline int DeviceAttribute(gnnGpuDeviceAttr_t attr, int fallback)
{
  int d = 0, v = 0;
  if (gnnGpuGetDevice(&d) != gnnGpuSuccess || gnnGpuDeviceGetAttribute(&v, attr, d) != gnnGpuSuccess || v <= 0) {
    (void)gnnGpuGetLastError(); /* a failed query is not a kernel's error */
    return fallback;
  }
  return v;
}

/* blocks of a grid-stride loop over `work` items: enough to fill the device, no more than needed */
inline int Blocks(int64_t work)
{
  static const int sms  = DeviceAttribute(gnnGpuDevAttrMultiProcessorCount, 64);
  const int64_t    need = (work + kThreads - 1) / kThreads;
  return (int)std::max<int64_t>(1, std::min<int64_t>(need, (int64_t)sms * 8));
}

/* The dynamic shared memory a block may take, at most capKiB, so that `blocks` of them fit on one
   multiprocessor at once: with the default cap (48 KiB, what needs no opt-in on NVIDIA's) all of it
   on an H200 (228 KiB per multiprocessor: 75 each for 3 blocks), but only 20 KiB for 3 blocks on an
   MI250X's compute unit (64 KiB), where 48 KiB let a single block of 4 wavefronts in, one per SIMD,
   too few to hide any latency. 1 KiB per block is the system's (NVIDIA's). */
inline int64_t SharedBudget(int blocks, int capKiB)
{
  static const int perSM = DeviceAttribute(gnnGpuDevAttrSharedPerMultiprocessor, 0);
  const int64_t    cap   = 1024 * (int64_t)capKiB;
  if (perSM <= 0) return std::min<int64_t>(cap, kSharedBytes);
  return std::min<int64_t>(cap, perSM / std::max(1, blocks) - 1024);
}

/* a kernel launched with more than 48 KiB of dynamic shared memory opts in to it first */
template <typename K>
void AllowShared(K kernel, size_t bytes)
{
  if (bytes <= (size_t)kSharedBytes) return;
  if (gnnGpuFuncSetAttribute((const void *)kernel, gnnGpuFuncAttributeMaxDynamicSharedMemorySize, (int)bytes) != gnnGpuSuccess)
    throw std::runtime_error("GPU kernel: " + std::to_string(bytes) + " bytes of shared memory per block refused (" + gnnGpuGetErrorString(gnnGpuGetLastError()) + ")");
}

#define GNN_GRID_STRIDE(idx, total) for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < (total); idx += (int64_t)gridDim.x * blockDim.x)

/* the chunks' gradient entries (work [chunks, NK + N]) added in order: dW [NK], then db [N] */
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

inline bool Aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

/* an MLP's shape for the fused kernels (GNNGpuMLPForward's arguments); false beyond their bounds.
   nP, nb: the values of P and bias, width: the widest layer */
inline bool MLPShapeOf(int nl, const int64_t *dims, const int64_t *boff, int64_t lnoff, double eps, gnnk::MLPShape &s, int64_t &nP, int64_t &nb, int64_t &width)
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

} // namespace gnngpu

#endif
