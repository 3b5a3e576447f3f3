/* The two collective steps of a reproducible sum, as callbacks that the kernels (which know
   nothing of MPI) call and the model provides (src/sys/gnncollective.cxx, on its communicator).

   A reproducible sum rounds every term to an integer multiple of a power of two that all ranks
   agree on for that reduction, adds the integers exactly (int64: exact, so any grouping and any
   order of the terms gives the same bits), adds the ranks' integers (MPI_SUM on int64, exact) and
   converts back once. The power of two comes from a global bound on |term| (the maximum of the
   binary exponents of the terms' factors, one small all-reduce per reduction) and the global
   number of terms M (so that M terms cannot overflow): a term bounded by 2^E becomes
   rint(t 2^(62 - h - E)) with h = the bit length of M, an error of at most 2^(E + h - 63). */
#ifndef GNNREPROSUM_H
#define GNNREPROSUM_H

#include <stdint.h>

typedef struct {
  void *ctx;
  /* v[0] <- the sum over the ranks of v[0] (a count of terms), v[1..n-1] <- their maximum (exponents) */
  void (*agree)(void *ctx, int64_t *v, int64_t n);
  /* v[0..n-1] <- the sum over the ranks (exact integers) */
  void (*sum)(void *ctx, int64_t *v, int64_t n);
} GNNReproReduce;

#ifdef __cplusplus
  #include <cmath>
  #include <vector>
  #if defined(__CUDACC__) || defined(__HIPCC__)
    #define GNNREPRO_HD __host__ __device__ inline
  #else
    #define GNNREPRO_HD inline
  #endif
  #if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
    #define GNNREPRO_DEVICE_CODE 1
  #elif defined(__x86_64__)
    #include <emmintrin.h>
  #endif

/* The arithmetic every reproducible sum shares (the kernels' tiles on the CPU and the GPU, the
   layers, the host sums) */
