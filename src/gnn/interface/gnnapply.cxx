/* GNN evaluation and rollout, parameters as flat arrays, loss and gradient */
#include "gnn/gnntorchstate.hpp"
#include "sys/gnncollective.hpp"
#include "nn/logphase.hpp"

#define GNNCheckSetUp(g) PetscCheck((g)->setupcalled, PetscObjectComm((PetscObject)(g)), PETSC_ERR_ORDER, "Call GNNSetUp() first")

static PetscErrorCode GNNCheckNodeVec(GNN gnn, Vec v, PetscInt F, const char *what)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(v, &n));
  GNNCheckCollective(PetscObjectComm((PetscObject)gnn), n == F * gnn->torch->nOwned, PETSC_ERR_ARG_SIZ, "The %s Vec must hold %" PetscInt_FMT " values per owned node (create it with GNNGraphCreateNodeVec())", what, F);
  PetscFunctionReturn(0);
}

torch::Tensor GNNVecToTensor(GNN gnn, Vec v, PetscInt F, const PetscScalar **array)
{
  GNNCallThrow(VecGetArrayRead(v, array));
  auto t = torch::from_blob((void *)*array, {gnn->torch->nOwned, F}, torch::kFloat64);
  return t.to(gnn->torch->device, gnn->torch->dtype); /* no copy for float64 on the CPU */
}

/*@C
  GNNApply - y = GNN(x) on the graph's owned nodes; x holds F_in and y F_out values per node.
@*/
PetscErrorCode GNNApply(GNN gnn, Vec x, Vec y)
{
  const PetscScalar *xa;
  PetscScalar       *ya;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidHeaderSpecific(x, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(y, VEC_CLASSID, 3);
  GNNCheckSetUp(gnn);
  PetscCall(GNNCheckNodeVec(gnn, x, gnn->nin, "input"));
  PetscCall(GNNCheckNodeVec(gnn, y, gnn->nout, "output"));
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    torch::NoGradGuard nograd;
    auto               xt  = GNNInputToTensor(gnn, x, &xa);
    auto               out = gnn->torch->net->forward(gnn->torch->g, xt).to(torch::kCPU, torch::kFloat64).contiguous();
    GNNCallThrow(VecRestoreArrayRead(x, &xa));
    GNNCallThrow(VecGetArrayWrite(y, &ya));
    std::memcpy(ya, out.data_ptr<double>(), sizeof(double) * out.numel());
    GNNCallThrow(VecRestoreArrayWrite(y, &ya));
  });
  PetscFunctionReturn(0);
}

/*@C
  GNNRollout - u_{k+1} = GNN(u_k) for k = 0..n-1 (the model maps a state to the next one: F_in =
  F_out); u holds u_0 on entry and u_n on return; monitor(gnn, k+1, u_{k+1}, ctx) after each step.
@*/
PetscErrorCode GNNRollout(GNN gnn, Vec u, PetscInt n, PetscErrorCode (*monitor)(GNN, PetscInt, Vec, void *), void *ctx)
{
  Vec next;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->nin == gnn->nout, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_WRONG, "Rollout needs a model whose output is its next input (F_in = F_out), this one maps %" PetscInt_FMT " -> %" PetscInt_FMT, gnn->nin, gnn->nout);
  PetscCall(VecDuplicate(u, &next));
  for (PetscInt k = 0; k < n; k++) {
    PetscCall(GNNApply(gnn, u, next));
    PetscCall(VecCopy(next, u));
    if (monitor) PetscCall((*monitor)(gnn, k + 1, u, ctx));
  }
  PetscCall(VecDestroy(&next));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetNumParameters(GNN gnn, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  GNNCheckSetUp(gnn);
  *n = (PetscInt)gnn->torch->numel;
  PetscFunctionReturn(0);
}

/* Whether every parameter is still its view of the flat tensor (GNNTorchCreate_Private made them
   so; nothing in the library replaces a parameter's data since, but the check costs a pointer
   comparison per parameter and keeps the two paths below honest) */
static bool ParametersAreFlat(const GNNTorch &t)
{
  if (!t.flat.defined()) return false;
  const char *base = static_cast<const char *>(t.flat.data_ptr());
  int64_t     off  = 0;
  for (auto &kv : t.params) {
    const auto &q = kv.second;
    if (q.data_ptr() != base + off * t.flat.element_size() || !q.is_contiguous() || q.scalar_type() != t.flat.scalar_type() || q.device() != t.flat.device()) return false;
    off += q.numel();
  }
  return off == t.flat.numel();
}

/* The parameters (or their gradients: undefined ones as zeros) as one flat double array on the
   host, in state_dict order: one copy from the device */
static torch::Tensor FlatParameters(GNN gnn, bool grad)
{
  if (!grad && ParametersAreFlat(*gnn->torch)) return gnn->torch->flat.to(torch::kCPU, torch::kFloat64).contiguous();
  std::vector<torch::Tensor> flat;
  for (auto &kv : gnn->torch->params) {
    const torch::Tensor &t = grad ? kv.second.grad() : kv.second;
    flat.push_back(t.defined() ? t.detach().reshape({-1}) : torch::zeros({kv.second.numel()}, kv.second.options()));
  }
  return torch::cat(flat).to(torch::kCPU, torch::kFloat64).contiguous();
}

PetscErrorCode GNNGetParameters(GNN gnn, PetscScalar p[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  GNNCheckSetUp(gnn);
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    auto all = FlatParameters(gnn, false);
    std::memcpy(p, all.data_ptr<double>(), sizeof(double) * all.numel());
  });
  PetscFunctionReturn(0);
}

