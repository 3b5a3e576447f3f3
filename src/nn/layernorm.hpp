/* LayerNorm over the last dimension as an autograd function over the kernel interface */
#ifndef GNNLAYERNORM_HPP
#define GNNLAYERNORM_HPP

#include <torch/torch.h>

/* torch.nn.LayerNorm's function (biased variance, elementwise affine gamma, beta), computed by the
   library's own kernels: one fixed sequence of operations per row on every device, so that a
   node's or an edge's result is the same bits on the CPU and the GPU and at any rank count; the
   parameters' gradients are sums in fixed chunks of rows (or, while reproducible sums are in
   force, global reproducible sums as GNNLinear's). Saves x and the row statistics. */
torch::Tensor GNNLayerNorm(const torch::Tensor &x, const torch::Tensor &gamma, const torch::Tensor &beta, double eps);

#endif
