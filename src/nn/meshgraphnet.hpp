/* The encode-process-decode network on the local part of a distributed graph */
#ifndef GNNMESHGRAPHNET_HPP
#define GNNMESHGRAPHNET_HPP

#include "nn/mlp.hpp"
#include "nn/graphtensors.hpp"
#include <petscgnngraph.h>

struct MeshGraphNetOptions {
  int64_t nin, nout, edgeIn, hidden, mlpHidden, layers;
  bool    layerNorm;
  bool    residual; /* output = x + network(x) */
};

struct ProcessorLayerImpl : torch::nn::Module {
  ProcessorLayerImpl(const MeshGraphNetOptions &o);
  /* one message-passing step, halo exchange included: (h [nOwned, H], e [E, H]) -> {h', e'} */
  std::vector<torch::Tensor> forward(const GraphTensors &g, torch::Tensor h, torch::Tensor e);
  MLP  edge_mlp{nullptr}, node_mlp{nullptr};
  bool logSync = false; /* MeshGraphNetImpl::setLogSync */
};
TORCH_MODULE(ProcessorLayer);

struct MeshGraphNetImpl : torch::nn::Module {
  MeshGraphNetImpl(const MeshGraphNetOptions &o);
  /* x: [nOwned, nin] -> [nOwned, nout] */
  torch::Tensor forward(const GraphTensors &g, torch::Tensor x);

  MLP                   node_encoder{nullptr}, edge_encoder{nullptr}, decoder{nullptr};
  torch::nn::ModuleList processor{nullptr};
  /* Normalisation, part of the model and of its state_dict: the network sees
     (x - input_mean) / input_std and its output is scaled by output_std and shifted by output_mean.
     Identity (0 and 1) until the training data set them. */
  torch::Tensor input_mean, input_std, output_mean, output_std;
  bool          residual;
  /* training keeps only each processor layer's inputs and recomputes the layer in backward
     (src/nn/recompute.hpp): a setting of the run, not of the model */
  bool          recomputeLayers = false;
  /* ... or every MLP keeps only its input and recomputes its activations in the fused backward
     (MLPImpl::recompute) */
  void          setRecomputeMLPs(bool on);
  /* a GPU model waits for the device at each logged phase's start and end (-gnn_log_sync) */
  bool          logSync = false;
  void          setLogSync(bool on);
};
TORCH_MODULE(MeshGraphNet);

#endif
