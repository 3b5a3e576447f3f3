#include "nn/recompute.hpp"

namespace {

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
public:
  /* params: the MLP's parameters, inputs of this node so that their gradients are returned here */
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor x, at::TensorList params, int64_t mlpptr)
  {
    (void)params;
    ctx->save_for_backward({x});
    ctx->saved_data["mlp"] = mlpptr;
    return reinterpret_cast<MLPImpl *>(mlpptr)->forward(x); /* grad mode is off here: nothing kept */
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                x   = ctx->get_saved_variables()[0];
    MLPImpl            *mlp = reinterpret_cast<MLPImpl *>(ctx->saved_data["mlp"].toInt());
    auto                params = mlp->parameters();
    torch::Tensor       y;
    {
      torch::AutoGradMode on(true);
      y = mlp->forward(x.detach());
    }
    auto                          gp = torch::autograd::grad({y}, params, {grads[0]});
    torch::autograd::variable_list out;
    out.push_back(torch::Tensor());
    for (auto &g : gp) out.push_back(g);
    out.push_back(torch::Tensor());
    return out;
  }
};

} // namespace

torch::Tensor GNNRecomputeMLP(MLPImpl &mlp, const torch::Tensor &x)
{
  auto params = mlp.parameters();
  return CheckpointFunction::apply(x, at::TensorList(params), reinterpret_cast<int64_t>(&mlp));
}
