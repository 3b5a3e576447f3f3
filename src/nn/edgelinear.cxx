#include "nn/edgelinear.hpp"
#include "kernels/kernels.hpp"
#include "nn/meshgraphnet.hpp"
#include "sys/gnncollective.hpp"

namespace {

/* dB = the rows of ge summed by sender, as partial sums that the halo reverse (in double) then
   adds exactly: each ge[e][n] is rounded to a multiple of q_n = 2^(E_n + s - 53), where 2^E_n
   bounds |ge[:, n]| on all ranks and 2^s bounds the edges any node sends (g.sendBits), so that
   every partial and whole sum is an integer multiple of q_n below 2^53 q_n: exact in double in
   any grouping. A node's dB is then the same bits whichever ranks hold its edges. Returns double. */
torch::Tensor SenderSumFixed(const torch::Tensor &ge, const GraphTensors &g, const GNNReproReduce *rr)
{
  const int64_t        H  = ge.size(1);
  auto                 mx = (ge.size(0) ? ge.abs().amax(0) : torch::zeros({H}, ge.options())).to(torch::kFloat64).contiguous();
  std::vector<int64_t> ag(1 + H, 0);
  for (int64_t n = 0; n < H; n++) ag[1 + n] = gnnrepro::BoundExponent(mx.data_ptr<double>()[n]);
  rr->agree(rr->ctx, ag.data(), 1 + H);
  const int64_t room = 53 - g.sendBits;
  auto          f = torch::empty({H}, torch::kFloat64), finv = torch::empty({H}, torch::kFloat64);
  for (int64_t n = 0; n < H; n++) {
    f.data_ptr<double>()[n]    = gnnrepro::Pow2(room - ag[1 + n]);
    finv.data_ptr<double>()[n] = gnnrepro::Pow2(ag[1 + n] - room);
  }
  auto q = torch::round(ge.to(torch::kFloat64) * f.to(ge.device())); /* half to even */
  return GNNKernelSegmentSum(q, g.sendptr, g.sendperm) * finv.to(ge.device());
}

class EdgeLinearFunction : public torch::autograd::Function<EdgeLinearFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor A, torch::Tensor B, torch::Tensor e, torch::Tensor We, int64_t graphptr)
  {
    const GraphTensors *g     = reinterpret_cast<const GraphTensors *>(graphptr);
    GNNEdgeStart        start = {A, B.to(A.scalar_type()), g->receivers, g->senders}; /* B may come in double (reproducible training) */
    auto                y     = GNNKernelLinearForward(e, We, torch::Tensor(), true, &start);
    ctx->save_for_backward({e, We, y});
    ctx->saved_data["graph"] = graphptr;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto                  saved = ctx->get_saved_variables();
    auto                  e = saved[0], W = saved[1], y = saved[2];
    const GraphTensors   *g  = reinterpret_cast<const GraphTensors *>(ctx->saved_data["graph"].toInt());
    const GNNReproReduce *rr = GNNReproCurrent();
    torch::Tensor         de, dW, db;
    auto                  ge = GNNKernelEluBackward(grads[0], y);
    GNNKernelLinearBackward(ge, torch::Tensor(), e, W, ctx->needs_input_grad(2), de, dW, db, rr);
    auto dA = GNNKernelSegmentSum(ge, g->rowptr, torch::Tensor()); /* by receiver: owned, whole rows */
    auto dB = rr ? SenderSumFixed(ge, *g, rr) : GNNKernelSegmentSum(ge, g->sendptr, g->sendperm);
    return {dA, dB, de, dW, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNEdgeLinear(const GraphTensors &g, const torch::Tensor &A, const torch::Tensor &B, const torch::Tensor &e, const torch::Tensor &We)
{
  return EdgeLinearFunction::apply(A, B, e, We, reinterpret_cast<int64_t>(&g));
}
