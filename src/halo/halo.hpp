/* The halo exchange as a differentiable operation on node tensors */
#ifndef GNNHALO_HPP
#define GNNHALO_HPP

#include <petscgnngraph.h>
#include <torch/torch.h>

/* [nOwned, F] -> [nOwned + nGhost, F]: owned rows copied, ghost rows received from their owners
   (PetscSF broadcast). Backward: the ghost rows' gradients are added into their owners' rows
   (PetscSF reduce with ADD). */
torch::Tensor GNNHaloExchange(GNNGraph graph, const torch::Tensor &owned);

#endif
