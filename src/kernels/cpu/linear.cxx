/* Row-deterministic Linear (+ELU) on the CPU: forward and fused backward.

   Every forward output is acc = b; acc = fma(x_k, w_k, acc) for k = 0..K-1 in order, in every code
   path (AVX-512 tiles of any height, the portable path, the GPU kernels: the bodies of
   src/kernels/gnnkernelbodies.h), so a row's result depends on that row alone. The file is
   compiled with -ffp-contract=off (see CMakeLists.txt) so that the compiler adds no fused
   multiply-add of its own in the paths written without one (the ELU). */
#include "kernels/cpu/cpukernels.hpp"
#include "kernels/gnnkernelbodies.h"
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

/* GCC 12 warns about the vector ABI of the always-inlined generic helpers and about its own
   intrinsics headers (_mm512_undefined_*): neither applies to code inlined into the AVX-512 tiles */
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

using gnnk::Elu;
using gnnk::Scalar;

/* ELU in place on n contiguous values (the portable path) */
template <typename T>
__attribute__((target_clones("arch=haswell", "default"))) void EluInPlace(T *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++) y[i] = Elu<T, Scalar<T>>(y[i]);
}

/* g * ELU'(z) from the ELU's output y: 1 where y > 0, else exp(z) = y + 1 */
template <typename T>
__attribute__((target_clones("avx512f", "avx2", "default"))) void EluBackward(const T *g, const T *y, int64_t n, T *out)
{
  for (int64_t i = 0; i < n; i++) out[i] = gnnk::EluGrad(g[i], y[i]);
}

/* The right-hand operand of a row product, packed: P[k][j] for k < K, j < Npad (N rounded up to a
   multiple of 64 bytes, zero-padded), so that the kernels load whole vectors. */
template <typename T>
struct Packed {
  int64_t        K, N, Npad;
  std::vector<T> w, b;
};

/* P[k][j] = W[j][k] (transposed, the forward's W^T) or W[k][j] (as is, the backward's dX = g W) */
template <typename T>
Packed<T> Pack(const T *W, int64_t rows, int64_t cols, bool transpose, const T *b)
{
  Packed<T> p;
  p.K    = transpose ? cols : rows;
  p.N    = transpose ? rows : cols;
  const int64_t L = 64 / sizeof(T);
  p.Npad = (p.N + L - 1) / L * L;
  p.w.assign(p.K * p.Npad, T(0));
  p.b.assign(p.Npad, T(0));
  for (int64_t k = 0; k < p.K; k++)
    for (int64_t j = 0; j < p.N; j++) p.w[k * p.Npad + j] = transpose ? W[j * cols + k] : W[k * cols + j];
  if (b)
    for (int64_t j = 0; j < p.N; j++) p.b[j] = b[j];
  return p;
}

/* ---- portable path: the same fma sequence, one row at a time ---- */
template <typename T>
__attribute__((target_clones("arch=haswell", "default"))) void RowsGeneric(const T *x, int64_t M, int64_t ldx, const Packed<T> &p, const T *init, T *y, int64_t ldy)
{
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < p.N; j++) y[i * ldy + j] = gnnk::RowDot(x + i * ldx, p.w.data() + j, p.Npad, p.K, init ? init[i * p.Npad + j] : p.b[j]);
}

/* dW[n][k] += sum_i g[i][n] x[i][k], db[n] += sum_i g[i][n] */
template <typename T>
void OuterGeneric(const T *g, int64_t M, int64_t N, const T *x, int64_t K, T *dW, T *db)
{
  for (int64_t i = 0; i < M; i++)
    for (int64_t n = 0; n < N; n++) {
      const T gv = g[i * N + n];
      db[n] += gv;
      for (int64_t k = 0; k < K; k++) dW[n * K + k] += gv * x[i * K + k];
    }
}

/* Fixed-point dW over M rows of prescaled operands (gs = g 2^a_n, xs = x 2^b_k, as doubles):
   acc[n][k] += rint(gs[i][n] xs[i][k]), exact integer sums (src/sys/gnnreprosum.h) */
inline void FixedOuterGeneric(const double *gs, int64_t M, int64_t N, const double *xs, int64_t K, int64_t *acc)
{
  for (int64_t i = 0; i < M; i++)
    for (int64_t n = 0; n < N; n++) {
      const double gv = gs[i * N + n];
      for (int64_t k = 0; k < K; k++) acc[n * K + k] += gnnk::FixedProduct(gv, xs[i * K + k]);
    }
}

/* ---- AVX-512 path ---- */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl")

