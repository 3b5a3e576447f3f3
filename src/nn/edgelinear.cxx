#include "nn/edgelinear.hpp"
#include "nn/linear.hpp"
#include "nn/aggregate.hpp"
#include "nn/meshgraphnet.hpp"

namespace {

class EdgeLinearFunction : public torch::autograd::Function<EdgeLinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor A, torch::Tensor B, torch::Tensor e, torch::Tensor We, int64_t graphptr)
  {
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(graphptr);
    A                 = A.contiguous();
    B                 = B.contiguous();
    e                 = e.contiguous();
    auto    W         = We.contiguous();
    int64_t E = e.size(0), K = e.size(1), N = W.size(0);
    auto    y         = torch::empty({E, N}, e.options());
    AT_DISPATCH_FLOATING_TYPES(e.scalar_type(), "GNNEdgeLinear", [&] {
      GNNRowInit<scalar_t> init = {A.data_ptr<scalar_t>(), B.data_ptr<scalar_t>(), g->receivers.data_ptr<int64_t>(), g->senders.data_ptr<int64_t>()};
      GNNLinearForwardRows<scalar_t>(e.data_ptr<scalar_t>(), E, K, W.data_ptr<scalar_t>(), nullptr, N, y.data_ptr<scalar_t>(), true, &init);
    });
    ctx->save_for_backward({e, W, y});
    ctx->saved_data["graph"] = graphptr;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto               saved = ctx->get_saved_variables();
    auto               e = saved[0], W = saved[1], y = saved[2];
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    auto               gy = grads[0].contiguous();
    int64_t            E = e.size(0), K = e.size(1), N = W.size(0);
    auto               ge = torch::empty_like(y), dW = torch::empty_like(W), db = torch::empty({N}, W.options());
    auto               de = ctx->needs_input_grad(2) ? torch::empty_like(e) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(e.scalar_type(), "GNNEdgeLinearBackward", [&] {
      GNNEluBackwardRows<scalar_t>(gy.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), ge.numel(), ge.data_ptr<scalar_t>());
      GNNLinearBackwardRows<scalar_t>(ge.data_ptr<scalar_t>(), nullptr, e.data_ptr<scalar_t>(), E, K, W.data_ptr<scalar_t>(), N, de.defined() ? de.data_ptr<scalar_t>() : nullptr, dW.data_ptr<scalar_t>(), db.data_ptr<scalar_t>());
    });
    auto dA = GNNSegmentSumRows(ge, g->rowptr, torch::Tensor());
    auto dB = GNNSegmentSumRows(ge, g->sendptr, g->sendperm);
    return {dA, dB, de, dW, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &A, const torch::Tensor &B, const torch::Tensor &e, const torch::Tensor &We)
{
  return EdgeLinearFunction::apply(A, B, e, We, reinterpret_cast<int64_t>(&g));
}
