/* The first Linear(+ELU) layer of the edge MLP, split by the parts of its input [h_j, h_i, e_ji],
   with the halo exchange of h that it needs overlapped with its computation */
#ifndef GNNEDGELINEAR_HPP
#define GNNEDGELINEAR_HPP

#include "kernels/kernels.hpp"
#include <functional>

struct GraphTensors;

/* Rows computed for a set of local edges: x holds their rows of e, start their first layer's start
   (A[ia] + B[ib], ia/ib: the edges' receivers and senders) */
using GNNEdgeRowsFn = std::function<torch::Tensor(const torch::Tensor &x, const GNNEdgeStart &start)>;

/* The one place where the ghost rows of h meet the edges. Exchanges h's ghost rows, computes
   A = h Wi^T + b [nOwned, H] and B = h_all Wj^T [nOwned + nGhost, H] once per node, and returns
   f(e, start) for every local edge, in edge order. With g.halo->overlap, f runs on every edge
   while the exchange is in flight (the rows of the edges whose sender is owned are then final),
   and again on the edges whose sender is a ghost once it has ended. Each edge's row is a fixed
   sequence of operations on its own inputs (the kernels are row-deterministic), so the result is
   the same bit for bit with and without overlap, and on any rank count. hghost (if not null)
   receives the ghost rows of h [nGhost, H]. No autograd. */
torch::Tensor GNNEdgeRowsWithHalo(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &Wi, const torch::Tensor &b, const torch::Tensor &Wj, const torch::Tensor &e, const GNNEdgeRowsFn &f, torch::Tensor *hghost);

/* ELU([h_j, h_i, e_ji] W^T + b) for every local edge j -> i, W = [W_j, W_i, We] (h: the owned rows
   [nOwned, H]; the ghost rows come from the halo exchange inside), without the [E, 3H]
   concatenation, its copy kept for backward and a third of its products: the node parts are
   computed once per node (GNNEdgeRowsWithHalo). Differentiable in h, W, b and e. Backward sums the
   edge gradients into A by receiver (the CSR rows) and into B by sender (the transposed CSR), and
   returns the ghost rows' gradients to their owners by the reverse exchange; with
   g.halo->overlap, that exchange is started first, from the ghost senders' sums, and ends after
   the rest of backward (the same bits as without). */
torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &W, const torch::Tensor &b, const torch::Tensor &e);

#endif
