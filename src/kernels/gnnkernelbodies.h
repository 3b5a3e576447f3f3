/* Kernel bodies written once for the CPU and the GPU.

   Each body computes one result (one output of a row product, one ELU, one segment sum, one
   chunk of a weight gradient) as a fixed sequence of IEEE operations with explicit fused
   multiply-adds. The CPU kernels (src/kernels/cpu) and the GPU kernels (src/kernels/gpu, CUDA
   and HIP from one source) call them, and the tests call them in plain host loops, so that the
   CPU and the GPU give the same bits wherever the order of operations is the same. Every file
   that compiles them turns off the compiler's own contraction into fused multiply-adds
   (-ffp-contract=off, nvcc --fmad=false), which would otherwise differ between compilers. */
#ifndef GNNKERNELBODIES_H
#define GNNKERNELBODIES_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include "sys/gnnreprosum.h"
#include "kernels/kernelargs.h"

#if defined(__CUDACC__) || defined(__HIPCC__)
  #define GNN_HD __host__ __device__ __forceinline__
#else
  #define GNN_HD inline __attribute__((always_inline))
#endif
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  #define GNN_DEVICE_CODE 1
#endif
/* "unroll" for nvcc's device pass and hipcc (clang); none for nvcc's host pass, whose front end
   knows no "GCC unroll" and whose g++ no "unroll" (no host code of a .cu file runs these loops);
   "GCC unroll" for g++ */
#if defined(__CUDA_ARCH__) || defined(__HIPCC__)
  #define GNN_UNROLL _Pragma("unroll")
#elif defined(__CUDACC__)
  #define GNN_UNROLL
#else
  #define GNN_UNROLL _Pragma("GCC unroll 16")
#endif
/* a loop left rolled on the GPU (the compiler would unroll it at the price of registers) */
#if defined(__CUDA_ARCH__) || defined(__HIPCC__)
  #define GNN_NO_UNROLL _Pragma("unroll 1")
#else
  #define GNN_NO_UNROLL
#endif

