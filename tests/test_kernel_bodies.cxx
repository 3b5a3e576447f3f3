/* The GPU kernels' bodies (src/kernels/gnnkernelbodies.h: the work of one GPU thread by output
   index) run in plain host loops, against the CPU kernels on the same inputs: bitwise where the
   order of operations is the same (row products with and without ELU and edge starts, dX, ELU
   backward, segment sums), to rounding where it is not (dW, db: chunked sums), float32 and float64,
   widths with masked tails (20) and empty inputs. CI has no GPU: this is how every body is
   tested on every machine; share/gpu/check.sh runs the same comparisons on a GPU. */
#include "kernels/gnnkernelbodies.h"
#include "kernels/kernels.hpp"
#include "kernels/mlppack.hpp"
#include "mlplayers.hpp"
#include <gtest/gtest.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace {

template <typename T>
struct Types;
template <>
struct Types<float> {
  static constexpr auto dtype = torch::kFloat32;
  static constexpr double tol  = 2e-5;
};
template <>
struct Types<double> {
  static constexpr auto dtype = torch::kFloat64;
  static constexpr double tol  = 1e-13;
};

torch::Tensor Random(std::vector<int64_t> shape, torch::Dtype dtype, double scale = 1.0)
{
  return (torch::randn(shape, torch::kFloat64) * scale).to(dtype);
}

template <typename T>
std::vector<T> Vec(const torch::Tensor &t)
{
  auto c = t.contiguous();
  return std::vector<T>(c.template data_ptr<T>(), c.template data_ptr<T>() + c.numel());
}

/* bitwise comparison of two arrays (NaN-free inputs) */
template <typename T>
::testing::AssertionResult SameBits(const std::vector<T> &a, const std::vector<T> &b)
{
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); i++)
    if (std::memcmp(&a[i], &b[i], sizeof(T))) return ::testing::AssertionFailure() << "entry " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

template <typename T>
double RelErr(const std::vector<T> &ref, const std::vector<T> &v)
{
  double d = 0, m = 0;
  for (size_t i = 0; i < ref.size(); i++) {
    d = std::max(d, std::fabs((double)ref[i] - (double)v[i]));
    m = std::max(m, std::fabs((double)ref[i]));
  }
  return m > 0 ? d / m : d;
}

struct Shape {
  int64_t M, K, N;
};
/* H = 32 (the paper), 20 (masked tails in the CPU tiles), first edge layer 3H -> H, decoder H -> 3,
   one row, no row */
const std::vector<Shape> kShapes = {{1000, 32, 32}, {517, 20, 20}, {301, 96, 32}, {77, 32, 3}, {1, 5, 7}, {0, 32, 32}};

template <typename T>
class KernelBodies : public ::testing::Test { };
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelBodies, FloatTypes);

TYPED_TEST(KernelBodies, LinearForward)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(1);
  for (const Shape &s : kShapes)
    for (bool elu : {false, true}) {
      auto x = Random({s.M, s.K}, dtype), W = Random({s.N, s.K}, dtype, 0.3), b = Random({s.N}, dtype);
      auto y = Vec<T>(GNNKernelLinearForward(x, W, b, elu, nullptr));
      /* the GPU kernel's work: P = W^T */
      auto Wt = W.t().contiguous();
      std::vector<T> yb(s.M * s.N);
      for (int64_t idx = 0; idx < s.M * s.N; idx++) yb[idx] = gnnk::RowProductAt<T>(x.template data_ptr<T>(), s.K, Wt.template data_ptr<T>(), b.template data_ptr<T>(), s.N, elu, nullptr, nullptr, nullptr, nullptr, idx);
      EXPECT_TRUE(SameBits(y, yb)) << "M " << s.M << " K " << s.K << " N " << s.N << " elu " << elu;
    }
}

/* the split first edge layer: rows start from A[receiver] + B[sender] */
TYPED_TEST(KernelBodies, EdgeLayerForward)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(2);
  for (int64_t H : {32, 20}) {
    const int64_t nOwned = 40, nAll = 55, E = 300;
    auto          A = Random({nOwned, H}, dtype), B = Random({nAll, H}, dtype), e = Random({E, H}, dtype), We = Random({H, H}, dtype, 0.3);
    auto          ia = torch::randint(0, nOwned, {E}, torch::kInt64), ib = torch::randint(0, nAll, {E}, torch::kInt64);
    GNNEdgeStart  start = {A, B, ia, ib};
    auto          y     = Vec<T>(GNNKernelLinearForward(e, We, torch::Tensor(), true, &start));
    auto          Wt    = We.t().contiguous();
    std::vector<T> yb(E * H);
    for (int64_t idx = 0; idx < E * H; idx++) yb[idx] = gnnk::RowProductAt<T>(e.template data_ptr<T>(), H, Wt.template data_ptr<T>(), nullptr, H, true, A.template data_ptr<T>(), B.template data_ptr<T>(), ia.template data_ptr<int64_t>(), ib.template data_ptr<int64_t>(), idx);
    EXPECT_TRUE(SameBits(y, yb)) << "H " << H;
  }
}

/* An MLP's parameters as the fused GPU kernels take them (src/kernels/kernels.cxx builds the same
   on the device): every W^T concatenated in P (and W in Pw), the biases then gamma and beta in bias */
template <typename T>
void FusedParams(const std::vector<int64_t> &dims, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, bool ln, gnnk::MLPShape &s, std::vector<T> &P, std::vector<T> &bias, std::vector<T> *Pw = nullptr)
{
  const int nl = (int)dims.size() - 1;
  s.nl         = nl;
  for (int l = 0; l <= nl; l++) s.dims[l] = dims[l];
  for (int l = 0; l < nl; l++) {
    s.poff[l] = (int64_t)P.size();
    auto Wt   = Vec<T>(W[l].t());
    P.insert(P.end(), Wt.begin(), Wt.end());
    if (Pw) {
      auto Wv = Vec<T>(W[l]);
      Pw->insert(Pw->end(), Wv.begin(), Wv.end());
    }
    s.boff[l] = b[l].defined() ? (int64_t)bias.size() : -1;
    if (b[l].defined()) {
      auto bv = Vec<T>(b[l]);
      bias.insert(bias.end(), bv.begin(), bv.end());
    }
  }
  s.lnoff = ln ? (int64_t)bias.size() : -1;
  s.eps   = 1e-5;
  for (auto &t : {gamma, beta}) {
    auto v = Vec<T>(t);
    bias.insert(bias.end(), v.begin(), v.end());
  }
}

/* a block of TR x TC outputs per team item (gnnk::ChainTile), its values by vector loads or not,
   as a value for generic lambdas */
template <int TR, int TC, bool VEC = false>
struct Tile {
  static constexpr int  first = TR, second = TC;
  static constexpr bool vec = VEC;
};

/* A team that checks the body's synchronisation on the host: T threads, each running, between two
   syncs, all of its indices of every step (i = t, t + T, ...) before the next thread starts, as a
   GPU block may when a sync is missing. A step that reads what another thread wrote in an earlier
   step with no sync between them then reads a stale value, and the result differs from the
   serial team's. */
struct DeferredTeam {
  int                                                            T;
  mutable std::vector<std::pair<int64_t, std::function<void(int64_t)>>> steps;
  template <typename F>
  void run(int64_t n, F &&f) const
  {
    steps.emplace_back(n, std::function<void(int64_t)>(f));
  }
  void sync() const
  {
    for (int t = 0; t < T; t++)
      for (auto &s : steps)
        for (int64_t i = t; i < s.first; i += T) s.second(i);
    steps.clear();
  }
  ~DeferredTeam() { EXPECT_TRUE(steps.empty()) << "work left after the last sync"; }
};

/* The fused MLP forward (one pass, nothing kept) against the layers one at a time, bitwise, on the
   CPU and as the GPU thread's body (MLPRowAt) in a host loop: the paper's MLP (3 -> 32 x 6 -> 3),
   masked widths, the split first edge layer, a single layer, one row and no row */
