#include "nn/layernorm.hpp"
#include "kernels/kernels.hpp"
#include "sys/gnncollective.hpp"

namespace {

class LayerNormFunction : public torch::autograd::Function<LayerNormFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor x, torch::Tensor gamma, torch::Tensor beta, double eps)
  {
    torch::Tensor mean, rstd;
    auto          y = GNNKernelLayerNormForward(x, gamma, beta, eps, mean, rstd);
    ctx->save_for_backward({x, gamma, mean, rstd});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto          s = ctx->get_saved_variables();
    torch::Tensor dx, dgamma, dbeta;
    GNNKernelLayerNormBackward(grads[0], s[0], s[2], s[3], s[1], ctx->needs_input_grad(0), dx, dgamma, dbeta, GNNReproCurrent());
    return {dx, dgamma, dbeta, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNLayerNorm(const torch::Tensor &x, const torch::Tensor &gamma, const torch::Tensor &beta, double eps)
{
  return LayerNormFunction::apply(x, gamma, beta, eps);
}
