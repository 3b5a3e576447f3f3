/* The GPU against the CPU in one run (a build with -DGNN_GPU and a GPU; share/gpu/check.sh):
   - the kernels on GPU tensors against the CPU kernels: bitwise where the order of operations is
     the same (row products, ELU, dX, segment sums), to rounding for dW and db;
   - the model: forward, loss and every gradient, float64 to 1e-12, float32 to rounding;
   - training and rollout on the GPU against the CPU, a checkpoint written on the GPU resumed on the
     CPU and one written on the CPU resumed on the GPU, weights files across devices.
   On N ranks every model is distributed, so the halo exchange of GPU tensors is tested too. */
#include "gnntest.hpp"
#include "kernels/gpu/gpukernels.h"
#include "kernels/kernels.hpp"
#include "mlplayers.hpp"
#include <cstdio>

namespace {

/* -gnn_device for this build's GPU kernels */
std::string Device() { return GNNGpuBackend() ? GNNGpuBackend() : "none"; }

const std::string kHex = "-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 5,4,3 -dm_plex_box_upper 6.283185307179586,6.283185307179586,6.283185307179586 ";
const std::string kQuad = "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 7,6 -dm_plex_box_upper 6.283185307179586,6.283185307179586 ";

template <typename T>
bool SameBits(const torch::Tensor &a, const torch::Tensor &b)
{
  auto x = a.to(torch::kCPU).contiguous(), y = b.to(torch::kCPU).contiguous();
  return x.sizes() == y.sizes() && std::memcmp(x.data_ptr<T>(), y.data_ptr<T>(), sizeof(T) * x.numel()) == 0;
}

double Rel(const torch::Tensor &ref, const torch::Tensor &v)
{
  auto r = ref.to(torch::kCPU, torch::kFloat64), w = v.to(torch::kCPU, torch::kFloat64);
  double m = r.numel() ? r.abs().max().item<double>() : 0, d = r.numel() ? (r - w).abs().max().item<double>() : 0;
  return m > 0 ? d / m : d;
}

template <typename T>
void KernelsBitwise(torch::Dtype dtype)
{
  const torch::Device gpu(torch::kCUDA);
  torch::manual_seed(7);
  for (int64_t H : {32, 20})
    for (int64_t M : {100000, 333, 0}) {
      auto x = torch::randn({M, 3 * H}, dtype), W = torch::randn({H, 3 * H}, dtype) * 0.2, b = torch::randn({H}, dtype), g = torch::randn({M, H}, dtype);
      for (bool elu : {false, true}) {
        auto yc = GNNKernelLinearForward(x, W, b, elu, nullptr), yg = GNNKernelLinearForward(x.to(gpu), W.to(gpu), b.to(gpu), elu, nullptr);
        EXPECT_TRUE(SameBits<T>(yc, yg)) << "forward M " << M << " H " << H << " elu " << elu << " rel " << Rel(yc, yg);
        torch::Tensor dXc, dWc, dbc, dXg, dWg, dbg;
        GNNKernelLinearBackward(g, elu ? yc : torch::Tensor(), x, W, true, dXc, dWc, dbc);
        GNNKernelLinearBackward(g.to(gpu), elu ? yg : torch::Tensor(), x.to(gpu), W.to(gpu), true, dXg, dWg, dbg);
        EXPECT_TRUE(SameBits<T>(dXc, dXg)) << "dX M " << M << " H " << H << " rel " << Rel(dXc, dXg);
        const double tol = dtype == torch::kFloat64 ? 1e-12 : 1e-4;
        EXPECT_LE(Rel(dWc, dWg), tol) << "dW M " << M;
        EXPECT_LE(Rel(dbc, dbg), tol) << "db M " << M;
        /* the edge layer's node parts: h [M, H] times a column block of W (a view), with and
           without bias, and its backward (on the GPU without ELU the forward, and dX = g W, run
           the fused forward's kernel as a one-layer MLP) */
        auto xh = x.narrow(1, 0, H).contiguous();
        auto Wv = W.narrow(1, H, H), Wvg = W.to(gpu).narrow(1, H, H);
        for (bool bias : {true, false}) {
          auto hc = GNNKernelLinearForward(xh, Wv, bias ? b : torch::Tensor(), elu, nullptr), hg = GNNKernelLinearForward(xh.to(gpu), Wvg, bias ? b.to(gpu) : torch::Tensor(), elu, nullptr);
          EXPECT_TRUE(SameBits<T>(hc, hg)) << "node part forward M " << M << " H " << H << " elu " << elu << " bias " << bias << " rel " << Rel(hc, hg);
        }
        GNNKernelLinearBackward(g, torch::Tensor(), xh, Wv, true, dXc, dWc, dbc);
        GNNKernelLinearBackward(g.to(gpu), torch::Tensor(), xh.to(gpu), Wvg, true, dXg, dWg, dbg);
        EXPECT_TRUE(SameBits<T>(dXc, dXg)) << "node part dX M " << M << " H " << H << " rel " << Rel(dXc, dXg);
        EXPECT_LE(Rel(dWc, dWg), tol) << "node part dW M " << M;
      }
      /* the split edge layer and the segment sums over a random CSR */
      const int64_t n = M / 6 + 1;
      auto          A = torch::randn({n, H}, dtype), B = torch::randn({n, H}, dtype), e = torch::randn({M, H}, dtype), We = torch::randn({H, H}, dtype) * 0.2;
      auto          recv = std::get<0>(torch::randint(0, n, {M}, torch::kInt64).sort()), send = torch::randint(0, n, {M}, torch::kInt64);
      auto          ptr  = torch::cat({torch::zeros({1}, torch::kInt64), torch::bincount(recv, {}, n).cumsum(0)});
      GNNEdgeStart  sc = {A, B, recv, send}, sg = {A.to(gpu), B.to(gpu), recv.to(gpu), send.to(gpu)};
      auto          ec = GNNKernelLinearForward(e, We, torch::Tensor(), true, &sc), eg = GNNKernelLinearForward(e.to(gpu), We.to(gpu), torch::Tensor(), true, &sg);
      EXPECT_TRUE(SameBits<T>(ec, eg)) << "edge layer M " << M;
      EXPECT_TRUE(SameBits<T>(GNNKernelEluBackward(g, ec), GNNKernelEluBackward(g.to(gpu), eg))) << "ELU backward";
      auto perm = torch::randperm(M, torch::kInt64);
      for (bool withPerm : {false, true}) {
        auto sc2 = GNNKernelSegmentSum(e, ptr, withPerm ? perm : torch::Tensor());
        auto sg2 = GNNKernelSegmentSum(e.to(gpu), ptr.to(gpu), withPerm ? perm.to(gpu) : torch::Tensor());
        EXPECT_TRUE(SameBits<T>(sc2, sg2)) << "segment sum M " << M << " perm " << withPerm;
      }
    }
}

/* A random MLP on both devices (weights 0.2 randn; with edge, layer 0 has no bias and an edge
   start over M rows), its input x [M, dims[0]] */
struct RandomMLP {
  std::vector<torch::Tensor> W, b, Wg, bg;
  torch::Tensor              x;
  GNNEdgeStart               sc, sg;
  RandomMLP(const std::vector<int64_t> &dims, int64_t M, bool edge, torch::Dtype dtype)
  {
    const torch::Device gpu(torch::kCUDA);
    for (size_t l = 0; l + 1 < dims.size(); l++) {
      W.push_back(torch::randn({dims[l + 1], dims[l]}, dtype) * 0.2);
      b.push_back(edge && l == 0 ? torch::Tensor() : torch::randn({dims[l + 1]}, dtype));
      Wg.push_back(W[l].to(gpu));
      bg.push_back(b[l].defined() ? b[l].to(gpu) : b[l]);
    }
    const int64_t n = M / 6 + 1;
    x               = torch::randn({M, dims[0]}, dtype);
    auto A = torch::randn({n, dims[1]}, dtype), B = torch::randn({n, dims[1]}, dtype);
    auto ia = torch::randint(0, n, {M}, torch::kInt64), ib = torch::randint(0, n, {M}, torch::kInt64);
    sc      = {A, B, ia, ib};
    sg      = {A.to(gpu), B.to(gpu), ia.to(gpu), ib.to(gpu)};
  }
};

/* the fused MLP forward on the GPU against the CPU's, bitwise: the paper's edge MLP (split first
   layer), its node MLP (64-wide input), a node encoder, masked widths, and a width beyond the
   fused kernel (the layer-by-layer fallback); with the LayerNorm, as a residual block where the
   widths allow it, and again after a weight is written in place (the packed weights follow it) */
template <typename T>
void FusedMLPBitwise(torch::Dtype dtype)
{
  const torch::Device gpu(torch::kCUDA);
  torch::manual_seed(8);
  for (std::vector<int64_t> dims : {std::vector<int64_t>{32, 32, 32, 32, 32, 32, 32, 32}, {64, 32, 32, 32, 32, 32, 32, 32}, {3, 32, 32, 32, 32, 32, 32, 3}, {20, 20, 20, 7}, {96, 80, 20}})
    for (int64_t M : {100000, 333, 0})
      for (bool edge : {false, true}) {
        const int  nl = (int)dims.size() - 1;
        RandomMLP  r(dims, M, edge, dtype);
        const auto &W = r.W, &b = r.b, &Wg = r.Wg, &bg = r.bg;
        const auto &x = r.x;
        auto       &sc = r.sc, &sg = r.sg;
        auto          yc = GNNKernelMLPForward(x, W, b, edge ? &sc : nullptr), yg = GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr);
        EXPECT_TRUE(SameBits<T>(yc, yg)) << "fused MLP dims[0] " << dims[0] << " M " << M << " edge " << edge << " rel " << Rel(yc, yg);
        /* with the LayerNorm in the same pass */
        auto gamma = torch::randn({dims[nl]}, dtype), beta = torch::randn({dims[nl]}, dtype);
        auto lc    = GNNKernelMLPForward(x, W, b, edge ? &sc : nullptr, gamma, beta, 1e-5);
        auto lg    = GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr, gamma.to(gpu), beta.to(gpu), 1e-5);
        EXPECT_TRUE(SameBits<T>(lc, lg)) << "fused MLP + LayerNorm dims[0] " << dims[0] << " M " << M << " edge " << edge << " rel " << Rel(lc, lg);
        { /* two rows per thread, and the weights read in place instead of staged: the same bits */
          const auto l2 = GNNGpuWithTuning([](GNNGpuTuning &t) { t.forwardRows = 2; }, [&] { return GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr, gamma.to(gpu), beta.to(gpu), 1e-5); });
          const auto li = GNNGpuWithTuning([](GNNGpuTuning &t) { t.stageWeights = false; }, [&] { return GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr, gamma.to(gpu), beta.to(gpu), 1e-5); });
          EXPECT_TRUE(SameBits<T>(lg, li)) << "fused MLP, weights in place vs staged, dims[0] " << dims[0] << " M " << M << " edge " << edge;
          EXPECT_TRUE(SameBits<T>(lg, l2)) << "fused MLP, 2 rows per thread vs 1, dims[0] " << dims[0] << " M " << M << " edge " << edge;
        }
        if (dims[nl] <= dims[0]) { /* a residual block: x[:, :N] + the MLP, the add in the same pass */
          auto rc = GNNKernelMLPForward(x, W, b, edge ? &sc : nullptr, gamma, beta, 1e-5, true);
          auto rg = GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr, gamma.to(gpu), beta.to(gpu), 1e-5, true);
          EXPECT_TRUE(SameBits<T>(rc, rg)) << "fused residual MLP dims[0] " << dims[0] << " M " << M << " edge " << edge << " rel " << Rel(rc, rg);
          EXPECT_TRUE(SameBits<T>(rc, x.narrow(1, 0, dims[nl]) + lc)) << "fused residual MLP vs the add after it, dims[0] " << dims[0] << " M " << M << " edge " << edge;
        }
        if (M == 333) { /* a weight written in place: the packed weights (GNNKernelMLPPack) follow on both devices */
          W[nl - 1].mul_(0.5);
          Wg[nl - 1].mul_(0.5);
          auto lc2 = GNNKernelMLPForward(x, W, b, edge ? &sc : nullptr, gamma, beta, 1e-5);
          auto lg2 = GNNKernelMLPForward(x.to(gpu), Wg, bg, edge ? &sg : nullptr, gamma.to(gpu), beta.to(gpu), 1e-5);
          EXPECT_TRUE(SameBits<T>(lc2, lg2)) << "fused MLP after a weight's write, dims[0] " << dims[0] << " edge " << edge;
          EXPECT_FALSE(SameBits<T>(lg, lg2)) << "the GPU's fused MLP still read the weight's old values, dims[0] " << dims[0] << " edge " << edge;
        }
      }
}