template <typename T>
struct V;
template <>
struct V<float> {
  using R = __m512;
  static constexpr int L = 16;
  static R   load(const float *p) { return _mm512_loadu_ps(p); }
  using M = __mmask16;
  static M   mask(int64_t n) { return n >= L ? (M)0xffff : (M)((1u << (n > 0 ? n : 0)) - 1); }
  static R   loadm(const float *p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void storem(float *p, M m, R v) { _mm512_mask_storeu_ps(p, m, v); }
  static R   set1(float v) { return _mm512_set1_ps(v); }
  static R   zero() { return _mm512_setzero_ps(); }
  static R   fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R   add(R a, R b) { return _mm512_add_ps(a, b); }
  static R   mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R   sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R   min(R a, R b) { return _mm512_min_ps(b, a); } /* operand order as Scalar's (NaN) */
  static R   max(R a, R b) { return _mm512_max_ps(b, a); }
  static R   rint(R a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R   pow2(R k) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23)); }
  static R   elu_select(R v, R e) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), v, e); }
};
template <>
struct V<double> {
  using R = __m512d;
  static constexpr int L = 8;
  static R   load(const double *p) { return _mm512_loadu_pd(p); }
  using M = __mmask8;
  static M   mask(int64_t n) { return n >= L ? (M)0xff : (M)((1u << (n > 0 ? n : 0)) - 1); }
  static R   loadm(const double *p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void storem(double *p, M m, R v) { _mm512_mask_storeu_pd(p, m, v); }
  static R   set1(double v) { return _mm512_set1_pd(v); }
  static R   zero() { return _mm512_setzero_pd(); }
  static R   fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R   add(R a, R b) { return _mm512_add_pd(a, b); }
  static R   mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R   sub(R a, R b) { return _mm512_sub_pd(a, b); }
  static R   min(R a, R b) { return _mm512_min_pd(b, a); }
  static R   max(R a, R b) { return _mm512_max_pd(b, a); }
  static R   rint(R a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R   pow2(R k) { return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(_mm512_cvtpd_epi64(k), _mm512_set1_epi64(1023)), 52)); }
  static R   elu_select(R v, R e) { return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, _mm512_setzero_pd(), _CMP_LE_OQ), v, e); }
};

/* RT rows times one block of NV vectors of columns (from column j0) of y = x P + b; ncols of them
   are stored */
template <typename T, int RT, int NV>
inline void RowTile(const T *x, int64_t ldx, const Packed<T> &p, const T *init, int64_t j0, int64_t ncols, T *y, int64_t ldy, bool elu)
{
  using S               = V<T>;
  constexpr int      L  = S::L;
  const int64_t      K  = p.K, ldw = p.Npad;
  const T           *w0 = p.w.data() + j0;
  typename S::R      acc[RT][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    typename S::R bv = S::load(p.b.data() + j0 + v * L);
#pragma GCC unroll 16
    for (int r = 0; r < RT; r++) acc[r][v] = init ? S::load(init + r * ldw + j0 + v * L) : bv;
  }
  for (int64_t k = 0; k < K; k++) {
    typename S::R w[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) w[v] = S::load(w0 + k * ldw + v * L);
#pragma GCC unroll 16
    for (int r = 0; r < RT; r++) {
      typename S::R xv = S::set1(x[r * ldx + k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = S::fma(xv, w[v], acc[r][v]);
    }
  }
  if (elu)
#pragma GCC unroll 16
    for (int r = 0; r < RT; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = Elu<T, S>(acc[r][v]);
#pragma GCC unroll 16
  for (int r = 0; r < RT; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) S::storem(y + r * ldy + j0 + v * L, S::mask(ncols - v * L), acc[r][v]);
}

constexpr int kTile = 12; /* rows per register tile: 12 x 2 accumulators + 2 weights + 1 broadcast */

/* y = x P + b for M rows */
template <typename T>
void RowsAVX512(const T *x, int64_t M, int64_t ldx, const Packed<T> &p, const T *init, T *y, int64_t ldy, bool elu)
{
  constexpr int L = V<T>::L;
  int64_t       i = 0;
  for (; i + kTile <= M; i += kTile)
    for (int64_t j0 = 0; j0 < p.Npad; j0 += 2 * L) {
      if (j0 + L < p.Npad) RowTile<T, kTile, 2>(x + i * ldx, ldx, p, init ? init + i * p.Npad : nullptr, j0, p.N - j0, y + i * ldy, ldy, elu);
      else RowTile<T, kTile, 1>(x + i * ldx, ldx, p, init ? init + i * p.Npad : nullptr, j0, p.N - j0, y + i * ldy, ldy, elu);
    }
  for (; i < M; i++)
    for (int64_t j0 = 0; j0 < p.Npad; j0 += 2 * L) {
      if (j0 + L < p.Npad) RowTile<T, 1, 2>(x + i * ldx, ldx, p, init ? init + i * p.Npad : nullptr, j0, p.N - j0, y + i * ldy, ldy, elu);
      else RowTile<T, 1, 1>(x + i * ldx, ldx, p, init ? init + i * p.Npad : nullptr, j0, p.N - j0, y + i * ldy, ldy, elu);
    }
}

/* NB outputs n0.. times KV vectors of inputs k0.. of dW += g^T x over M rows */
template <typename T, int NB, int KV>
inline void OuterTile(const T *g, int64_t M, int64_t N, int64_t n0, const T *x, int64_t K, int64_t k0, T *dW)
{
  using S         = V<T>;
  constexpr int L = S::L;
  const int64_t kn = K - k0;
  typename S::M mk[KV]; /* masked loads throughout: a branch here keeps the accumulators off registers */
  typename S::R acc[NB][KV];
#pragma GCC unroll 4
  for (int v = 0; v < KV; v++) mk[v] = S::mask(kn - v * L);
#pragma GCC unroll 16
  for (int n = 0; n < NB; n++)
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) acc[n][v] = S::zero();
  for (int64_t i = 0; i < M; i++) {
    typename S::R xv[KV];
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) xv[v] = S::loadm(x + i * K + k0 + v * L, mk[v]);
#pragma GCC unroll 16
    for (int n = 0; n < NB; n++) {
      typename S::R gv = S::set1(g[i * N + n0 + n]);
#pragma GCC unroll 4
      for (int v = 0; v < KV; v++) acc[n][v] = S::fma(gv, xv[v], acc[n][v]);
    }
  }
#pragma GCC unroll 16
  for (int n = 0; n < NB; n++)
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) {
      T *d = dW + (n0 + n) * K + k0 + v * L;
      S::storem(d, mk[v], S::add(S::loadm(d, mk[v]), acc[n][v]));
    }
}

