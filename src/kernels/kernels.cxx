/* Dispatch of the kernel interface by device: contiguous inputs, outputs allocated here (LibTorch's
   allocator of the inputs' device), raw pointers to the CPU or the GPU kernels. */
#include "kernels/kernels.hpp"
#include "kernels/mlppack.hpp"
#include "kernels/cpu/cpukernels.hpp"
#include "kernels/gpu/gpukernels.h"
#include <c10/core/DeviceGuard.h>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace {
/* PETSCGNN_MLP=layers runs the MLPs of a forward without autograd one layer at a time instead of
   fused (the same bits: tests/test_kernel_paths.sh compares them; the benchmark times both) */
const bool kFusedMLP = [] {
  const char *env = std::getenv("PETSCGNN_MLP");
  return !(env && !std::strcmp(env, "layers"));
}();

template <typename T>
const T *Ptr(const torch::Tensor &t)
{
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

/* the biases the fused kernels read: with an edge start, layer 0 starts from it, not its bias */
std::vector<torch::Tensor> FusedBiases(const std::vector<torch::Tensor> &b, const GNNEdgeStart *start)
{
  std::vector<torch::Tensor> bf = b;
  if (start && !bf.empty()) bf[0] = torch::Tensor();
  return bf;
}

/* layer l's weights and biases in a pack, as the CPU kernels take them: pointers by layer; returns
   the LayerNorm's gamma (beta right after it), NULL without one */
template <typename T>
const T *PackPointers(const GNNMLPPack &pk, std::vector<const T *> &Wp, std::vector<const T *> &bp)
{
  for (size_t l = 0; l < pk.woff.size(); l++) {
    Wp.push_back(pk.Pw.data_ptr<T>() + pk.woff[l]);
    bp.push_back(pk.boff[l] < 0 ? nullptr : pk.bias.data_ptr<T>() + pk.boff[l]);
  }
  return pk.lnoff < 0 ? nullptr : pk.bias.data_ptr<T>() + pk.lnoff;
}
} // namespace

torch::Tensor GNNKernelLinearForward(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu, const GNNEdgeStart *start)
{
  auto          xc = x.contiguous(), bc = b.defined() && !start ? b.contiguous() : torch::Tensor();
  const int64_t M = xc.size(0), K = xc.size(1), N = W.size(0);
  auto          y = torch::empty({M, N}, xc.options());
  GNNEdgeStart  s;
  if (start) s = {start->A.contiguous(), start->B.contiguous(), start->ia.contiguous(), start->ib.contiguous()};
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLinearForward", [&] {
    using T = scalar_t;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device()); /* the raw launches go to the current device */
      /* W^T from the packs' cache: a parameter's (or a view's of it, as the edge layer's node
         parts) transposed once per write, not on every call */
      const auto    pk      = GNNKernelMLPPack({W}, {bc}, torch::Tensor(), torch::Tensor());
      const int64_t dims[2] = {K, N};
      /* without ELU the layer is a one-layer MLP: the fused forward's kernel (a row per thread,
         the products in registers, RowProductAt's chains: the same bits) within its bounds, the
         one-output-per-thread kernel beyond them (and with ELU, or PETSCGNN_MLP=layers) */
      if (elu || !kFusedMLP || !GNNGpuMLPForward<T>(Ptr<T>(xc), M, 1, dims, Ptr<T>(pk->P), Ptr<T>(pk->bias), pk->boff.data(), -1, 0.0, y.data_ptr<T>(), Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib), false))
        GNNGpuLinearForward<T>(Ptr<T>(xc), M, K, Ptr<T>(pk->P), Ptr<T>(bc), N, y.data_ptr<T>(), elu, Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib));
    } else {
      auto          Wc   = W.contiguous();
      GNNRowInit<T> init = {Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib)};
      GNNLinearForwardRows<T>(Ptr<T>(xc), M, K, Ptr<T>(Wc), Ptr<T>(bc), N, y.data_ptr<T>(), elu, start ? &init : nullptr);
    }
  });
  return y;
}

