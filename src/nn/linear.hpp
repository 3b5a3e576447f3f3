/* Linear layer (optionally fused with ELU) whose forward result for a row depends on that row alone */
#ifndef GNNLINEAR_HPP
#define GNNLINEAR_HPP

#include <torch/torch.h>

/* y = x W^T + b, then ELU(alpha = 1) when elu is true; x [M, K], W [N, K], b [N], on the CPU or a GPU.
   BLAS products give results that depend on the batch (a row is rounded differently when M or its
   position changes), which would make the outputs depend on how the graph is split over ranks.
   The library's kernels (src/kernels) add each output in one fixed order (bias, then a fused
   multiply-add for k = 0..K-1), so a node's or an edge's outputs are bitwise the same on any rank
   count and on either device. Backward is one fused pass (ELU derivative, dX, dW, db): gradients
   agree to rounding, or, while reproducible sums are in force (GNNReproCurrent, training with
   -gnn_train_reproducible), dW and db are the global sums over all ranks, bitwise the same at
   any rank count. */
torch::Tensor GNNLinear(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu);

#endif