namespace gnnk {

GNN_HD float Fma(float a, float b, float c)
{
#ifdef GNN_DEVICE_CODE
  return fmaf(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
GNN_HD double Fma(double a, double b, double c)
{
#ifdef GNN_DEVICE_CODE
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
/* round to the nearest integer, ties to even (the default rounding mode on both) */
GNN_HD float Rint(float a)
{
#ifdef GNN_DEVICE_CODE
  return rintf(a);
#else
  return std::nearbyint(a);
#endif
}
GNN_HD double Rint(double a)
{
#ifdef GNN_DEVICE_CODE
  return rint(a);
#else
  return std::nearbyint(a);
#endif
}
GNN_HD float FromBits(int32_t b)
{
#ifdef GNN_DEVICE_CODE
  return __int_as_float(b);
#else
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
#endif
}
GNN_HD double FromBits(int64_t b)
{
#ifdef GNN_DEVICE_CODE
  return __longlong_as_double((long long)b);
#else
  double f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
#endif
}

/* ELU(v) = v for v > 0, exp(v) - 1 otherwise, written once on a generic "vector" type S (the
   scalar operations below; the CPU's AVX-512 registers in src/kernels/cpu/linear.cxx) so that every
   path is the same sequence of IEEE operations: an element's result never depends on the path,
   the lane or the device that computed it, nor on its position in the batch.
   exp(v) - 1 = 2^k (exp(r) - 1) + (2^k - 1), v = k ln2 + r, |r| <= ln2/2, exp(r) - 1 by a Taylor
   polynomial (degree 7 in single, 12 in double: below the format's rounding); below the clamp the
   result rounds to -1 anyway. */
template <typename T>
struct ExpCoef;
template <>
struct ExpCoef<float> {
  static constexpr int    degree = 7, bias = 127, mant = 23;
  static constexpr double clamp  = -20.0;
};
template <>
struct ExpCoef<double> {
  static constexpr int    degree = 12, bias = 1023, mant = 52;
  static constexpr double clamp  = -40.0;
};
/* 1/d! (exact integer products up to 12!, so the same double as the literal 1.0/d!) */
GNN_HD constexpr double InvFact(int d)
{
  double f = 1;
  for (int i = 2; i <= d; i++) f *= i;
  return 1.0 / f;
}

/* The scalar operations */
template <typename T>
struct Scalar {
  using R = T;
  static GNN_HD R set1(T v) { return v; }
  static GNN_HD R fma(R a, R b, R c) { return Fma(a, b, c); }
  static GNN_HD R mul(R a, R b) { return a * b; }
  static GNN_HD R sub(R a, R b) { return a - b; }
  static GNN_HD R min(R a, R b) { return b < a ? b : a; }
  static GNN_HD R max(R a, R b) { return b > a ? b : a; }
  static GNN_HD R rint(R a) { return Rint(a); }
  static GNN_HD R pow2(R k) /* 2^k for an integral k in the normal range */
  {
    using I = typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type;
    return FromBits((I)(((I)k + ExpCoef<T>::bias) << ExpCoef<T>::mant));
  }
  static GNN_HD R elu_select(R v, R e) { return v <= 0 ? e : v; }
};

/* q = Fma(q, r, 1/d!) for d = D down to 2: Horner's steps of the Taylor polynomial, each
   coefficient a compile-time constant (a loop over d computed them at run time in GPU code) */
template <typename T, typename S, int D>
GNN_HD typename S::R TaylorSteps(typename S::R q, typename S::R r)
{
  if constexpr (D < 2) return q;
  else {
    constexpr double c = InvFact(D);
    return TaylorSteps<T, S, D - 1>(S::fma(q, r, S::set1(T(c))), r);
  }
}

template <typename T, typename S>
GNN_HD typename S::R Elu(typename S::R v)
{
  using R = typename S::R;
  R x     = S::max(S::min(v, S::set1(T(0))), S::set1(T(ExpCoef<T>::clamp)));
  R k     = S::rint(S::mul(x, S::set1(T(1.4426950408889634))));
  R r     = S::fma(k, S::set1(T(-0.693145751953125)), x); /* ln2 in two parts (Cody-Waite) */
  r       = S::fma(k, S::set1(T(-1.428606820309417e-06)), r);
  constexpr double top = InvFact(ExpCoef<T>::degree);
  R                q   = TaylorSteps<T, S, ExpCoef<T>::degree - 1>(S::set1(T(top)), r);
  R                p   = S::fma(q, S::mul(r, r), r); /* exp(r) - 1 */
  R two = S::pow2(k);
  R e   = S::fma(p, two, S::sub(two, S::set1(T(1))));
  return S::elu_select(v, e);
}

/* ---- the bodies ---- */

template <typename T>
GNN_HD T EluScalar(T v)
{
  return Elu<T, Scalar<T>>(v);
}

/* g * ELU'(z) from the ELU's output y: 1 where y > 0, else exp(z) = y + 1 */
template <typename T>
GNN_HD T EluGrad(T g, T y)
{
  return y > 0 ? g : g * (y + 1);
}

/* One output of a row product: acc, then acc = fma(x[k], p[k ldp], acc) for k = 0..K-1 in order.
   Forward: p = column j of W^T (W[j][k]), acc = b[j] or A[i][j] + B[j'][j]; backward dX = g W:
   p = column k of W, acc = 0. */
template <typename T>
GNN_HD T RowDot(const T *x, const T *p, int64_t ldp, int64_t K, T acc)
{
  for (int64_t k = 0; k < K; k++) acc = Fma(x[k], p[k * ldp], acc);
  return acc;
}

/* The start of an edge's output j in the split first edge layer: A[ia][j] + B[ib][j] */
template <typename T>
GNN_HD T EdgeStart(const T *A, const T *B, int64_t ia, int64_t ib, int64_t N, int64_t j)
{
  return A[ia * N + j] + B[ib * N + j];
}

/* out[i][h] = sum of rows e[perm[q]] (e[q] without perm) for q = ptr[i] .. ptr[i+1]-1, in order */
template <typename T>
GNN_HD T SegmentSum(const T *e, const int64_t *ptr, const int64_t *perm, int64_t i, int64_t h, int64_t H)
{
  T o = 0;
  for (int64_t q = ptr[i]; q < ptr[i + 1]; q++) o += e[(perm ? perm[q] : q) * H + h];
  return o;
}

/* One weight-gradient entry over a chunk of rows i0 <= i < i1: sum g[i][n] x[i][k] as an fma
   chain from 0 (the chunks are then added in order) */
template <typename T>
GNN_HD T OuterChunk(const T *g, int64_t N, const T *x, int64_t K, int64_t i0, int64_t i1, int64_t n, int64_t k)
{
  T acc = 0;
  for (int64_t i = i0; i < i1; i++) acc = Fma(g[i * N + n], x[i * K + k], acc);
  return acc;
}

/* One bias-gradient entry over a chunk of rows: sum g[i][n] in order from 0 */
template <typename T>
GNN_HD T ColumnChunk(const T *g, int64_t N, int64_t i0, int64_t i1, int64_t n)
{
  T acc = 0;
  for (int64_t i = i0; i < i1; i++) acc += g[i * N + n];
  return acc;
}

/* The chunks of a weight-gradient reduction over M rows: at most kMaxChunks of at least kMinRows
   rows each, so that the partial sums stay small at any M; a function of M alone, so the result
   is the same on every run */
constexpr int64_t kOuterMinRows = 256, kOuterMaxChunks = 2048;
GNN_HD int64_t OuterChunkRows(int64_t M)
{
  int64_t c = (M + kOuterMinRows - 1) / kOuterMinRows;
  if (c > kOuterMaxChunks) c = kOuterMaxChunks;
  if (c < 1) c = 1;
  const int64_t rows = (M + c - 1) / c;
  return rows > 0 ? rows : 1;
}

/* ---- one GPU thread's work, by output index: the kernels of src/kernels/gpu run these in
   grid-stride loops, the tests in plain host loops ---- */

/* y[idx] of a row product [M, N] = x [M, K] P [K, N] + start (A[ia[i]] + B[ib[i]], b, or 0), ELU when elu */
template <typename T>
GNN_HD T RowProductAt(const T *x, int64_t K, const T *P, const T *b, int64_t N, bool elu, const T *A, const T *B, const int64_t *ia, const int64_t *ib, int64_t idx)
{
  const int64_t i = idx / N, j = idx - i * N;
  T             acc = A ? EdgeStart(A, B, ia[i], ib[i], N, j) : (b ? b[j] : T(0));
  acc               = RowDot(x + i * K, P + j, N, K, acc);
  return elu ? EluScalar(acc) : acc;
}

/* out[idx] of a segment sum [n, H] */
template <typename T>
GNN_HD T SegmentSumAt(const T *e, const int64_t *ptr, const int64_t *perm, int64_t H, int64_t idx)
{
  const int64_t i = idx / H;
  return SegmentSum(e, ptr, perm, i, idx - i * H, H);
}

/* Entry e of chunk c of a weight-gradient reduction: e < N K the dW entry (e / K, e % K), then the
   N db entries; rows = OuterChunkRows(M) */
template <typename T>
GNN_HD T OuterChunkAt(const T *g, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, int64_t c, int64_t e)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M, NK = N * K;
  return e < NK ? OuterChunk(g, N, x, K, i0, i1, e / K, e % K) : ColumnChunk(g, N, i0, i1, e - NK);
}

/* ... and the chunks of entry e added in chunk order from 0 (work [chunks, N K + N]) */
template <typename T>
GNN_HD T OuterSumAt(const T *work, int64_t chunks, int64_t NKN, int64_t e)
{
  T acc = 0;
  for (int64_t c = 0; c < chunks; c++) acc += work[c * NKN + e];
  return acc;
}

/* ---- reproducible (fixed-point) sums over rows (src/sys/gnnreprosum.h): the terms, their bounds
   and one chunk's integer sums, the same on the CPU (src/kernels/cpu) and the GPU ---- */

/* a running maximum of |v| (m starts from 0): gnnrepro's, whose NaN is sticky, so that a NaN term
   makes its bound, and then its sum, NaN in whatever order the rows are folded */
using gnnrepro::MaxAbs;

/* a factor of a term on its agreed scale (a power of two: exact) */
template <typename T>
GNN_HD double FixedScaled(T v, double f)
{
  return (double)v * f;
}

/* one term of a weight (bias) gradient from its prescaled factors: the product (exact for float32
   factors, one rounding in double) rounded to an integer */
GNN_HD int64_t FixedProduct(double gs, double xs) { return gnnrepro::ToFixed(gs * xs); }

/* Column col of chunk c of the bounds of a Linear layer's gradient terms: col < N the maximum of
   |ge[i][col]|, else of |x[i][col - N]|, over the chunk's rows (rows = OuterChunkRows(M)) */
template <typename T>
GNN_HD double OuterBoundChunkAt(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, int64_t c, int64_t col)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M;
  double        m  = 0;
  if (col < N)
    for (int64_t i = i0; i < i1; i++) m = MaxAbs(m, (double)ge[i * N + col]);
  else
    for (int64_t i = i0; i < i1; i++) m = MaxAbs(m, (double)x[i * K + col - N]);
  return m;
}

/* Entry e of chunk c of a Linear layer's fixed-point gradient: e < N K the dW entry (n, k) = (e / K,
   e % K), sum of FixedProduct(ge[i][n] f[n], x[i][k] f[N + k]), then the N db entries, sum of
   FixedProduct(ge[i][n] f[n], f[N + K]); f: gnnrepro::OuterScales::f. Integer sums: any chunking
   and any order of the chunks give the same total. */
template <typename T>
GNN_HD int64_t FixedOuterChunkAt(const T *ge, int64_t M, int64_t N, const T *x, int64_t K, int64_t rows, int64_t c, int64_t e, const double *f)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M, NK = N * K;
  int64_t       acc = 0;
  if (e < NK) {
    const int64_t n = e / K, k = e - n * K;
    for (int64_t i = i0; i < i1; i++) acc += FixedProduct(FixedScaled(ge[i * N + n], f[n]), FixedScaled(x[i * K + k], f[N + k]));
  } else {
    const int64_t n = e - NK;
    for (int64_t i = i0; i < i1; i++) acc += FixedProduct(FixedScaled(ge[i * N + n], f[n]), f[N + K]);
  }
  return acc;
}

/* The term of LayerNorm's parameter gradients for row i, entry e: e < H g xhat (xhat in T, as
   LayerNormParamChunkAt computes it, the product in double: exact for float32), else g */
template <typename T>
GNN_HD double LayerNormParamTerm(const T *g, const T *x, const T *mean, const T *rstd, int64_t H, int64_t i, int64_t e)
{
  return e < H ? (double)g[i * H + e] * (double)((x[i * H + e] - mean[i]) * rstd[i]) : (double)g[i * H + e - H];
}

/* entry e of chunk c of their bounds (the maximum |term|) and of their fixed-point sums, the terms
   scaled by f[e] (gnnrepro::ColumnScales::f) */
template <typename T>
GNN_HD double LayerNormBoundChunkAt(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, int64_t c, int64_t e)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M;
  double        m  = 0;
  for (int64_t i = i0; i < i1; i++) m = MaxAbs(m, LayerNormParamTerm(g, x, mean, rstd, H, i, e));
  return m;
}

