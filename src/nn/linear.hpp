/* Linear layer (optionally fused with ELU) whose forward result for a row depends on that row alone */
#ifndef GNNLINEAR_HPP
#define GNNLINEAR_HPP

#include <torch/torch.h>

/* y = x W^T + b, then ELU(alpha = 1) when elu is true; x [M, K], W [N, K], b [N].
   BLAS products give results that depend on the batch (a row is rounded differently when M or its
   position changes), which would make the outputs depend on how the graph is split over ranks.
   This kernel adds each output in one fixed order (bias, then a fused multiply-add for k = 0..K-1,
   in AVX-512 tiles or the portable path alike), so a node's or an edge's outputs are bitwise the
   same on any rank count. Backward is one fused pass (ELU derivative, dX, dW, db): gradients need
   to agree to rounding, not bitwise. */
torch::Tensor GNNLinear(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu);

/* The kernels behind GNNLinear on raw rows, for the layers built on them (nn/edgelinear.cxx).
   x [M, K], W [N, K], y [M, N], all contiguous. With init, row i starts from A[ia[i]] + B[ib[i]]
   (rows of [*, N] arrays) instead of the bias b: a Linear layer whose input is a concatenation
   split into per-node parts computed once per node. */
template <typename T>
struct GNNRowInit {
  const T       *A, *B;
  const int64_t *ia, *ib;
};
template <typename T>
void GNNLinearForwardRows(const T *x, int64_t M, int64_t K, const T *W, const T *b, int64_t N, T *y, bool elu, const GNNRowInit<T> *init);
/* dX = ge W, dW = ge^T x, db = sum ge, ge = g ELU'(y) (y: the forward's output, or NULL: no ELU);
   dX may be NULL */
template <typename T>
void GNNLinearBackwardRows(const T *g, const T *y, const T *x, int64_t M, int64_t K, const T *W, int64_t N, T *dX, T *dW, T *db);
/* out = g ELU'(y) on n values */
template <typename T>
void GNNEluBackwardRows(const T *g, const T *y, int64_t n, T *out);

#endif