/* The fused MLP backward on the GPU (activations computed again per chunk of rows, in shared
   memory) against the layers' own GPU backward: every output bitwise; against the CPU's fused
   backward: dX, dgamma, dbeta bitwise, dW and db to rounding (the CPU sums them per thread). The
   paper's edge MLP (after its split first layer, and whole from its edge start), its node MLP (2H
   input), decoder, masked widths, and a width beyond the fused kernels (the layer-by-layer
   fallback), with and without LayerNorm; and each GPU thread's block of outputs (1 x 1, 2 x 2,
   4 x 4, by vector loads or not, at 3 or 2 blocks per multiprocessor) against the default, bitwise. Up to 333 rows also with the output gradient's other forms
   (GNNOutGrad: g plus rows gathered by index with the residual block's dX add, the gather alone). */
template <typename T>
void FusedMLPBackward(torch::Dtype dtype)
{
  const torch::Device gpu(torch::kCUDA);
  torch::manual_seed(10);
  const double tol = dtype == torch::kFloat64 ? 1e-12 : 1e-4;
  for (std::vector<int64_t> dims : {std::vector<int64_t>{32, 32, 32, 32, 32, 32, 32}, {64, 32, 32, 32, 32, 32, 32, 32}, {32, 32, 32, 32, 32, 32, 32, 3}, {20, 20, 20, 7}, {96, 80, 20}})
    for (int64_t M : {100000, 333, 0})
      for (bool ln : {false, true})
        for (bool edge : {false, true}) /* edge: layer 0 from an edge start, its gradient dStart */
          for (int form : {0, 1, 2}) { /* the output gradient: g; g + ga[ig] and residual; ga[ig] */
            const int   nl = (int)dims.size() - 1;
            if (form > 0 && (M > 333 || (form == 1 && dims[0] < dims[nl]))) continue;
            RandomMLP   r(dims, M, edge, dtype);
            const auto &W = r.W, &b = r.b, &Wg = r.Wg, &bg = r.bg;
            const auto &x = r.x;
            auto       &sc = r.sc, &sg = r.sg;
            auto        g = torch::randn({M, dims[nl]}, dtype), ga = torch::randn({M / 3 + 1, dims[nl]}, dtype), ig = torch::randint(0, M / 3 + 1, {M}, torch::kInt64);
            const bool  res = form == 1;
            const auto  gc = form == 2 ? torch::Tensor() : g, gac = form ? ga : torch::Tensor(), igc = form ? ig : torch::Tensor();
            const auto  gg = form == 2 ? torch::Tensor() : g.to(gpu), gag = form ? ga.to(gpu) : torch::Tensor(), igg = form ? ig.to(gpu) : torch::Tensor();
            auto           gamma = ln ? torch::randn({dims[nl]}, dtype) : torch::Tensor(), beta = ln ? torch::randn({dims[nl]}, dtype) : torch::Tensor();
            auto           gammag = ln ? gamma.to(gpu) : gamma, betag = ln ? beta.to(gpu) : beta;
            const MLPGrads lay = MLPBackwardLayers(x.to(gpu), Wg, bg, gammag, betag, gg, edge ? &sg : nullptr, gag, igg, res), fu = MLPBackwardFused(x.to(gpu), Wg, bg, gammag, betag, gg, edge ? &sg : nullptr, gag, igg, res);
            const MLPGrads cpu = MLPBackwardFused(x, W, b, gamma, beta, gc, edge ? &sc : nullptr, gac, igc, res);
            const std::string what = "dims[0] " + std::to_string(dims[0]) + " layers " + std::to_string(nl) + " M " + std::to_string(M) + " ln " + std::to_string(ln) + " edge " + std::to_string(edge) + " form " + std::to_string(form);
            EXPECT_TRUE(SameBits<T>(lay.dX, fu.dX)) << "dX, " << what << " rel " << Rel(lay.dX, fu.dX);
            EXPECT_TRUE(SameBits<T>(cpu.dX, fu.dX)) << "dX vs CPU, " << what << " rel " << Rel(cpu.dX, fu.dX);
            for (int l = 0; l < nl; l++) {
              EXPECT_TRUE(SameBits<T>(lay.dW[l], fu.dW[l])) << "dW of layer " << l << ", " << what << " rel " << Rel(lay.dW[l], fu.dW[l]);
              EXPECT_TRUE(SameBits<T>(lay.db[l], fu.db[l])) << "db of layer " << l << ", " << what << " rel " << Rel(lay.db[l], fu.db[l]);
              EXPECT_LE(Rel(cpu.dW[l], fu.dW[l]), tol) << "dW vs CPU of layer " << l << ", " << what;
              EXPECT_LE(Rel(cpu.db[l], fu.db[l]), tol) << "db vs CPU of layer " << l << ", " << what;
            }
            if (ln) {
              EXPECT_TRUE(SameBits<T>(lay.dgamma, fu.dgamma)) << "dgamma, " << what;
              EXPECT_TRUE(SameBits<T>(lay.dbeta, fu.dbeta)) << "dbeta, " << what;
              EXPECT_TRUE(SameBits<T>(cpu.dgamma, fu.dgamma)) << "dgamma vs CPU, " << what;
              EXPECT_TRUE(SameBits<T>(cpu.dbeta, fu.dbeta)) << "dbeta vs CPU, " << what;
            }
            if (edge) {
              EXPECT_TRUE(SameBits<T>(lay.dStart, fu.dStart)) << "dStart, " << what;
              EXPECT_TRUE(SameBits<T>(cpu.dStart, fu.dStart)) << "dStart vs CPU, " << what;
            }
            /* each thread's block of outputs (1 x 1, 2 x 2, 4 x 4), by vector loads or not, at 3 or
               2 blocks per multiprocessor, with the default's shared memory per block (48 KiB),
               1024 (tiles of 64 rows where the multiprocessor's share allows them: beyond 48 by
               opt-in) or 8 (a few rows per tile), against the default (2 x 2 by vector loads where
               the widths allow them, 3 blocks, 48 KiB): the same bits */
            for (int t : {1, 2, 4})
              for (bool v : {true, false})
                for (int bl : {3, 2})
                  for (int kib : {48, 1024, 8}) {
                    if (t == 2 && v && bl == 3 && kib == 48) continue;
                    if (kib != 48 && (t != 2 || !v)) continue; /* the shared memory's variants at 2 x 2 by vector loads */
                    const MLPGrads ft = GNNGpuWithTuning([&](GNNGpuTuning &tu) { tu.tile = t, tu.vectorLoads = v, tu.blocks = bl, tu.sharedKiB = kib; },
                                                         [&] { return MLPBackwardFused(x.to(gpu), Wg, bg, gammag, betag, gg, edge ? &sg : nullptr, gag, igg, res); });
                    bool same = SameBits<T>(ft.dX, fu.dX) && (!ln || (SameBits<T>(ft.dgamma, fu.dgamma) && SameBits<T>(ft.dbeta, fu.dbeta))) && (!edge || SameBits<T>(ft.dStart, fu.dStart));
                    for (int l = 0; l < nl; l++) same = same && SameBits<T>(ft.dW[l], fu.dW[l]) && SameBits<T>(ft.db[l], fu.db[l]);
                    EXPECT_TRUE(same) << "blocks of " << t << "x" << t << (v ? " by vector loads" : " by scalar loads") << " at " << bl << " per multiprocessor, " << kib << " KiB, vs the default, " << what;
                  }
          }
}

