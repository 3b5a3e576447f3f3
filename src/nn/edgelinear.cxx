#include "nn/edgelinear.hpp"
#include "nn/mlp.hpp"
#include "nn/graphtensors.hpp"
#include "sys/gnncollective.hpp"
#include "nn/logphase.hpp"

torch::Tensor GNNEdgeRowsWithHalo(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &Wi, const torch::Tensor &b, const torch::Tensor &Wj, const torch::Tensor &e, const GNNEdgeRowsFn &f)
{
  /* h W_j of the owned nodes first: the ghosts receive these rows (as many values as h's) */
  auto          Bown = GNNKernelLinearForward(h, Wj, torch::Tensor(), false, nullptr);
  GNNHaloUpdate update(*g.halo, Bown);
  auto          A = GNNKernelLinearForward(h, Wi, b, false, nullptr);
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
  auto Bg = update.Finish();
  if (!overlap) return f(e, {A, torch::cat({Bown, Bg}, 0), g.receivers, g.senders});
  B.narrow(0, g.halo->nOwned, g.halo->nGhost).copy_(Bg);
  y.index_copy_(0, g.ghostSenderEdges, f(e.index_select(0, g.ghostSenderEdges), {A, B, g.ghostSenderEdgeReceivers, g.ghostSenderEdgeSenders}));
  return y;
}

namespace {

/* dB = the rows of ge summed by sender, as partial sums that the halo reverse (in double) then
   adds exactly: each ge[e][n] is rounded to a multiple of q_n = 2^(E_n + s - 53), where 2^E_n
   bounds |ge[:, n]| on all ranks and 2^s bounds the edges any node sends (g.sendBits), so that
   every partial and whole sum is an integer multiple of q_n below 2^53 q_n: exact in double in
   any grouping. A node's dB is then the same bits whichever ranks hold its edges. Returns double
   [nOwned + nGhost, H]. Collective (the bounds' agreement). */
torch::Tensor SenderSumFixed(const torch::Tensor &ge, const GraphTensors &g, const GNNReproReduce *rr)
{
  const int64_t        H  = ge.size(1);
  auto                 mx = (ge.size(0) ? ge.abs().amax(0) : torch::zeros({H}, ge.options())).to(torch::kCPU, torch::kFloat64).contiguous();
  std::vector<int64_t> ag(1 + H, 0);
  for (int64_t n = 0; n < H; n++) ag[1 + n] = gnnrepro::BoundExponent(mx.data_ptr<double>()[n]);
  rr->agree(rr->ctx, ag.data(), 1 + H);
  const int64_t room = 53 - g.sendBits;
  auto          f = torch::empty({H}, torch::kFloat64), finv = torch::empty({H}, torch::kFloat64);
  for (int64_t n = 0; n < H; n++) {
    f.data_ptr<double>()[n]    = gnnrepro::Pow2(room - ag[1 + n]);
    finv.data_ptr<double>()[n] = ag[1 + n] == gnnrepro::kNonFinite ? std::nan("") : gnnrepro::Pow2(ag[1 + n] - room); /* a NaN or Inf in the column: its sums NaN, as the default sums' */
  }
  auto q = torch::round(ge.to(torch::kFloat64) * f.to(ge.device())); /* half to even */
  return GNNKernelSegmentSum(q, g.sendptr, g.sendperm) * finv.to(ge.device());
}

/* The backward of the node parts of the first edge layer from ge, the gradient of its
   pre-activation on every local edge: the sums of ge by sender (fixed point while reproducible),
   the ghosts' rows to their owners (in flight during eBackward(), the e part's backward, with
   overlap), by receiver into dA, through W_i (dWi, db) and, over the owned rows' whole dB, through
   W_j (dWj); dh = the sum of both parts. */
void EdgeStartBackward(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &W, const torch::Tensor &ge, const GNNReproReduce *rr, const std::function<void()> &eBackward, torch::Tensor &dh, torch::Tensor &dWj, torch::Tensor &dWi, torch::Tensor &db)
{
  const GNNHaloPlan &p = *g.halo;
  const int64_t      H = h.size(1);
  auto               Wj = W.narrow(1, 0, H), Wi = W.narrow(1, H, H);
  torch::Tensor      dhA, dhB, unused;
  auto               dBall = rr ? SenderSumFixed(ge, g, rr) : GNNKernelSegmentSum(ge, g.sendptr, g.sendperm);
  auto               dBg   = dBall.narrow(0, p.nOwned, p.nGhost);
  std::unique_ptr<GNNHaloReverse> reverse;
  if (p.overlap) reverse.reset(new GNNHaloReverse(p, dBg));
  eBackward();
  auto dA = GNNKernelSegmentSum(ge, g.rowptr, torch::Tensor()); /* by receiver: owned, whole rows */
  GNNKernelLinearBackward(dA, torch::Tensor(), h, Wi, true, dhA, dWi, db, rr);
  if (!reverse) reverse.reset(new GNNHaloReverse(p, dBg));
  /* the owned rows' whole dB: one addition of the ghosts' sums each (exact in fixed point),
     rounded once to the model's precision, then through W_j over the owned rows only */
  auto dB = dBall.narrow(0, 0, p.nOwned).to(torch::kFloat64, /*non_blocking=*/false, /*copy=*/true);
  reverse->AddInto(dB);
  GNNKernelLinearBackward(dB.to(h.scalar_type()), torch::Tensor(), h, Wj, true, dhB, dWj, unused, rr);
  dh = dhA + dhB;
}

class EdgeLinearFunction : public torch::autograd::Function<EdgeLinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor h, torch::Tensor W, torch::Tensor b, torch::Tensor e, int64_t graphptr)
  {
    const GraphTensors *g = reinterpret_cast<const GraphTensors *>(graphptr);
    const int64_t       H = h.size(1);
    auto                We = W.narrow(1, 2 * H, e.size(1));
    auto y = GNNEdgeRowsWithHalo(*g, h, W.narrow(1, H, H), b, W.narrow(1, 0, H), e, [&](const torch::Tensor &x, const GNNEdgeStart &start) { return GNNKernelLinearForward(x, We, torch::Tensor(), true, &start); });
    ctx->save_for_backward({h, e, W, y});
    ctx->saved_data["graph"] = graphptr;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                  saved = ctx->get_saved_variables();
    auto                  h = saved[0], e = saved[1], W = saved[2], y = saved[3];
    const GraphTensors   *g  = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    const GNNReproReduce *rr = GNNReproCurrent();
    auto                  We = W.narrow(1, 2 * h.size(1), e.size(1));
    torch::Tensor         de, dWe, dWj, dWi, db, dh, unused;
    auto                  ge = GNNKernelEluBackward(grads[0], y);
    EdgeStartBackward(*g, h, W, ge, rr, [&] { GNNKernelLinearBackward(ge, torch::Tensor(), e, We, ctx->needs_input_grad(3), de, dWe, unused, rr); }, dh, dWj, dWi, db);
    return {dh, torch::cat({dWj, dWi, dWe}, 1), db, de, torch::Tensor()};
  }
};

