#include "nn/meshgraphnet.hpp"
#include "nn/aggregate.hpp"
#include "nn/edgelinear.hpp"
#include "nn/recompute.hpp"
#include "nn/linear.hpp"
#include "nn/logphase.hpp"
#include "gnntorch.hpp"

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

std::vector<torch::Tensor> ProcessorLayerImpl::forward(const GraphTensors &g, torch::Tensor h, torch::Tensor e)
{
  torch::Tensor a;
  if (torch::GradMode::is_enabled() && edge_mlp->recompute) {
    /* e + the edge MLP and its sums in one autograd node: the sums' backward (a gather by
       receiver) is read by the edge MLP's fused backward (src/nn/edgelinear); phases logged inside */
    auto ea = GNNEdgeMLPAggregate(g, h, *edge_mlp, e, logSync);
    e       = ea[0];
    a       = ea[1];
  } else {
    {
      LogPhase lp(GNN_EdgeMLP, logSync);
      /* the first layer on [h_j, h_i, e_ji], W = [W_j, W_i, We]: the node parts once per node, the
         ghost rows of h W_j received meanwhile (src/nn/edgelinear) */
      auto first = edge_mlp->linear[0]->as<torch::nn::Linear>();
      if (torch::GradMode::is_enabled()) e = e + edge_mlp->forward_from(GNNEdgeLinear(g, h, first->weight, first->bias, e), 1);
      else { /* nothing kept: the whole edge MLP in one fused pass (the residual add in it), during the exchange */
        const int64_t H  = h.size(1);
        auto          We = first->weight.narrow(1, 2 * H, e.size(1));
        e = GNNEdgeRowsWithHalo(g, h, first->weight.narrow(1, H, H), first->bias, first->weight.narrow(1, 0, H), e, [&](const torch::Tensor &x, const GNNEdgeStart &start) { return edge_mlp->forward_fused(x, We, &start, /*residual=*/true); });
      }
    }
    LogPhase lp(GNN_Aggregate, logSync);
    a = GNNSegmentSum(e, g.rowptr, g.receivers);
  }
  {
    LogPhase lp(GNN_NodeMLP, logSync);
    /* h + node MLP([h, a]); without autograd the add in the fused kernel's pass (the same bits).
       In training it stays on h itself: h's gradient is then the add's g plus the node MLP's dX
       columns, where an add on [h, a]'s first columns (or g folded into dX in place) would hold a
       [N, 2H] gradient instead (measured: +0.12 KiB per node of live tensors at the peak). The
       fused backward keeps h and a, not [h, a]: h is kept by the edge MLP already */
    h = torch::GradMode::is_enabled() ? h + node_mlp->forward_cat({h, a}) : node_mlp->forward_fused(torch::cat({h, a}, 1), {}, nullptr, /*residual=*/true);
  }
  return {h, e};
}

void MeshGraphNetImpl::setRecomputeMLPs(bool on)
{
  for (auto &m : modules(/*include_self=*/false))
    if (auto mlp = std::dynamic_pointer_cast<MLPImpl>(m)) mlp->recompute = on;
}

void MeshGraphNetImpl::setLogSync(bool on)
{
  logSync = on;
  for (size_t l = 0; l < processor->size(); l++) processor[l]->as<ProcessorLayerImpl>()->logSync = on;
}

torch::Tensor MeshGraphNetImpl::forward(const GraphTensors &g, torch::Tensor x)
{
  torch::Tensor h, e;
  {
    LogPhase lp(GNN_Encode, logSync);
    h = node_encoder->forward((x - input_mean) / input_std);
    /* the edge features are fixed: recompute the edge encoder in backward rather than keep its
       activations (an [E, H] tensor per layer, about 5 KiB per node on a hex lattice) */
    e = torch::GradMode::is_enabled() && !edge_encoder->recompute ? GNNRecomputeMLP(*edge_encoder, g.edgeFeatures) : edge_encoder->forward(g.edgeFeatures);
  }
  for (size_t l = 0; l < processor->size(); l++) {
    auto layer = processor[l]->as<ProcessorLayerImpl>();
    auto he    = recomputeLayers && torch::GradMode::is_enabled() ? GNNRecomputeLayer(*layer, g, h, e) : layer->forward(g, h, e);
    h          = he[0];
    e          = he[1];
  }
  LogPhase lp(GNN_Decode, logSync);
  auto y = decoder->forward(h) * output_std + output_mean;
  return residual ? x.narrow(1, 0, y.size(1)) + y : y; /* the input's state part: fixed node features follow it */
}