/* the library's LayerNorm on the GPU against the CPU's: every output bitwise */
template <typename T>
void LayerNormBitwise(torch::Dtype dtype)
{
  const torch::Device gpu(torch::kCUDA);
  torch::manual_seed(9);
  for (int64_t M : {100000, 333, 0})
    for (int64_t H : {32, 20}) {
      auto          x = torch::randn({M, H}, dtype) * 3 + 1.5, gamma = torch::randn({H}, dtype), beta = torch::randn({H}, dtype), g = torch::randn({M, H}, dtype);
      torch::Tensor mc, rc, mg, rg, dxc, dgc, dbc, dxg, dgg, dbg;
      auto          yc = GNNKernelLayerNormForward(x, gamma, beta, 1e-5, mc, rc), yg = GNNKernelLayerNormForward(x.to(gpu), gamma.to(gpu), beta.to(gpu), 1e-5, mg, rg);
      EXPECT_TRUE(SameBits<T>(yc, yg)) << "LayerNorm M " << M << " H " << H << " rel " << Rel(yc, yg);
      GNNKernelLayerNormBackward(g, x, mc, rc, gamma, true, dxc, dgc, dbc);
      GNNKernelLayerNormBackward(g.to(gpu), x.to(gpu), mg, rg, gamma.to(gpu), true, dxg, dgg, dbg);
      EXPECT_TRUE(SameBits<T>(dxc, dxg)) << "LayerNorm dx M " << M << " rel " << Rel(dxc, dxg);
      EXPECT_TRUE(SameBits<T>(dgc, dgg)) << "LayerNorm dgamma M " << M << " rel " << Rel(dgc, dgg);
      EXPECT_TRUE(SameBits<T>(dbc, dbg)) << "LayerNorm dbeta M " << M << " rel " << Rel(dbc, dbg);
    }
}

