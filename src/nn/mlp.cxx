#include "nn/mlp.hpp"
#include "nn/linear.hpp"
#include "nn/layernorm.hpp"

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

torch::Tensor MLPImpl::forward_fused(torch::Tensor x, const torch::Tensor &W0, const GNNEdgeStart *start)
{
  std::vector<torch::Tensor> W, b;
  for (size_t k = 0; k < linear->size(); k++) {
    auto lin = linear[k]->as<torch::nn::Linear>();
    W.push_back(k == 0 && W0.defined() ? W0 : lin->weight);
    b.push_back(k == 0 && start ? torch::Tensor() : lin->bias);
  }
  /* the LayerNorm in the same pass: the same bits as GNNLayerNorm after it */
  return norm ? GNNKernelMLPForward(x, W, b, start, norm->weight, norm->bias, norm->options.eps()) : GNNKernelMLPForward(x, W, b, start);
}

torch::Tensor MLPImpl::forward_from(torch::Tensor x, size_t first)
{
  const size_t n = linear->size();
  for (size_t k = first; k < n; k++) {
    auto lin = linear[k]->as<torch::nn::Linear>();
    x        = GNNLinear(x, lin->weight, lin->bias, k + 1 < n);
  }
  if (norm) x = GNNLayerNorm(x, norm->weight, norm->bias, norm->options.eps());
  return x;
}