TYPED_TEST(KernelBodies, FusedMLPForward)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(6);
  struct Case {
    std::vector<int64_t> dims;
    int64_t              M;
    bool                 edge;
  };
  const std::vector<Case> cases = {{{3, 32, 32, 32, 32, 32, 32, 3}, 1000, false}, {{20, 20, 20, 7}, 517, false}, {{32, 32, 32, 32, 32, 32, 32, 32}, 301, true},
                                   {{20, 20, 20}, 99, true},                     {{5, 7}, 1, false},           {{32, 32, 32}, 0, false},
                                   {{64, 48, 64, 3}, 123, false},                {{64, 32, 32, 32, 32, 32, 32, 32}, 257, false}, {{16, 64, 64, 8}, 77, true},
                                   /* one layer: the GPU's single-layer forward without ELU (the edge layer's node parts; its e part) */
                                   {{32, 32}, 301, false},                       {{32, 32}, 64, true}};
  for (const Case &c : cases) {
    const int                  nl = (int)c.dims.size() - 1;
    std::vector<torch::Tensor> W, b;
    for (int l = 0; l < nl; l++) {
      W.push_back(Random({c.dims[l + 1], c.dims[l]}, dtype, 0.3));
      b.push_back(c.edge && l == 0 ? torch::Tensor() : Random({c.dims[l + 1]}, dtype));
    }
    auto         x  = Random({c.M, c.dims[0]}, dtype);
    const int64_t n = 37;
    auto         A = Random({n, c.dims[1]}, dtype), B = Random({n + 5, c.dims[1]}, dtype);
    auto         ia = torch::randint(0, n, {c.M}, torch::kInt64), ib = torch::randint(0, n + 5, {c.M}, torch::kInt64);
    auto         gamma = Random({c.dims[nl]}, dtype), beta = Random({c.dims[nl]}, dtype);
    GNNEdgeStart start = {A, B, ia, ib};
    const GNNEdgeStart *st = c.edge ? &start : nullptr;
    for (bool ln : {false, true}) { /* without and with the LayerNorm of the output in the same pass */
      torch::Tensor h = x, mean, rstd;
      for (int l = 0; l < nl; l++) h = GNNKernelLinearForward(h, W[l], b[l], l + 1 < nl, l == 0 ? st : nullptr);
      if (ln) h = GNNKernelLayerNormForward(h, gamma, beta, 1e-5, mean, rstd);
      auto fused = ln ? GNNKernelMLPForward(x, W, b, st, gamma, beta, 1e-5) : GNNKernelMLPForward(x, W, b, st);
      EXPECT_TRUE(SameBits(Vec<T>(h), Vec<T>(fused))) << "fused vs layers, dims[0] " << c.dims[0] << " layers " << nl << " M " << c.M << " edge " << c.edge << " ln " << ln;
      /* the GPU kernel's work: one row per thread */
      gnnk::MLPShape s;
      std::vector<T> P, bias;
      FusedParams<T>(c.dims, W, b, gamma, beta, ln, s, P, bias);
      /* every variant the GPU launcher picks from: both register bounds, and the weights four at
         a time where the widths allow it */
      const bool narrow = *std::max_element(c.dims.begin(), c.dims.end()) <= 32, vec = gnnk::MLPShapeVec4(s);
      auto       rows   = [&](auto fn, const char *name) {
        std::vector<T> yb(c.M * c.dims[nl]);
        for (int64_t i = 0; i < c.M; i++) fn(x.template data_ptr<T>(), s, P.data(), bias.data(), c.edge ? A.template data_ptr<T>() : nullptr, B.template data_ptr<T>(), ia.template data_ptr<int64_t>(), ib.template data_ptr<int64_t>(), i, yb.data());
        EXPECT_TRUE(SameBits(Vec<T>(h), yb)) << name << " vs layers, dims[0] " << c.dims[0] << " M " << c.M << " edge " << c.edge << " ln " << ln;
      };
      /* two rows per thread (the GPU's option for the paper's MLPs): pairs from 0, the last one of
         an odd M alone */
      auto pairs = [&](const char *name) {
        std::vector<T> yb(c.M * c.dims[nl]);
        for (int64_t i = 0; i < c.M; i += 2) gnnk::MLPRowsAt<T, 32, true, 2>(x.template data_ptr<T>(), s, P.data(), bias.data(), c.edge ? A.template data_ptr<T>() : nullptr, B.template data_ptr<T>(), ia.template data_ptr<int64_t>(), ib.template data_ptr<int64_t>(), i, c.M, yb.data());
        EXPECT_TRUE(SameBits(Vec<T>(h), yb)) << name << " vs layers, dims[0] " << c.dims[0] << " M " << c.M << " edge " << c.edge << " ln " << ln;
      };
      rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, false>, "MLPRowAt<64>");
      if (narrow) rows(gnnk::MLPRowAt<T, 32, false>, "MLPRowAt<32>");
      if (vec) rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, true>, "MLPRowAt<64, vec>");
      if (vec && narrow) {
        rows(gnnk::MLPRowAt<T, 32, true>, "MLPRowAt<32, vec>");
        pairs("MLPRowsAt<32, vec, 2 rows>");
      }
      const bool rows4 = vec && c.dims[0] % 4 == 0; /* the launcher's test, its pointers aside */
      if (rows4) { /* the rows of x, A, B and y four values at a time too */
        s.rows4 = true;
        rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, true>, "MLPRowAt<64, vec, rows4>");
        if (narrow) {
          rows(gnnk::MLPRowAt<T, 32, true>, "MLPRowAt<32, vec, rows4>");
          pairs("MLPRowsAt<32, vec, rows4, 2 rows>");
        }
      }
      if (c.dims == std::vector<int64_t>{32, 32, 32, 32, 32, 32, 32, 32}) EXPECT_TRUE(vec && narrow && rows4) << "the paper's edge MLP takes the four-at-a-time path";
      if (c.dims[nl] <= c.dims[0]) { /* a residual block, x[:, :N] + the MLP, the add in the same pass */
        auto fr = GNNKernelMLPForward(x, W, b, st, ln ? gamma : torch::Tensor(), ln ? beta : torch::Tensor(), ln ? 1e-5 : 0.0, /*residual=*/true);
        h       = x.narrow(1, 0, c.dims[nl]) + h; /* what rows() compares with from here on */
        EXPECT_TRUE(SameBits(Vec<T>(h), Vec<T>(fr))) << "fused residual vs layers and add, dims[0] " << c.dims[0] << " M " << c.M << " edge " << c.edge << " ln " << ln;
        s.residual = true;
        s.rows4    = false;
        rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, false>, "MLPRowAt<64, residual>");
        if (vec) rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, true>, "MLPRowAt<64, vec, residual>");
        if (rows4) {
          s.rows4 = true;
          rows(gnnk::MLPRowAt<T, gnnk::kFusedMaxWidth, true>, "MLPRowAt<64, vec, rows4, residual>");
          if (narrow) {
            rows(gnnk::MLPRowAt<T, 32, true>, "MLPRowAt<32, vec, rows4, residual>");
            pairs("MLPRowsAt<32, vec, rows4, residual, 2 rows>");
          }
        }
      }
    }
  }
}

/* The fused MLP backward (nothing of the forward kept: activations computed again chunk by chunk)
   against the layer-by-layer backward. The GPU block's body (MLPBackwardChunk, run by a serial
   team) against the layers' GPU bodies in host loops (RowProductAt, EluGrad, OuterChunkAt,
   LayerNorm's rows and chunks): every output bitwise, for tiles of 1, 7 and 64 rows, and with the
   team's threads out of step between syncs (DeferredTeam: a missing sync shows). The CPU's fused
   backward (GNNKernelMLPBackward) against the CPU's layer kernels: every output bitwise (dW and db
   at the same thread count: they are per-thread partial sums), dX and the LayerNorm's dgamma and
   dbeta also against the bodies. The paper's MLP, the node MLP's 2H input, masked and the widest
   widths, many chunks, one row and no row, with and without LayerNorm, and the edge MLP from its
   start (layer 0's pre-activation gradient, dStart, against the layers' ELU backward). Up to 3000
   rows also with the output gradient's other forms (GNNOutGrad): g plus rows of ga gathered by
   index, the gather alone, and the residual block x + MLP(x) (dX plus the output gradient), each
   against the reference on the gradient formed first (and dX's add after). */
