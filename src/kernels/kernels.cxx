/* Dispatch of the kernel interface by device: contiguous inputs, outputs allocated here (LibTorch's
   allocator of the inputs' device), raw pointers to the CPU or the GPU kernels. */
#include "kernels/kernels.hpp"
#include "kernels/cpu/cpukernels.hpp"
#include "kernels/gpu/gpukernels.h"
#include <c10/core/DeviceGuard.h>

namespace {
template <typename T>
const T *Ptr(const torch::Tensor &t)
{
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
} // namespace

torch::Tensor GNNKernelLinearForward(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu, const GNNEdgeStart *start)
{
  auto          xc = x.contiguous(), Wc = W.contiguous(), bc = b.defined() ? b.contiguous() : b;
  const int64_t M = xc.size(0), K = xc.size(1), N = Wc.size(0);
  auto          y = torch::empty({M, N}, xc.options());
  GNNEdgeStart  s;
  if (start) s = {start->A.contiguous(), start->B.contiguous(), start->ia.contiguous(), start->ib.contiguous()};
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLinearForward", [&] {
    using T = scalar_t;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device()); /* the raw launches go to the current device */
      auto             Wt = Wc.t().contiguous();
      GNNGpuLinearForward<T>(Ptr<T>(xc), M, K, Ptr<T>(Wt), Ptr<T>(bc), N, y.data_ptr<T>(), elu, Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib));
    } else {
      GNNRowInit<T> init = {Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib)};
      GNNLinearForwardRows<T>(Ptr<T>(xc), M, K, Ptr<T>(Wc), Ptr<T>(bc), N, y.data_ptr<T>(), elu, start ? &init : nullptr);
    }
  });
  return y;
}

void GNNKernelLinearBackward(const torch::Tensor &g, const torch::Tensor &y, const torch::Tensor &x, const torch::Tensor &W, bool wantDx, torch::Tensor &dX, torch::Tensor &dW, torch::Tensor &db)
{
  auto          gc = g.contiguous(), xc = x.contiguous(), Wc = W.contiguous(), yc = y.defined() ? y.contiguous() : y;
  const int64_t M = xc.size(0), K = xc.size(1), N = Wc.size(0);
  dW = torch::empty_like(Wc);
  db = torch::empty({N}, Wc.options());
  dX = wantDx ? torch::empty_like(xc) : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLinearBackward", [&] {
    using T = scalar_t;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device());
      auto             ge   = yc.defined() ? GNNKernelEluBackward(gc, yc) : gc;
      auto work = torch::empty({GNNGpuOuterWorkspace(M, N, K)}, xc.options());
      if (wantDx) GNNGpuLinearDx<T>(Ptr<T>(ge), M, N, Ptr<T>(Wc), K, dX.data_ptr<T>());
      GNNGpuOuter<T>(Ptr<T>(ge), M, N, Ptr<T>(xc), K, dW.data_ptr<T>(), db.data_ptr<T>(), work.data_ptr<T>());
    } else {
      GNNLinearBackwardRows<T>(Ptr<T>(gc), Ptr<T>(yc), Ptr<T>(xc), M, K, Ptr<T>(Wc), N, wantDx ? dX.data_ptr<T>() : nullptr, dW.data_ptr<T>(), db.data_ptr<T>());
    }
  });
}

torch::Tensor GNNKernelEluBackward(const torch::Tensor &g, const torch::Tensor &y)
{
  auto gc = g.contiguous(), yc = y.contiguous();
  auto out = torch::empty_like(gc);
  AT_DISPATCH_FLOATING_TYPES(gc.scalar_type(), "GNNKernelEluBackward", [&] {
    using T = scalar_t;
    if (gc.is_cuda()) {
      c10::DeviceGuard guard(gc.device());
      GNNGpuEluBackward<T>(Ptr<T>(gc), Ptr<T>(yc), gc.numel(), out.data_ptr<T>());
    } else GNNEluBackwardRows<T>(Ptr<T>(gc), Ptr<T>(yc), gc.numel(), out.data_ptr<T>());
  });
  return out;
}

torch::Tensor GNNKernelSegmentSum(const torch::Tensor &rows, const torch::Tensor &ptr, const torch::Tensor &perm)
{
  auto          r = rows.contiguous(), p = ptr.contiguous(), q = perm.defined() ? perm.contiguous() : perm;
  const int64_t n = p.size(0) - 1, H = r.size(1);
  auto          out = torch::empty({n, H}, r.options());
  AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "GNNKernelSegmentSum", [&] {
    using T = scalar_t;
    if (r.is_cuda()) {
      c10::DeviceGuard guard(r.device());
      GNNGpuSegmentSum<T>(Ptr<T>(r), Ptr<int64_t>(p), Ptr<int64_t>(q), n, H, out.data_ptr<T>());
    } else GNNSegmentSumRowsCPU<T>(Ptr<T>(r), Ptr<int64_t>(p), Ptr<int64_t>(q), n, H, out.data_ptr<T>());
  });
  return out;
}
