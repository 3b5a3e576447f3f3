/* An MLP applied without keeping its activations: they are recomputed in backward */
#ifndef GNNRECOMPUTE_HPP
#define GNNRECOMPUTE_HPP

#include "nn/mlp.hpp"

/* mlp(x) for an input x that needs no gradient (the static edge features): forward keeps only x;
   backward runs the MLP again with autograd on and returns its parameters' gradients. The
   recomputation uses the same kernels on the same values, so the results are those of mlp(x),
   bit for bit, at the cost of one more forward of this MLP per step. */
torch::Tensor GNNRecomputeMLP(MLPImpl &mlp, const torch::Tensor &x);

#endif