TYPED_TEST(KernelBodies, FusedMLPBackward)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(12);
  struct Case {
    std::vector<int64_t> dims;
    int64_t              M;
    bool                 edge; /* layer 0 from an edge start: dStart */
  };
  const std::vector<Case> cases = {{{3, 32, 32, 32, 32, 32, 32, 3}, 1000, false}, {{64, 32, 32, 32, 32, 32, 32, 32}, 1500, false}, {{32, 32, 32, 32, 32, 32, 32}, 20000, false},
                                   {{32, 32, 32, 32, 32, 32, 32, 32}, 3000, true}, {{20, 20, 20, 7}, 517, false},                   {{20, 20, 20}, 99, true},
                                   {{5, 7}, 1, false},                             {{32, 32, 32}, 0, false},                        {{64, 48, 64, 3}, 123, false},
                                   {{32, 32}, 700, false}}; /* one layer: the GPU's single-layer backward */
  struct Form {
    bool own, gather, residual; /* g's own rows, ga's gathered rows, x + MLP(x) */
  };
  const std::vector<Form> forms = {{true, false, false}, {true, true, true}, {false, true, false}, {true, false, true}};
  for (const Case &c : cases)
    for (const Form &f : forms)
      for (bool ln : {false, true}) {
        const int                  nl = (int)c.dims.size() - 1;
        const bool plain = f.own && !f.gather && !f.residual;
        if (!plain && (c.M > 3000 || (f.residual && c.dims[0] < c.dims[nl]))) continue;
        const int64_t              M = c.M, H = c.dims[nl];
        std::vector<torch::Tensor> W, b;
        for (int l = 0; l < nl; l++) {
          W.push_back(Random({c.dims[l + 1], c.dims[l]}, dtype, 0.3));
          b.push_back(c.edge && l == 0 ? torch::Tensor() : Random({c.dims[l + 1]}, dtype));
        }
        auto          x = Random({M, c.dims[0]}, dtype), g = Random({M, H}, dtype), gamma = Random({H}, dtype), beta = Random({H}, dtype);
        const int64_t n = M / 5 + 1;
        auto          A = Random({n, c.dims[1]}, dtype), B = Random({n + 3, c.dims[1]}, dtype);
        auto          ia = torch::randint(0, n, {M}, torch::kInt64), ib = torch::randint(0, n + 3, {M}, torch::kInt64);
        GNNEdgeStart  start = {A, B, ia, ib};
        const T      *Ap = c.edge ? A.template data_ptr<T>() : nullptr, *Bp = B.template data_ptr<T>();
        const int64_t *iap = ia.template data_ptr<int64_t>(), *ibp = ib.template data_ptr<int64_t>();
        std::string   what = "dims[0] " + std::to_string(c.dims[0]) + " layers " + std::to_string(nl) + " M " + std::to_string(M) + " ln " + std::to_string(ln) + " edge " + std::to_string(c.edge) + " form " + std::to_string(f.own) + std::to_string(f.gather) + std::to_string(f.residual);
        /* the output gradient: g, ga's rows gathered by ig, or their sum, formed first for the references */
        auto              ga = Random({n + 2, H}, dtype), ig = torch::randint(0, n + 2, {M}, torch::kInt64);
        const auto        gy = !f.gather ? g : f.own ? g + ga.index_select(0, ig) : ga.index_select(0, ig);
        const torch::Tensor gArg = f.own ? g : torch::Tensor(), gaArg = f.gather ? ga : torch::Tensor(), igArg = f.gather ? ig : torch::Tensor();
        const GNNOutGrad<T> go = {f.own ? g.template data_ptr<T>() : nullptr, f.gather ? ga.template data_ptr<T>() : nullptr, f.gather ? ig.template data_ptr<int64_t>() : nullptr, f.residual};

        /* the layers' GPU bodies in host loops */
        const int64_t               chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
        std::vector<std::vector<T>> a(nl + 1);
        a[0] = Vec<T>(x);
        for (int l = 0; l < nl; l++) {
          auto Wt = Vec<T>(W[l].t());
          a[l + 1].resize(M * c.dims[l + 1]);
          for (int64_t idx = 0; idx < M * c.dims[l + 1]; idx++) a[l + 1][idx] = gnnk::RowProductAt<T>(a[l].data(), c.dims[l], Wt.data(), b[l].defined() ? b[l].template data_ptr<T>() : nullptr, c.dims[l + 1], l + 1 < nl, l == 0 ? Ap : nullptr, Bp, iap, ibp, idx);
        }
        std::vector<T> cur = Vec<T>(gy), ref; /* ref: the gradient entries in MLPGradEntries' order */
        std::vector<T> lnref;
        if (ln) {
          std::vector<T> mb(M), rb(M), dz(M * H), work(chunks * 2 * H);
          const T       *gp = gy.template data_ptr<T>(), *gm = gamma.template data_ptr<T>();
          for (int64_t i = 0; i < M; i++) {
            gnnk::LayerNormStats(a[nl].data() + i * H, H, T(1e-5), mb[i], rb[i]);
            gnnk::LayerNormBackwardRow(gp + i * H, a[nl].data() + i * H, H, mb[i], rb[i], gm, dz.data() + i * H);
          }
          for (int64_t ch = 0; ch < chunks; ch++)
            for (int64_t e = 0; e < 2 * H; e++) work[ch * 2 * H + e] = gnnk::LayerNormParamChunkAt(gp, a[nl].data(), mb.data(), rb.data(), M, H, rows, ch, e);
          for (int64_t e = 0; e < 2 * H; e++) lnref.push_back(gnnk::OuterSumAt(work.data(), chunks, 2 * H, e));
          cur = dz;
        }
        std::vector<std::vector<T>> layerref(nl);
        std::vector<T>              dStartref;
        for (int l = nl - 1; l >= 0; l--) {
          const int64_t K = c.dims[l], N = c.dims[l + 1], NKN = N * K + N;
          if (l + 1 < nl)
            for (int64_t q = 0; q < M * N; q++) cur[q] = gnnk::EluGrad(cur[q], a[l + 1][q]);
          if (l == 0) dStartref = cur;
          std::vector<T> work(chunks * NKN), next(M * K);
          for (int64_t ch = 0; ch < chunks; ch++)
            for (int64_t e = 0; e < NKN; e++) work[ch * NKN + e] = gnnk::OuterChunkAt<T>(cur.data(), M, N, a[l].data(), K, rows, ch, e);
          for (int64_t e = 0; e < NKN; e++) layerref[l].push_back(gnnk::OuterSumAt<T>(work.data(), chunks, NKN, e));
          for (int64_t idx = 0; idx < M * K; idx++) next[idx] = gnnk::RowProductAt<T>(cur.data(), N, W[l].template data_ptr<T>(), nullptr, K, false, nullptr, nullptr, nullptr, nullptr, idx);
          cur = next;
        }
        for (int l = 0; l < nl; l++) ref.insert(ref.end(), layerref[l].begin(), layerref[l].end());
        ref.insert(ref.end(), lnref.begin(), lnref.end());
        std::vector<T> dXref = cur;
        if (f.residual)
          for (int64_t i = 0; i < M; i++)
            for (int64_t k = 0; k < H; k++) dXref[i * c.dims[0] + k] += gy.template data_ptr<T>()[i * H + k];

        /* the GPU block's body, by a serial team, for three tile heights */
        gnnk::MLPShape s;
        std::vector<T> P, bias, Pw;
        FusedParams<T>(c.dims, W, b, gamma, beta, ln, s, P, bias, &Pw);
        const int64_t nacc = gnnk::MLPGradEntries(s);
        ASSERT_EQ(nacc, (int64_t)ref.size()) << what;
        /* every tile height R and every block of outputs per item TR x TC (2 x 2 the GPU's default;
           3 x 2 leaves partial blocks at every width here) give the same bits */
        auto bodies = [&](auto tile) {
          constexpr int  TR = decltype(tile)::first, TC = decltype(tile)::second;
          constexpr bool V  = decltype(tile)::vec;
          if (V && !gnnk::MLPBackwardVec4(s)) return; /* the launcher's condition: scalar loads there */
          if (V && M > 5000) return;                      /* many chunks: the same per chunk either way */
          const std::string tw = what + ", blocks " + std::to_string(TR) + "x" + std::to_string(TC) + (V ? " by vector loads" : "");
          /* every R for 2 x 2 by scalar loads, R = 7 and 64 for 2 x 2 by vector loads (the GPU's
             default); the others at R = 7, where a tile's 7 rows leave partial blocks */
          const bool base = TR == 2 && TC == 2 && plain;
          for (int64_t R : {1, 7, 64}) {
            if (!base && R != 7) continue;
            if (base && V && R == 1) continue;
            std::vector<T> scratch(gnnk::MLPBackwardScratch(s, R, V)), work(chunks * nacc), dX(M * c.dims[0]), sums(nacc), dS(M * c.dims[1]);
            for (int64_t ch = 0; ch < chunks; ch++) gnnk::MLPBackwardChunk<TR, TC, V>(gnnk::SerialTeam(), s, P.data(), Pw.data(), bias.data(), x.template data_ptr<T>(), go, M, rows, ch, R, scratch.data(), work.data() + ch * nacc, dX.data(), Ap, Bp, iap, ibp, c.edge ? dS.data() : nullptr);
            for (int64_t e = 0; e < nacc; e++) sums[e] = gnnk::OuterSumAt(work.data(), chunks, nacc, e);
            EXPECT_TRUE(SameBits(dXref, dX)) << "body dX, R " << R << ", " << tw;
            EXPECT_TRUE(SameBits(ref, sums)) << "body gradients, R " << R << ", " << tw;
            if (c.edge) EXPECT_TRUE(SameBits(dStartref, dS)) << "body dStart, R " << R << ", " << tw;
            /* the same with a team's threads out of step between the syncs (blocks of 5 and 64) */
            for (int threads : {5, 64}) {
              if (R != 7 || M > 5000 || !plain || (V && TR != 2)) break; /* the syncs depend neither on how many chunks there are nor on the output gradient's form */
              std::vector<T> scr(gnnk::MLPBackwardScratch(s, R, V), T(0)), wk(chunks * nacc), dXd(M * c.dims[0]), sm(nacc), dSd(M * c.dims[1]);
              for (int64_t ch = 0; ch < chunks; ch++) {
                DeferredTeam team{threads, {}};
                gnnk::MLPBackwardChunk<TR, TC, V>(team, s, P.data(), Pw.data(), bias.data(), x.template data_ptr<T>(), go, M, rows, ch, R, scr.data(), wk.data() + ch * nacc, dXd.data(), Ap, Bp, iap, ibp, c.edge ? dSd.data() : nullptr);
              }
              for (int64_t e = 0; e < nacc; e++) sm[e] = gnnk::OuterSumAt(wk.data(), chunks, nacc, e);
              EXPECT_TRUE(SameBits(dXref, dXd) && SameBits(ref, sm) && (!c.edge || SameBits(dStartref, dSd))) << "body with " << threads << " threads out of step, R " << R << ", " << tw;
            }
          }
        };
        /* the output gradient's forms: the default (2 x 2 by vector loads where the widths allow
           it, else by scalar loads) and partial blocks */
        if (plain) bodies(Tile<1, 1>());
        bodies(Tile<2, 2>());
        if (plain) bodies(Tile<4, 4>());
        bodies(Tile<3, 2>());
        if (plain) bodies(Tile<1, 1, true>());
        bodies(Tile<2, 2, true>());
        if (plain) bodies(Tile<4, 4, true>());

        /* the CPU's fused backward against the CPU's layer kernels (at the test's thread count) */
        const int      nthreads = at::get_num_threads();
        const MLPGrads lay = MLPBackwardLayers(x, W, b, ln ? gamma : torch::Tensor(), beta, gArg, c.edge ? &start : nullptr, gaArg, igArg, f.residual);
        EXPECT_TRUE(SameBits(dXref, Vec<T>(lay.dX))) << "CPU layers' dX vs the bodies, " << what;
        for (int threads : {nthreads, 1, 3}) { /* 3: chunks of the LayerNorm sums that straddle two threads' rows */
          at::set_num_threads(threads);
          const MLPGrads fu = MLPBackwardFused(x, W, b, ln ? gamma : torch::Tensor(), beta, gArg, c.edge ? &start : nullptr, gaArg, igArg, f.residual);
          at::set_num_threads(nthreads);
          const std::string tw = what + " threads " + std::to_string(threads);
          EXPECT_TRUE(SameBits(Vec<T>(lay.dX), Vec<T>(fu.dX))) << "CPU dX, " << tw;
          EXPECT_TRUE(SameBits(dXref, Vec<T>(fu.dX))) << "CPU dX vs the bodies, " << tw;
          if (c.edge) {
            EXPECT_TRUE(SameBits(Vec<T>(lay.dStart), Vec<T>(fu.dStart))) << "CPU dStart, " << tw;
            EXPECT_TRUE(SameBits(dStartref, Vec<T>(fu.dStart))) << "CPU dStart vs the bodies, " << tw;
          }
          if (threads == nthreads) /* the layers' own partial sums are per thread */
            for (int l = 0; l < nl; l++) {
              EXPECT_TRUE(SameBits(Vec<T>(lay.dW[l]), Vec<T>(fu.dW[l]))) << "CPU dW of layer " << l << ", " << tw;
              EXPECT_TRUE(SameBits(Vec<T>(lay.db[l]), Vec<T>(fu.db[l]))) << "CPU db of layer " << l << ", " << tw;
            }
          for (int l = 0; l < nl; l++) EXPECT_LE(RelErr(Vec<T>(lay.dW[l]), Vec<T>(fu.dW[l])), Types<T>::tol) << "CPU dW of layer " << l << ", " << tw;
          if (ln) {
            EXPECT_TRUE(SameBits(Vec<T>(lay.dgamma), Vec<T>(fu.dgamma))) << "CPU dgamma, " << tw;
            EXPECT_TRUE(SameBits(Vec<T>(lay.dbeta), Vec<T>(fu.dbeta))) << "CPU dbeta, " << tw;
            EXPECT_TRUE(SameBits(std::vector<T>(ref.end() - 2 * H, ref.end() - H), Vec<T>(fu.dgamma))) << "CPU dgamma vs the bodies, " << tw;
          }
        }
      }
}

