/* Parts of the network applied without keeping their activations: they are recomputed in backward */
#ifndef GNNRECOMPUTE_HPP
#define GNNRECOMPUTE_HPP

#include "nn/mlp.hpp"
#include "nn/meshgraphnet.hpp"

/* mlp(x) for an input x that needs no gradient (the static edge features): forward keeps only x;
   backward runs the MLP again with autograd on and returns its parameters' gradients. The
   recomputation uses the same kernels on the same values, so the results are those of mlp(x),
   bit for bit, at the cost of one more forward of this MLP per step. */
torch::Tensor GNNRecomputeMLP(MLPImpl &mlp, const torch::Tensor &x);

/* layer.forward(g, h, e) keeping only h and e (about H values per node and per edge) instead of
   the layer's activations (about 2 + 2 n_hidden tensors [E, H]): backward runs the layer again,
   halo exchange included, with autograd on, and back-propagates through that copy. The recomputed
   graph of operations is the one a plain forward builds, so gradients are those of the plain
   forward bit for bit (tested in test_training); the price is one more forward of the layer and
   one more halo exchange per layer and step. */
std::vector<torch::Tensor> GNNRecomputeLayer(ProcessorLayerImpl &layer, const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &e);

#endif
