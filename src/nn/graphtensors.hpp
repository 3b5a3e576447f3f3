/* The one boundary between the distributed graph and the tensors the network runs on */
#ifndef GNNGRAPHTENSORS_HPP
#define GNNGRAPHTENSORS_HPP

#include "halo/halo.hpp"
#include <petscgnngraph.h>
#include <torch/torch.h>
#include <memory>

/* The local edge structure as tensors on the model's device, built from the graph's public
   interface only (GNNGraphGetSizes, GNNGraphGetEdges, GNNGraphGetEdgeVector, the halo SF) */
struct GraphTensors {
  GNNGraph      graph = nullptr;
  torch::Tensor senders, receivers, rowptr; /* int64: the CSR by receiver */
  torch::Tensor sendptr, sendperm;          /* the edges by sender (the transposed CSR): edges
                                               sendperm[sendptr[j] .. sendptr[j+1]-1] leave local
                                               node j, in edge order (int64) */
  /* the edges whose sender is a ghost, increasing, and their receivers and senders (int64): the
     rows that the halo overlap computes again once the ghost rows have arrived (src/nn/edgelinear) */
  torch::Tensor ghostSenderEdges, ghostSenderEdgeReceivers, ghostSenderEdgeSenders;
  torch::Tensor edgeFeatures;               /* [E, d+1] = [x_j - x_i, |x_j - x_i|], model precision */
  std::shared_ptr<GNNHaloPlan> halo;        /* the ghost exchange before each processor layer */
  int64_t       sendBits = 0;               /* the bit length of the most edges any node sends,
                                               over all ranks (reproducible sums by sender) */
};

/* Throws (GNNCallThrow) on a PETSc error */
GraphTensors GNNGraphTensorsCreate(GNNGraph graph, const torch::Device &device, torch::Dtype dtype);

#endif
