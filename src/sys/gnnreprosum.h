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
  #if defined(__x86_64__)
    #include <emmintrin.h>
  #endif

/* The arithmetic every reproducible sum shares (the kernels' tiles, the layers, the host sums) */
namespace gnnrepro {

/* the bits of an int64 a sum may use: 62 leaves the sign bit and one bit of margin */
constexpr int kFixedBits = 62;

/* e with |a| < 2^e (frexp's exponent). 0 bounds nothing: it gets an exponent below every other, so
   that a rank whose terms are all zero (or that has none) leaves the maximum over the ranks alone */
constexpr int64_t kNoBound = -(int64_t(1) << 20);
inline int64_t    BoundExponent(double a)
{
  int e;
  if (a == 0) return kNoBound;
  (void)std::frexp(a, &e);
  return e;
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
   conversion (cvtsd2si, the same rounding) instead of a call to nearbyint per term. */
inline int64_t ToFixed(double t)
{
  #if defined(__x86_64__)
  return _mm_cvtsd_si64(_mm_set_sd(t));
  #else
  return (int64_t)std::nearbyint(t);
  #endif
}

} // namespace gnnrepro
#endif

#endif