/* Reproducible (fixed-point) gradients: the GPU's atomics add the CPU's integers, so dW, db,
   dgamma and dbeta are the CPU's bits (each rank on its own rows: a reduction over one process) */
GNNReproReduce OneProcess()
{
  GNNReproReduce rr;
  rr.ctx   = nullptr;
  rr.agree = [](void *, int64_t *, int64_t) {};
  rr.sum   = [](void *, int64_t *, int64_t) {};
  return rr;
}

template <typename T>
void ReproducibleBitwise(torch::Dtype dtype)
{
  const torch::Device  gpu(torch::kCUDA);
  const GNNReproReduce rr = OneProcess();
  torch::manual_seed(10);
  for (int64_t H : {32, 20})
    for (int64_t M : {100000, 333, 0}) {
      auto x = torch::randn({M, 3 * H}, dtype), W = torch::randn({H, 3 * H}, dtype) * 0.2, g = torch::randn({M, H}, dtype) * 1e-3;
      for (bool elu : {false, true}) {
        auto          yc = elu ? GNNKernelLinearForward(x, W, torch::Tensor(), true, nullptr) : torch::Tensor();
        torch::Tensor dXc, dWc, dbc, dXg, dWg, dbg;
        GNNKernelLinearBackward(g, yc, x, W, true, dXc, dWc, dbc, &rr);
        GNNKernelLinearBackward(g.to(gpu), elu ? yc.to(gpu) : yc, x.to(gpu), W.to(gpu), true, dXg, dWg, dbg, &rr);
        EXPECT_TRUE(dWg.is_cuda() && dbg.is_cuda()) << "the gradients stay on the device";
        EXPECT_TRUE(SameBits<T>(dXc, dXg)) << "reproducible dX M " << M << " H " << H;
        EXPECT_TRUE(SameBits<T>(dWc, dWg)) << "reproducible dW M " << M << " H " << H << " elu " << elu << " rel " << Rel(dWc, dWg);
        EXPECT_TRUE(SameBits<T>(dbc, dbg)) << "reproducible db M " << M << " H " << H << " elu " << elu << " rel " << Rel(dbc, dbg);
      }
      auto          xl = torch::randn({M, H}, dtype) * 3 + 1.5, gamma = torch::randn({H}, dtype), beta = torch::randn({H}, dtype), gl = torch::randn({M, H}, dtype);
      torch::Tensor mc, rc, mg, rg, dxc, dgc, dbc, dxg, dgg, dbg;
      GNNKernelLayerNormForward(xl, gamma, beta, 1e-5, mc, rc);
      GNNKernelLayerNormForward(xl.to(gpu), gamma.to(gpu), beta.to(gpu), 1e-5, mg, rg);
      GNNKernelLayerNormBackward(gl, xl, mc, rc, gamma, true, dxc, dgc, dbc, &rr);
      GNNKernelLayerNormBackward(gl.to(gpu), xl.to(gpu), mg, rg, gamma.to(gpu), true, dxg, dgg, dbg, &rr);
      EXPECT_TRUE(SameBits<T>(dxc, dxg)) << "reproducible LayerNorm dx M " << M;
      EXPECT_TRUE(SameBits<T>(dgc, dgg)) << "reproducible dgamma M " << M << " H " << H << " rel " << Rel(dgc, dgg);
      EXPECT_TRUE(SameBits<T>(dbc, dbg)) << "reproducible dbeta M " << M << " H " << H << " rel " << Rel(dbc, dbg);
    }
}

