/* The halo exchange as a differentiable operation on node tensors of either device */
#ifndef GNNHALO_HPP
#define GNNHALO_HPP

#include <petscgnngraph.h>
#include <torch/torch.h>
#include <memory>
#include <vector>

/* What an exchange needs, read once from the graph's public interface: the graph (whose
   GNNGraphHaloUpdate/Reverse exchange), its sizes and, for tensors on a GPU, the owned rows that
   other ranks read (the halo SF's roots with leaves), so that only those cross to the host and back. */
struct GNNHaloPlan {
  GNNGraph              graph = nullptr;
  PetscInt              nOwned = 0, nGhost = 0;
  std::vector<int64_t>  border;    /* owned rows read by other ranks, increasing */
  torch::Tensor         borderDev; /* the same, int64, on the model's device (GPU only) */
};
std::shared_ptr<GNNHaloPlan> GNNHaloPlanCreate(GNNGraph graph, const torch::Device &device);

/* [nOwned, F] -> [nOwned + nGhost, F]: owned rows copied, ghost rows received from their owners
   (PetscSF broadcast). Backward: the ghost rows' gradients are added into their owners' rows
   (PetscSF reduce with ADD, in double). PETSc here is not GPU-aware: for a GPU tensor the border
   rows are packed on the device, the SF runs on host copies, and the ghost rows go back to the
   device; the additions are those of the CPU path, in the same order. */
torch::Tensor GNNHaloExchange(const GNNHaloPlan &plan, const torch::Tensor &owned);

#endif
