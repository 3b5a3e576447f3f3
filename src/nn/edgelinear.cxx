#include "nn/edgelinear.hpp"
#include "kernels/kernels.hpp"
#include "nn/meshgraphnet.hpp"

namespace {

class EdgeLinearFunction : public torch::autograd::Function<EdgeLinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor A, torch::Tensor B, torch::Tensor e, torch::Tensor We, int64_t graphptr)
  {
    const GraphTensors *g     = reinterpret_cast<const GraphTensors *>(graphptr);
    GNNEdgeStart        start = {A, B, g->receivers, g->senders};
    auto                y     = GNNKernelLinearForward(e, We, torch::Tensor(), true, &start);
    ctx->save_for_backward({e, We, y});
    ctx->saved_data["graph"] = graphptr;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto               saved = ctx->get_saved_variables();
    auto               e = saved[0], W = saved[1], y = saved[2];
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    torch::Tensor      de, dW, db;
    auto               ge = GNNKernelEluBackward(grads[0], y);
    GNNKernelLinearBackward(ge, torch::Tensor(), e, W, ctx->needs_input_grad(2), de, dW, db);
    auto dA = GNNKernelSegmentSum(ge, g->rowptr, torch::Tensor());
    auto dB = GNNKernelSegmentSum(ge, g->sendptr, g->sendperm);
    return {dA, dB, de, dW, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &A, const torch::Tensor &B, const torch::Tensor &e, const torch::Tensor &We)
{
  return EdgeLinearFunction::apply(A, B, e, We, reinterpret_cast<int64_t>(&g));
}