/* One block of inputs k0.. (KV vectors) for all outputs: tiles of 12, 8, 4, then single outputs */
template <typename T, int KV>
inline void OuterColumns(const T *g, int64_t M, int64_t N, const T *x, int64_t K, int64_t k0, T *dW)
{
  int64_t n0 = 0;
  for (; n0 + 12 <= N; n0 += 12) OuterTile<T, 12, KV>(g, M, N, n0, x, K, k0, dW);
  for (; n0 + 8 <= N; n0 += 8) OuterTile<T, 8, KV>(g, M, N, n0, x, K, k0, dW);
  for (; n0 + 4 <= N; n0 += 4) OuterTile<T, 4, KV>(g, M, N, n0, x, K, k0, dW);
  for (; n0 < N; n0++) OuterTile<T, 1, KV>(g, M, N, n0, x, K, k0, dW);
}

template <typename T>
void OuterAVX512(const T *g, int64_t M, int64_t N, const T *x, int64_t K, T *dW, T *db)
{
  constexpr int L = V<T>::L;
  for (int64_t k0 = 0; k0 < K; k0 += 2 * L) {
    if (k0 + L < K) OuterColumns<T, 2>(g, M, N, x, K, k0, dW);
    else OuterColumns<T, 1>(g, M, N, x, K, k0, dW);
  }
  for (int64_t i = 0; i < M; i++)
    for (int64_t n = 0; n < N; n++) db[n] += g[i * N + n];
}

/* The fixed-point twin of OuterTile: NB outputs times KV vectors of 8 inputs, the products of the
   prescaled doubles rounded to int64 (_mm512_cvtpd_epi64: nearest, ties to even, as ToFixed) and
   added in int64 registers; the tile is the float tile's shape, so it stays in registers */
template <int NB, int KV>
inline void FixedOuterTile(const double *gs, int64_t M, int64_t N, int64_t n0, const double *xs, int64_t K, int64_t k0, int64_t *acc)
{
  using S          = V<double>;
  constexpr int L  = S::L;
  const int64_t kn = K - k0;
  typename S::M mk[KV];
  __m512i       a[NB][KV];
#pragma GCC unroll 4
  for (int v = 0; v < KV; v++) mk[v] = S::mask(kn - v * L);
#pragma GCC unroll 16
  for (int n = 0; n < NB; n++)
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) a[n][v] = _mm512_setzero_si512();
  for (int64_t i = 0; i < M; i++) {
    typename S::R xv[KV];
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) xv[v] = S::loadm(xs + i * K + k0 + v * L, mk[v]);
#pragma GCC unroll 16
    for (int n = 0; n < NB; n++) {
      typename S::R gv = S::set1(gs[i * N + n0 + n]);
#pragma GCC unroll 4
      for (int v = 0; v < KV; v++) a[n][v] = _mm512_add_epi64(a[n][v], _mm512_cvtpd_epi64(S::mul(gv, xv[v])));
    }
  }