torch::Tensor GNNKernelMLPForward(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const GNNEdgeStart *start, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, bool residual)
{
  const int            nl = (int)W.size();
  auto                 xc = x.contiguous();
  std::vector<int64_t> dims = {xc.size(1)};
  for (int l = 0; l < nl; l++) dims.push_back(W[l].size(0));
  GNNEdgeStart s;
  if (start) s = {start->A.contiguous(), start->B.contiguous(), start->ia.contiguous(), start->ib.contiguous()};
  const int64_t M = xc.size(0);
  if (residual && dims[nl] > dims[0]) throw std::invalid_argument("GNNKernelMLPForward: a residual MLP's output is wider than its input");
  auto y    = torch::empty({M, dims[nl]}, xc.options());
  bool done = false;
  if (kFusedMLP) {
    const auto pk = GNNKernelMLPPack(W, FusedBiases(b, start), gamma, beta);
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelMLPForward", [&] {
      using T = scalar_t;
      if (xc.is_cuda()) {
        c10::DeviceGuard guard(xc.device());
        done = GNNGpuMLPForward<T>(Ptr<T>(xc), M, nl, dims.data(), Ptr<T>(pk->P), Ptr<T>(pk->bias), pk->boff.data(), pk->lnoff, eps, y.data_ptr<T>(), Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib), residual);
      } else {
        std::vector<const T *> Wp, bp;
        const T      *gp   = PackPointers<T>(*pk, Wp, bp);
        GNNRowInit<T> init = {Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib)};
        GNNMLPForwardRows<T>(Ptr<T>(xc), M, nl, dims.data(), Wp.data(), bp.data(), y.data_ptr<T>(), start ? &init : nullptr, gp, gp ? gp + dims[nl] : nullptr, (T)eps, residual);
        done = true;
      }
    });
  }
  if (done) return y;
  /* beyond the fused GPU kernel's bounds (or PETSCGNN_MLP=layers): the same layers one at a time */
  torch::Tensor h = xc;
  for (int l = 0; l < nl; l++) h = GNNKernelLinearForward(h, W[l], b[l], l + 1 < nl, l == 0 ? start : nullptr);
  if (gamma.defined()) {
    torch::Tensor mean, rstd;
    h = GNNKernelLayerNormForward(h, gamma, beta, eps, mean, rstd);
  }
  return residual ? xc.narrow(1, 0, dims[nl]) + h : h;
}

void GNNKernelMLPBackward(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, const torch::Tensor &g, bool wantDx, torch::Tensor &dX, std::vector<torch::Tensor> &dW, std::vector<torch::Tensor> &db, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNEdgeStart *start, torch::Tensor *dStart, const torch::Tensor &ga, const torch::Tensor &ig, bool residual)
{
  if (start && !dStart) throw std::invalid_argument("GNNKernelMLPBackward: an edge start needs dStart");
  if (!g.defined() && !ga.defined()) throw std::invalid_argument("GNNKernelMLPBackward: no output gradient");
  const bool           ln = gamma.defined();
  const int            nl = (int)W.size();
  auto                 xc = x.contiguous(), gc = g.defined() ? g.contiguous() : g;
  auto                 gac = ga.defined() ? ga.contiguous() : ga, igc = ga.defined() ? ig.contiguous() : ig;
  std::vector<int64_t> dims = {xc.size(1)};
  int64_t              entries = 0;
  for (int l = 0; l < nl; l++) {
    dims.push_back(W[l].size(0));
    entries += dims[l + 1] * dims[l] + dims[l + 1];
  }
  GNNEdgeStart s;
  if (start) s = {start->A.contiguous(), start->B.contiguous(), start->ia.contiguous(), start->ib.contiguous()};
  const int64_t M = xc.size(0), H = dims[nl];
  if (residual && xc.size(1) < H) throw std::invalid_argument("GNNKernelMLPBackward: a residual MLP's input is narrower than its output");
  const auto pk = GNNKernelMLPPack(W, FusedBiases(b, start), gamma, beta);
  dX            = wantDx ? torch::empty_like(xc) : torch::Tensor();
  if (start) *dStart = torch::empty({M, dims[1]}, xc.options());
  dW.clear();
  db.clear();
  bool done = false;
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelMLPBackward", [&] {
    using T = scalar_t;
    T            *dXp = wantDx ? dX.data_ptr<T>() : nullptr, *dSp = start ? dStart->data_ptr<T>() : nullptr;
    GNNOutGrad<T> go  = {Ptr<T>(gc), Ptr<T>(gac), Ptr<int64_t>(igc), residual && wantDx};
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device());
      auto             grads = torch::empty({entries + (ln ? 2 * H : 0)}, xc.options());
      auto             work  = torch::empty({GNNGpuMLPBackwardWorkspace(M, grads.numel())}, xc.options());
      if (!GNNGpuMLPBackward<T>(Ptr<T>(xc), go, M, nl, dims.data(), Ptr<T>(pk->P), Ptr<T>(pk->Pw), Ptr<T>(pk->bias), pk->boff.data(), pk->lnoff, eps, dXp, grads.data_ptr<T>(), work.data_ptr<T>(), Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib), dSp)) return;
      int64_t o = 0;
      for (int l = 0; l < nl; l++) {
        const int64_t N = dims[l + 1], K = dims[l];
        dW.push_back(grads.narrow(0, o, N * K).view({N, K}));
        db.push_back(grads.narrow(0, o + N * K, N));
        o += N * K + N;
      }
      if (ln) {
        dgamma = grads.narrow(0, o, H);
        dbeta  = grads.narrow(0, o + H, H);
      }
    } else {
      std::vector<const T *> Wp, bp;
      std::vector<T *>       dWp, dbp;
      const T               *gp = PackPointers<T>(*pk, Wp, bp);
      for (int l = 0; l < nl; l++) {
        dW.push_back(torch::empty({dims[l + 1], dims[l]}, xc.options()));
        db.push_back(torch::empty({dims[l + 1]}, xc.options()));
        dWp.push_back(dW[l].data_ptr<T>());
        dbp.push_back(db[l].data_ptr<T>());
      }
      if (ln) {
        dgamma = torch::empty({H}, xc.options());
        dbeta  = torch::empty({H}, xc.options());
      }
      GNNRowInit<T> init = {Ptr<T>(s.A), Ptr<T>(s.B), Ptr<int64_t>(s.ia), Ptr<int64_t>(s.ib)};
      GNNMLPBackwardRows<T>(Ptr<T>(xc), go, M, nl, dims.data(), Wp.data(), bp.data(), gp, (T)eps, dXp, dWp.data(), dbp.data(), ln ? dgamma.data_ptr<T>() : nullptr, ln ? dbeta.data_ptr<T>() : nullptr, start ? &init : nullptr, dSp);
    }
    done = true;
  });
  if (done) return;
  /* beyond the fused GPU kernels' bounds: the layers' own backward (the same bits) */
  GNNKernelMLPBackwardLayers(x, W, b, gamma, beta, eps, g, wantDx, dX, dW, db, dgamma, dbeta, start, dStart, ga, ig, residual);
}