TEST(GpuKernels, ReproducibleFloat32) { ReproducibleBitwise<float>(torch::kFloat32); }
TEST(GpuKernels, ReproducibleFloat64) { ReproducibleBitwise<double>(torch::kFloat64); }

TEST(GpuKernels, LayerNormFloat32) { LayerNormBitwise<float>(torch::kFloat32); }
TEST(GpuKernels, LayerNormFloat64) { LayerNormBitwise<double>(torch::kFloat64); }

TEST(GpuKernels, FusedMLPBackwardFloat32) { FusedMLPBackward<float>(torch::kFloat32); }
TEST(GpuKernels, FusedMLPBackwardFloat64) { FusedMLPBackward<double>(torch::kFloat64); }

TEST(GpuKernels, FusedMLPFloat32) { FusedMLPBitwise<float>(torch::kFloat32); }
TEST(GpuKernels, FusedMLPFloat64) { FusedMLPBitwise<double>(torch::kFloat64); }

TEST(GpuKernels, BitwiseFloat32) { KernelsBitwise<float>(torch::kFloat32); }
TEST(GpuKernels, BitwiseFloat64) { KernelsBitwise<double>(torch::kFloat64); }

using Eval = GNNTestResult;
Eval Evaluate(const std::string &opts) { return GNNTestEvaluate(PETSC_COMM_WORLD, opts, true); }