#pragma GCC unroll 16
  for (int n = 0; n < NB; n++)
#pragma GCC unroll 4
    for (int v = 0; v < KV; v++) {
      int64_t *d = acc + (n0 + n) * K + k0 + v * L;
      _mm512_mask_storeu_epi64(d, mk[v], _mm512_add_epi64(_mm512_maskz_loadu_epi64(mk[v], d), a[n][v]));
    }
}

template <int KV>
inline void FixedOuterColumns(const double *gs, int64_t M, int64_t N, const double *xs, int64_t K, int64_t k0, int64_t *acc)
{
  int64_t n0 = 0;
  for (; n0 + 12 <= N; n0 += 12) FixedOuterTile<12, KV>(gs, M, N, n0, xs, K, k0, acc);
  for (; n0 + 4 <= N; n0 += 4) FixedOuterTile<4, KV>(gs, M, N, n0, xs, K, k0, acc);
  for (; n0 < N; n0++) FixedOuterTile<1, KV>(gs, M, N, n0, xs, K, k0, acc);
}

inline void FixedOuterAVX512(const double *gs, int64_t M, int64_t N, const double *xs, int64_t K, int64_t *acc)
{
  constexpr int L = V<double>::L;
  for (int64_t k0 = 0; k0 < K; k0 += 2 * L) {
    if (k0 + L < K) FixedOuterColumns<2>(gs, M, N, xs, K, k0, acc);
    else FixedOuterColumns<1>(gs, M, N, xs, K, k0, acc);
  }
}

#pragma GCC pop_options

/* The AVX-512 tiles when the CPU has them; PETSCGNN_KERNEL=generic forces the portable path (same bits) */
const bool kHaveAVX512 = [] {
  __builtin_cpu_init();
  const char *env = std::getenv("PETSCGNN_KERNEL");
  if (env && !std::strcmp(env, "generic")) return false;
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}();

template <typename T>
void Rows(const T *x, int64_t M, int64_t ldx, const Packed<T> &p, const T *init, T *y, int64_t ldy, bool elu)
{
  if (kHaveAVX512) RowsAVX512(x, M, ldx, p, init, y, ldy, elu);
  else {
    RowsGeneric(x, M, ldx, p, init, y, ldy);
    if (elu)
      for (int64_t i = 0; i < M; i++) EluInPlace(y + i * ldy, p.N);
  }
}

template <typename T>
void Outer(const T *g, int64_t M, int64_t N, const T *x, int64_t K, T *dW, T *db)
{
  if (kHaveAVX512) OuterAVX512(g, M, N, x, K, dW, db);
  else OuterGeneric(g, M, N, x, K, dW, db);
}

void FixedOuter(const double *gs, int64_t M, int64_t N, const double *xs, int64_t K, int64_t *acc)
{
  if (kHaveAVX512) FixedOuterAVX512(gs, M, N, xs, K, acc);
  else FixedOuterGeneric(gs, M, N, xs, K, acc);
}

constexpr int64_t kChunk = 96; /* rows per chunk: a multiple of kTile, small enough to stay in L1/L2 */

/* rows i0 .. i0+m-1's initial values A[ia[i]] + B[ib[i]] (N of them, row stride ld), one fixed order per row */
template <typename T>
void EdgeStartChunk(const GNNRowInit<T> &ri, int64_t i0, int64_t m, int64_t N, int64_t ld, T *init)
{
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < N; j++) init[i * ld + j] = gnnk::EdgeStart(ri.A, ri.B, ri.ia[i0 + i], ri.ib[i0 + i], N, j);
}

template <typename T>
void LinearForward(const T *x, int64_t M, int64_t K, const T *W, const T *b, int64_t N, T *y, bool elu, const GNNRowInit<T> *ri)
{
  const Packed<T> p = Pack(W, N, K, true, b);
  at::parallel_for(0, (M + kChunk - 1) / kChunk, 8, [&](int64_t begin, int64_t end) {
    std::vector<T> init(ri ? kChunk * p.Npad : 0, T(0));
    for (int64_t c = begin; c < end; c++) {
      const int64_t i0 = c * kChunk, m = std::min(kChunk, M - i0);
      if (ri) EdgeStartChunk(*ri, i0, m, N, p.Npad, init.data());
      Rows(x + i0 * K, m, K, p, ri ? init.data() : nullptr, y + i0 * N, N, elu);
    }
  });
}

/* Each chunk of rows goes through all the layers while it is in the cache: the same Rows calls
   as LinearForward's, on the chunk, so the same bits */