TYPED_TEST(KernelBodies, LayerNorm)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(9);
  for (int64_t M : {1000, 1, 0, 70000})
    for (int64_t H : {32, 20}) {
      auto          x = Random({M, H}, dtype, 3.0) + 1.5, gamma = Random({H}, dtype), beta = Random({H}, dtype), g = Random({M, H}, dtype);
      const double  eps = 1e-5;
      torch::Tensor mean, rstd, dx, dgamma, dbeta;
      auto          y = GNNKernelLayerNormForward(x, gamma, beta, eps, mean, rstd);
      GNNKernelLayerNormBackward(g, x, mean, rstd, gamma, true, dx, dgamma, dbeta);
      /* the GPU threads' work */
      const T       *xp = x.template data_ptr<T>(), *gp = g.template data_ptr<T>(), *gm = gamma.template data_ptr<T>(), *bt = beta.template data_ptr<T>();
      std::vector<T> yb(M * H), mb(M), rb(M), dxb(M * H);
      for (int64_t i = 0; i < M; i++) {
        gnnk::LayerNormStats(xp + i * H, H, T(eps), mb[i], rb[i]);
        for (int64_t k = 0; k < H; k++) yb[i * H + k] = gnnk::LayerNormOut(xp[i * H + k], mb[i], rb[i], gm[k], bt[k]);
        gnnk::LayerNormBackwardRow(gp + i * H, xp + i * H, H, mb[i], rb[i], gm, dxb.data() + i * H);
      }
      const int64_t  chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
      std::vector<T> work(chunks * 2 * H), pb(2 * H);
      for (int64_t c = 0; c < chunks; c++)
        for (int64_t e = 0; e < 2 * H; e++) work[c * 2 * H + e] = gnnk::LayerNormParamChunkAt(gp, xp, mb.data(), rb.data(), M, H, rows, c, e);
      for (int64_t e = 0; e < 2 * H; e++) pb[e] = gnnk::OuterSumAt(work.data(), chunks, 2 * H, e);
      EXPECT_TRUE(SameBits(Vec<T>(y), yb)) << "y M " << M << " H " << H;
      EXPECT_TRUE(SameBits(Vec<T>(rstd), rb)) << "rstd";
      EXPECT_TRUE(SameBits(Vec<T>(dx), dxb)) << "dx";
      EXPECT_TRUE(SameBits(Vec<T>(dgamma), std::vector<T>(pb.begin(), pb.begin() + H))) << "dgamma";
      EXPECT_TRUE(SameBits(Vec<T>(dbeta), std::vector<T>(pb.begin() + H, pb.end()))) << "dbeta";
      /* LibTorch's LayerNorm in float64 as the reference */
      auto x64 = x.to(torch::kFloat64).requires_grad_(true), g64 = gamma.to(torch::kFloat64).requires_grad_(true), b64 = beta.to(torch::kFloat64).requires_grad_(true);
      auto yr  = torch::layer_norm(x64, {H}, g64, b64, eps);
      yr.backward(g.to(torch::kFloat64));
      const double tol = 20 * Types<T>::tol;
      EXPECT_LE(RelErr(Vec<double>(yr.detach()), Vec<double>(y.to(torch::kFloat64))), tol) << "y vs LibTorch, M " << M;
      if (M > 0) {
        EXPECT_LE(RelErr(Vec<double>(x64.grad()), Vec<double>(dx.to(torch::kFloat64))), tol) << "dx vs LibTorch";
        EXPECT_LE(RelErr(Vec<double>(g64.grad()), Vec<double>(dgamma.to(torch::kFloat64))), tol) << "dgamma vs LibTorch";
        EXPECT_LE(RelErr(Vec<double>(b64.grad()), Vec<double>(dbeta.to(torch::kFloat64))), tol) << "dbeta vs LibTorch";
      }
    }
}

TYPED_TEST(KernelBodies, LinearBackward)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(3);
  for (const Shape &s : kShapes)
    for (bool elu : {false, true}) {
      auto          x = Random({s.M, s.K}, dtype), W = Random({s.N, s.K}, dtype, 0.3), g = Random({s.M, s.N}, dtype);
      auto          y = elu ? GNNKernelLinearForward(x, W, torch::Tensor(), true, nullptr) : torch::Tensor();
      torch::Tensor dX, dW, db;
      GNNKernelLinearBackward(g, y, x, W, true, dX, dW, db);
      /* the GPU path: ge, then dX = ge W (P = W), then chunked dW and db */
      std::vector<T> ge(s.M * s.N), dXb(s.M * s.K);
      auto           gv = Vec<T>(g), yv = elu ? Vec<T>(y) : std::vector<T>();
      for (int64_t q = 0; q < s.M * s.N; q++) ge[q] = elu ? gnnk::EluGrad(gv[q], yv[q]) : gv[q];
      if (elu) EXPECT_TRUE(SameBits(Vec<T>(GNNKernelEluBackward(g, y)), ge));
      for (int64_t idx = 0; idx < s.M * s.K; idx++) dXb[idx] = gnnk::RowProductAt<T>(ge.data(), s.N, W.template data_ptr<T>(), nullptr, s.K, false, nullptr, nullptr, nullptr, nullptr, idx);
      EXPECT_TRUE(SameBits(Vec<T>(dX), dXb)) << "dX, M " << s.M << " K " << s.K << " N " << s.N << " elu " << elu;

      const int64_t  chunks = gnnk::OuterChunks(s.M), rows = gnnk::OuterChunkRows(s.M), NKN = s.N * s.K + s.N;
      std::vector<T> work(chunks * NKN), sums(NKN);
      for (int64_t c = 0; c < chunks; c++)
        for (int64_t e = 0; e < NKN; e++) work[c * NKN + e] = gnnk::OuterChunkAt<T>(ge.data(), s.M, s.N, x.template data_ptr<T>(), s.K, rows, c, e);
      for (int64_t e = 0; e < NKN; e++) sums[e] = gnnk::OuterSumAt<T>(work.data(), chunks, NKN, e);
      /* against the CPU's dW, db and a float64 reference */
      auto dWref = (torch::mm(torch::from_blob(ge.data(), {s.M, s.N}, dtype).to(torch::kFloat64).t(), x.to(torch::kFloat64))).contiguous();
      auto dbref = torch::from_blob(ge.data(), {s.M, s.N}, dtype).to(torch::kFloat64).sum(0);
      std::vector<T> dWb(sums.begin(), sums.begin() + s.N * s.K), dbb(sums.begin() + s.N * s.K, sums.end());
      auto           dWr = Vec<double>(dWref), dbr = Vec<double>(dbref);
      EXPECT_LE(RelErr(Vec<T>(dW), dWb), Types<T>::tol) << "dW";
      EXPECT_LE(RelErr(Vec<T>(db), dbb), Types<T>::tol) << "db";
      EXPECT_LE(RelErr(dWr, std::vector<double>(dWb.begin(), dWb.end())), Types<T>::tol) << "dW vs float64";
      EXPECT_LE(RelErr(dbr, std::vector<double>(dbb.begin(), dbb.end())), Types<T>::tol) << "db vs float64";
      if (s.M == 0) EXPECT_TRUE(SameBits(dWb, std::vector<T>(s.N * s.K, T(0))));
    }
}