void CompareModel(const std::string &mesh, const std::string &prec, double tol)
{
  Eval cpu = Evaluate(mesh + prec + " -gnn_device cpu"), gpu = Evaluate(mesh + prec + " -gnn_device " + Device());
  double gy = Rel(torch::tensor(cpu.grad), torch::tensor(gpu.grad));
  if (Rank() == 0) {
    double ry = RelDiff(cpu.y, gpu.y);
    std::printf("  GPU vs CPU %s: forward rel diff %.3e (%s), loss %.3e, gradients %.3e\n", prec.c_str(), ry, cpu.y == gpu.y ? "bitwise equal" : "not bitwise", std::fabs(cpu.loss - gpu.loss) / cpu.loss, gy);
    EXPECT_LE(ry, tol) << "forward";
  }
  EXPECT_LE(std::fabs(cpu.loss - gpu.loss) / cpu.loss, tol) << "loss";
  EXPECT_LE(gy, 100 * tol) << "gradients"; /* sums over all nodes: rounding grows with the count */
}

TEST(GpuModel, HexFloat64) { CompareModel(kHex, " -gnn_precision float64", 1e-12); }
TEST(GpuModel, QuadFloat64) { CompareModel(kQuad, " -gnn_precision float64", 1e-12); }
TEST(GpuModel, HexFloat32) { CompareModel(kHex, " -gnn_precision float32", 1e-5); }