template <typename T>
GNN_HD int64_t LayerNormFixedChunkAt(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, int64_t c, int64_t e, const double *f)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M;
  int64_t       acc = 0;
  for (int64_t i = i0; i < i1; i++) acc += gnnrepro::ToFixed(LayerNormParamTerm(g, x, mean, rstd, H, i, e) * f[e]);
  return acc;
}

/* ---- LayerNorm, one row at a time (the library's own, so that it is the same on every device) ---- */

GNN_HD float Sqrt(float a)
{
#ifdef GNN_DEVICE_CODE
  return sqrtf(a); /* correctly rounded unless fast-math flags are given (they are not) */
#else
  return std::sqrt(a);
#endif
}
GNN_HD double Sqrt(double a) { return sqrt(a); }

/* mean and 1 / sqrt(variance + eps) of a row of H values: sums in order, the variance as an fma
   chain of the centred squares (biased, as torch.nn.LayerNorm) */
template <typename T>
GNN_HD void LayerNormStats(const T *x, int64_t H, T eps, T &mean, T &rstd)
{
  T sum = 0;
  for (int64_t k = 0; k < H; k++) sum += x[k];
  mean  = sum / T(H);
  T var = 0;
  for (int64_t k = 0; k < H; k++) {
    const T d = x[k] - mean;
    var       = Fma(d, d, var);
  }
  rstd = T(1) / Sqrt(var / T(H) + eps);
}

/* one normalised output: ((x - mean) rstd) gamma + beta */
template <typename T>
GNN_HD T LayerNormOut(T x, T mean, T rstd, T gamma, T beta)
{
  return Fma((x - mean) * rstd, gamma, beta);
}

/* a whole row: its statistics and outputs (y may be x: each output is written after its own input is read) */
template <typename T>
GNN_HD void LayerNormRow(const T *x, int64_t H, const T *gamma, const T *beta, T eps, T *y, T &mean, T &rstd)
{
  LayerNormStats(x, H, eps, mean, rstd);
  for (int64_t k = 0; k < H; k++) y[k] = LayerNormOut(x[k], mean, rstd, gamma[k], beta[k]);
}

/* dx of a row from g = dL/dy: with u = g gamma and xhat = (x - mean) rstd,
   dx = rstd (u - (sum u + xhat sum(u xhat)) / H), the sums in order */
template <typename T>
GNN_HD void LayerNormBackwardRow(const T *g, const T *x, int64_t H, T mean, T rstd, const T *gamma, T *dx)
{
  T su = 0, sux = 0;
  for (int64_t k = 0; k < H; k++) {
    const T u = g[k] * gamma[k];
    su += u;
    sux = Fma(u, (x[k] - mean) * rstd, sux);
  }
  const T a = su / T(H), b = sux / T(H);
  for (int64_t k = 0; k < H; k++) dx[k] = rstd * (g[k] * gamma[k] - Fma((x[k] - mean) * rstd, b, a));
}

/* Entry e of chunk c of the LayerNorm parameters' gradients over M rows (rows = OuterChunkRows(M)):
   e < H: dgamma[e] = sum g xhat as an fma chain, else dbeta[e - H] = sum g; the chunks are then
   added in order (OuterSumAt), as the weight gradients are */
template <typename T>
GNN_HD T LayerNormParamChunkAt(const T *g, const T *x, const T *mean, const T *rstd, int64_t M, int64_t H, int64_t rows, int64_t c, int64_t e)
{
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M;
  T             acc = 0;
  if (e < H)
    for (int64_t i = i0; i < i1; i++) acc = Fma(g[i * H + e], (x[i * H + e] - mean[i]) * rstd[i], acc);
  else
    for (int64_t i = i0; i < i1; i++) acc += g[i * H + e - H];
  return acc;
}

/* ---- a whole MLP per row (the fused forward: nothing but the output is written) ---- */

/* The shape of the Linear layers of an MLP run in one pass: layer l maps dims[l] -> dims[l + 1];
   its W^T [dims[l], dims[l + 1]] starts at P + poff[l], its bias at bias + boff[l] (boff[l] < 0:
   none). Passed by value to the GPU kernel, hence the fixed bounds. */
constexpr int kFusedMaxLayers = 16, kFusedMaxWidth = 64;
struct MLPShape {
  int     nl;
  int64_t dims[kFusedMaxLayers + 1], poff[kFusedMaxLayers], boff[kFusedMaxLayers];
  int64_t lnoff; /* >= 0: a LayerNorm of the output follows, gamma at bias + lnoff, beta right after */
  double  eps;   /* the LayerNorm's */
  /* MLPRowsAt with VEC also moves the rows of x, A, B and y four values at a time (Load4, Store4):
     the launcher sets it when dims[0] and the widths are multiples of 4 and those arrays 16-byte
     aligned (a row's first value then is too) */
  bool rows4 = false;
  /* y = x[:, :dims[nl]] + the MLP's output (dims[0] >= dims[nl]): a residual block's add in the
     same pass (x + y, the add that follows the MLP otherwise: the same bits) */
  bool residual = false;
};

