/* GNNLinear as an autograd function over the kernel interface */
#include "nn/linear.hpp"
#include "kernels/kernels.hpp"
#include "sys/gnncollective.hpp"

namespace {

class LinearFunction : public torch::autograd::Function<LinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor x, torch::Tensor W, torch::Tensor b, bool elu)
  {
    auto y                 = GNNKernelLinearForward(x, W, b, elu, nullptr);
    ctx->saved_data["elu"] = elu;
    if (elu) ctx->save_for_backward({x, W, y});
    else ctx->save_for_backward({x, W});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto          saved = ctx->get_saved_variables();
    const bool    elu   = ctx->saved_data["elu"].toBool();
    torch::Tensor dX, dW, db;
    GNNKernelLinearBackward(grads[0], elu ? saved[2] : torch::Tensor(), saved[0], saved[1], ctx->needs_input_grad(0), dX, dW, db, GNNReproCurrent());
    return {dX, dW, db, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNLinear(const torch::Tensor &x, const torch::Tensor &W, const torch::Tensor &b, bool elu)
{
  return LinearFunction::apply(x, W, b, elu);
}