template <typename T>
void MLPForward(const T *x, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, T *y, const GNNRowInit<T> *ri, const T *gamma, const T *beta, T eps, bool residual)
{
  std::vector<Packed<T>> p;
  int64_t                width = 0;
  for (int l = 0; l < nl; l++) {
    p.push_back(Pack(W[l], dims[l + 1], dims[l], true, b[l]));
    width = std::max(width, dims[l + 1]);
  }
  at::parallel_for(0, (M + kChunk - 1) / kChunk, 8, [&](int64_t begin, int64_t end) {
    std::vector<T> init(ri ? kChunk * p[0].Npad : 0, T(0)), buf(2 * kChunk * width);
    for (int64_t c = begin; c < end; c++) {
      const int64_t i0 = c * kChunk, m = std::min(kChunk, M - i0);
      if (ri) EdgeStartChunk(*ri, i0, m, dims[1], p[0].Npad, init.data());
      const T *in = x + i0 * dims[0];
      for (int l = 0; l < nl; l++) {
        const bool last = l + 1 == nl;
        T         *out  = last ? y + i0 * dims[nl] : buf.data() + (l % 2) * kChunk * width;
        Rows(in, m, dims[l], p[l], (l == 0 && ri) ? init.data() : nullptr, out, dims[l + 1], !last);
        in = out;
      }
      if (gamma) /* the chunk's rows, still in the cache, in place: GNNLayerNormForwardRows' body */
        for (int64_t i = 0; i < m; i++) {
          T *r = y + (i0 + i) * dims[nl], mean, rstd;
          gnnk::LayerNormRow(r, dims[nl], gamma, beta, eps, r, mean, rstd);
        }
      if (residual) /* x + y, the chunk's rows still in the cache */
        for (int64_t i = 0; i < m; i++) {
          const T *xr = x + (i0 + i) * dims[0];
          T       *r  = y + (i0 + i) * dims[nl];
          for (int64_t j = 0; j < dims[nl]; j++) r[j] = xr[j] + r[j];
        }
    }
  });
}

/* The chunk walk of both backward passes (ordinary and fixed point): the chunks of kChunk rows
   are split into nt runs of consecutive chunks, run t on thread t (the same chunks per thread for
   a given thread count); per chunk ge = g ELU'(y) (chunk-local), dX = ge W when dX, then
   accumulate(t, i0, m, ge) adds the chunk's rows i0 .. i0+m-1 (ge: their gradient) into thread
   t's partial sums. */
template <typename T, typename Accumulate>
void ForEachBackwardChunk(const T *g, const T *y, int64_t M, int64_t N, const Packed<T> &p, T *dX, int64_t K, int nt, Accumulate &&accumulate)
{
  const int64_t nc = (M + kChunk - 1) / kChunk, per = (nc + nt - 1) / nt;
  at::parallel_for(0, nt, 1, [&](int64_t tb, int64_t te) {
    std::vector<T> ge(y ? kChunk * N : 0);
    for (int64_t t = tb; t < te; t++)
      for (int64_t c = t * per; c < std::min(nc, (t + 1) * per); c++) {
        const int64_t i0 = c * kChunk, m = std::min(kChunk, M - i0);
        const T      *gc = g + i0 * N;
        if (y) {
          EluBackward(gc, y + i0 * N, m * N, ge.data());
          gc = ge.data();
        }
        if (dX) Rows(gc, m, N, p, (const T *)nullptr, dX + i0 * K, K, false);
        accumulate(t, i0, m, gc);
      }
  });
}

/* dW [N K] and db [N] = the threads' partials (part[t] + off: dW, then db), added in thread order from 0 */
template <typename T>
void SumThreadPartials(const std::vector<std::vector<T>> &part, int64_t off, int64_t N, int64_t K, T *dW, T *db)
{
  for (int64_t j = 0; j < N * K; j++) dW[j] = 0;
  for (int64_t j = 0; j < N; j++) db[j] = 0;
  for (const auto &p : part) {
    for (int64_t j = 0; j < N * K; j++) dW[j] += p[off + j];
    for (int64_t j = 0; j < N; j++) db[j] += p[off + N * K + j];
  }
}

/* dX = ge W, and each thread's partial dW = ge^T x and db = sum ge, added in thread order at the
   end (deterministic for a given thread count; gradients need to agree to rounding across rank
   counts, not bitwise). */
template <typename T>
void LinearBackward(const T *g, const T *y, const T *x, int64_t M, int64_t K, const T *W, int64_t N, T *dX, T *dW, T *db)
{
  const Packed<T>             p  = Pack(W, N, K, false, (const T *)nullptr);
  const int                   nt = at::get_num_threads();
  std::vector<std::vector<T>> part(nt, std::vector<T>(N * K + N, T(0)));
  ForEachBackwardChunk(g, y, M, N, p, dX, K, nt, [&](int64_t t, int64_t i0, int64_t m, const T *ge) {
    T *pw = part[t].data();
    Outer(ge, m, N, x + i0 * K, K, pw, pw + N * K);
  });
  SumThreadPartials(part, 0, N, K, dW, db);
}