/* Four consecutive values p[0..3] into w: on a GPU one 16-byte load (p must be 16-byte aligned:
   the launcher checks it), on the host four loads */
GNN_HD void Load4(const float *p, float w[4])
{
#ifdef GNN_DEVICE_CODE
  const float4 v = *reinterpret_cast<const float4 *>(p);
  w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
#else
  for (int q = 0; q < 4; q++) w[q] = p[q];
#endif
}
GNN_HD void Load4(const double *p, double w[4])
{
#ifdef GNN_DEVICE_CODE
  const double2 u = reinterpret_cast<const double2 *>(p)[0], v = reinterpret_cast<const double2 *>(p)[1];
  w[0] = u.x, w[1] = u.y, w[2] = v.x, w[3] = v.y;
#else
  for (int q = 0; q < 4; q++) w[q] = p[q];
#endif
}

/* p[0..3] = w: on a GPU one 16-byte store (p 16-byte aligned), on the host four stores */
GNN_HD void Store4(float *p, const float w[4])
{
#ifdef GNN_DEVICE_CODE
  *reinterpret_cast<float4 *>(p) = make_float4(w[0], w[1], w[2], w[3]);
#else
  for (int q = 0; q < 4; q++) p[q] = w[q];
#endif
}
GNN_HD void Store4(double *p, const double w[4])
{
#ifdef GNN_DEVICE_CODE
  reinterpret_cast<double2 *>(p)[0] = make_double2(w[0], w[1]);
  reinterpret_cast<double2 *>(p)[1] = make_double2(w[2], w[3]);
#else
  for (int q = 0; q < 4; q++) p[q] = w[q];
#endif
}

/* The alignment in bytes that LoadN<n, T> needs: n values, at most 16 (four doubles are two 16-byte
   loads) */
template <int n, typename T>
constexpr int64_t LoadAlign()
{
  return n * (int64_t)sizeof(T) < 16 ? n * (int64_t)sizeof(T) : 16;
}

/* n = 1, 2 or 4 consecutive values p[0..n-1] into w: on a GPU one vector load (two for four
   doubles), so p must be aligned to LoadAlign<n, T>() bytes; on the host n loads after the same
   alignment check, which stops the program: the host tests of a body that uses it (kernel_bodies)
   catch a misaligned use before a GPU would fault on it */
template <int n, typename T>
GNN_HD void LoadN(const T *p, T w[n])
{
  static_assert(n == 1 || n == 2 || n == 4, "LoadN loads 1, 2 or 4 values");
#ifdef GNN_DEVICE_CODE
  if constexpr (n == 4) Load4(p, w);
  else if constexpr (n == 2) {
    if constexpr (sizeof(T) == 4) {
      const float2 v = *reinterpret_cast<const float2 *>(p);
      w[0] = v.x, w[1] = v.y;
    } else {
      const double2 v = *reinterpret_cast<const double2 *>(p);
      w[0] = v.x, w[1] = v.y;
    }
  } else w[0] = p[0];
#else
  if (reinterpret_cast<uintptr_t>(p) % LoadAlign<n, T>()) __builtin_trap();
  for (int q = 0; q < n; q++) w[q] = p[q];
#endif
}

/* A pointer into a team's scratch (shared memory on a GPU: the fused backward's tiles), and LoadN
   of values there. hipcc (clang 15) loses a pointer's address space where its vectoriser packs two
   row pointers into one vector of pointers, and then reads the tiles by flat loads, which on AMD
   GPUs wait on both the memory and the LDS counters, with 64-bit address arithmetic; a pointer
   typed in the LDS space keeps them LDS reads (ds_read_b128 and the like) stepped by 32-bit adds.
   Cast once per row (ToTile), not at each load: a cast from a generic pointer tests it for null.
   nvcc keeps the space by itself, and on the host TileLoadN is LoadN, its alignment check
   included. */
#if defined(__HIP_DEVICE_COMPILE__)
template <typename T>
using TilePtr = const __attribute__((address_space(3))) T *;
#else
template <typename T>
using TilePtr = const T *;
#endif
template <typename T>
GNN_HD TilePtr<T> ToTile(const T *p)
{
  return (TilePtr<T>)p;
}
/* ToTile(p) where TILE, else p */
template <bool TILE, typename T>
GNN_HD auto ToTileIf(const T *p)
{
  if constexpr (TILE) return ToTile(p);
  else return p;
}
template <int n, typename T>
GNN_HD void TileLoadN(TilePtr<T> p, T w[n])
{
#if defined(__HIP_DEVICE_COMPILE__)
  if constexpr (n == 4 && sizeof(T) == 8) { /* two 16-byte reads, as Load4 */
    TileLoadN<2, T>(p, w);
    TileLoadN<2, T>(p + 2, w + 2);
  } else if constexpr (n == 1) w[0] = *p;
  else {
    using V   = T __attribute__((ext_vector_type(n)));
    const V v = *(const __attribute__((address_space(3))) V *)p;
    GNN_UNROLL
    for (int q = 0; q < n; q++) w[q] = v[q];
  }
#else
  LoadN<n>(p, w);
#endif
}

/* acc[r][j + q] = Fma(in[r][k], p[q], acc[r][j + q]) for every row r and q < 4: four weights read
   by one Load4 feed every row's chains */
template <int ROWS, int MAXW, typename T>
GNN_HD void FmaRows4(const T (&in)[ROWS][MAXW], int k, const T *p, T (&acc)[ROWS][MAXW], int j)
{
  T w[4];
  Load4(p, w);
  GNN_UNROLL
  for (int r = 0; r < ROWS; r++) {
    GNN_UNROLL
    for (int q = 0; q < 4; q++) acc[r][j + q] = Fma(in[r][k], w[q], acc[r][j + q]);
  }
}

/* Whether MLPRowsAt may read the weights four at a time (its VEC): every layer's width a multiple
   of 4 (so every W^T row, and P + poff[l], stays 16-byte aligned when P is) */
GNN_HD bool MLPShapeVec4(const MLPShape &s)
{
  for (int l = 0; l < s.nl; l++)
    if (s.dims[l + 1] % 4 || s.poff[l] % 4) return false;
  return true;
}

