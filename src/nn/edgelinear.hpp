/* The first Linear(+ELU) layer of the edge MLP, split by the parts of its input [h_j, h_i, e_ji] */
#ifndef GNNEDGELINEAR_HPP
#define GNNEDGELINEAR_HPP

#include <torch/torch.h>

struct GraphTensors;

/* ELU(e_ji We^T + A_i + B_j) for every local edge j -> i, where A = h W_i^T + b [nOwned, H] and
   B = h_all W_j^T [nOwned + nGhost, H] are computed once per node by the caller: the same layer as
   ELU([h_j, h_i, e_ji] W^T + b) with W = [W_j, W_i, We], without the [E, 3H] concatenation, its
   copy kept for backward and a third of its products. Each edge's value is a fixed sequence of
   operations on its own inputs, so it is bitwise the same on any rank count. Backward sums the
   edge gradients into A by receiver (the CSR rows) and into B by sender (the transposed CSR); while
   reproducible sums are in force (GNNReproCurrent) the latter are fixed-point partial sums in
   double, which the halo reverse adds exactly, and B may be given in double (its gradient then is). */
torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &A, const torch::Tensor &B, const torch::Tensor &e, const torch::Tensor &We);

#endif