/* The reproducible backward (src/sys/gnnreprosum.h): the same chunk walk, with dW and db
   accumulated in int64 from terms on the scales all ranks agree on (gnnrepro::OuterScales), then
   summed over the ranks, so that the result does not depend on how the rows are split between
   ranks and threads. Pass 1 takes the column maxima of |ge| and |x| (exact, in any order); pass 2
   prescales the chunk's ge and x by the powers of two of the agreed scales (the terms of
   gnnk::FixedOuterChunkAt, the GPU's body: the same integers) and adds the rounded products in the
   int64 tiles. */
template <typename T>
void LinearBackwardFixed(const T *g, const T *y, const T *x, int64_t M, int64_t K, const T *W, int64_t N, T *dX, T *dW, T *db, const GNNReproReduce *rr)
{
  const Packed<T> p  = Pack(W, N, K, false, (const T *)nullptr);
  const int       nt = at::get_num_threads();
  /* pass 1: the maxima (no dX yet: it comes with pass 2) */
  std::vector<std::vector<double>> mx(nt, std::vector<double>(N + K, 0.0));
  ForEachBackwardChunk(g, y, M, N, p, (T *)nullptr, K, nt, [&](int64_t t, int64_t i0, int64_t m, const T *ge) {
    double *mt = mx[t].data();
    for (int64_t i = 0; i < m; i++) {
      for (int64_t n = 0; n < N; n++) mt[n] = gnnk::MaxAbs(mt[n], (double)ge[i * N + n]);
      for (int64_t k = 0; k < K; k++) mt[N + k] = gnnk::MaxAbs(mt[N + k], (double)x[(i0 + i) * K + k]);
    }
  });
  std::vector<double> maxima(N + K, 0.0);
  for (int t = 0; t < nt; t++)
    for (int64_t c = 0; c < N + K; c++) maxima[c] = gnnk::MaxAbs(maxima[c], mx[t][c]);
  const gnnrepro::OuterScales s = gnnrepro::AgreeOuterScales(rr, M, N, K, maxima.data());
  const double               *fg = s.f.data(), *fx = fg + N, fb = s.f[N + K];
  /* pass 2: ge, dX and the fixed-point sums chunk by chunk, per thread */
  std::vector<std::vector<int64_t>> part(nt, std::vector<int64_t>(N * K + N, 0));
  std::vector<std::vector<double>>  scaled(nt);
  ForEachBackwardChunk(g, y, M, N, p, dX, K, nt, [&](int64_t t, int64_t i0, int64_t m, const T *ge) {
    int64_t *pw = part[t].data(), *pb = pw + N * K;
    scaled[t].resize(kChunk * (N + K));
    double *gs = scaled[t].data(), *xs = gs + kChunk * N;
    for (int64_t i = 0; i < m; i++) {
      for (int64_t n = 0; n < N; n++) {
        gs[i * N + n] = gnnk::FixedScaled(ge[i * N + n], fg[n]);
        pb[n] += gnnk::FixedProduct(gs[i * N + n], fb);
      }
      for (int64_t k = 0; k < K; k++) xs[i * K + k] = gnnk::FixedScaled(x[(i0 + i) * K + k], fx[k]);
    }
    FixedOuter(gs, m, N, xs, K, pw);
  });
  std::vector<int64_t> sum(N * K + N, 0);
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < N * K + N; j++) sum[j] += part[t][j];
  gnnrepro::OuterFromFixed(rr, s, sum.data(), dW, db);
}

/* The backward of an MLP (MLPForward's layers; with ri, layer 0 starts from the edge start and its
   pre-activation gradient ge goes to dStart) with nothing of its forward kept:
   ForEachBackwardChunk's walk (the same chunks per thread), where each chunk of rows first runs the
   forward again (MLPForward's Rows calls: the forward's bits) keeping every layer's output in the
   cache, then goes back through the LayerNorm (GNNLayerNormBackwardRows' bodies), the ELUs,
   dX = ge W and the thread's partial dW, db layer by layer, as LinearBackward does each layer. So
   dX, every dW and db are bitwise those of the layer-by-layer backward. dgamma and dbeta too: they
   are the fma chains of the GPU's chunks of rows (gnnk::OuterChunkRows, LayerNormParamChunkAt), each
   chunk's chain run by the thread that holds its first row; the rows of a chunk that the next
   threads hold (at the start of their runs) keep their normalised values, and their part of the
   chain is run after the threads, in row order. */