/* Training (Adam, normalisation, noise) and a rollout on the GPU against the CPU, float64 */
TEST(GpuTraining, TrainAndRollout)
{
  const std::string opts = kQuad + "-gnn_precision float64 -gnn_train_steps 30 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.01 -gnn_residual";
  TrainResult       cpu = GNNTestTrain(PETSC_COMM_WORLD, opts + " -gnn_device cpu"), gpu = GNNTestTrain(PETSC_COMM_WORLD, opts + " -gnn_device " + Device());
  EXPECT_EQ(cpu.history.size(), 30u);
  EXPECT_LE(RelDiff(cpu.history, gpu.history), 1e-9) << "loss history";
  EXPECT_LE(RelDiff(cpu.params, gpu.params), 1e-9) << "final weights";
  EXPECT_LT(gpu.history.back(), 0.9 * gpu.history.front()) << "the GPU run learns";
  if (Rank() == 0) std::printf("  training 30 steps: history rel diff %.3e, weights %.3e, loss %.4e -> %.4e\n", RelDiff(cpu.history, gpu.history), RelDiff(cpu.params, gpu.params), gpu.history.front(), gpu.history.back());

  /* the trained weights on both devices, 5 rollout steps */
  std::vector<std::vector<double>> out;
  for (const std::string dev : {std::string("cpu"), Device()}) {
    ScopedOptions o(kQuad + "-gnn_precision float64 -gnn_residual -gnn_device " + dev);
    GNNSetup      s(PETSC_COMM_WORLD);
    Vec           u;
    TestCall(GNNSetParameters(s.gnn, gpu.params.data()));
    s.Fields(&u, NULL);
    TestCall(GNNRollout(s.gnn, u, 5, NULL, NULL));
    out.push_back(s.Natural(u));
    TestCall(VecDestroy(&u));
  }
  if (Rank() == 0) EXPECT_LE(RelDiff(out[0], out[1]), 1e-12) << "rollout";
}

bool SameDoubles(const std::vector<double> &a, const std::vector<double> &b)
{
  return a.size() == b.size() && (a.empty() || !std::memcmp(a.data(), b.data(), sizeof(double) * a.size()));
}

/* -gnn_train_reproducible on the GPU: the loss history and the weights are the CPU run's bits
   (the same integers in every sum), and on N ranks those of one rank on the GPU */
TEST(GpuTraining, ReproducibleBitwise)
{
  for (const std::string prec : {std::string("float32"), std::string("float64")}) {
    const std::string opts = kQuad + "-gnn_train_reproducible -gnn_precision " + prec + " -gnn_train_steps 20 -gnn_train_lr 2e-3 -gnn_train_clip 0.5 -gnn_train_normalize -gnn_train_noise 0.02 -gnn_device ";
    TrainResult       cpu = GNNTestTrain(PETSC_COMM_WORLD, opts + "cpu"), gpu = GNNTestTrain(PETSC_COMM_WORLD, opts + Device());
    const bool        h = SameDoubles(cpu.history, gpu.history), w = SameDoubles(cpu.params, gpu.params);
    if (Rank() == 0) std::printf("  reproducible training %s, %d rank(s): GPU vs CPU history %s (rel %.3e), weights %s (rel %.3e)\n", prec.c_str(), Size(), h ? "bitwise" : "DIFFER", RelDiff(cpu.history, gpu.history), w ? "bitwise" : "DIFFER", RelDiff(cpu.params, gpu.params));
    EXPECT_EQ(gpu.history.size(), 20u);
    EXPECT_TRUE(h) << prec << " loss history";
    EXPECT_TRUE(w) << prec << " final weights";
    EXPECT_LT(gpu.history.back(), 0.9 * gpu.history.front()) << "the GPU run learns";
    if (Size() > 1 && Rank() == 0) { /* the GPU on one rank */
      TrainResult one = GNNTestTrain(PETSC_COMM_SELF, opts + Device());
      EXPECT_TRUE(SameDoubles(one.params, gpu.params)) << prec << ": GPU, " << Size() << " ranks vs 1: weights rel " << RelDiff(one.params, gpu.params);
      EXPECT_TRUE(SameDoubles(one.history, gpu.history)) << prec << ": GPU, " << Size() << " ranks vs 1: history rel " << RelDiff(one.history, gpu.history);
    }
  }
}