/* chunked sums over many rows: more rows than kOuterMaxChunks chunks of the minimum size */
TYPED_TEST(KernelBodies, WeightGradientManyRows)
{
  using T          = TypeParam;
  const auto    dtype = Types<T>::dtype;
  const int64_t M = gnnk::kOuterMinRows * gnnk::kOuterMaxChunks + 1234, K = 3, N = 2;
  torch::manual_seed(4);
  auto x = Random({M, K}, dtype), g = Random({M, N}, dtype);
  EXPECT_LE(gnnk::OuterChunks(M), gnnk::kOuterMaxChunks);
  EXPECT_GT(gnnk::OuterChunkRows(M), gnnk::kOuterMinRows);
  const int64_t  chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M), NKN = N * K + N;
  std::vector<T> work(chunks * NKN), dWb(N * K);
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t e = 0; e < NKN; e++) work[c * NKN + e] = gnnk::OuterChunkAt<T>(g.template data_ptr<T>(), M, N, x.template data_ptr<T>(), K, rows, c, e);
  for (int64_t e = 0; e < N * K; e++) dWb[e] = gnnk::OuterSumAt<T>(work.data(), chunks, NKN, e);
  auto ref = Vec<double>(torch::mm(g.to(torch::kFloat64).t(), x.to(torch::kFloat64)));
  EXPECT_LE(RelErr(ref, std::vector<double>(dWb.begin(), dWb.end())), 50 * Types<T>::tol);
}

TYPED_TEST(KernelBodies, SegmentSums)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(5);
  for (int64_t H : {32, 20}) {
    /* a CSR over 50 rows (some empty), and a permutation for the transposed CSR */
    const int64_t        n = 50;
    std::vector<int64_t> ptr(n + 1, 0);
    for (int64_t i = 0; i < n; i++) ptr[i + 1] = ptr[i] + (i % 7 == 3 ? 0 : 1 + (i * 5) % 9);
    const int64_t E = ptr[n];
    auto          e = Random({E, H}, dtype), ptrT = torch::tensor(ptr, torch::kInt64), perm = torch::randperm(E, torch::kInt64);
    for (bool withPerm : {false, true}) {
      auto           out = Vec<T>(GNNKernelSegmentSum(e, ptrT, withPerm ? perm : torch::Tensor()));
      std::vector<T> ob(n * H);
      for (int64_t idx = 0; idx < n * H; idx++) ob[idx] = gnnk::SegmentSumAt<T>(e.template data_ptr<T>(), ptr.data(), withPerm ? perm.template data_ptr<int64_t>() : nullptr, H, idx);
      EXPECT_TRUE(SameBits(out, ob)) << "H " << H << " perm " << withPerm;
    }
  }
  /* no rows at all (an empty rank) */
  auto none = GNNKernelSegmentSum(torch::empty({0, 8}, dtype), torch::zeros({1}, torch::kInt64), torch::Tensor());
  EXPECT_EQ(none.size(0), 0);
}

/* the ELU body on special values: large negative (clamped), -0, tiny, the scalar path = the vector path */
TYPED_TEST(KernelBodies, EluValues)
{
  using T = TypeParam;
  std::vector<T> v = {T(-100), T(-20.5), T(-1), T(-1e-30), T(-0.0), T(0), T(1e-30), T(0.5), T(3)};
  auto           x = torch::from_blob(v.data(), {(int64_t)v.size(), 1}, Types<T>::dtype).clone();
  auto           W = torch::ones({1, 1}, Types<T>::dtype), b = torch::zeros({1}, Types<T>::dtype);
  auto           y = Vec<T>(GNNKernelLinearForward(x, W, b, true, nullptr));
  for (size_t i = 0; i < v.size(); i++) {
    EXPECT_TRUE(SameBits(std::vector<T>{y[i]}, std::vector<T>{gnnk::EluScalar(T(0) + v[i])})) << v[i];
    EXPECT_NEAR((double)y[i], v[i] > 0 ? (double)v[i] : std::expm1((double)v[i]), 4 * std::numeric_limits<T>::epsilon());
  }
}

/* ---- reproducible sums (src/sys/gnnreprosum.h) ----
   One process stands for the ranks: a fake GNNReproReduce hands every call the bounds agreed over
   all rows (recorded from the whole run) and captures the int64 sums it would all-reduce, so that
   the rows split into parts (as ranks would split them), each part's integers added, must give
   the whole run's integers exactly. */
struct FakeRanks {
  std::vector<int64_t> agreed, sums;
  bool                 record = true; /* the whole run: keep its bounds; the parts: replay them */
  GNNReproReduce       rr;
  FakeRanks()
  {
    rr.ctx   = this;
    rr.agree = [](void *c, int64_t *v, int64_t n) {
      auto *f = (FakeRanks *)c;
      if (f->record) f->agreed.assign(v, v + n);
      else std::copy(f->agreed.begin(), f->agreed.end(), v);
    };
    rr.sum = [](void *c, int64_t *v, int64_t n) { ((FakeRanks *)c)->sums.assign(v, v + n); };
  }
};

/* sums of the parts [0, cut) and [cut, M) against the whole: Linear (dW, db) or LayerNorm (dgamma, dbeta) */
template <typename Run>
void ExpectGroupingIndependent(int64_t M, const std::vector<int64_t> &cuts, Run run)
{
  FakeRanks whole;
  run(0, M, whole.rr);
  ASSERT_FALSE(whole.sums.empty());
  for (int64_t cut : cuts) {
    FakeRanks part;
    part.record = false;
    part.agreed = whole.agreed;
    part.agreed[0] = M; /* the global count */
    std::vector<int64_t> total(whole.sums.size(), 0);
    for (auto r : {std::make_pair(int64_t(0), cut), std::make_pair(cut, M)}) {
      run(r.first, r.second, part.rr);
      for (size_t e = 0; e < total.size(); e++) total[e] += part.sums[e];
    }
    EXPECT_TRUE(total == whole.sums) << "rows split at " << cut << " of " << M;
  }
}

/* error of v against ref, relative to ref's largest entry */
double MaxRelErr(const std::vector<double> &ref, const std::vector<double> &v)
{
  double e = 0, m = 0;
  for (size_t i = 0; i < ref.size(); i++) {
    e = std::max(e, std::fabs(ref[i] - v[i]));
    m = std::max(m, std::fabs(ref[i]));
  }
  return m > 0 ? e / m : e;
}

template <typename T>
std::vector<double> AsDouble(const torch::Tensor &t)
{
  auto v = Vec<T>(t);
  return std::vector<double>(v.begin(), v.end());
}

TYPED_TEST(KernelBodies, ReproducibleLinearSumsAreGroupingIndependent)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(5);
  for (const Shape &s : {Shape{1000, 32, 32}, Shape{517, 20, 20}, Shape{301, 96, 32}, Shape{77, 32, 3}})
    for (bool elu : {false, true}) {
      auto x = Random({s.M, s.K}, dtype), W = Random({s.N, s.K}, dtype, 0.3), g = Random({s.M, s.N}, dtype, 1e-3);
      auto y = elu ? GNNKernelLinearForward(x, W, torch::Tensor(), true, nullptr) : torch::Tensor();
      ExpectGroupingIndependent(s.M, {1, s.M / 3, s.M - 13}, [&](int64_t a, int64_t b, const GNNReproReduce &rr) {
        torch::Tensor dX, dW, db;
        GNNKernelLinearBackward(g.narrow(0, a, b - a), elu ? y.narrow(0, a, b - a) : torch::Tensor(), x.narrow(0, a, b - a), W, true, dX, dW, db, &rr);
      });
    }
}

TYPED_TEST(KernelBodies, ReproducibleLayerNormSumsAreGroupingIndependent)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(6);
  for (int64_t H : {32, 20}) {
    const int64_t M = 700;
    auto          x = Random({M, H}, dtype), g = Random({M, H}, dtype, 1e-2), gamma = Random({H}, dtype), beta = Random({H}, dtype);
    torch::Tensor mean, rstd;
    GNNKernelLayerNormForward(x, gamma, beta, 1e-5, mean, rstd);
    ExpectGroupingIndependent(M, {1, 250, 699}, [&](int64_t a, int64_t b, const GNNReproReduce &rr) {
      torch::Tensor dx, dgamma, dbeta;
      GNNKernelLayerNormBackward(g.narrow(0, a, b - a), x.narrow(0, a, b - a), mean.narrow(0, a, b - a), rstd.narrow(0, a, b - a), gamma, true, dx, dgamma, dbeta, &rr);
    });
  }
}