/* Row i through every layer: layer l's output j is RowDot's chain from the bias (or, on layer 0
   with A, from A[ia[i]] + B[ib[i]]) exactly as RowProductAt computes it, ELU on all but the last
   layer; so the result is that of the layers one after the other, bit for bit. MAXW (>= every
   width) is a compile-time bound so that, with the loops over it unrolled, the row's activations
   and the layer's accumulators can live in registers on a GPU (no dynamically indexed local
   array). The loop over k is the outer one: each input is read once and feeds every output's
   chain (a chain is still the fma over k in order), and with VEC (MLPShapeVec4) the weights come
   four at a time, one 16-byte load per four fmas; the bounds checks are per k and per four
   outputs, not per fma. With VEC and s.rows4 the row's input, edge start and output move four
   values per load or store too (one thread per row: each scalar access of a warp touches 32
   cache lines, so a quarter of the accesses is a quarter of the memory instructions).
   MLPRowsAt runs ROWS consecutive rows from i0 together (those from M on: the last row again, not
   stored), so that each weight read feeds ROWS chains: fewer shared-memory loads per fma for more
   registers. Each row's operations are those of the row alone: the same bits. */
template <typename T, int MAXW = kFusedMaxWidth, bool VEC = false, int ROWS = 1>
GNN_HD void MLPRowsAt(const T *x, const MLPShape &s, const T *P, const T *bias, const T *A, const T *B, const int64_t *ia, const int64_t *ib, int64_t i0, int64_t M, T *y)
{
  T             in[ROWS][MAXW], acc[ROWS][MAXW];
  int64_t       row[ROWS];
  const int64_t K0 = s.dims[0], Nout = s.dims[s.nl];
  const bool    rows4 = VEC && s.rows4;
  GNN_UNROLL
  for (int r = 0; r < ROWS; r++) row[r] = i0 + r < M ? i0 + r : M - 1; /* past the end: the last row again, not stored */
  GNN_UNROLL
  for (int r = 0; r < ROWS; r++) {
    const T *xr = x + row[r] * K0;
    if (rows4) {
      GNN_UNROLL
      for (int k = 0; k < MAXW; k += 4) {
        if (k < K0) Load4(xr + k, in[r] + k);
        else
          for (int q = 0; q < 4; q++) in[r][k + q] = T(0);
      }
    } else {
      GNN_UNROLL
      for (int k = 0; k < MAXW; k++) in[r][k] = k < K0 ? xr[k] : T(0);
    }
  }
  for (int l = 0; l < s.nl; l++) {
    const int64_t K = s.dims[l], N = s.dims[l + 1];
    const T      *p = P + s.poff[l];
    const bool    start = l == 0 && A, last = l + 1 == s.nl;
    GNN_UNROLL
    for (int r = 0; r < ROWS; r++) {
      if (start && rows4) { /* EdgeStart's sums, the rows read four at a time */
        GNN_UNROLL
        for (int j = 0; j < MAXW; j += 4) {
          T a[4] = {T(0), T(0), T(0), T(0)}, b[4] = {T(0), T(0), T(0), T(0)};
          if (j < N) {
            Load4(A + ia[row[r]] * N + j, a);
            Load4(B + ib[row[r]] * N + j, b);
          }
          GNN_UNROLL
          for (int q = 0; q < 4; q++) acc[r][j + q] = a[q] + b[q];
        }
      } else {
        GNN_UNROLL
        for (int j = 0; j < MAXW; j++) acc[r][j] = j < N ? (start ? EdgeStart(A, B, ia[row[r]], ib[row[r]], N, j) : (s.boff[l] >= 0 ? bias[s.boff[l] + j] : T(0))) : T(0);
      }
    }
    GNN_UNROLL
    for (int k = 0; k < MAXW; k++)
      if (k < K) {
        const T *pk = p + k * N;
        if (VEC && N == MAXW) { /* every output: no bounds check at all */
          GNN_UNROLL
          for (int j = 0; j < MAXW; j += 4) FmaRows4(in, k, pk + j, acc, j);
        } else if (VEC) {
          GNN_UNROLL
          for (int j = 0; j < MAXW; j += 4)
            if (j < N) FmaRows4(in, k, pk + j, acc, j);
        } else {
          GNN_UNROLL
          for (int j = 0; j < MAXW; j++)
            if (j < N) {
              const T w = pk[j];
              GNN_UNROLL
              for (int r = 0; r < ROWS; r++) acc[r][j] = Fma(in[r][k], w, acc[r][j]);
            }
        }
      }
    GNN_UNROLL
    for (int r = 0; r < ROWS; r++) {
      GNN_UNROLL
      for (int j = 0; j < MAXW; j++) in[r][j] = j < N ? (last ? acc[r][j] : EluScalar(acc[r][j])) : T(0);
    }
  }
  GNN_UNROLL
  for (int r = 0; r < ROWS; r++) {
    if (i0 + r >= M) continue;
    T *v = in[r];
    if (s.lnoff >= 0) { /* LayerNormStats and LayerNormOut on the row in registers: the same operations */
      const T *gamma = bias + s.lnoff, *beta = gamma + Nout;
      T        sum = 0, var = 0;
      GNN_UNROLL
      for (int k = 0; k < MAXW; k++)
        if (k < Nout) sum += v[k];
      const T mean = sum / T(Nout);
      GNN_UNROLL
      for (int k = 0; k < MAXW; k++)
        if (k < Nout) {
          const T d = v[k] - mean;
          var       = Fma(d, d, var);
        }
      const T rstd = T(1) / Sqrt(var / T(Nout) + T(s.eps));
      GNN_UNROLL
      for (int k = 0; k < MAXW; k++)
        if (k < Nout) v[k] = LayerNormOut(v[k], mean, rstd, gamma[k], beta[k]);
    }
    const T *xr = x + row[r] * K0;
    T       *yr = y + row[r] * Nout;
    if (s.residual) { /* x's row again (from the cache): its first Nout values */
      if (rows4) {
        GNN_UNROLL
        for (int j = 0; j < MAXW; j += 4)
          if (j < Nout) {
            T xv[4];
            Load4(xr + j, xv);
            GNN_UNROLL
            for (int q = 0; q < 4; q++) v[j + q] = xv[q] + v[j + q];
          }
      } else {
        GNN_UNROLL
        for (int j = 0; j < MAXW; j++)
          if (j < Nout) v[j] = xr[j] + v[j];
      }
    }
    if (rows4) {
      GNN_UNROLL
      for (int j = 0; j < MAXW; j += 4)
        if (j < Nout) Store4(yr + j, v + j);
    } else {
      GNN_UNROLL
      for (int j = 0; j < MAXW; j++)
        if (j < Nout) yr[j] = v[j];
    }
  }
}

/* Row i alone (MLPRowsAt with one row) */
template <typename T, int MAXW = kFusedMaxWidth, bool VEC = false>
GNN_HD void MLPRowAt(const T *x, const MLPShape &s, const T *P, const T *bias, const T *A, const T *B, const int64_t *ia, const int64_t *ib, int64_t i, T *y)
{
  MLPRowsAt<T, MAXW, VEC, 1>(x, s, P, bias, A, B, ia, ib, i, i + 1, y);
}

