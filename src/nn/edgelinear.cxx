#include "nn/edgelinear.hpp"
#include "nn/graphtensors.hpp"

torch::Tensor GNNEdgeRowsWithHalo(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &Wi, const torch::Tensor &b, const torch::Tensor &Wj, const torch::Tensor &e, const GNNEdgeRowsFn &f, torch::Tensor *hghost)
{
  GNNHaloUpdate update(*g.halo, h);
  auto          A    = GNNKernelLinearForward(h, Wi, b, false, nullptr);
  auto          Bown = GNNKernelLinearForward(h, Wj, torch::Tensor(), false, nullptr);
  /* overlap only where it hides something: with no ghost-sender edge here, one pass after the end */
  const bool    overlap = g.halo->overlap && g.ghostSenderEdges.numel() > 0;
  torch::Tensor B, y;
  if (overlap) {
    /* every edge while the ghost rows travel, their rows of B zero for now: the rows of the edges
       with an owned sender are final (they read owned rows only), the others are redone below.
       Cheaper than splitting the edges: no gather or scatter of the owned-sender rows, and the
       ghost-sender edges are few (a surface of the partition) */
    B = torch::cat({Bown, torch::zeros({g.halo->nGhost, Bown.size(1)}, Bown.options())}, 0);
    y = f(e, {A, B, g.receivers, g.senders});
  }
  auto hg = update.Finish();
  auto Bg = GNNKernelLinearForward(hg, Wj, torch::Tensor(), false, nullptr);
  if (hghost) *hghost = hg;
  if (!overlap) return f(e, {A, torch::cat({Bown, Bg}, 0), g.receivers, g.senders});
  B.narrow(0, g.halo->nOwned, g.halo->nGhost).copy_(Bg);
  y.index_copy_(0, g.ghostSenderEdges, f(e.index_select(0, g.ghostSenderEdges), {A, B, g.ghostSenderEdgeReceivers, g.ghostSenderEdgeSenders}));
  return y;
}

namespace {

class EdgeLinearFunction : public torch::autograd::Function<EdgeLinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor h, torch::Tensor W, torch::Tensor b, torch::Tensor e, int64_t graphptr)
  {
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(graphptr);
    const int64_t       H = h.size(1);
    auto                We = W.narrow(1, 2 * H, e.size(1));
    torch::Tensor       hg;
    auto y = GNNEdgeRowsWithHalo(*g, h, W.narrow(1, H, H), b, W.narrow(1, 0, H), e, [&](const torch::Tensor &x, const GNNEdgeStart &start) { return GNNKernelLinearForward(x, We, torch::Tensor(), true, &start); }, &hg);
    ctx->save_for_backward({h, hg, e, W, y});
    ctx->saved_data["graph"] = graphptr;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                saved = ctx->get_saved_variables();
    auto                h = saved[0], hg = saved[1], e = saved[2], W = saved[3], y = saved[4];
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    const GNNHaloPlan  &p = *g->halo;
    const int64_t       H = h.size(1);
    auto                Wj = W.narrow(1, 0, H), Wi = W.narrow(1, H, H), We = W.narrow(1, 2 * H, e.size(1));
    torch::Tensor       de, dWe, dWj, dWi, db, dX, dxg, unused, unused2;
    auto                ge = GNNKernelEluBackward(grads[0], y);
    /* the ghost rows' gradients first: the edges' sums by ghost sender, through Wj */
    auto dBg = GNNKernelSegmentSum(ge, g->sendptr.narrow(0, p.nOwned, p.nGhost + 1), g->sendperm);
    GNNKernelLinearBackward(dBg, torch::Tensor(), hg, Wj, true, dxg, unused, unused2);
    std::unique_ptr<GNNHaloReverse> reverse;
    if (p.overlap) reverse.reset(new GNNHaloReverse(p, dxg)); /* in flight during the rest */
    GNNKernelLinearBackward(ge, torch::Tensor(), e, We, ctx->needs_input_grad(3), de, dWe, unused);
    auto dB = torch::cat({GNNKernelSegmentSum(ge, g->sendptr.narrow(0, 0, p.nOwned + 1), g->sendperm), dBg}, 0);
    GNNKernelLinearBackward(dB, torch::Tensor(), torch::cat({h, hg}, 0), Wj, true, dX, dWj, unused);
    auto dA = GNNKernelSegmentSum(ge, g->rowptr, torch::Tensor());
    torch::Tensor dhA;
    GNNKernelLinearBackward(dA, torch::Tensor(), h, Wi, true, dhA, dWi, db);
    if (!reverse) reverse.reset(new GNNHaloReverse(p, dxg));
    auto dhB = dX.narrow(0, 0, p.nOwned).to(torch::kFloat64);
    reverse->AddInto(dhB);
    return {dhA + dhB.to(dhA.scalar_type()), torch::cat({dWj, dWi, dWe}, 1), db, de, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &W, const torch::Tensor &b, const torch::Tensor &e)
{
  return EdgeLinearFunction::apply(h, W, b, e, reinterpret_cast<int64_t>(&g));
}
