/* Row-deterministic Linear (+ELU) forward. Compiled with -ffp-contract=off (see CMakeLists.txt):
   a fused multiply-add in one code path and not in another would round differently. */
#include "nn/linear.hpp"
#include <ATen/Parallel.h>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

/* exp(v) - 1 for v <= 0 in plain IEEE operations (range reduction and a Taylor polynomial in
   double, error < 1e-16): unlike a libm call it vectorises, and the scalar and vector code paths
   give the same bits, so an element's result does not depend on its position in the batch. */
template <typename T>
inline T ExpMinusOneNeg(T v)
{
  double x = (double)v;
  x        = x < -700.0 ? -700.0 : x;
  double k = std::floor(x * 1.4426950408889634 + 0.5);
  double r = (x - k * 0.693147180369123816490) - k * 1.90821492927058770002e-10;
  double p = 1.0 / 479001600.0;
  p        = p * r + 1.0 / 39916800.0;
  p        = p * r + 1.0 / 3628800.0;
  p        = p * r + 1.0 / 362880.0;
  p        = p * r + 1.0 / 40320.0;
  p        = p * r + 1.0 / 5040.0;
  p        = p * r + 1.0 / 720.0;
  p        = p * r + 1.0 / 120.0;
  p        = p * r + 1.0 / 24.0;
  p        = p * r + 1.0 / 6.0;
  p        = p * r + 0.5;
  p        = p * r * r + r; /* exp(r) - 1 */
  int32_t  ki   = (int32_t)k;
  uint64_t bits = (uint64_t)(int64_t)(ki + 1023) << 52;
  double   two;
  std::memcpy(&two, &bits, sizeof(two));
  return (T)(p * two + (two - 1.0)); /* 2^k (exp(r) - 1) + 2^k - 1 */
}

/* R rows of x times all N outputs (N = NB when NB > 0, a compile-time width kept in registers).
   Every output is acc = b; acc += x_k * w_k for k = 0..K-1 in order: the same sequence whatever R,
   NB or the vector width, so blocking never changes a row's result. */
template <typename T, int R, int NB>
__attribute__((target_clones("avx512f", "avx2", "default"))) void RowBlock(const T *x, int64_t K, const T *WT, const T *b, int64_t Nrt, T *y, bool elu)
{
  const int64_t N = NB > 0 ? NB : Nrt;
  for (int64_t j0 = 0; j0 < N; j0 += 64) {
    const int64_t nj = NB > 0 ? NB : std::min<int64_t>(64, N - j0);
    T             acc[R][NB > 0 ? NB : 64];
    for (int r = 0; r < R; r++)
      for (int64_t j = 0; j < nj; j++) acc[r][j] = b[j0 + j];
    for (int64_t k = 0; k < K; k++) {
      const T *w = WT + k * N + j0;
      for (int r = 0; r < R; r++) {
        const T xv = x[r * K + k];
        for (int64_t j = 0; j < nj; j++) acc[r][j] += xv * w[j];
      }
    }
    for (int r = 0; r < R; r++)
      for (int64_t j = 0; j < nj; j++) {
        T v               = acc[r][j];
        T e               = ExpMinusOneNeg(v < 0 ? v : T(0));
        y[r * N + j0 + j] = (elu && v <= 0) ? e : v;
      }
  }
}

template <typename T, int NB>
void LinearForwardN(const T *x, int64_t M, int64_t K, const T *WT, const T *b, int64_t N, T *y, bool elu)
{
  constexpr int R = 4;
  at::parallel_for(0, (M + R - 1) / R, 64, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; blk++) {
      int64_t i = blk * R;
      if (i + R <= M) RowBlock<T, R, NB>(x + i * K, K, WT, b, N, y + i * N, elu);
      else
        for (; i < M; i++) RowBlock<T, 1, NB>(x + i * K, K, WT, b, N, y + i * N, elu);
    }
  });
}

template <typename T>
void LinearForward(const T *x, int64_t M, int64_t K, const T *WT, const T *b, int64_t N, T *y, bool elu)
{
  if (N == 32) LinearForwardN<T, 32>(x, M, K, WT, b, N, y, elu); /* the default latent width */
  else LinearForwardN<T, 0>(x, M, K, WT, b, N, y, elu);
}

/* g * ELU'(z) from the ELU's output y: 1 where y > 0, else exp(z) = y + 1; one pass, no temporaries */
template <typename T>
void EluBackward(const T *g, const T *y, int64_t n, T *out)
{
  at::parallel_for(0, n, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = y[i] > 0 ? g[i] : g[i] * (y[i] + 1);
  });
}

class LinearFunction : public torch::autograd::Function<LinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor x, torch::Tensor W, torch::Tensor b, bool elu)
  {
    x              = x.contiguous();
    auto    WT     = W.t().contiguous();
    int64_t M      = x.size(0), K = x.size(1), N = W.size(0);
    auto    y      = torch::empty({M, N}, x.options());
    auto    bc     = b.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "GNNLinear", [&] { LinearForward<scalar_t>(x.data_ptr<scalar_t>(), M, K, WT.data_ptr<scalar_t>(), bc.data_ptr<scalar_t>(), N, y.data_ptr<scalar_t>(), elu); });
    ctx->saved_data["elu"] = elu;
    if (elu) ctx->save_for_backward({x, W, y});
    else ctx->save_for_backward({x, W});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto saved = ctx->get_saved_variables();
    auto x = saved[0], W = saved[1];
    auto g = grads[0];
    if (ctx->saved_data["elu"].toBool()) {
      auto y  = saved[2];
      auto gc = g.contiguous(), ge = torch::empty_like(y);
      AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "GNNEluBackward", [&] { EluBackward<scalar_t>(gc.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), y.numel(), ge.data_ptr<scalar_t>()); });
      g = ge;
    }
    return {g.mm(W), g.t().mm(x), g.sum(0), torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNLinear(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu)
{
  return LinearFunction::apply(x, W, b, elu);
}