GNN_HD int64_t OuterChunks(int64_t M)
{
  const int64_t rows = OuterChunkRows(M);
  return rows > 0 ? (M + rows - 1) / rows : 0;
}

/* ---- the backward of an MLP per chunk of rows, its activations recomputed (the fused backward) ---- */

/* A team runs a step of a chunk's work on indices 0 .. n-1 (run) and waits for all of it (sync):
   the threads of a GPU block (src/kernels/gpu), or one host thread in order (SerialTeam, what the
   tests run the body with). The body's result does not depend on how a team splits a step. */
struct SerialTeam {
  template <typename F>
  GNN_HD void run(int64_t n, F &&f) const
  {
    for (int64_t i = 0; i < n; i++) f(i);
  }
  GNN_HD void sync() const { }
};

/* ---- tiled chains: one team item computes a TR x TC block of outputs in registers ---- */

/* The items of a TR x TC tiling of na x nb outputs */
template <int TR, int TC>
GNN_HD int64_t TileItems(int64_t na, int64_t nb)
{
  return ((na + TR - 1) / TR) * ((nb + TC - 1) / TC);
}

/* Item `item` (b fastest) of a tiled product over na x nb outputs: the outputs (a, b) with
   a0 <= a < a0 + TR, b0 <= b < b0 + TC inside na x nb, each the chain acc = init(a, b), then
   acc = Fma(X(a, t), Y[t yt + b], acc) for t = 0 .. nt-1 in order, then store(a, b, acc);
   X(a, t) = X[a xs + t] (XROWS: the rows of an activation tile) or X[a + t xs] (its columns: g^T
   in a weight gradient). Each output is the same chain whatever TR and TC: RowDot's (X the rows of
   the input, Y = W^T or W) or OuterChunk's (X = g^T, Y = x). So the tiling changes no bit; it
   only lets a thread load TR + TC values per step for TR TC fmas, its accumulators in registers.
   A block that would stick out of na x nb is moved back inside (its first rows or columns are then
   the previous block's, computed again and not stored), so that every step reads from one row
   pointer at fixed offsets; where na < TR or nb < TC the outputs run one at a time.
   With VEC the values come by vector loads (LoadN), each feeding its fmas in the chains' order (the
   same bits): XROWS, each block row's next four X values by one load (four steps at a time) and
   each step's TC values of Y by one; otherwise each step's TR values of X (consecutive columns)
   and TC of Y by one load each. So a step of a 2 x 2 block loads 1.5 or 2 times instead of 4, of
   a 4 x 4 block 2 instead of 8. VEC needs TR, TC in {1, 2, 4}, X and Y 16-byte aligned, xs and yt
   multiples of 4, nb (and na unless XROWS) multiples of TC (TR), so that the blocks start at
   aligned columns (rows), none moved back there, and with XROWS nt a multiple of 4 (the host
   stops the program otherwise, as LoadN does on a misaligned load).
   X is always a tile in the team's scratch, and so is Y without XROWS (dW's activation tile); with
   XROWS Y is a layer's weights (global memory): the scratch's values are read by TileLoadN. */
template <int TR, int TC, bool XROWS, bool VEC, typename T, typename Init, typename Store>
GNN_HD void ChainTile(int64_t item, int64_t na, int64_t nb, int64_t nt, const T *X, int64_t xs, const T *Y, int64_t yt, const Init &init, const Store &store)
{
  const int64_t nbt = (nb + TC - 1) / TC, at = item / nbt, a0 = at * TR, b0 = (item - at * nbt) * TC;
  if (na < TR || nb < TC) {
    for (int64_t a = a0; a < a0 + TR && a < na; a++)
      for (int64_t b = b0; b < b0 + TC && b < nb; b++) {
        T acc = init(a, b);
        for (int64_t t = 0; t < nt; t++) acc = Fma(XROWS ? X[a * xs + t] : X[a + t * xs], Y[t * yt + b], acc);
        store(a, b, acc);
      }
    return;
  }
  const int64_t as = a0 + TR > na ? na - TR : a0, bs = b0 + TC > nb ? nb - TC : b0;
  T             acc[TR][TC];
  TilePtr<T>    xr[TR];
  GNN_UNROLL
  for (int r = 0; r < TR; r++) {
    xr[r] = ToTile(XROWS ? X + (as + r) * xs : X + as + r);
    GNN_UNROLL
    for (int q = 0; q < TC; q++) acc[r][q] = init(as + r, bs + q);
  }
  /* pointers stepped along t, not indices scaled at each step: a row pointer per block row
     (XROWS), or one pointer to the block's consecutive columns; Y's in the scratch unless XROWS */
  auto       yp = ToTileIf<!XROWS>(Y + bs);
  TilePtr<T> xc = ToTile(X + as);
  int64_t    t  = 0;
  if constexpr (VEC) {
    static_assert((TR == 1 || TR == 2 || TR == 4) && (TC == 1 || TC == 2 || TC == 4), "vector loads of 1, 2 or 4 values");
    if constexpr (XROWS) {
#ifndef GNN_DEVICE_CODE
      if (nt % 4) __builtin_trap();
#endif
      for (; t < nt; t += 4) {
        T xv[TR][4];
        GNN_UNROLL
        for (int r = 0; r < TR; r++) {
          TileLoadN<4, T>(xr[r], xv[r]);
          xr[r] += 4;
        }
        GNN_UNROLL
        for (int u = 0; u < 4; u++, yp += yt) {
          T yv[TC];
          LoadN<TC>(yp, yv);
          GNN_UNROLL
          for (int r = 0; r < TR; r++) {
            GNN_UNROLL
            for (int q = 0; q < TC; q++) acc[r][q] = Fma(xv[r][u], yv[q], acc[r][q]);
          }
        }
      }
    } else {
      auto step = [&] {
        T xv[TR], yv[TC];
        TileLoadN<TR, T>(xc, xv);
        TileLoadN<TC, T>(yp, yv);
        GNN_UNROLL
        for (int r = 0; r < TR; r++) {
          GNN_UNROLL
          for (int q = 0; q < TC; q++) acc[r][q] = Fma(xv[r], yv[q], acc[r][q]);
        }
        yp += yt, xc += xs;
      };
      /* 4 x 4 blocks: rolled (unrolled, sm_90's ptxas spilled 192 bytes instead of 76) */
      if constexpr (TR * TC >= 16) {
        GNN_NO_UNROLL
        for (; t < nt; t++) step();
      } else
        for (; t < nt; t++) step();
    }
  }
  /* the steps one by one (all of them without VEC) */
  for (; !VEC && t < nt; t++, yp += yt) {
    T xv[TR], yv[TC];
    GNN_UNROLL
    for (int r = 0; r < TR; r++) {
      if (XROWS) xv[r] = *xr[r]++;
      else xv[r] = xc[r];
    }
    if (!XROWS) xc += xs;
    GNN_UNROLL
    for (int q = 0; q < TC; q++) yv[q] = yp[q];
    GNN_UNROLL
    for (int r = 0; r < TR; r++) {
      GNN_UNROLL
      for (int q = 0; q < TC; q++) acc[r][q] = Fma(xv[r], yv[q], acc[r][q]);
    }
  }
  GNN_UNROLL
  for (int r = 0; r < TR; r++) {
    GNN_UNROLL
    for (int q = 0; q < TC; q++)
      if (as + r >= a0 && bs + q >= b0) store(as + r, bs + q, acc[r][q]);
  }
}