torch::Tensor GNNKernelOutGrad(const torch::Tensor &g, const torch::Tensor &ga, const torch::Tensor &ig)
{
  if (!ga.defined()) return g;
  auto gathered = ga.index_select(0, ig);
  return g.defined() ? g + gathered : gathered; /* what autograd forms from the two */
}

void GNNKernelMLPBackwardLayers(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, const torch::Tensor &g, bool wantDx, torch::Tensor &dX, std::vector<torch::Tensor> &dW, std::vector<torch::Tensor> &db, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNEdgeStart *start, torch::Tensor *dStart, const torch::Tensor &ga, const torch::Tensor &ig, bool residual)
{
  if (start && !dStart) throw std::invalid_argument("GNNKernelMLPBackwardLayers: an edge start needs dStart");
  const int                  nl = (int)W.size();
  std::vector<torch::Tensor> a  = {x};
  for (int l = 0; l < nl; l++) a.push_back(GNNKernelLinearForward(a[l], W[l], l == 0 && start ? torch::Tensor() : b[l], l + 1 < nl, l == 0 ? start : nullptr));
  const torch::Tensor gy  = GNNKernelOutGrad(g, ga, ig);
  torch::Tensor       cur = gy, mean, rstd;
  dW.assign(nl, torch::Tensor());
  db.assign(nl, torch::Tensor());
  if (gamma.defined()) {
    GNNKernelLayerNormForward(a[nl], gamma, beta, eps, mean, rstd);
    GNNKernelLayerNormBackward(gy, a[nl], mean, rstd, gamma, true, cur, dgamma, dbeta);
  }
  for (int l = nl - 1; l >= 0; l--) {
    torch::Tensor dIn;
    if (l == 0 && start) { /* the pre-activation gradient first, kept for the start's parts */
      *dStart = nl > 1 ? GNNKernelEluBackward(cur, a[1]) : cur;
      GNNKernelLinearBackward(*dStart, torch::Tensor(), a[0], W[0], wantDx, dIn, dW[0], db[0]);
    } else GNNKernelLinearBackward(cur, l + 1 < nl ? a[l + 1] : torch::Tensor(), a[l], W[l], l > 0 || wantDx, dIn, dW[l], db[l]);
    cur = dIn;
  }
  dX = wantDx ? cur : torch::Tensor();
  if (wantDx && residual) dX.narrow(1, 0, gy.size(1)).add_(gy); /* x + MLP(x) */
}

