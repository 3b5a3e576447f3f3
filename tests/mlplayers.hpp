/* The fused MLP backward (GNNKernelMLPBackward) and its reference, the layers' own backward
   (GNNKernelMLPBackwardLayers), in one form for test_kernel_bodies (CPU) and test_gpu (GPU). gamma
   undefined: no LayerNorm; with start, layer 0 starts from it and dStart is its pre-activation
   gradient; with ga, the output gradient is g + ga.index_select(0, ig) (g undefined: the gather
   alone); with residual, the MLP is x + MLP(x). */
#ifndef GNNTEST_MLPLAYERS_HPP
#define GNNTEST_MLPLAYERS_HPP

#include "kernels/kernels.hpp"

struct MLPGrads {
  torch::Tensor              dX, dgamma, dbeta, dStart;
  std::vector<torch::Tensor> dW, db;
};

inline MLPGrads MLPBackwardLayers(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, const torch::Tensor &g, const GNNEdgeStart *start = nullptr, const torch::Tensor &ga = {}, const torch::Tensor &ig = {}, bool residual = false)
{
  MLPGrads r;
  GNNKernelMLPBackwardLayers(x, W, b, gamma, beta, 1e-5, g, true, r.dX, r.dW, r.db, r.dgamma, r.dbeta, start, &r.dStart, ga, ig, residual);
  return r;
}

inline MLPGrads MLPBackwardFused(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, const torch::Tensor &g, const GNNEdgeStart *start = nullptr, const torch::Tensor &ga = {}, const torch::Tensor &ig = {}, bool residual = false)
{
  MLPGrads r;
  GNNKernelMLPBackward(x, W, b, gamma, beta, 1e-5, g, true, r.dX, r.dW, r.db, r.dgamma, r.dbeta, start, &r.dStart, ga, ig, residual);
  return r;
}

#endif
