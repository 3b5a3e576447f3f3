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

#endif