namespace gnnrepro {

/* the bits of an int64 a sum may use: 62 leaves the sign bit and one bit of margin */
constexpr int kFixedBits = 62;

/* e with |a| < 2^e (frexp's exponent). 0 bounds nothing: it gets an exponent below every other, so
   that a rank whose terms are all zero (or that has none) leaves the maximum over the ranks alone.
   A non-finite bound (a NaN or Inf term) gets one above every other, so that it wins the maximum
   over the ranks and the sum of its column is converted back to NaN (FromFixed): its terms'
   integers (INT64_MIN) would otherwise add up to a finite number that no non-finite check sees. */
constexpr int64_t kNoBound   = -(int64_t(1) << 20);
constexpr int64_t kNonFinite = int64_t(1) << 40;
inline int64_t    BoundExponent(double a)
{
  int e;
  if (a == 0) return kNoBound;
  if (!std::isfinite(a)) return kNonFinite;
  (void)std::frexp(a, &e);
  return e;
}

/* max(m, |v|) for the bounds, with NaN sticky (std::max would drop it): the host's fold, the CPU
   kernels' and the GPU bodies' (the GPU's atomic maximum of bit patterns keeps NaN too) */
GNNREPRO_HD double MaxAbs(double m, double v)
{
  const double a = v < 0 ? -v : v;
  return (m < a || a != a) ? a : m;
}

/* an integer sum s of terms scaled by 2^-e back to a double: s 2^e, NaN if a bound was not finite */
inline double FromFixed(int64_t s, int64_t e, bool nonfinite)
{
  return nonfinite ? std::nan("") : std::ldexp((double)s, (int)e);
}

/* the bit length of m >= 0: m < 2^BitLength(m) */
inline int64_t BitLength(int64_t m)
{
  int64_t h = 0;
  while (h < 63 && (m >> h) != 0) h++;
  return h;
}

/* 2^e as a double, e clamped to the normal range (a clamped factor only loses precision for
   values below 1e-300 relative to their bound, or scales terms that are all zero) */
inline double Pow2(int64_t e)
{
  if (e > 1000) e = 1000;
  if (e < -1000) e = -1000;
  return std::ldexp(1.0, (int)e);
}

/* a scaled term (|t| < 2^62) rounded to the nearest integer, ties to even: the rounding of the
   AVX-512 conversion _mm512_cvtpd_epi64 under the default rounding mode. On x86-64 the SSE2
   conversion (cvtsd2si, the same rounding) instead of a call to nearbyint per term. On a GPU
   __double2ll_rn (the same rounding). NaN and values beyond the int64 range give x86's "integer
   indefinite" INT64_MIN everywhere (a GPU would saturate instead), so that even a non-finite
   gradient gives the same bits on every device. */
GNNREPRO_HD int64_t ToFixed(double t)
{
  #if defined(GNNREPRO_DEVICE_CODE) || !defined(__x86_64__)
  if (t != t || t >= 9223372036854775808.0 || t < -9223372036854775808.0) return INT64_MIN;
    #if defined(GNNREPRO_DEVICE_CODE)
  return (int64_t)__double2ll_rn(t);
    #else
  return (int64_t)std::nearbyint(t);
    #endif
  #else
  return _mm_cvtsd_si64(_mm_set_sd(t));
  #endif
}

/* ---- the host side of a reproducible reduction, shared by the CPU kernels and the GPU path ---- */

/* The agreed scales of the weight and bias gradients of a Linear layer, dW = sum_i ge[i]^T x[i]
   and db = sum_i ge[i] over the rows of all ranks: a term ge[i][n] x[i][k] is bounded by
   2^(eg_n + ex_k) (eg, ex: the global maximum binary exponents of |ge| per output and |x| per
   input), so ge and x are prescaled by f[n] = 2^(A - eg_n) and f[N + k] = 2^(B - ex_k), A + B =
   room = kFixedBits - h (M < 2^h terms), and the bias terms by f[N + K] = 2^B: every product is
   below 2^room and M of them fit an int64. */
struct OuterScales {
  int64_t              N, K, room;
  std::vector<int64_t> ag; /* [global M, eg (N), ex (K)] after the agreement */
  std::vector<double>  f;  /* [N + K + 1] as above */
};

/* from this rank's M rows and its column maxima of |ge| (N) then |x| (K): collective (rr->agree) */
inline OuterScales AgreeOuterScales(const GNNReproReduce *rr, int64_t M, int64_t N, int64_t K, const double *maxima)
{
  OuterScales s;
  s.N = N;
  s.K = K;
  s.ag.assign(1 + N + K, 0);
  s.ag[0] = M;
  for (int64_t c = 0; c < N + K; c++) s.ag[1 + c] = BoundExponent(maxima[c]);
  rr->agree(rr->ctx, s.ag.data(), 1 + N + K);
  s.room          = kFixedBits - BitLength(s.ag[0]);
  const int64_t A = s.room / 2, B = s.room - A;
  s.f.resize(N + K + 1);
  for (int64_t n = 0; n < N; n++) s.f[n] = Pow2(A - s.ag[1 + n]);
  for (int64_t k = 0; k < K; k++) s.f[N + k] = Pow2(B - s.ag[1 + N + k]);
  s.f[N + K] = Pow2(B);
  return s;
}

/* this rank's integer sums acc [N K + N] (dW row-major, then db) summed over the ranks
   (collective: rr->sum, in place) and converted back once: dW [N, K], db [N] */
template <typename T>
void OuterFromFixed(const GNNReproReduce *rr, const OuterScales &s, int64_t *acc, T *dW, T *db)
{
  const int64_t N = s.N, K = s.K;
  rr->sum(rr->ctx, acc, N * K + N);
  for (int64_t n = 0; n < N; n++) {
    const bool badg = s.ag[1 + n] == kNonFinite;
    for (int64_t k = 0; k < K; k++) dW[n * K + k] = (T)FromFixed(acc[n * K + k], s.ag[1 + n] + s.ag[1 + N + k] - s.room, badg || s.ag[1 + N + k] == kNonFinite);
    db[n] = (T)FromFixed(acc[N * K + n], s.ag[1 + n] - s.room, badg);
  }
}

/* The agreed scales of ncols column sums of single terms (LayerNorm's dgamma and dbeta): column c
   bounded by 2^e_c, its terms scaled by f[c] = 2^(room - e_c) */
struct ColumnScales {
  int64_t              ncols, room;
  std::vector<int64_t> ag; /* [global M, e (ncols)] */
  std::vector<double>  f;  /* [ncols] */
};

inline ColumnScales AgreeColumnScales(const GNNReproReduce *rr, int64_t M, int64_t ncols, const double *maxima)
{
  ColumnScales s;
  s.ncols = ncols;
  s.ag.assign(1 + ncols, 0);
  s.ag[0] = M;
  for (int64_t c = 0; c < ncols; c++) s.ag[1 + c] = BoundExponent(maxima[c]);
  rr->agree(rr->ctx, s.ag.data(), 1 + ncols);
  s.room = kFixedBits - BitLength(s.ag[0]);
  s.f.resize(ncols);
  for (int64_t c = 0; c < ncols; c++) s.f[c] = Pow2(s.room - s.ag[1 + c]);
  return s;
}

/* acc [ncols] summed over the ranks (collective, in place) and converted back once */
template <typename T>
void ColumnsFromFixed(const GNNReproReduce *rr, const ColumnScales &s, int64_t *acc, T *sums)
{
  rr->sum(rr->ctx, acc, s.ncols);
  for (int64_t c = 0; c < s.ncols; c++) sums[c] = (T)FromFixed(acc[c], s.ag[1 + c] - s.room, s.ag[1 + c] == kNonFinite);
}

} // namespace gnnrepro
#endif

#endif
