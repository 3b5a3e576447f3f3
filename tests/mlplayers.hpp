/* The backward of an MLP layer by layer through the kernel interface, its forward kept: what the
   autograd graph of GNNLinear and GNNLayerNorm computes, the reference of the fused backward
   (GNNKernelMLPBackward) in test_kernel_bodies (CPU) and test_gpu (GPU). gamma undefined: no
   LayerNorm; with start, layer 0 starts from it and dStart is its pre-activation gradient. */
#ifndef GNNTEST_MLPLAYERS_HPP
#define GNNTEST_MLPLAYERS_HPP

#include "kernels/kernels.hpp"

struct MLPGrads {
  torch::Tensor              dX, dgamma, dbeta, dStart;
  std::vector<torch::Tensor> dW, db;
};

inline MLPGrads MLPBackwardLayers(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, const torch::Tensor &g, const GNNEdgeStart *start = nullptr)
{
  const int                  nl = (int)W.size();
  std::vector<torch::Tensor> a = {x};
  MLPGrads                   r;
  for (int l = 0; l < nl; l++) a.push_back(GNNKernelLinearForward(a[l], W[l], b[l], l + 1 < nl, l == 0 ? start : nullptr));
  torch::Tensor cur = g;
  if (gamma.defined()) {
    torch::Tensor mean, rstd, dz;
    GNNKernelLayerNormForward(a[nl], gamma, beta, 1e-5, mean, rstd);
    GNNKernelLayerNormBackward(g, a[nl], mean, rstd, gamma, true, dz, r.dgamma, r.dbeta);
    cur = dz;
  }
  r.dW.resize(nl);
  r.db.resize(nl);
  for (int l = nl - 1; l >= 0; l--) {
    torch::Tensor dIn;
    if (l == 0 && start) { /* as GNNEdgeLinear's backward: the pre-activation gradient first */
      r.dStart = nl > 1 ? GNNKernelEluBackward(cur, a[1]) : cur;
      GNNKernelLinearBackward(r.dStart, torch::Tensor(), a[0], W[0], true, dIn, r.dW[0], r.db[0]);
    } else GNNKernelLinearBackward(cur, l + 1 < nl ? a[l + 1] : torch::Tensor(), a[l], W[l], true, dIn, r.dW[l], r.db[l]);
    cur = dIn;
  }
  r.dX = cur;
  return r;
}

/* ... and the fused backward, in the same form */
inline MLPGrads MLPBackwardFused(const torch::Tensor &x, const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, const torch::Tensor &g, const GNNEdgeStart *start = nullptr)
{
  MLPGrads r;
  GNNKernelMLPBackward(x, W, b, gamma, beta, 1e-5, g, true, r.dX, r.dW, r.db, r.dgamma, r.dbeta, start, &r.dStart);
  return r;
}

#endif
