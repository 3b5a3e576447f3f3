#include "nn/mlp.hpp"
#include "nn/linear.hpp"
#include "nn/layernorm.hpp"
#include "sys/gnncollective.hpp"

MLPImpl::MLPImpl(int64_t in, int64_t hidden, int64_t out, int64_t nHidden, bool layerNorm)
{
  linear = register_module("linear", torch::nn::ModuleList());
  linear->push_back(torch::nn::Linear(in, hidden));
  for (int64_t k = 0; k < nHidden; k++) linear->push_back(torch::nn::Linear(hidden, hidden));
  linear->push_back(torch::nn::Linear(hidden, out));
  if (layerNorm) norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}).eps(1e-5).elementwise_affine(true)));
}

torch::Tensor MLPImpl::forward(torch::Tensor x)
{
  return torch::GradMode::is_enabled() ? forward_from(x, 0) : forward_fused(x);
}

void MLPImpl::fused_params(size_t first, std::vector<torch::Tensor> &W, std::vector<torch::Tensor> &b, torch::Tensor &gamma, torch::Tensor &beta)
{
  for (size_t k = first; k < linear->size(); k++) {
    auto lin = linear[k]->as<torch::nn::Linear>();
    W.push_back(lin->weight);
    b.push_back(lin->bias);
  }
  gamma = norm ? norm->weight : torch::Tensor();
  beta  = norm ? norm->bias : torch::Tensor();
}

std::vector<torch::Tensor> MLPImpl::fused_param_list(size_t first)
{
  std::vector<torch::Tensor> W, b, params;
  torch::Tensor              gamma, beta;
  fused_params(first, W, b, gamma, beta);
  for (size_t k = 0; k < W.size(); k++) params.insert(params.end(), {W[k], b[k]});
  if (gamma.defined()) params.insert(params.end(), {gamma, beta});
  return params;
}

torch::Tensor MLPImpl::forward_fused(torch::Tensor x, const torch::Tensor &W0, const GNNEdgeStart *start, bool residual)
{
  std::vector<torch::Tensor> W, b;
  torch::Tensor              gamma, beta;
  fused_params(0, W, b, gamma, beta);
  if (W0.defined()) W[0] = W0;
  if (start) b[0] = torch::Tensor();
  /* the LayerNorm in the same pass: the same bits as GNNLayerNorm after it */
  return GNNKernelMLPForward(x, W, b, start, gamma, beta, norm ? norm->options.eps() : 0.0, residual);
}

namespace {

/* forward_from(x, first) keeping only x, or only the parts whose columns side by side make x
   (forward_cat: the concatenation is made again in backward, so that a part that something else
   keeps too is not kept twice): the fused forward, and in backward GNNKernelMLPBackward, which
   computes the activations again chunk by chunk of rows. Its gradients are those of the
   layer-by-layer autograd graph (after torch::cat), bit for bit. While reproducible sums are in
   force (GNNReproCurrent) the layers run again with autograd instead, so that their gradients are
   the layers' own fixed-point sums. */
class FusedBackwardFunction : public torch::autograd::Function<FusedBackwardFunction> {
public:
  /* parts: x's column blocks in order; params: the parameters of the layers from first on and of
     the LayerNorm (fused_params' order) */
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, at::TensorList parts, at::TensorList params, int64_t mlpptr, int64_t first)
  {
    (void)params;
    MLPImpl                   *mlp = reinterpret_cast<MLPImpl *>(mlpptr);
    std::vector<torch::Tensor> W, b;
    torch::Tensor              gamma, beta;
    mlp->fused_params((size_t)first, W, b, gamma, beta);
    ctx->save_for_backward(parts.vec());
    ctx->saved_data["mlp"]   = mlpptr;
    ctx->saved_data["first"] = first;
    return GNNKernelMLPForward(parts.size() == 1 ? parts[0] : torch::cat(parts, 1), W, b, nullptr, gamma, beta, mlp->norm ? mlp->norm->options.eps() : 0.0);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                       parts = ctx->get_saved_variables();
    auto                       x     = parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
    MLPImpl                   *mlp   = reinterpret_cast<MLPImpl *>(ctx->saved_data["mlp"].toInt());
    const size_t               first = (size_t)ctx->saved_data["first"].toInt();
    std::vector<torch::Tensor> W, b, dW, db;
    torch::Tensor              gamma, beta, dX, dgamma, dbeta;
    mlp->fused_params(first, W, b, gamma, beta);
    bool wantDx = false;
    for (size_t k = 0; k < parts.size(); k++) wantDx = wantDx || ctx->needs_input_grad(k);
    torch::autograd::variable_list gp; /* the parameters' gradients */
    if (GNNReproCurrent()) {
      auto          params = mlp->fused_param_list(first);
      auto          xd     = x.detach().requires_grad_(wantDx);
      torch::Tensor y;
      {
        torch::AutoGradMode on(true);
        y = mlp->forward_layers(xd, first);
      }
      torch::autograd::variable_list inputs = params;
      if (wantDx) inputs.insert(inputs.begin(), xd);
      auto gi = torch::autograd::grad({y}, inputs, {grads[0]});
      if (wantDx) dX = gi[0];
      gp.assign(gi.begin() + (wantDx ? 1 : 0), gi.end());
    } else {
      GNNKernelMLPBackward(x, W, b, gamma, beta, mlp->norm ? mlp->norm->options.eps() : 0.0, grads[0], wantDx, dX, dW, db, dgamma, dbeta);
      for (size_t k = 0; k < W.size(); k++) gp.insert(gp.end(), {dW[k], db[k]});
      if (gamma.defined()) gp.insert(gp.end(), {dgamma, dbeta});
    }
    /* each part's gradient: its columns of dX (cat's backward) */
    torch::autograd::variable_list out;
    for (size_t k = 0, c = 0; k < parts.size(); c += parts[k].size(1), k++) out.push_back(ctx->needs_input_grad(k) ? dX.narrow(1, c, parts[k].size(1)) : torch::Tensor());
    out.insert(out.end(), gp.begin(), gp.end());
    out.push_back(torch::Tensor());
    out.push_back(torch::Tensor());
    return out;
  }
};

} // namespace

torch::Tensor MLPImpl::forward_from(torch::Tensor x, size_t first)
{
  if (recompute && torch::GradMode::is_enabled()) return fused_apply({x}, first);
  return forward_layers(x, first);
}

torch::Tensor MLPImpl::fused_apply(const std::vector<torch::Tensor> &parts, size_t first)
{
  auto params = fused_param_list(first);
  return FusedBackwardFunction::apply(at::TensorList(parts), at::TensorList(params), reinterpret_cast<int64_t>(this), (int64_t)first);
}

torch::Tensor MLPImpl::forward_cat(const std::vector<torch::Tensor> &parts)
{
  if (recompute && torch::GradMode::is_enabled()) return fused_apply(parts, 0);
  return forward(torch::cat(parts, 1));
}

torch::Tensor MLPImpl::forward_layers(torch::Tensor x, size_t first)
{
  const size_t n = linear->size();
  for (size_t k = first; k < n; k++) {
    auto lin = linear[k]->as<torch::nn::Linear>();
    x        = GNNLinear(x, lin->weight, lin->bias, k + 1 < n);
  }
  if (norm) x = GNNLayerNorm(x, norm->weight, norm->bias, norm->options.eps());
  return x;
}