PetscErrorCode GNNSetParameters(GNN gnn, const PetscScalar p[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  GNNCheckSetUp(gnn);
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    torch::NoGradGuard nograd;
    GNNTorch          &t   = *gnn->torch;
    auto               src = torch::from_blob((void *)p, {t.numel}, torch::kFloat64);
    if (ParametersAreFlat(t)) {
      t.flat.copy_(src);
      /* written through the flat tensor, whose version counter is its own: move each parameter's,
         which is how a reader knows its values changed (the MLPs' packed weights, autograd) */
      for (auto &kv : t.params) kv.second.unsafeGetTensorImpl()->bump_version();
    } else {
      auto    all = src.to(t.device, t.dtype);
      int64_t off = 0;
      for (auto &kv : t.params) {
        kv.second.copy_(all.narrow(0, off, kv.second.numel()).view_as(kv.second));
        off += kv.second.numel();
      }
    }
  });
  PetscFunctionReturn(0);
}

/*@C
  GNNComputeLossGradient - Mean squared error over all owned nodes of all ranks and all output
  features, in the normalised output space ((GNN(x) - target) / output_std), optionally weighted per
  node: loss = sum_i w_i sum_f r_if^2 / (F_out sum_i w_i) (weights may be NULL: all 1, e.g. 0 masks a
  boundary node). grad (may be NULL) = d loss / d parameters, summed over ranks so that every rank
  holds the same array.
@*/
PetscErrorCode GNNComputeLossGradient(GNN gnn, Vec x, Vec target, Vec weights, PetscReal *loss, PetscScalar grad[])
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)gnn);
  const PetscScalar *xa, *ta, *wa = NULL;
  double             local = 0, wsum = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  GNNCheckSetUp(gnn);
  PetscCall(GNNCheckNodeVec(gnn, x, gnn->nin, "input"));
  PetscCall(GNNCheckNodeVec(gnn, target, gnn->nout, "target"));
  if (weights) {
    PetscCall(GNNCheckNodeVec(gnn, weights, 1, "weights"));
    PetscCall(VecSum(weights, &wsum));
    PetscCheck(PetscRealPart(wsum) > 0, comm, PETSC_ERR_ARG_WRONG, "The node weights of the loss must have a positive sum");
  } else wsum = (double)gnn->torch->N;
  if (weights && gnn->reproducible) { /* VecSum's order depends on the partition */
    const PetscScalar *w;
    PetscCall(VecGetArrayRead(weights, &w));
    std::vector<double> wt(w, w + gnn->torch->nOwned);
    PetscCall(VecRestoreArrayRead(weights, &w));
    PetscCall(GNNSumReproducible(comm, gnn->torch->nOwned, 1, wt.data(), &wsum));
  }
  GNNReproComm        rc(comm);
  std::vector<double> r2local;
  GNNTorchTry(comm, {
    GNNReproScope scope(gnn->reproducible ? &rc.rr : nullptr);
    GNNTorch     *t = gnn->torch;
    /* gradients dropped, not zeroed: backward then hands each parameter its gradient as it is,
       with no zero_ and add_ per parameter (on a GPU, two kernels each for ~170 tensors) */
    t->net->zero_grad(/*set_to_none=*/true);
    auto xt   = GNNInputToTensor(gnn, x, &xa);
    auto tt   = GNNVecToTensor(gnn, target, gnn->nout, &ta);
    auto y    = t->net->forward(t->g, xt);
    auto r    = (y - tt) / t->net->output_std;
    auto r2   = (r * r).sum(1);
    if (weights) {
      GNNCallThrow(VecGetArrayRead(weights, &wa));
      r2 = r2 * torch::from_blob((void *)wa, {gnn->torch->nOwned}, torch::kFloat64).to(t->device, t->dtype);
    }
    /* this rank's share of the global mean: its sum over the global (weighted) count */
    auto l = r2.sum() / (wsum * (double)gnn->nout);
    {
      LogPhase lp(GNN_Backward, t->net->logSync);
      if (grad) l.backward();
    }
    if (gnn->reproducible) { /* the loss's terms, for a reproducible sum below */
      auto r2d = r2.detach().to(torch::kCPU, torch::kFloat64).contiguous();
      r2local.assign(r2d.data_ptr<double>(), r2d.data_ptr<double>() + r2d.numel());
    } else local = l.item<double>();
    GNNCallThrow(VecRestoreArrayRead(x, &xa));
    GNNCallThrow(VecRestoreArrayRead(target, &ta));
    if (weights) GNNCallThrow(VecRestoreArrayRead(weights, &wa));
    if (grad) {
      auto all = FlatParameters(gnn, true);
      std::memcpy(grad, all.data_ptr<double>(), sizeof(double) * all.numel());
    }
  });
  if (gnn->reproducible) {
    double s;
    PetscCall(GNNSumReproducible(comm, gnn->torch->nOwned, 1, r2local.data(), &s));
    *loss = s / (wsum * (double)gnn->nout);
  } else PetscCallMPI(MPI_Allreduce(&local, loss, 1, MPIU_REAL, MPI_SUM, comm));
  if (grad && !gnn->reproducible) { /* reproducible: the layers' backward already summed over the ranks */
    PetscCall(PetscLogEventBegin(GNN_GradReduce, 0, 0, 0, 0));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad, (PetscMPIInt)gnn->torch->numel, MPIU_SCALAR, MPI_SUM, comm));
    PetscCall(PetscLogEventEnd(GNN_GradReduce, 0, 0, 0, 0));
  }
  PetscFunctionReturn(0);
}