template <typename T>
void MLPBackward(const T *x, const GNNOutGrad<T> &go, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, const T *gamma, T eps, T *dX, T *const *dW, T *const *db, T *dgamma, T *dbeta, const GNNRowInit<T> *ri, T *dStart)
{
  std::vector<Packed<T>> pf, pb;
  int64_t                width = 0, nacc = 0;
  std::vector<int64_t>   aoff;
  for (int l = 0; l < nl; l++) {
    pf.push_back(Pack(W[l], dims[l + 1], dims[l], true, b[l]));
    pb.push_back(Pack(W[l], dims[l + 1], dims[l], false, (const T *)nullptr));
    aoff.push_back(nacc);
    nacc += dims[l + 1] * dims[l] + dims[l + 1];
  }
  for (int l = 0; l <= nl; l++) width = std::max(width, dims[l]);
  const int64_t               H = dims[nl];
  const int                   nt = at::get_num_threads();
  const int64_t               nc = (M + kChunk - 1) / kChunk, per = (nc + nt - 1) / nt;
  const int64_t               lnChunks = gnnk::OuterChunks(M), lnRows = gnnk::OuterChunkRows(M);
  std::vector<std::vector<T>> part(nt, std::vector<T>(nacc, T(0)));
  std::vector<T>              lnwork(gamma ? lnChunks * 2 * H : 0, T(0)); /* [chunk][dgamma H, dbeta H] */
  std::vector<std::vector<T>> lnhead(nt); /* xhat of a thread's rows before its first chunk start */
  at::parallel_for(0, nt, 1, [&](int64_t tb, int64_t te) {
    std::vector<T> act(nl * kChunk * width), gb(2 * kChunk * width), st(2 * kChunk), init(ri ? kChunk * pf[0].Npad : 0, T(0)), gq(go.ga ? kChunk * H : 0);
    for (int64_t t = tb; t < te; t++) {
      const int64_t r0 = std::min(M, t * per * kChunk), head = std::min(std::min(M, (t + 1) * per * kChunk), (r0 + lnRows - 1) / lnRows * lnRows);
      for (int64_t c = t * per; c < std::min(nc, (t + 1) * per); c++) {
        const int64_t i0 = c * kChunk, m = std::min(kChunk, M - i0);
        /* a[l]: the input of layer l (a[0] = the chunk's rows of x), a[nl] the last output */
        std::vector<const T *> a(nl + 1);
        a[0] = x + i0 * dims[0];
        if (ri) EdgeStartChunk(*ri, i0, m, dims[1], pf[0].Npad, init.data());
        for (int l = 0; l < nl; l++) {
          T *out = act.data() + l * kChunk * width;
          Rows(a[l], m, dims[l], pf[l], (l == 0 && ri) ? init.data() : (const T *)nullptr, out, dims[l + 1], l + 1 < nl);
          a[l + 1] = out;
        }
        T       *pt  = part[t].data();
        if (go.ga) /* the chunk's rows of the output gradient, its gathered part added */
          for (int64_t i = 0; i < m; i++)
            for (int64_t e = 0; e < H; e++) gq[i * H + e] = gnnk::OutGradAt(go, H, i0 + i, e);
        const T *cur = go.ga ? gq.data() : go.g + i0 * H;
        if (gamma) {
          T *dz = gb.data(), *mean = st.data(), *rstd = mean + kChunk;
          for (int64_t i = 0; i < m; i++) {
            const int64_t row = i0 + i;
            const T      *z = a[nl] + i * H, *gi = cur + i * H;
            gnnk::LayerNormStats(z, H, eps, mean[i], rstd[i]);
            if (row < head)
              for (int64_t e = 0; e < H; e++) lnhead[t].push_back((z[e] - mean[i]) * rstd[i]);
            else {
              T *w = lnwork.data() + row / lnRows * 2 * H;
              for (int64_t e = 0; e < H; e++) {
                w[e] = gnnk::Fma(gi[e], (z[e] - mean[i]) * rstd[i], w[e]);
                w[H + e] += gi[e];
              }
            }
            gnnk::LayerNormBackwardRow(gi, z, H, mean[i], rstd[i], gamma, dz + i * H);
          }
          cur = dz;
        }
        for (int l = nl - 1; l >= 0; l--) {
          const int64_t K = dims[l], N = dims[l + 1];
          T            *g0 = gb.data(), *g1 = gb.data() + kChunk * width;
          if (l + 1 < nl) { /* ge overwrites the gradient tile it comes from (cur is one of ours here) */
            T *ge = cur == g1 ? g1 : g0;
            EluBackward(cur, a[l + 1], m * N, ge);
            cur = ge;
          }
          if (l == 0 && dStart) std::memcpy(dStart + i0 * N, cur, sizeof(T) * m * N);
          T *dst = l > 0 ? (cur == g0 ? g1 : g0) : (dX ? dX + i0 * dims[0] : nullptr);
          if (dst) Rows(cur, m, N, pb[l], (const T *)nullptr, dst, K, false);
          if (l == 0 && dX && go.residual) /* dX of x + MLP(x): the output gradient added */
            for (int64_t i = 0; i < m; i++)
              for (int64_t e = 0; e < H; e++) dst[i * K + e] += gnnk::OutGradAt(go, H, i0 + i, e);
          Outer(cur, m, N, a[l], K, pt + aoff[l], pt + aoff[l] + N * K);
          cur = dst;
        }
      }
    }
  });
  for (int l = 0; l < nl; l++) SumThreadPartials(part, aoff[l], dims[l + 1], dims[l], dW[l], db[l]);
  if (!gamma) return;
  /* the chains of the chunks that run on into the next threads' rows, in row order */
  for (int t = 0; t < nt; t++) {
    const int64_t r0 = std::min(M, t * per * kChunk), n = (int64_t)lnhead[t].size() / H;
    for (int64_t i = 0; i < n; i++) {
      const int64_t row = r0 + i;
      T            *w   = lnwork.data() + row / lnRows * 2 * H;
      for (int64_t e = 0; e < H; e++) {
        const T gv = gnnk::OutGradAt(go, H, row, e);
        w[e]       = gnnk::Fma(gv, lnhead[t][i * H + e], w[e]);
        w[H + e] += gv;
      }
    }
  }
  for (int64_t e = 0; e < H; e++) {
    dgamma[e] = gnnk::OuterSumAt(lnwork.data(), lnChunks, 2 * H, e);
    dbeta[e]  = gnnk::OuterSumAt(lnwork.data(), lnChunks, 2 * H, H + e);
  }
}

} // namespace

