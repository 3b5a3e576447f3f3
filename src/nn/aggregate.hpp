/* Aggregation a_i = sum over the edges j->i of e_ji, by the CSR rows of the adjacency */
#ifndef GNNAGGREGATE_HPP
#define GNNAGGREGATE_HPP

#include <torch/torch.h>

/* edges [E, H] ordered by receiver, rowptr [n+1] (int64), receivers [E] (int64) -> [n, H].
   Each row is summed sequentially in edge order (src/kernels), so the result does not depend on
   threads, devices or on how rows are split between ranks. Backward gathers the row gradient to
   each of its edges. */
torch::Tensor GNNSegmentSum(const torch::Tensor &edges, const torch::Tensor &rowptr, const torch::Tensor &receivers);

#endif