/* The GPU's reproducible path in host loops against the CPU kernels: the chunks' bounds
   (OuterBoundChunkAt, LayerNormBoundChunkAt) folded as the atomics fold them, the agreed scales,
   the chunks' integer sums (FixedOuterChunkAt, LayerNormFixedChunkAt) added in reverse chunk order
   (the atomics' order is any), and the host conversion: the same agreed bounds, the same integers
   and the same dW, db, dgamma, dbeta bits as the CPU kernels (AVX-512 tiles or portable path). */
::testing::AssertionResult SameInts(const std::vector<int64_t> &a, const std::vector<int64_t> &b, const char *what)
{
  if (a == b) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << " differ (" << a.size() << " vs " << b.size() << " entries)";
}

TYPED_TEST(KernelBodies, ReproducibleGpuBodiesGiveTheCpuBits)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(8);
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({gnnk::kOuterMinRows * 5 + 17, 32, 32}); /* 6 chunks */
  for (const Shape &s : shapes)
    for (bool elu : {false, true}) {
      auto      x = Random({s.M, s.K}, dtype), W = Random({s.N, s.K}, dtype, 0.3), g = Random({s.M, s.N}, dtype, 1e-3);
      auto      y = elu ? GNNKernelLinearForward(x, W, torch::Tensor(), true, nullptr) : torch::Tensor();
      FakeRanks cpu, gpu;
      torch::Tensor dX, dW, db;
      GNNKernelLinearBackward(g, y, x, W, false, dX, dW, db, &cpu.rr);
      /* the GPU path: ge, the bounds by chunk, the scales, the integer sums by chunk, back */
      auto           gv = Vec<T>(g), yv = elu ? Vec<T>(y) : std::vector<T>();
      std::vector<T> ge(s.M * s.N);
      for (int64_t q = 0; q < s.M * s.N; q++) ge[q] = elu ? gnnk::EluGrad(gv[q], yv[q]) : gv[q];
      const T       *xp = x.template data_ptr<T>();
      const int64_t  chunks = gnnk::OuterChunks(s.M), rows = gnnk::OuterChunkRows(s.M), NKN = s.N * s.K + s.N;
      std::vector<double> maxima(s.N + s.K, 0.0);
      for (int64_t c = chunks - 1; c >= 0; c--)
        for (int64_t col = 0; col < s.N + s.K; col++) maxima[col] = std::max(maxima[col], gnnk::OuterBoundChunkAt(ge.data(), s.M, s.N, xp, s.K, rows, c, col));
      const gnnrepro::OuterScales sc = gnnrepro::AgreeOuterScales(&gpu.rr, s.M, s.N, s.K, maxima.data());
      EXPECT_TRUE(SameInts(cpu.agreed, gpu.agreed, "agreed bounds")) << "M " << s.M << " K " << s.K << " N " << s.N << " elu " << elu;
      std::vector<int64_t> acc(NKN, 0);
      for (int64_t c = chunks - 1; c >= 0; c--)
        for (int64_t e = 0; e < NKN; e++) acc[e] += gnnk::FixedOuterChunkAt(ge.data(), s.M, s.N, xp, s.K, rows, c, e, sc.f.data());
      std::vector<T> dWb(s.N * s.K), dbb(s.N);
      gnnrepro::OuterFromFixed(&gpu.rr, sc, acc.data(), dWb.data(), dbb.data());
      EXPECT_TRUE(SameInts(cpu.sums, gpu.sums, "integer sums")) << "M " << s.M << " K " << s.K << " N " << s.N << " elu " << elu;
      EXPECT_TRUE(SameBits(Vec<T>(dW), dWb)) << "dW M " << s.M << " K " << s.K << " N " << s.N << " elu " << elu;
      EXPECT_TRUE(SameBits(Vec<T>(db), dbb)) << "db M " << s.M;
      if (s.M > 0) EXPECT_GT(RelErr(std::vector<T>(s.N * s.K, T(0)), dWb), 0.0) << "a gradient of zeros proves nothing";
    }
  for (int64_t M : {int64_t(1000), int64_t(1), int64_t(0), gnnk::kOuterMinRows * 9 + 5})
    for (int64_t H : {32, 20}) {
      auto          x = Random({M, H}, dtype, 3.0) + 1.5, gamma = Random({H}, dtype), beta = Random({H}, dtype), g = Random({M, H}, dtype, 1e-2);
      torch::Tensor mean, rstd, dx, dgamma, dbeta;
      GNNKernelLayerNormForward(x, gamma, beta, 1e-5, mean, rstd);
      FakeRanks cpu, gpu;
      GNNKernelLayerNormBackward(g, x, mean, rstd, gamma, false, dx, dgamma, dbeta, &cpu.rr);
      const T      *gp = g.template data_ptr<T>(), *xp = x.template data_ptr<T>(), *mp = mean.template data_ptr<T>(), *rp = rstd.template data_ptr<T>();
      const int64_t chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
      std::vector<double> maxima(2 * H, 0.0);
      for (int64_t c = chunks - 1; c >= 0; c--)
        for (int64_t e = 0; e < 2 * H; e++) maxima[e] = std::max(maxima[e], gnnk::LayerNormBoundChunkAt(gp, xp, mp, rp, M, H, rows, c, e));
      const gnnrepro::ColumnScales sc = gnnrepro::AgreeColumnScales(&gpu.rr, M, 2 * H, maxima.data());
      std::vector<int64_t>         acc(2 * H, 0);
      for (int64_t c = chunks - 1; c >= 0; c--)
        for (int64_t e = 0; e < 2 * H; e++) acc[e] += gnnk::LayerNormFixedChunkAt(gp, xp, mp, rp, M, H, rows, c, e, sc.f.data());
      std::vector<T> out(2 * H);
      gnnrepro::ColumnsFromFixed(&gpu.rr, sc, acc.data(), out.data());
      EXPECT_TRUE(SameInts(cpu.agreed, gpu.agreed, "LayerNorm agreed bounds")) << "M " << M << " H " << H;
      EXPECT_TRUE(SameInts(cpu.sums, gpu.sums, "LayerNorm integer sums")) << "M " << M << " H " << H;
      EXPECT_TRUE(SameBits(Vec<T>(dgamma), std::vector<T>(out.begin(), out.begin() + H))) << "dgamma M " << M << " H " << H;
      EXPECT_TRUE(SameBits(Vec<T>(dbeta), std::vector<T>(out.begin() + H, out.end()))) << "dbeta M " << M << " H " << H;
    }
}

/* The fused backward's tile rows (gnnk::MLPBackwardTileRows): at most what the shared memory holds,
   and no other count of rows up to it does more rows per round of the team over a product's
   items. The paper's edge MLP in float: 48 KiB hold 33 rows, 32 fill one round of 256 threads by
   2 x 2 blocks where 33 took two; 20 KiB (an MI250X's share for 3 blocks) hold 14. */
TEST(MLPBackward, TileRowsFillTheRounds)
{
  gnnk::MLPShape s{};
  s.nl = 7;
  for (int l = 0; l <= s.nl; l++) s.dims[l] = 32;
  const int64_t perRow = gnnk::MLPBackwardScratch(s, 1, true) * (int64_t)sizeof(float);
  EXPECT_EQ(48 * 1024 / perRow, 33);
  EXPECT_EQ(gnnk::MLPBackwardTileRows(48 * 1024 / perRow, 2, 2, 32, 256), 32);
  EXPECT_EQ(gnnk::MLPBackwardTileRows((65536 / 3 - 1024) / perRow, 2, 2, 32, 256), 14);
  EXPECT_EQ(gnnk::MLPBackwardTileRows(64, 2, 2, 32, 256), 64);
  EXPECT_EQ(gnnk::MLPBackwardTileRows(33, 4, 4, 32, 256), 33);
  EXPECT_EQ(gnnk::MLPBackwardTileRows(0, 2, 2, 32, 256), 0);
  for (int t : {1, 2, 4})
    for (int64_t width : {3, 20, 32, 64, 96})
      for (int64_t rmax = 1; rmax <= 64; rmax++) {
        const int64_t r     = gnnk::MLPBackwardTileRows(rmax, t, t, width, 256);
        auto          round = [&](int64_t R) { return (((R + t - 1) / t) * ((width + t - 1) / t) + 255) / 256; };
        ASSERT_TRUE(r >= 1 && r <= rmax) << "rmax " << rmax;
        for (int64_t R = 1; R <= rmax; R++) EXPECT_LE(R * round(r), r * round(R)) << "tile " << t << " width " << width << " rmax " << rmax << ": " << R << " rows beat " << r;
      }
}

/* The rounding every fixed-point term goes through (gnnrepro::ToFixed): nearest, ties to even, as
   the AVX-512 conversion and the GPU's __double2ll_rn; NaN and values beyond int64 give x86's
   INT64_MIN, which the GPU's version returns for them too */