/* The row stride of a tile of rows w wide in a team's scratch: odd, so that the rows a thread's
   block reads at one step fall in different shared-memory banks; with vector loads (VEC) four
   times an odd number, so that every row starts 16-byte aligned and rows 1 to 7 apart still start
   in different groups of four banks */
GNN_HD int64_t TileStride(int64_t w, bool vec)
{
  if (!vec) return w | 1;
  const int64_t q = (w + 3) / 4;
  return 4 * (q | 1);
}

/* One team step (no sync): m rows of w values from src (row stride lds) to dst (row stride ldd).
   The step's function holds copies of its arguments: a team may run it after this returns. */
template <typename T, typename Team>
GNN_HD void TileCopy(const Team &team, int64_t m, int64_t w, const T *src, int64_t lds, T *dst, int64_t ldd)
{
  team.run(m * w, [=](int64_t idx) {
    const int64_t r = idx / w;
    dst[r * ldd + idx - r * w] = src[r * lds + idx - r * w];
  });
}

/* Row i, column k of the gradient at an MLP's output (GNNOutGrad, H wide): g's, plus the gathered
   row of ga when ga is there (the sum autograd forms of the two, in either order: an add is
   commutative) */
template <typename T>
GNN_HD T OutGradAt(const GNNOutGrad<T> &o, int64_t H, int64_t i, int64_t k)
{
  if (!o.ga) return o.g[i * H + k];
  const T a = o.ga[o.ig[i] * H + k];
  return o.g ? o.g[i * H + k] + a : a;
}

/* The scratch of one chunk's team for tiles of R rows of an MLP of shape s, in values of T:
   every layer's input and output rows (layer l's [R, dims[l]], row stride TileStride), two gradient
   tiles [R, widest] and the rows' LayerNorm statistics [2 R] (vec: MLPBackwardChunk's VEC) */
GNN_HD int64_t MLPBackwardScratch(const MLPShape &s, int64_t R, bool vec)
{
  int64_t sum = 0, width = 0;
  for (int l = 0; l <= s.nl; l++) {
    sum += TileStride(s.dims[l], vec);
    width = s.dims[l] > width ? s.dims[l] : width;
  }
  return R * (sum + 2 * TileStride(width, vec) + 2);
}

/* The rows of the fused backward's tiles, at most rmax (what the shared memory holds): the number
   that makes the most rows per round of a team of `threads` over a tiled product's items
   (TileItems<TR, TC> of R x width outputs: the forward again and dX of a layer as wide as the
   MLP's widest; the ties go to more rows). With the paper's edge MLP in float, 48 KiB hold 33 rows,
   whose 2 x 2 blocks make 17 x 16 = 272 items, two rounds of 256 threads of which the second has
   16 busy; 32 rows make 256, one round. Every result is the same whatever the rows: only the time
   moves. */
GNN_HD int64_t MLPBackwardTileRows(int64_t rmax, int TR, int TC, int64_t width, int64_t threads)
{
  int64_t best = rmax < 1 ? 0 : 1, bestRounds = 1;
  for (int64_t R = 1; R <= rmax; R++) {
    const int64_t items = ((R + TR - 1) / TR) * ((width + TC - 1) / TC), rounds = (items + threads - 1) / threads;
    if (R * bestRounds >= best * rounds) best = R, bestRounds = rounds; /* R / rounds >= best / bestRounds */
  }
  return best;
}

/* Whether MLPBackwardChunk may use vector loads (its VEC) for the shape s: every width a multiple
   of 4 (dims[0] too: the first layer's dW and dX run over it) and every layer's weights at a
   multiple of 4 values (MLPShapeVec4); the launcher checks that P and Pw are 16-byte aligned */
GNN_HD bool MLPBackwardVec4(const MLPShape &s) { return s.dims[0] % 4 == 0 && MLPShapeVec4(s); }

/* The gradient entries of one chunk, in this order: per layer dW [N K] then db [N], then dgamma
   and dbeta [2 N_out] when s.lnoff >= 0 */
GNN_HD int64_t MLPGradEntries(const MLPShape &s)
{
  int64_t n = 0;
  for (int l = 0; l < s.nl; l++) n += s.dims[l + 1] * s.dims[l] + s.dims[l + 1];
  return n + (s.lnoff >= 0 ? 2 * s.dims[s.nl] : 0);
}

/* Chunk c (rows = OuterChunkRows(M) rows) of the backward of an MLP (MLPRowAt's layers, P = the
   layers' W^T; with A, layer 0 starts from A[ia[i]] + B[ib[i]] instead of its bias, and its
   pre-activation gradient ge goes to dStart [M, dims[1]]: what the split first edge layer's node
   parts need; Pw: the layers' W at the same offsets, for dX) from dL/dy [M, N_out] (go: each tile's
   rows read once, OutGradAt, into a gradient tile; with go.residual added to dX's first N_out
   columns as dX is stored) and the MLP's input x [M, dims[0]], with nothing of its forward kept:
   tile by tile of R rows, the tile's activations are computed again (RowProductAt's chains, so the
   forward's bits), then
   back-propagated (LayerNormBackwardRow, EluGrad, dX = ge W as RowProductAt) into dX [M, dims[0]]
   (when dX), while the chunk's gradient entries acc (MLPGradEntries of them, zeroed here) continue
   the fma chains of OuterChunkAt and LayerNormParamChunkAt row by row. So every output, and after
   OuterSumAt over the chunks every parameter gradient, is bitwise that of the layer-by-layer
   backward on the GPU (GNNKernelLinearBackward, GNNKernelLayerNormBackward), whatever R and
   whatever the team items' blocks TR x TC (ChainTile) of the three products (forward, dW, dX),
   and whether their values come by vector loads (VEC: MLPBackwardVec4(s), P and Pw and scratch
   16-byte aligned). scratch: MLPBackwardScratch(s, R, VEC). */
