/* The MLP block of the model: Linear(in, H), ELU, n_hidden x [Linear(H, H), ELU], Linear(H, out),
   then an optional LayerNorm(out). Parameter names follow PyTorch: linear.K.weight|bias, norm.weight|bias. */
#ifndef GNNMLP_HPP
#define GNNMLP_HPP

#include <torch/torch.h>
#include "kernels/kernels.hpp"

struct MLPImpl : torch::nn::Module {
  MLPImpl(int64_t in, int64_t hidden, int64_t out, int64_t nHidden, bool layerNorm);
  torch::Tensor forward(torch::Tensor x);
  /* the layers from linear[first] on (x: the output of linear[first - 1] and its ELU) */
  torch::Tensor forward_from(torch::Tensor x, size_t first);
  /* without autograd: every Linear layer in one fused kernel (GNNKernelMLPForward), then the
     LayerNorm; the same bits as forward(). With start, the first layer is x W0^T started from the
     edge start instead of its own weight and bias (the split first edge layer). */
  torch::Tensor forward_fused(torch::Tensor x, const torch::Tensor &W0 = {}, const GNNEdgeStart *start = nullptr);

  torch::nn::ModuleList linear{nullptr};
  torch::nn::LayerNorm  norm{nullptr};
};
TORCH_MODULE(MLP);

#endif