/* The whole edge MLP and its aggregation, keeping only h, e and the ghost rows of the start's B (A
   and B's owned rows are computed again from h in backward): forward as inference does it
   (GNNEdgeRowsWithHalo, the fused MLP with the edge start, the residual add in its pass), then the
   sums by receiver; backward the fused MLP backward with the start (GNNKernelMLPBackward: every
   layer's activations computed again, the first layer's pre-activation gradient ge returned), then
   the node parts' own backward from ge (EdgeStartBackward). The output's gradient, the next
   layer's plus the aggregation's gathered by receiver, is formed by the fused backward as it reads
   each tile, and e's gradient (the MLP's plus the output's: the residual) as it writes it. The
   operations and sums are those of GNNEdgeLinear followed by the layers' autograd nodes, the add,
   the segment sum and autograd's accumulation of the gradients, so the gradients are theirs bit
   for bit. While reproducible sums are in force, the edge MLP runs again with autograd (its halo
   exchange included) for the layers' fixed-point sums. */
class EdgeMLPFunction : public torch::autograd::Function<EdgeMLPFunction> {
public:
  /* params: the edge MLP's (MLPImpl::fused_param_list(0)); returns {e + MLP, its sums by receiver} */
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, torch::Tensor h, torch::Tensor e, at::TensorList params, int64_t mlpptr, int64_t graphptr, bool logSync)
  {
    (void)params;
    MLPImpl                   *mlp = reinterpret_cast<MLPImpl *>(mlpptr);
    const GraphTensors        *g   = reinterpret_cast<const GraphTensors *>(graphptr);
    std::vector<torch::Tensor> W, b;
    torch::Tensor              gamma, beta, B, y, a;
    mlp->fused_params(0, W, b, gamma, beta);
    const int64_t H  = h.size(1);
    auto          We = W[0].narrow(1, 2 * H, e.size(1));
    {
      LogPhase lp(GNN_EdgeMLP, logSync);
      /* the last call's start holds the final B (with overlap, its ghost rows are filled in place
         before it) */
      y = GNNEdgeRowsWithHalo(*g, h, W[0].narrow(1, H, H), b[0], W[0].narrow(1, 0, H), e, [&](const torch::Tensor &x, const GNNEdgeStart &start) {
        B = start.B;
        return mlp->forward_fused(x, We, &start, /*residual=*/true);
      });
    }
    {
      LogPhase lp(GNN_Aggregate, logSync);
      a = GNNKernelSegmentSum(y, g->rowptr, torch::Tensor());
    }
    /* kept: h, e and B's ghost rows (a copy: a view would hold all of B); A and B's owned rows are
       h's products, computed again in backward (the same kernel on the same rows: the same bits),
       which saves 2H values per node and layer for two [nOwned, H] x [H, H] products */
    ctx->save_for_backward({h, e, B.narrow(0, g->halo->nOwned, g->halo->nGhost).clone()});
    ctx->saved_data["mlp"]   = mlpptr;
    ctx->saved_data["graph"] = graphptr;
    ctx->set_materialize_grads(false); /* the last layer's output feeds only its aggregation */
    return {y, a};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                       saved = ctx->get_saved_variables();
    auto                       h = saved[0], e = saved[1];
    MLPImpl                   *mlp = reinterpret_cast<MLPImpl *>(ctx->saved_data["mlp"].toInt());
    const GraphTensors        *g   = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    std::vector<torch::Tensor> W, b, dW, db;
    torch::Tensor              gamma, beta, de, dgamma, dbeta, ge, dh, dWj, dWi, db0;
    mlp->fused_params(0, W, b, gamma, beta);
    const auto                    &gy = grads[0], &ga = grads[1]; /* the output's and the sums' */
    torch::autograd::variable_list out;
    if (!gy.defined() && !ga.defined()) return torch::autograd::variable_list(2 + mlp->fused_param_list(0).size() + 3);
    if (GNNReproCurrent()) {
      /* the output's whole gradient as autograd would form it, then the layers' own backward */
      auto gs     = GNNKernelOutGrad(gy, ga, g->receivers);
      auto params = mlp->fused_param_list(0);
      auto hd = h.detach().requires_grad_(true), ed = e.detach().requires_grad_(true);
      torch::Tensor y;
      {
        torch::AutoGradMode on(true);
        y = mlp->forward_layers(GNNEdgeLinear(*g, hd, W[0], b[0], ed), 1);
      }
      torch::autograd::variable_list inputs = {hd, ed};
      inputs.insert(inputs.end(), params.begin(), params.end());
      out = torch::autograd::grad({y}, inputs, {gs});
      if (ctx->needs_input_grad(1) && out[1].defined()) out[1].add_(gs); /* the residual's */
    } else {
      const int64_t H  = h.size(1);
      auto          Wf = W;
      Wf[0]            = W[0].narrow(1, 2 * H, e.size(1));
      {
        /* the node parts as GNNEdgeRowsWithHalo computed them, for the fused backward only */
        auto         A  = GNNKernelLinearForward(h, W[0].narrow(1, H, H), b[0], false, nullptr);
        auto         B  = torch::cat({GNNKernelLinearForward(h, W[0].narrow(1, 0, H), torch::Tensor(), false, nullptr), saved[2]}, 0);
        GNNEdgeStart st = {A, B, g->receivers, g->senders};
        GNNKernelMLPBackward(e, Wf, b, gamma, beta, mlp->norm ? mlp->norm->options.eps() : 0.0, gy, ctx->needs_input_grad(1), de, dW, db, dgamma, dbeta, &st, &ge, ga, g->receivers, /*residual=*/true);
      }
      EdgeStartBackward(*g, h, W[0], ge, nullptr, [] {}, dh, dWj, dWi, db0);
      out = {dh, de, torch::cat({dWj, dWi, dW[0]}, 1), db0};
      for (size_t k = 1; k < W.size(); k++) out.insert(out.end(), {dW[k], db[k]});
      if (gamma.defined()) out.insert(out.end(), {dgamma, dbeta});
    }
    out.push_back(torch::Tensor());
    out.push_back(torch::Tensor());
    out.push_back(torch::Tensor());
    return out;
  }
};

} // namespace

std::vector<torch::Tensor> GNNEdgeMLPAggregate(const GraphTensors &g, const torch::Tensor &h, MLPImpl &mlp, const torch::Tensor &e, bool logSync)
{
  auto params = mlp.fused_param_list(0);
  return EdgeMLPFunction::apply(h, e, at::TensorList(params), reinterpret_cast<int64_t>(&mlp), reinterpret_cast<int64_t>(&g), logSync);
}

torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &h, const torch::Tensor &W, const torch::Tensor &b, const torch::Tensor &e)
{
  return EdgeLinearFunction::apply(h, W, b, e, reinterpret_cast<int64_t>(&g));
}