template <int TR, int TC, bool VEC, typename T, typename Team>
GNN_HD void MLPBackwardChunk(const Team &team, const MLPShape &s, const T *P, const T *Pw, const T *bias, const T *x, const GNNOutGrad<T> &go, int64_t M, int64_t rows, int64_t c, int64_t R, T *scratch, T *acc, T *dX, const T *A = nullptr, const T *B = nullptr, const int64_t *ia = nullptr, const int64_t *ib = nullptr, T *dStart = nullptr)
{
  const int     nl = s.nl;
  const int64_t i0 = c * rows, i1 = i0 + rows < M ? i0 + rows : M, K0 = s.dims[0], H = s.dims[nl], nacc = MLPGradEntries(s);
  int64_t       width = 0, actoff[kFusedMaxLayers + 1], off = 0;
  for (int l = 0; l <= nl; l++) {
    actoff[l] = off;
    off += R * TileStride(s.dims[l], VEC);
    width = s.dims[l] > width ? s.dims[l] : width;
  }
  const int64_t ldg = TileStride(width, VEC), ld0 = TileStride(K0, VEC), ldz = TileStride(H, VEC);
  T            *gbuf[2] = {scratch + off, scratch + off + R * ldg}, *mean = scratch + off + 2 * R * ldg, *rstd = mean + R;
  team.run(nacc, [&](int64_t e) { acc[e] = T(0); });
  team.sync();
  /* the last layer's output is read only by the LayerNorm's backward: without one, not computed
     again (a one-layer MLP then computes no forward at all) */
  const int nfwd = s.lnoff >= 0 ? nl : nl - 1;
  for (int64_t t0 = i0; t0 < i1; t0 += R) {
    const int64_t m = i1 - t0 < R ? i1 - t0 : R;
    /* the forward of the tile, layer by layer */
    TileCopy(team, m, K0, x + t0 * K0, K0, scratch + actoff[0], ld0);
    team.sync();
    for (int l = 0; l < nfwd; l++) {
      const int64_t K = s.dims[l], N = s.dims[l + 1], ldi = TileStride(K, VEC), ldo = TileStride(N, VEC);
      const T      *in = scratch + actoff[l], *p = P + s.poff[l];
      T            *out = scratch + actoff[l + 1];
      const T      *b     = s.boff[l] >= 0 ? bias + s.boff[l] : nullptr;
      const bool    start = l == 0 && A, elu = l + 1 < nl; /* the tile's rows of ia, ib are those from t0 on */
      team.run(TileItems<TR, TC>(m, N), [&](int64_t it) {
        ChainTile<TR, TC, true, VEC>(
          it, m, N, K, in, ldi, p, N, [&](int64_t r, int64_t j) { return start ? EdgeStart(A, B, ia[t0 + r], ib[t0 + r], N, j) : (b ? b[j] : T(0)); },
          [&](int64_t r, int64_t j, T v) { out[r * ldo + j] = elu ? EluScalar(v) : v; });
      });
      team.sync();
    }
    /* the gradient at the last layer's output: the tile's rows of it (gt, in the second gradient
       buffer, which a layer's dX overwrites once gt is read), then through the LayerNorm */
    const T *z = scratch + actoff[nl];
    T       *gt = gbuf[1], *cur = gt;
    team.run(m * H, [&](int64_t idx) {
      const int64_t r = idx / H;
      gt[r * ldg + idx - r * H] = OutGradAt(go, H, t0 + r, idx - r * H);
    });
    team.sync();
    if (s.lnoff >= 0) {
      const T *gamma = bias + s.lnoff;
      T       *la    = acc + nacc - 2 * H;
      team.run(m, [&](int64_t r) { LayerNormStats(z + r * ldz, H, T(s.eps), mean[r], rstd[r]); });
      team.sync();
      team.run(2 * H, [&](int64_t e) {
        T a = la[e];
        if (e < H)
          for (int64_t r = 0; r < m; r++) a = Fma(gt[r * ldg + e], (z[r * ldz + e] - mean[r]) * rstd[r], a);
        else
          for (int64_t r = 0; r < m; r++) a += gt[r * ldg + e - H];
        la[e] = a;
      });
      cur = gbuf[0];
      team.run(m, [&](int64_t r) { LayerNormBackwardRow(gt + r * ldg, z + r * ldz, H, mean[r], rstd[r], gamma, cur + r * ldg); });
      team.sync();
    }
    /* the layers backwards: ge = g ELU'(y), its dW and db terms, and dX = ge W for the layer below */
    int64_t ao = nacc - (s.lnoff >= 0 ? 2 * H : 0);
    for (int l = nl - 1; l >= 0; l--) {
      const int64_t K = s.dims[l], N = s.dims[l + 1], NK = N * K, ldi = TileStride(K, VEC), ldy = TileStride(N, VEC);
      const T      *in = scratch + actoff[l], *y = scratch + actoff[l + 1], *w = Pw + s.poff[l];
      T            *next = cur == gbuf[0] ? gbuf[1] : gbuf[0];
      ao -= NK + N;
      if (l + 1 < nl) {
        team.run(m * N, [&](int64_t idx) {
          const int64_t r = idx / N, j = idx - r * N;
          cur[r * ldg + j]  = EluGrad(cur[r * ldg + j], y[r * ldy + j]);
        });
        team.sync();
      }
      T *la = acc + ao;
      if (l == 0 && dStart) TileCopy(team, m, N, (const T *)cur, ldg, dStart + t0 * N, N);
      /* dW [N, K]: entry (n, k) continues its chain over the tile's rows, cur^T in */
      team.run(TileItems<TR, TC>(N, K), [&](int64_t it) { ChainTile<TR, TC, false, VEC>(it, N, K, m, cur, ldg, in, ldi, [&](int64_t n, int64_t k) { return la[n * K + k]; }, [&](int64_t n, int64_t k, T v) { la[n * K + k] = v; }); });
      team.run(N, [&](int64_t n) {
        T a = la[NK + n];
        for (int64_t r = 0; r < m; r++) a += cur[r * ldg + n];
        la[NK + n] = a;
      });
      if (l > 0 || dX) {
        T            *dst = l > 0 ? next : dX + t0 * K0;
        const int64_t ldd = l > 0 ? ldg : K0;
        const bool    res = l == 0 && go.residual; /* dX of x + MLP(x): the output gradient added */
        team.run(TileItems<TR, TC>(m, K), [&](int64_t it) { ChainTile<TR, TC, true, VEC>(it, m, K, N, cur, ldg, w, K, [](int64_t, int64_t) { return T(0); }, [&](int64_t r, int64_t k, T v) { dst[r * ldd + k] = res && k < H ? v + OutGradAt(go, H, t0 + r, k) : v; }); });
      }
      team.sync();
      cur = next;
    }
  }
}

} // namespace gnnk

#endif