TEST(ReproSum, ToFixedRounding)
{
  const std::vector<std::pair<double, int64_t>> cases = {{0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {-2.5, -2}, {0.49999999999999994, 0}, {3.7, 4}, {-3.7, -4},
                                                         {4611686018427387904.0, INT64_C(4611686018427387904)}, {-9223372036854775808.0, INT64_MIN}};
  for (auto &c : cases) EXPECT_EQ(gnnrepro::ToFixed(c.first), c.second) << c.first;
  for (double v : {std::nan(""), 9223372036854775808.0, -1e300, std::numeric_limits<double>::infinity()}) EXPECT_EQ(gnnrepro::ToFixed(v), INT64_MIN) << v;
  /* the maximum the bounds take: a NaN term makes it NaN and keeps it so (the GPU's atomic maximum
     of the bit patterns does the same), so that its column's sum comes out NaN */
  EXPECT_TRUE(std::isnan(gnnk::MaxAbs(2.0, std::nan(""))));
  EXPECT_TRUE(std::isnan(gnnk::MaxAbs(std::nan(""), 2.0)));
  EXPECT_EQ(gnnrepro::BoundExponent(std::nan("")), gnnrepro::kNonFinite);
  EXPECT_EQ(gnnrepro::BoundExponent(-std::numeric_limits<double>::infinity()), gnnrepro::kNonFinite);
  EXPECT_EQ(gnnk::MaxAbs(2.0, -3.0), 3.0);
  EXPECT_EQ(gnnk::MaxAbs(0.0, -0.0), 0.0);
}

/* A non-finite term (a NaN gradient entry, an Inf input) makes the reproducible sums it enters
   non-finite, as it would make the ordinary sums, and leaves every other sum's bits alone: its
   integer would otherwise be a finite number (x86's INT64_MIN) that the non-finite check of the
   training step could not see. The CPU kernels and the GPU's bodies (its chunk bounds). */
TYPED_TEST(KernelBodies, ReproducibleSumsKeepNonFiniteTerms)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(9);
  const int64_t M = 300, K = 20, N = 20, bad = 3;
  auto          x = Random({M, K}, dtype), W = Random({N, K}, dtype, 0.3), g = Random({M, N}, dtype, 1e-3);
  FakeRanks     r0, r1, r2;
  torch::Tensor dX, dW, db, dWg, dbg, dWx, dbx;
  GNNKernelLinearBackward(g, torch::Tensor(), x, W, false, dX, dW, db, &r0.rr);
  auto gn = g.clone(), xi = x.clone();
  gn[5][bad] = std::numeric_limits<double>::quiet_NaN();
  xi[7][bad] = std::numeric_limits<double>::infinity();
  GNNKernelLinearBackward(gn, torch::Tensor(), x, W, false, dX, dWg, dbg, &r1.rr);
  GNNKernelLinearBackward(g, torch::Tensor(), xi, W, false, dX, dWx, dbx, &r2.rr);
  const auto w = Vec<T>(dW), wg = Vec<T>(dWg), wx = Vec<T>(dWx), b = Vec<T>(db), bg = Vec<T>(dbg), bx = Vec<T>(dbx);
  for (int64_t n = 0; n < N; n++) {
    for (int64_t k = 0; k < K; k++) {
      const int64_t q = n * K + k;
      if (n == bad) EXPECT_TRUE(std::isnan(wg[q])) << "dW (" << n << ", " << k << ") with a NaN in ge column " << bad << ": " << wg[q];
      else EXPECT_EQ(std::memcmp(&wg[q], &w[q], sizeof(T)), 0) << "dW (" << n << ", " << k << ") changed by a NaN in another column";
      if (k == bad) EXPECT_FALSE(std::isfinite(wx[q])) << "dW (" << n << ", " << k << ") with an Inf in x column " << bad << ": " << wx[q];
      else EXPECT_EQ(std::memcmp(&wx[q], &w[q], sizeof(T)), 0) << "dW (" << n << ", " << k << ") changed by an Inf in another column";
    }
    if (n == bad) EXPECT_TRUE(std::isnan(bg[n])) << "db " << n;
    else EXPECT_EQ(std::memcmp(&bg[n], &b[n], sizeof(T)), 0) << "db " << n;
    EXPECT_EQ(std::memcmp(&bx[n], &b[n], sizeof(T)), 0) << "db " << n << " does not depend on x";
  }
  /* the GPU's chunk bounds carry the NaN to the agreed exponent */
  auto          gv = Vec<T>(gn);
  const int64_t chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
  double        m = 0;
  for (int64_t c = 0; c < chunks; c++) m = gnnk::MaxAbs(m, gnnk::OuterBoundChunkAt(gv.data(), M, N, x.template data_ptr<T>(), K, rows, c, bad));
  EXPECT_EQ(gnnrepro::BoundExponent(m), gnnrepro::kNonFinite);
  EXPECT_EQ(r1.agreed[1 + bad], gnnrepro::kNonFinite);
  /* LayerNorm: a NaN gradient entry in feature bad makes dgamma and dbeta of that feature NaN */
  torch::Tensor mean, rstd, dx, dgamma, dbeta;
  auto          gamma = Random({K}, dtype), beta = Random({K}, dtype), gl = Random({M, K}, dtype, 1e-2);
  GNNKernelLayerNormForward(x, gamma, beta, 1e-5, mean, rstd);
  gl[11][bad] = std::numeric_limits<double>::quiet_NaN();
  FakeRanks r3;
  GNNKernelLayerNormBackward(gl, x, mean, rstd, gamma, false, dx, dgamma, dbeta, &r3.rr);
  const auto dg = Vec<T>(dgamma), dbt = Vec<T>(dbeta);
  for (int64_t e = 0; e < K; e++) {
    EXPECT_EQ((bool)std::isnan(dg[e]), e == bad) << "dgamma " << e << ": " << dg[e];
    EXPECT_EQ((bool)std::isnan(dbt[e]), e == bad) << "dbeta " << e << ": " << dbt[e];
  }
}

/* Accuracy: the reproducible sums against today's sums, both against the float64 sum of the same
   terms (the products of two float32 values are exact in double), on gradient-like data (many
   rows, mean-zero gradients: sums with cancellation). They must be at least as accurate. */
TYPED_TEST(KernelBodies, ReproducibleSumsAreAtLeastAsAccurate)
{
  using T          = TypeParam;
  const auto dtype = Types<T>::dtype;
  torch::manual_seed(7);
  const int64_t M = 60000, K = 32, N = 32;
  auto          x = torch::elu(Random({M, K}, dtype)), W = Random({N, K}, dtype, 0.3), g = Random({M, N}, dtype, 1e-3);
  FakeRanks     one;
  torch::Tensor dX, dW, db, dWr, dbr;
  GNNKernelLinearBackward(g, torch::Tensor(), x, W, false, dX, dW, db);
  GNNKernelLinearBackward(g, torch::Tensor(), x, W, false, dX, dWr, dbr, &one.rr);
  auto ref = Vec<double>(torch::mm(g.to(torch::kFloat64).t(), x.to(torch::kFloat64)).contiguous());
  auto rb  = Vec<double>(g.to(torch::kFloat64).sum(0).contiguous());
  const double eW = MaxRelErr(ref, AsDouble<T>(dW)), eWr = MaxRelErr(ref, AsDouble<T>(dWr)), eb = MaxRelErr(rb, AsDouble<T>(db)), ebr = MaxRelErr(rb, AsDouble<T>(dbr));
  std::printf("  %s, %lld rows: dW error (max, relative to max |dW|) today %.3e, reproducible %.3e; db today %.3e, reproducible %.3e\n", sizeof(T) == 4 ? "float32" : "float64", (long long)M, eW, eWr, eb, ebr);
  /* float32: at least as accurate as today's sums (the exact sum of the exact products, rounded
     once to float32, plus the fixed point's 2^-(62 - 16) of the bound per term); float64: the fixed
     point (62 bits per term) is less accurate than float64's own sums, far below float32's rounding */
  const double ulp = std::numeric_limits<T>::epsilon();
  auto         ok  = [&](double rep, double today) { return sizeof(T) == 4 ? rep <= std::max(today, ulp) : rep <= 1e-10; };
  EXPECT_TRUE(ok(eWr, eW)) << "dW: reproducible " << eWr << ", today " << eW;
  EXPECT_TRUE(ok(ebr, eb)) << "db: reproducible " << ebr << ", today " << eb;

  auto          gl = Random({M, N}, dtype, 1e-2), gamma = Random({N}, dtype), beta = Random({N}, dtype);
  torch::Tensor mean, rstd, dx, dg, dbe, dgr, dber;
  auto          xl = Random({M, N}, dtype);
  GNNKernelLayerNormForward(xl, gamma, beta, 1e-5, mean, rstd);
  GNNKernelLayerNormBackward(gl, xl, mean, rstd, gamma, false, dx, dg, dbe);
  GNNKernelLayerNormBackward(gl, xl, mean, rstd, gamma, false, dx, dgr, dber, &one.rr);
  auto xhat = ((xl - mean.unsqueeze(1)) * rstd.unsqueeze(1)).to(torch::kFloat64); /* in T, as the kernels */
  auto rg   = Vec<double>((gl.to(torch::kFloat64) * xhat).sum(0).contiguous());
  const double eg = MaxRelErr(rg, AsDouble<T>(dg)), egr = MaxRelErr(rg, AsDouble<T>(dgr));
  std::printf("  %s, %lld rows: LayerNorm dgamma error today %.3e, reproducible %.3e\n", sizeof(T) == 4 ? "float32" : "float64", (long long)M, eg, egr);
  EXPECT_TRUE(ok(egr, eg)) << "dgamma: reproducible " << egr << ", today " << eg;
}


