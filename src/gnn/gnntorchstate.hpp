/* The LibTorch state of a GNN object */
#ifndef GNNTORCHSTATE_HPP
#define GNNTORCHSTATE_HPP

#include "gnnimpl.h"
#include "gnntorch.hpp"
#include "gnn/gnnstatedict.hpp"
#include "nn/meshgraphnet.hpp"

struct GNNTorch {
  MeshGraphNet  net{nullptr};
  GraphTensors  g;
  torch::Dtype  dtype = torch::kFloat32;
  torch::Device device{torch::kCPU}; /* parameters, activations, graph tensors */
  /* named parameters (trained) and the whole state_dict (parameters and normalisation buffers) */
  std::vector<std::pair<std::string, torch::Tensor>> params, state;
  int64_t       numel = 0;
  torch::Tensor flat; /* [numel]: the parameters' one storage, each parameter a view of it in params' order */
  PetscInt      nOwned = 0, N = 0; /* owned nodes here, nodes in all (the graph's) */
  torch::Tensor nodeFeatures;        /* [nOwned, nfeat] fixed node features (undefined: none) */
};

/* A node Vec's owned values as a [nOwned, F] tensor of the model's precision (shares the Vec's
   storage when the precision is double) */
torch::Tensor GNNVecToTensor(GNN gnn, Vec v, PetscInt F, const PetscScalar **array);
/* The network's input: the input Vec x (F_in per node, restore *array afterwards) and the fixed
   node features (GNNSetNodeFeatures()) side by side */
torch::Tensor GNNInputToTensor(GNN gnn, Vec x, const PetscScalar **array);


#endif
