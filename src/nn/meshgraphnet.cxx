#include "nn/meshgraphnet.hpp"
#include "nn/aggregate.hpp"
#include "nn/edgelinear.hpp"
#include "nn/recompute.hpp"
#include "nn/linear.hpp"
#include "halo/halo.hpp"
#include "gnntorch.hpp"
#include "sys/gnncollective.hpp"

ProcessorLayerImpl::ProcessorLayerImpl(const MeshGraphNetOptions &o)
{
  edge_mlp = register_module("edge_mlp", MLP(3 * o.hidden, o.hidden, o.hidden, o.mlpHidden, o.layerNorm));
  node_mlp = register_module("node_mlp", MLP(2 * o.hidden, o.hidden, o.hidden, o.mlpHidden, o.layerNorm));
}

MeshGraphNetImpl::MeshGraphNetImpl(const MeshGraphNetOptions &o)
{
  node_encoder = register_module("node_encoder", MLP(o.nin, o.hidden, o.hidden, o.mlpHidden, o.layerNorm));
  edge_encoder = register_module("edge_encoder", MLP(o.edgeIn, o.hidden, o.hidden, o.mlpHidden, o.layerNorm));
  processor    = register_module("processor", torch::nn::ModuleList());
  for (int64_t l = 0; l < o.layers; l++) processor->push_back(ProcessorLayer(o));
  decoder     = register_module("decoder", MLP(o.hidden, o.hidden, o.nout, o.mlpHidden, false));
  input_mean  = register_buffer("input_mean", torch::zeros({o.nin}));
  input_std   = register_buffer("input_std", torch::ones({o.nin}));
  output_mean = register_buffer("output_mean", torch::zeros({o.nout}));
  output_std  = register_buffer("output_std", torch::ones({o.nout}));
  residual    = o.residual;
}

namespace {
/* Times a phase with a PETSc log event */
struct LogPhase {
  PetscLogEvent ev;
  LogPhase(PetscLogEvent e) : ev(e) { GNNCallThrow(PetscLogEventBegin(ev, 0, 0, 0, 0)); }
  ~LogPhase() { PetscLogEventEnd(ev, 0, 0, 0, 0); }
};
} // namespace

std::vector<torch::Tensor> ProcessorLayerImpl::forward(const GraphTensors &g, torch::Tensor h, torch::Tensor e)
{
  {
    LogPhase lp(GNN_EdgeMLP);
    /* the first layer on [h_j, h_i, e_ji], W = [W_j, W_i, We]: the node parts once per node */
    auto          first = edge_mlp->linear[0]->as<torch::nn::Linear>();
    const int64_t H     = h.size(1);
    auto          Wj = first->weight.narrow(1, 0, H), Wi = first->weight.narrow(1, H, H), We = first->weight.narrow(1, 2 * H, e.size(1));
    auto          A  = GNNLinear(h, Wi, first->bias, false);
    /* h_j W_j for the owned nodes, then to the ghosts: a ghost's row is its owner's, the bits it
       would compute from the ghost's h. In backward the ghosts' dB are added into their owners'
       before dB meets W_j, so that every term of dW_j is a node's whole dB (reproducible
       training; there dB travels in double, whose halo adds the fixed-point partials exactly). */
    auto          Bown = GNNLinear(h, Wj, torch::zeros_like(first->bias), false);
    auto          B    = GNNHaloExchange(*g.halo, GNNReproCurrent() && torch::GradMode::is_enabled() ? Bown.to(torch::kFloat64) : Bown);
    if (torch::GradMode::is_enabled()) e = e + edge_mlp->forward_from(GNNEdgeLinear(g, A, B, e, We), 1);
    else { /* nothing kept: the whole edge MLP in one fused pass */
      GNNEdgeStart start = {A, B, g.receivers, g.senders};
      e                  = e + edge_mlp->forward_fused(e, We, &start);
    }
  }
  torch::Tensor a;
  {
    LogPhase lp(GNN_Aggregate);
    a = GNNSegmentSum(e, g.rowptr, g.receivers);
  }
  {
    LogPhase lp(GNN_NodeMLP);
    h = h + node_mlp->forward(torch::cat({h, a}, 1));
  }
  return {h, e};
}

torch::Tensor MeshGraphNetImpl::forward(const GraphTensors &g, torch::Tensor x)
{
  torch::Tensor h, e;
  {
    LogPhase lp(GNN_Encode);
    h = node_encoder->forward((x - input_mean) / input_std);
    /* the edge features are fixed: recompute the edge encoder in backward rather than keep its
       activations (an [E, H] tensor per layer, about 5 KiB per node on a hex lattice) */
    e = torch::GradMode::is_enabled() ? GNNRecomputeMLP(*edge_encoder, g.edgeFeatures) : edge_encoder->forward(g.edgeFeatures);
  }
  for (size_t l = 0; l < processor->size(); l++) {
    auto layer = processor[l]->as<ProcessorLayerImpl>();
    auto he    = recomputeLayers && torch::GradMode::is_enabled() ? GNNRecomputeLayer(*layer, g, h, e) : layer->forward(g, h, e);
    h          = he[0];
    e          = he[1];
  }
  LogPhase lp(GNN_Decode);
  auto y = decoder->forward(h) * output_std + output_mean;
  return residual ? x + y : y;
}