/* pk holds the layers W (b[l] may be undefined) and the LayerNorm's g, be (undefined: none) as
   GNNMLPPack says */
void ExpectPack(const GNNMLPPack &pk, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &bl, const torch::Tensor &g, const torch::Tensor &be)
{
  for (size_t l = 0; l < W.size(); l++) {
    EXPECT_TRUE(torch::equal(pk.P.narrow(0, pk.woff[l], W[l].numel()), W[l].t().contiguous().view({-1}))) << "W^T of layer " << l;
    EXPECT_TRUE(torch::equal(pk.Pw.narrow(0, pk.woff[l], W[l].numel()), W[l].reshape({-1}))) << "W of layer " << l;
    if (bl[l].defined()) EXPECT_TRUE(torch::equal(pk.bias.narrow(0, pk.boff[l], bl[l].numel()), bl[l])) << "bias of layer " << l;
    else EXPECT_EQ(pk.boff[l], -1);
  }
  if (!g.defined()) {
    EXPECT_EQ(pk.lnoff, -1);
    return;
  }
  EXPECT_TRUE(torch::equal(pk.bias.narrow(0, pk.lnoff, g.numel()), g));
  EXPECT_TRUE(torch::equal(pk.bias.narrow(0, pk.lnoff + g.numel(), be.numel()), be));
}

std::vector<torch::Tensor> Clones(const std::vector<torch::Tensor> &W)
{
  std::vector<torch::Tensor> c;
  for (auto &w : W) c.push_back(w.defined() ? w.clone() : w);
  return c;
}

/* The packed MLP parameters (src/kernels/mlppack.cxx) that the fused kernels read on either device:
   one pack while the tensors are the same and unwritten, a new one with the new values when one is
   written (through itself or a view), replaced or another view; the fused forward reads the
   current values after each change. */
TEST(MLPPack, ReusedUntilWritten)
{
  torch::manual_seed(3);
  auto base  = torch::randn({8, 20}); /* layer 0 is a column view of it, as the edge MLP's */
  auto W1    = torch::randn({8, 8}), W2 = torch::randn({4, 8});
  auto b0    = torch::randn({8}), b2 = torch::randn({4}), gamma = torch::randn({4}), beta = torch::randn({4});
  auto layer = [&](int64_t col) { return std::vector<torch::Tensor>{base.narrow(1, col, 8), W1, W2}; };
  const std::vector<torch::Tensor> b = {b0, torch::Tensor(), b2};
  const auto c0 = GNNKernelMLPPackCounts();
  auto       p1 = GNNKernelMLPPack(layer(12), b, gamma, beta);
  ExpectPack(*p1, layer(12), b, gamma, beta);
  EXPECT_EQ(GNNKernelMLPPack(layer(12), b, gamma, beta).get(), p1.get()) << "the same tensors (the view made again): the same pack";
  auto c1 = GNNKernelMLPPackCounts();
  EXPECT_EQ(c1.made - c0.made, 1);
  EXPECT_EQ(c1.reused - c0.reused, 1);

  auto x  = torch::randn({50, 8});
  auto y1 = GNNKernelMLPForward(x, layer(12), b, nullptr, gamma, beta, 1e-5);
  {
    torch::NoGradGuard nograd;
    base.add_(0.5); /* through the view's base: the view's version moves too */
  }
  auto p2 = GNNKernelMLPPack(layer(12), b, gamma, beta);
  EXPECT_NE(p2.get(), p1.get());
  ExpectPack(*p2, layer(12), b, gamma, beta);
  EXPECT_FALSE(torch::equal(p1->P, p2->P)) << "a pack is never modified";
  auto y2 = GNNKernelMLPForward(x, layer(12), b, nullptr, gamma, beta, 1e-5);
  EXPECT_FALSE(torch::equal(y1, y2));
  EXPECT_TRUE(torch::equal(y2, GNNKernelMLPForward(x, Clones(layer(12)), b, nullptr, gamma.clone(), beta.clone(), 1e-5))) << "the forward after a write reads the new weights";

  gamma.mul_(2); /* a LayerNorm parameter written */
  auto p3 = GNNKernelMLPPack(layer(12), b, gamma, beta);
  EXPECT_NE(p3.get(), p2.get());
  ExpectPack(*p3, layer(12), b, gamma, beta);
  auto p4 = GNNKernelMLPPack(layer(4), b, gamma, beta); /* other columns of the same storage */
  EXPECT_NE(p4.get(), p3.get());
  ExpectPack(*p4, layer(4), b, gamma, beta);
  auto p5 = GNNKernelMLPPack(Clones(layer(12)), b, gamma, beta); /* equal values, other storage */
  EXPECT_NE(p5.get(), p3.get());
  EXPECT_EQ(GNNKernelMLPPack(layer(12), b, gamma, beta).get(), p3.get()) << "the other keys did not replace this one";

  /* parameters that die and new ones made in their place (the allocator may give them the same
     addresses): each time the new values */
  for (int k = 0; k < 60; k++) {
    std::vector<torch::Tensor> Wk = {torch::full({8, 8}, (double)k), torch::randn({4, 8})}, bk = {torch::full({8}, -(double)k), torch::Tensor()};
    auto                       pk = GNNKernelMLPPack(Wk, bk, torch::Tensor(), torch::Tensor());
    ExpectPack(*pk, Wk, bk, torch::Tensor(), torch::Tensor());
    auto xk = torch::randn({5, 8});
    EXPECT_TRUE(torch::equal(GNNKernelMLPForward(xk, Wk, bk, nullptr), GNNKernelMLPForward(xk, Clones(Wk), bk, nullptr)));
  }
  EXPECT_EQ(GNNKernelMLPPack(layer(12), b, gamma, beta).get(), p3.get()) << "dead parameters' packs go first, before the least recently used";
}


/* The model's parameters are views of one flat tensor (GNNTorch::flat): their pack is then one
   gather from it, made again after each write, with the values of the general path */
TEST(MLPPack, OneGatherFromOneStorage)
{
  torch::manual_seed(4);
  auto    flat = torch::randn({8 * 20 + 8 + 8 * 8 + 4 * 8 + 4 + 4 + 4});
  int64_t o    = 0;
  auto    take = [&](std::vector<int64_t> shape) {
    const int64_t n = std::accumulate(shape.begin(), shape.end(), (int64_t)1, std::multiplies<int64_t>());
    auto          t = flat.narrow(0, o, n).view(shape);
    o += n;
    return t;
  };
  auto Wfull = take({8, 20}), b0 = take({8}), W1 = take({8, 8}), W2 = take({4, 8}), b2 = take({4}), gamma = take({4}), beta = take({4});
  const std::vector<torch::Tensor> W = {Wfull.narrow(1, 12, 8), W1, W2}, b = {b0, torch::Tensor(), b2};
  const auto                       x = torch::randn({50, 8});
  for (int round = 0; round < 2; round++) {
    const auto c0 = GNNKernelMLPPackCounts();
    auto       pk = GNNKernelMLPPack(W, b, gamma, beta);
    const auto c1 = GNNKernelMLPPackCounts();
    EXPECT_EQ(c1.made - c0.made, 1);
    EXPECT_EQ(c1.gathered - c0.gathered, 1) << "one storage: one gather";
    ExpectPack(*pk, W, b, gamma, beta);
    auto apart = GNNKernelMLPPack(Clones(W), Clones(b), gamma.clone(), beta.clone()); /* several storages */
    EXPECT_EQ(GNNKernelMLPPackCounts().gathered, c1.gathered) << "several storages: the general path";
    EXPECT_TRUE(torch::equal(pk->P, apart->P) && torch::equal(pk->Pw, apart->Pw) && torch::equal(pk->bias, apart->bias));
    EXPECT_TRUE(torch::equal(GNNKernelMLPForward(x, W, b, nullptr, gamma, beta, 1e-5), GNNKernelMLPForward(x, Clones(W), b, nullptr, gamma.clone(), beta.clone(), 1e-5)));
    /* one layer without a bias (as the edge layer's sender part): gathered too, one unread bias entry */
    auto one = GNNKernelMLPPack({Wfull.narrow(1, 0, 8)}, {torch::Tensor()}, torch::Tensor(), torch::Tensor());
    EXPECT_EQ(GNNKernelMLPPackCounts().gathered - c1.gathered, 1);
    ExpectPack(*one, {Wfull.narrow(1, 0, 8)}, {torch::Tensor()}, torch::Tensor(), torch::Tensor());
    EXPECT_EQ(one->bias.numel(), 1);
    flat.mul_(1.5); /* every view's version moves with the flat tensor's */
  }
}

} // namespace