void GNNKernelLinearBackward(const torch::Tensor &g, const torch::Tensor &y, const torch::Tensor &x, const torch::Tensor &W, bool wantDx, torch::Tensor &dX, torch::Tensor &dW, torch::Tensor &db, const GNNReproReduce *rr)
{
  auto          gc = g.contiguous(), xc = x.contiguous(), yc = y.defined() ? y.contiguous() : y;
  const int64_t M = xc.size(0), K = xc.size(1), N = W.size(0);
  dW = torch::empty({N, K}, W.options());
  db = torch::empty({N}, W.options());
  dX = wantDx ? torch::empty_like(xc) : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLinearBackward", [&] {
    using T = scalar_t;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device());
      auto             ge = yc.defined() ? GNNKernelEluBackward(gc, yc) : gc;
      const auto       pk = GNNKernelMLPPack({W}, {torch::Tensor()}, torch::Tensor(), torch::Tensor());
      if (!rr && kFusedMLP) {
        /* the layer's backward from ge as a one-layer MLP's fused backward: dW, db and dX in one
           pass over the rows (dW and db chunked and summed as GNNGpuOuter's, dX RowProductAt's
           chains: the same bits), within the fused kernels' bounds */
        const int64_t dims[2] = {K, N}, boff = -1;
        auto          grads = torch::empty({N * K + N}, xc.options());
        auto          work  = torch::empty({GNNGpuMLPBackwardWorkspace(M, N * K + N)}, xc.options());
        GNNOutGrad<T> go    = {Ptr<T>(ge), nullptr, nullptr, false};
        if (GNNGpuMLPBackward<T>(Ptr<T>(xc), go, M, 1, dims, Ptr<T>(pk->P), Ptr<T>(pk->Pw), Ptr<T>(pk->bias), &boff, -1, 0.0, wantDx ? dX.data_ptr<T>() : nullptr, grads.data_ptr<T>(), work.data_ptr<T>(), nullptr, nullptr, nullptr, nullptr, nullptr)) {
          dW = grads.narrow(0, 0, N * K).view({N, K});
          db = grads.narrow(0, N * K, N);
          return;
        }
      }
      if (wantDx) {
        /* dX = ge W, W's rows from the packs' cache (no copy of a view, as the edge layer's node
           parts are, per call): a one-layer MLP's forward with W as its W^T within the fused
           kernel's bounds (RowProductAt's chains: the same bits), else one output per thread */
        const int64_t dims[2] = {N, K}, boff = -1;
        if (!kFusedMLP || !GNNGpuMLPForward<T>(Ptr<T>(ge), M, 1, dims, Ptr<T>(pk->Pw), Ptr<T>(pk->bias), &boff, -1, 0.0, dX.data_ptr<T>(), nullptr, nullptr, nullptr, nullptr, false))
          GNNGpuLinearDx<T>(Ptr<T>(ge), M, N, Ptr<T>(pk->Pw), K, dX.data_ptr<T>());
      }
      if (rr) {
        /* the device's bounds and integer sums, the agreement and the conversion on the host
           (gnnrepro: the CPU path's own), so the same bits as the CPU's */
        auto maxima = torch::zeros({N + K}, xc.options().dtype(torch::kFloat64));
        GNNGpuOuterBounds<T>(Ptr<T>(ge), M, N, Ptr<T>(xc), K, maxima.data_ptr<double>());
        auto                        mh = maxima.cpu();
        const gnnrepro::OuterScales s  = gnnrepro::AgreeOuterScales(rr, M, N, K, mh.data_ptr<double>());
        auto f   = torch::from_blob((void *)s.f.data(), {(int64_t)s.f.size()}, torch::kFloat64).to(xc.device());
        auto acc = torch::zeros({N * K + N}, xc.options().dtype(torch::kInt64));
        GNNGpuFixedOuter<T>(Ptr<T>(ge), M, N, Ptr<T>(xc), K, f.data_ptr<double>(), acc.data_ptr<int64_t>());
        auto acch = acc.cpu();
        auto dWh = torch::empty({N, K}, W.options().device(torch::kCPU)), dbh = torch::empty({N}, W.options().device(torch::kCPU));
        gnnrepro::OuterFromFixed(rr, s, acch.data_ptr<int64_t>(), dWh.data_ptr<T>(), dbh.data_ptr<T>());
        dW.copy_(dWh);
        db.copy_(dbh);
        return;
      }
      auto work = torch::empty({GNNGpuOuterWorkspace(M, N, K)}, xc.options());
      GNNGpuOuter<T>(Ptr<T>(ge), M, N, Ptr<T>(xc), K, dW.data_ptr<T>(), db.data_ptr<T>(), work.data_ptr<T>());
    } else {
      auto Wc = W.contiguous();
      GNNLinearBackwardRows<T>(Ptr<T>(gc), Ptr<T>(yc), Ptr<T>(xc), M, K, Ptr<T>(Wc), N, wantDx ? dX.data_ptr<T>() : nullptr, dW.data_ptr<T>(), db.data_ptr<T>(), rr);
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

torch::Tensor GNNKernelLayerNormForward(const torch::Tensor &x, const torch::Tensor &gamma, const torch::Tensor &beta, double eps, torch::Tensor &mean, torch::Tensor &rstd)
{
  auto          xc = x.contiguous(), gc = gamma.contiguous(), bc = beta.contiguous();
  const int64_t M = xc.size(0), H = xc.size(1);
  auto          y = torch::empty_like(xc);
  mean          = torch::empty({M}, xc.options());
  rstd          = torch::empty({M}, xc.options());
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLayerNormForward", [&] {
    using T = scalar_t;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device());
      GNNGpuLayerNormForward<T>(Ptr<T>(xc), M, H, Ptr<T>(gc), Ptr<T>(bc), (T)eps, y.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>());
    } else GNNLayerNormForwardRows<T>(Ptr<T>(xc), M, H, Ptr<T>(gc), Ptr<T>(bc), (T)eps, y.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>());
  });
  return y;
}

