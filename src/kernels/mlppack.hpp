/* An MLP's parameters packed as the fused kernels read them, made once per version of the
   weights. The GPU kernels take every layer's W^T in one array and every bias in another; packing
   them is about ten small device operations (a transpose per layer, the concatenations), which an
   MLP call would otherwise repeat: some 250 per training step, every forward of a rollout. */
#ifndef GNNMLPPACK_HPP
#define GNNMLPPACK_HPP

#include <torch/torch.h>
#include <memory>

struct GNNMLPPack {
  torch::Tensor        P;    /* layer l's W^T [K_l, N_l] at woff[l], the layers one after the other */
  torch::Tensor        Pw;   /* layer l's W [N_l, K_l] as it is, at the same offsets */
  torch::Tensor        bias; /* the biases, then gamma and beta (one entry, never read, when there is none) */
  std::vector<int64_t> woff; /* layer l's offset in P and Pw */
  std::vector<int64_t> boff; /* layer l's bias offset in bias; -1: no bias */
  int64_t              lnoff = -1; /* gamma's offset in bias (beta right after); -1: no LayerNorm */
};

/* The pack of layers W[l] (b[l] may be undefined) and the LayerNorm's gamma and beta (undefined:
   none), on their device and dtype. From a process-wide cache: packed again only when one of the
   tensors is another view (storage, offset, sizes, strides) or has been written since (its
   version counter: every in-place write through a tensor or a view of it counts, which is how the
   library and the optimiser write parameters). When the tensors all lie in one storage (the
   model's parameters: views of one flat tensor) a pack is made by one gather from it. Thread-safe;
   at most a few dozen packs are kept, those of dead parameters dropped first. A pack is never
   modified once made. */
std::shared_ptr<const GNNMLPPack> GNNKernelMLPPack(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta);

/* since the process began: packs made (gathered: of them, those made by one gather from the one
   storage that all the tensors share, as the model's parameters do) and calls that found theirs */
struct GNNMLPPackCounts {
  int64_t made = 0, gathered = 0, reused = 0;
};
GNNMLPPackCounts GNNKernelMLPPackCounts();

#endif