template <typename T>
void GNNLinearForwardRows(const T *x, int64_t M, int64_t K, const T *W, const T *b, int64_t N, T *y, bool elu, const GNNRowInit<T> *init)
{
  LinearForward(x, M, K, W, b, N, y, elu, init);
}

template <typename T>
void GNNMLPForwardRows(const T *x, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, T *y, const GNNRowInit<T> *init, const T *gamma, const T *beta, T eps, bool residual)
{
  MLPForward(x, M, nl, dims, W, b, y, init, gamma, beta, eps, residual);
}

template <typename T>
void GNNMLPBackwardRows(const T *x, const GNNOutGrad<T> &go, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, const T *gamma, T eps, T *dX, T *const *dW, T *const *db, T *dgamma, T *dbeta, const GNNRowInit<T> *init, T *dStart)
{
  MLPBackward(x, go, M, nl, dims, W, b, gamma, eps, dX, dW, db, dgamma, dbeta, init, dStart);
}

template <typename T>
void GNNLinearBackwardRows(const T *g, const T *y, const T *x, int64_t M, int64_t K, const T *W, int64_t N, T *dX, T *dW, T *db, const GNNReproReduce *rr)
{
  if (rr) LinearBackwardFixed(g, y, x, M, K, W, N, dX, dW, db, rr);
  else LinearBackward(g, y, x, M, K, W, N, dX, dW, db);
}

template <typename T>
void GNNEluBackwardRows(const T *g, const T *y, int64_t n, T *out)
{
  at::parallel_for(0, n, 1 << 14, [&](int64_t begin, int64_t end) { EluBackward(g + begin, y + begin, end - begin, out + begin); });
}

#define GNN_LINEAR_INSTANTIATE(T) \
  template void GNNLinearForwardRows<T>(const T *, int64_t, int64_t, const T *, const T *, int64_t, T *, bool, const GNNRowInit<T> *); \
  template void GNNMLPForwardRows<T>(const T *, int64_t, int, const int64_t *, const T *const *, const T *const *, T *, const GNNRowInit<T> *, const T *, const T *, T, bool); \
  template void GNNMLPBackwardRows<T>(const T *, const GNNOutGrad<T> &, int64_t, int, const int64_t *, const T *const *, const T *const *, const T *, T, T *, T *const *, T *const *, T *, T *, const GNNRowInit<T> *, T *); \
  template void GNNLinearBackwardRows<T>(const T *, const T *, const T *, int64_t, int64_t, const T *, int64_t, T *, T *, T *, const GNNReproReduce *); \
  template void GNNEluBackwardRows<T>(const T *, const T *, int64_t, T *);
GNN_LINEAR_INSTANTIATE(float)
GNN_LINEAR_INSTANTIATE(double)
