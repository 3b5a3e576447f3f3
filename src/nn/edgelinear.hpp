/* The first Linear(+ELU) layer of the edge MLP, split by the parts of its input [h_j, h_i, e_ji],
   with the halo exchange of h W_j that it needs overlapped with its computation */
#ifndef GNNEDGELINEAR_HPP
#define GNNEDGELINEAR_HPP

#include "kernels/kernels.hpp"
#include <functional>

struct GraphTensors;

/* Rows computed for a set of local edges: x holds their rows of e, start their first layer's start
   (A[ia] + B[ib], ia/ib: the edges' receivers and senders) */
using GNNEdgeRowsFn = std::function<torch::Tensor(const torch::Tensor &x, const GNNEdgeStart &start)>;

/* The one place where the ghost rows meet the edges. Computes A = h Wi^T + b [nOwned, H] and
   B = h Wj^T for the owned nodes once per node, sends B's rows to the ghosts (a ghost's row is
   then its owner's bits, the same as computed from the ghost's h) and returns f(e, start) for
   every local edge, in edge order, with B = [B_owned; B_ghost] [nOwned + nGhost, H]. With
   g.halo->overlap, A and f on every edge run while the exchange is in flight (the rows of the
   edges whose sender is owned are then final), and f again on the edges whose sender is a ghost
   once it has ended. Each edge's row is a fixed sequence of operations on its own inputs (the
   kernels are row-deterministic), so the result is the same bit for bit with and without
   overlap, and on any rank count. No autograd. */
torch::Tensor GNNEdgeRowsWithHalo(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &Wi, const torch::Tensor &b, const torch::Tensor &Wj, const torch::Tensor &e, const GNNEdgeRowsFn &f);

/* ELU([h_j, h_i, e_ji] W^T + b) for every local edge j -> i, W = [W_j, W_i, We] (h: the owned rows
   [nOwned, H]; the ghost rows of h W_j come from the halo exchange inside), without the [E, 3H]
   concatenation, its copy kept for backward and a third of its products: the node parts are
   computed once per node (GNNEdgeRowsWithHalo). Differentiable in h, W, b and e. Backward sums the
   edge gradients into A by receiver (the CSR rows) and into B by sender (the transposed CSR),
   returns the ghost rows' sums dB to their owners by the reverse exchange (in double) and only
   then lets dB meet W_j, over the owned rows: every term of dW_j is a node's whole dB. While
   reproducible sums are in force (GNNReproCurrent) the sums by sender are fixed-point partial
   sums in double, which the reverse exchange adds exactly, so a node's dB is the same bits
   whichever ranks hold its edges. With g.halo->overlap the reverse exchange is started right
   after the sums by sender and ends after the backward of We, W_i and b (the same bits as
   without). */
torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &W, const torch::Tensor &b, const torch::Tensor &e);

struct MLPImpl;
/* e + the whole edge MLP (the processor layer's residual block, the add fused into the MLP's
   kernels) and its sums by receiver (the aggregation, GNNKernelSegmentSum), differentiable in h, e
   and the MLP's parameters, keeping only h, e and the ghost rows of the first layer's node part
   B = h W_j^T instead of any [E, H] activation (the node parts A = h W_i^T + b and B's owned rows
   are computed again from h in backward): the fused backward (GNNKernelMLPBackward with the edge
   start) computes the activations again, reads the output's gradient and the aggregation's
   gathered by receiver as one, writes e's with the residual's added, and returns the first layer's
   pre-activation gradient, from which the node parts' gradients follow as in GNNEdgeLinear's
   backward. The gradients are those of e + mlp.forward_layers(GNNEdgeLinear(...), 1) and
   GNNSegmentSum after it, bit for bit. Returns {e + MLP, its sums}; logs the GNNEdgeMLP and
   GNNAggregate phases (logSync: LogPhase's). */
std::vector<torch::Tensor> GNNEdgeMLPAggregate(const GraphTensors &g, const torch::Tensor &h, MLPImpl &mlp, const torch::Tensor &e, bool logSync);

#endif