void GNNKernelLayerNormBackward(const torch::Tensor &g, const torch::Tensor &x, const torch::Tensor &mean, const torch::Tensor &rstd, const torch::Tensor &gamma, bool wantDx, torch::Tensor &dx, torch::Tensor &dgamma, torch::Tensor &dbeta, const GNNReproReduce *rr)
{
  auto          gc = g.contiguous(), xc = x.contiguous(), mc = mean.contiguous(), rc = rstd.contiguous(), gm = gamma.contiguous();
  const int64_t M = xc.size(0), H = xc.size(1);
  dx     = wantDx ? torch::empty_like(xc) : torch::Tensor();
  dgamma = torch::empty({H}, xc.options());
  dbeta  = torch::empty({H}, xc.options());
  AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "GNNKernelLayerNormBackward", [&] {
    using T = scalar_t;
    T *dxp  = wantDx ? dx.data_ptr<T>() : nullptr;
    if (xc.is_cuda()) {
      c10::DeviceGuard guard(xc.device());
      /* dx, and the ordinary dgamma and dbeta unless reproducible */
      auto work = torch::empty({rr ? 1 : GNNGpuOuterWorkspace(M, H, 1)}, xc.options());
      GNNGpuLayerNormBackward<T>(Ptr<T>(gc), Ptr<T>(xc), M, H, Ptr<T>(mc), Ptr<T>(rc), Ptr<T>(gm), dxp, rr ? nullptr : dgamma.data_ptr<T>(), rr ? nullptr : dbeta.data_ptr<T>(), work.data_ptr<T>());
      if (rr) { /* as GNNKernelLinearBackward's */
        auto maxima = torch::zeros({2 * H}, xc.options().dtype(torch::kFloat64));
        GNNGpuLayerNormParamBounds<T>(Ptr<T>(gc), Ptr<T>(xc), M, H, Ptr<T>(mc), Ptr<T>(rc), maxima.data_ptr<double>());
        auto                         mh = maxima.cpu();
        const gnnrepro::ColumnScales s  = gnnrepro::AgreeColumnScales(rr, M, 2 * H, mh.data_ptr<double>());
        auto f   = torch::from_blob((void *)s.f.data(), {2 * H}, torch::kFloat64).to(xc.device());
        auto acc = torch::zeros({2 * H}, xc.options().dtype(torch::kInt64));
        GNNGpuLayerNormParamsFixed<T>(Ptr<T>(gc), Ptr<T>(xc), M, H, Ptr<T>(mc), Ptr<T>(rc), f.data_ptr<double>(), acc.data_ptr<int64_t>());
        auto acch = acc.cpu();
        auto out  = torch::empty({2 * H}, xc.options().device(torch::kCPU));
        gnnrepro::ColumnsFromFixed(rr, s, acch.data_ptr<int64_t>(), out.data_ptr<T>());
        dgamma.copy_(out.narrow(0, 0, H));
        dbeta.copy_(out.narrow(0, H, H));
      }
    } else GNNLayerNormBackwardRows<T>(Ptr<T>(gc), Ptr<T>(xc), M, H, Ptr<T>(mc), Ptr<T>(rc), Ptr<T>(gm), dxp, dgamma.data_ptr<T>(), dbeta.data_ptr<T>(), rr);
  });
}
