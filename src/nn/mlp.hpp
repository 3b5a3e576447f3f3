/* The MLP block of the model: Linear(in, H), ELU, n_hidden x [Linear(H, H), ELU], Linear(H, out),
   then an optional LayerNorm(out). Parameter names follow PyTorch: linear.K.weight|bias, norm.weight|bias. */
#ifndef GNNMLP_HPP
#define GNNMLP_HPP

#include <torch/torch.h>
#include "kernels/kernels.hpp"

struct MLPImpl : torch::nn::Module {
  MLPImpl(int64_t in, int64_t hidden, int64_t out, int64_t nHidden, bool layerNorm);
  torch::Tensor forward(torch::Tensor x);
  /* the layers from linear[first] on (x: the output of linear[first - 1] and its ELU); in
     training with recompute, through the fused backward */
  torch::Tensor forward_from(torch::Tensor x, size_t first);
  /* forward(torch::cat(parts, 1)); in training with recompute, keeping the parts rather than
     their concatenation (made again in backward), for a part kept elsewhere too */
  torch::Tensor forward_cat(const std::vector<torch::Tensor> &parts);
  /* the same, always one autograd node per layer (GNNLinear, GNNLayerNorm) */
  torch::Tensor forward_layers(torch::Tensor x, size_t first);
  /* without autograd: every Linear layer in one fused kernel (GNNKernelMLPForward), then the
     LayerNorm; the same bits as forward(). With start, the first layer is x W0^T started from the
     edge start instead of its own weight and bias (the split first edge layer); with residual, the
     output is x[:, :out] + that (GNNKernelMLPForward). */
  torch::Tensor forward_fused(torch::Tensor x, const torch::Tensor &W0 = {}, const GNNEdgeStart *start = nullptr, bool residual = false);
  /* the layers from linear[first] on and the LayerNorm, as the fused kernels take them: weights,
     biases, gamma and beta (undefined without LayerNorm) */
  void fused_params(size_t first, std::vector<torch::Tensor> &W, std::vector<torch::Tensor> &b, torch::Tensor &gamma, torch::Tensor &beta);
  /* ... as one list in that order (W, b per layer, then gamma, beta): the inputs of the fused
     backward's autograd functions */
  std::vector<torch::Tensor> fused_param_list(size_t first);

  /* the fused backward's autograd node on the layers from linear[first], input cat(parts, 1) */
  torch::Tensor fused_apply(const std::vector<torch::Tensor> &parts, size_t first);

  /* training keeps only the input of forward_from and computes the activations again in backward,
     on chip (GNNKernelMLPBackward, src/nn/mlp.cxx): a setting of the run, not of the model */
  bool recompute = false;

  torch::nn::ModuleList linear{nullptr};
  torch::nn::LayerNorm  norm{nullptr};
};
TORCH_MODULE(MLP);

#endif
