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

class LayerFunction : public torch::autograd::Function<LayerFunction> {
public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, torch::Tensor h, torch::Tensor e, at::TensorList params, int64_t layerptr, int64_t graphptr)
  {
    (void)params;
    ctx->save_for_backward({h, e});
    ctx->saved_data["layer"] = layerptr;
    ctx->saved_data["graph"] = graphptr;
    ctx->set_materialize_grads(false); /* e' of the last layer feeds nothing: no zero gradient for it */
    return reinterpret_cast<ProcessorLayerImpl *>(layerptr)->forward(*reinterpret_cast<const GraphTensors *>(graphptr), h, e);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                saved = ctx->get_saved_variables();
    auto                layer = reinterpret_cast<ProcessorLayerImpl *>(ctx->saved_data["layer"].toInt());
    const GraphTensors *g     = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    auto                h = saved[0].detach().requires_grad_(true), e = saved[1].detach().requires_grad_(true);
    auto                params = layer->parameters();
    torch::autograd::variable_list outs, gouts, inputs = {h, e};
    {
      torch::AutoGradMode on(true);
      auto he = layer->forward(*g, h, e);
      for (size_t k = 0; k < 2; k++)
        if (grads[k].defined()) {
          outs.push_back(he[k]);
          gouts.push_back(grads[k]);
        }
    }
    for (auto &p : params) inputs.push_back(p);
    torch::autograd::variable_list out(inputs.size() + 2);
    if (outs.empty()) return out;
    auto gi = torch::autograd::grad(outs, inputs, gouts, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
    out[0]  = gi[0];
    out[1]  = gi[1];
    for (size_t k = 2; k < gi.size(); k++) out[k] = gi[k];
    return out;
  }
};

} // namespace

std::vector<torch::Tensor> GNNRecomputeLayer(ProcessorLayerImpl &layer, const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &e)
{
  auto params = layer.parameters();
  return LayerFunction::apply(h, e, at::TensorList(params), reinterpret_cast<int64_t>(&layer), reinterpret_cast<int64_t>(&g));
}

torch::Tensor GNNRecomputeMLP(MLPImpl &mlp, const torch::Tensor &x)
{
  auto params = mlp.parameters();
  return CheckpointFunction::apply(x, at::TensorList(params), reinterpret_cast<int64_t>(&mlp));
}