/* -gnn_recompute on the GPU: none, layers and mlp (the fused backward) give the same run bit for
   bit, float32 with LayerNorm, normalisation and noise */
TEST(GpuTraining, RecomputeIsBitwiseTheSame)
{
  const std::string opts = kQuad + "-gnn_precision float32 -gnn_train_steps 10 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02 -gnn_device " + Device();
  TrainResult       none = GNNTestTrain(PETSC_COMM_WORLD, opts + " -gnn_recompute none");
  for (const std::string mode : {std::string("layers"), std::string("mlp")}) {
    TrainResult re = GNNTestTrain(PETSC_COMM_WORLD, opts + " -gnn_recompute " + mode);
    const bool  h = SameDoubles(none.history, re.history), w = SameDoubles(none.params, re.params);
    if (Rank() == 0) std::printf("  GPU training, recompute %s vs none: history %s, weights %s (rel %.3e)\n", mode.c_str(), h ? "bitwise" : "DIFFER", w ? "bitwise" : "DIFFER", RelDiff(none.params, re.params));
    EXPECT_TRUE(h) << mode << ": loss history";
    EXPECT_TRUE(w) << mode << ": final weights";
  }
}

/* A checkpoint written on one device continues the run on the other */
TEST(GpuTraining, CheckpointAcrossDevices)
{
  const std::string base = kQuad + "-gnn_precision float64 -gnn_train_lr 1e-3 -gnn_train_steps 12 ";
  for (int dir = 0; dir < 2; dir++) {
    const std::string first = dir == 0 ? Device() : "cpu", second = dir == 0 ? "cpu" : Device();
    const std::string file = "test_gpu_checkpoint_" + std::to_string(dir) + ".pt";
    TrainResult       full = GNNTestTrain(PETSC_COMM_WORLD, base + "-gnn_device " + first);
    /* 6 steps on the first device, checkpoint, then the rest on the second */
    (void)GNNTestTrain(PETSC_COMM_WORLD, base + "-gnn_device " + first, 6, file);
    TrainResult rest = GNNTestTrain(PETSC_COMM_WORLD, base + "-gnn_device " + second + " -gnn_resume " + file);
    EXPECT_LE(RelDiff(full.params, rest.params), 1e-9) << first << " -> " << second;
    if (Rank() == 0) std::printf("  checkpoint %s -> %s: final weights rel diff %.3e\n", first.c_str(), second.c_str(), RelDiff(full.params, rest.params));
    if (Rank() == 0) std::remove(file.c_str());
  }
}

/* The pre-flight's default limit on a GPU: the device's free memory shared by the ranks of the node
   that use it (ranks take a node's GPUs in turn), at most the device's size */
TEST(GpuMemory, AvailableIsTheDevicesShare)
{
  ScopedOptions  o(kQuad + "-gnn_precision float32 -gnn_device " + Device());
  GNNSetup       s(PETSC_COMM_WORLD);
  PetscLogDouble avail;
  int64_t        freeBytes = 0, totalBytes = 0;
  const int      gpus = (int)torch::cuda::device_count();
  int            local, onNode, sharing = 0;
  MPI_Comm       node;
  TestCall(GNNGetMemoryAvailable(s.gnn, &avail));
  MPI_Comm_split_type(PETSC_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &local);
  MPI_Comm_size(node, &onNode);
  MPI_Comm_free(&node);
  for (int r = 0; r < onNode; r++) sharing += r % gpus == local % gpus;
  EXPECT_TRUE(GNNGpuMemoryInfo(local % gpus, &freeBytes, &totalBytes)) << "the device's memory cannot be read";
  EXPECT_GT(avail, 0);
  EXPECT_LE(avail * sharing, (double)totalBytes);
  EXPECT_NEAR(avail * sharing / (double)freeBytes, 1.0, 0.2) << avail << " bytes on each of " << sharing << " ranks, device free " << freeBytes;
  if (Rank() == 0) std::printf("  available for training: %.2f GiB per rank, %d rank(s) on the device, free %.2f of %.2f GiB\n", avail / 1073741824.0, sharing, freeBytes / 1073741824.0, totalBytes / 1073741824.0);
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "The GPU against the CPU\n");
}
