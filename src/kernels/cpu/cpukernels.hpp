/* The CPU kernels on raw arrays (src/kernels/cpu): what src/kernels/kernels.cxx calls for CPU
   tensors, and what the benchmark times alone. No torch types: the bodies they share with the
   GPU kernels are in src/kernels/gnnkernelbodies.h. */
#ifndef GNNCPUKERNELS_HPP
#define GNNCPUKERNELS_HPP

#include <cstdint>
#include "sys/gnnreprosum.h"
#include "kernels/kernelargs.h"

/* With init, row i of a row product starts from A[ia[i]] + B[ib[i]] (rows of [*, N] arrays)
   instead of the bias: a Linear layer whose input is a concatenation split into per-node parts
   computed once per node (the first edge layer). */
template <typename T>
struct GNNRowInit {
  const T       *A, *B;
  const int64_t *ia, *ib;
};

/* y = x W^T + b (then ELU when elu); x [M, K], W [N, K], y [M, N], all contiguous; b unused with init */
template <typename T>
void GNNLinearForwardRows(const T *x, int64_t M, int64_t K, const T *W, const T *b, int64_t N, T *y, bool elu, const GNNRowInit<T> *init);
/* The Linear layers of an MLP in one pass over the rows, chunk by chunk in the cache, nothing but
   the output written: layer l is y_l = act(y_{l-1} W[l]^T + b[l]), W[l] [dims[l + 1], dims[l]],
   act = ELU on all but the last layer, b[l] may be NULL; init (the edge start) replaces layer 0's
   bias; with gamma, a LayerNorm (beta, eps) of the output follows; with residual, y = x[:, :N] +
   that (N = dims[nl] <= dims[0]). Bitwise the result of GNNLinearForwardRows layer by layer (and
   GNNLayerNormForwardRows, and the add). */
template <typename T>
void GNNMLPForwardRows(const T *x, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, T *y, const GNNRowInit<T> *init, const T *gamma, const T *beta, T eps, bool residual = false);
/* The backward of such an MLP from dL/dy [M, dims[nl]] (go: GNNOutGrad) and its input x (with init, layer 0's
   pre-activation gradient goes to dStart [M, dims[1]]), nothing of its forward kept: chunk by chunk the activations are computed again in the cache and
   back-propagated. dX (may be NULL), dW[l], db[l] are bitwise those of GNNLinearBackwardRows layer
   by layer at the same thread count; with gamma (the LayerNorm's; beta changes no gradient), dx,
   dgamma and dbeta bitwise those of GNNLayerNormBackwardRows (the GPU's chunks). */
template <typename T>
void GNNMLPBackwardRows(const T *x, const GNNOutGrad<T> &go, int64_t M, int nl, const int64_t *dims, const T *const *W, const T *const *b, const T *gamma, T eps, T *dX, T *const *dW, T *const *db, T *dgamma, T *dbeta, const GNNRowInit<T> *init = nullptr, T *dStart = nullptr);
/* dX = ge W, dW = ge^T x, db = sum ge, ge = g ELU'(y) (y: the forward's output, or NULL: no ELU);
   dX may be NULL. With rr, dW and db are reproducible sums (src/sys/gnnreprosum.h) over the rows
   of all ranks: the global gradient, the same bits however the rows are split (collective). */
template <typename T>
void GNNLinearBackwardRows(const T *g, const T *y, const T *x, int64_t M, int64_t K, const T *W, int64_t N, T *dX, T *dW, T *db, const GNNReproReduce *rr = nullptr);
/* out = g ELU'(y) on n values */
template <typename T>
void GNNEluBackwardRows(const T *g, const T *y, int64_t n, T *out);
/* out[i] = sum of the rows e[perm[q]] (e[q] without perm), q = ptr[i] .. ptr[i+1]-1 in order; out [n, H] */
template <typename T>
void GNNSegmentSumRowsCPU(const T *e, const int64_t *ptr, const int64_t *perm, int64_t n, int64_t H, T *out);

/* LayerNorm over the H values of each row: y = (x - mean) rstd gamma + beta, and its row
   statistics mean, rstd [M] */
template <typename T>
void GNNLayerNormForwardRows(const T *x, int64_t M, int64_t H, const T *gamma, const T *beta, T eps, T *y, T *mean, T *rstd);
/* its gradients from g = dL/dy: dx (may be NULL) row by row, dgamma and dbeta [H] in fixed chunks of
   rows added in order (the GPU's bits), or with rr reproducible sums over all ranks (collective) */
template <typename T>
void GNNLayerNormBackwardRows(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta, const GNNReproReduce *rr = nullptr);

#endif
