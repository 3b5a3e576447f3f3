/* Input/output normalisation of the model: statistics over the owned nodes of all ranks */
#include "gnn/gnntorchstate.hpp"
#include "sys/gnncollective.hpp"
#include <vector>

PetscErrorCode GNNSetNormalization(GNN gnn, const PetscReal inMean[], const PetscReal inStd[], const PetscReal outMean[], const PetscReal outStd[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Call GNNSetUp() first");
  /* the same rules as a loaded state dict (src/gnn/interface/gnnweights.cxx): finite, std > 0 */
  for (int io = 0; io < 2; io++) {
    const PetscReal *mean = io ? outMean : inMean, *sd = io ? outStd : inStd;
    for (PetscInt f = 0; f < (io ? gnn->nout : gnn->nin + gnn->nfeat); f++) {
      PetscCheck(std::isfinite((double)mean[f]), PetscObjectComm((PetscObject)gnn), PETSC_ERR_FP, "The %s mean of feature %" PetscInt_FMT " is not finite (%g)", io ? "output" : "input", f, (double)mean[f]);
      PetscCheck(sd[f] > 0 && std::isfinite((double)sd[f]), PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Standard deviations must be positive and finite: the %s one of feature %" PetscInt_FMT " is %g", io ? "output" : "input", f, (double)sd[f]);
    }
  }
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    torch::NoGradGuard nograd;
    auto              &net = gnn->torch->net;
    auto               set = [](torch::Tensor &t, const PetscReal *v, int64_t n) { t.copy_(torch::from_blob((void *)v, {n}, torch::kFloat64)); };
    set(net->input_mean, inMean, gnn->nin + gnn->nfeat); /* the input's features, then the fixed node features' */
    set(net->input_std, inStd, gnn->nin + gnn->nfeat);
    set(net->output_mean, outMean, gnn->nout);
    set(net->output_std, outStd, gnn->nout);
  });
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGetNormalization(GNN gnn, PetscReal inMean[], PetscReal inStd[], PetscReal outMean[], PetscReal outStd[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Call GNNSetUp() first");
  GNNTorchTry(PetscObjectComm((PetscObject)gnn), {
    auto &net = gnn->torch->net;
    auto  get = [](const torch::Tensor &t, PetscReal *v) {
      if (!v) return;
      auto d = t.to(torch::kCPU, torch::kFloat64).contiguous();
      std::memcpy(v, d.data_ptr<double>(), sizeof(double) * d.numel());
    };
    get(net->input_mean, inMean);
    get(net->input_std, inStd);
    get(net->output_mean, outMean);
    get(net->output_std, outStd);
  });
  PetscFunctionReturn(0);
}

/* Mean and standard deviation per feature of n node Vecs (F values per node), over the owned
   nodes of all ranks: two passes (mean, then squared deviations), each one global sum. A feature
   that is constant gets standard deviation 1 (it carries no scale to normalise). With
   GNNSetReproducible() the sums are reproducible (GNNSumReproducible): the same bits at any rank
   count. */
static PetscErrorCode FeatureStatistics(GNN gnn, PetscInt n, Vec v[], PetscInt F, PetscReal mean[], PetscReal std[])
{
  MPI_Comm            comm = PetscObjectComm((PetscObject)gnn);
  std::vector<double> s(F, 0.0), terms;
  PetscInt            nOwned = gnn->torch->nOwned;
  double              count  = (double)gnn->torch->N * (double)n;

  PetscFunctionBegin;
  if (gnn->reproducible) terms.resize((size_t)n * nOwned * F);
  for (int pass = 0; pass < 2; pass++) {
    std::fill(s.begin(), s.end(), 0.0);
    for (PetscInt k = 0; k < n; k++) {
      const PetscScalar *a;
      PetscInt           nl;
      PetscCall(VecGetLocalSize(v[k], &nl));
      PetscCheck(nl == nOwned * F, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Sample Vec must hold %" PetscInt_FMT " values per owned node", F);
      PetscCall(VecGetArrayRead(v[k], &a));
      for (PetscInt i = 0; i < nOwned; i++)
        for (PetscInt f = 0; f < F; f++) {
          double x = PetscRealPart(a[i * F + f]), t = pass == 0 ? x : (x - mean[f]) * (x - mean[f]);
          if (gnn->reproducible) terms[(k * nOwned + i) * F + f] = t;
          else s[f] += t;
        }
      PetscCall(VecRestoreArrayRead(v[k], &a));
    }
    if (gnn->reproducible) PetscCall(GNNSumReproducible(comm, n * nOwned, F, terms.data(), s.data()));
    else PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s.data(), (PetscMPIInt)F, MPI_DOUBLE, MPI_SUM, comm));
    for (PetscInt f = 0; f < F; f++) {
      if (pass == 0) mean[f] = s[f] / count;
      else {
        double sd = std::sqrt(s[f] / count);
        /* a NaN or Inf (overflowing sums) is kept, for GNNSetNormalization() to report */
        std[f] = !std::isfinite(sd) || sd > 1e-12 * std::max(1.0, std::fabs(mean[f])) ? sd : 1.0;
      }
    }
  }
  PetscFunctionReturn(0);
}

/*@C
  GNNComputeNormalization - Sets the model's normalisation from n sample pairs (inputs x[k],
  targets y[k]): mean and standard deviation per feature over all owned nodes of all ranks (of
  y - x for a residual model, whose network outputs the increment).
@*/
PetscErrorCode GNNComputeNormalization(GNN gnn, PetscInt n, Vec x[], Vec y[])
{
  std::vector<PetscReal> im(gnn->nin + gnn->nfeat), is(gnn->nin + gnn->nfeat), om(gnn->nout), os(gnn->nout);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Call GNNSetUp() first");
  PetscCheck(n > 0, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Need at least one sample to compute the normalisation");
  PetscCall(FeatureStatistics(gnn, n, x, gnn->nin, im.data(), is.data()));
  if (gnn->nfeat) PetscCall(FeatureStatistics(gnn, 1, &gnn->nodeFeatures, gnn->nfeat, im.data() + gnn->nin, is.data() + gnn->nin));
  if (gnn->residual) {
    /* the network's output is the increment y - x: normalise that */
    std::vector<Vec> d(n);
    for (PetscInt k = 0; k < n; k++) {
      PetscCall(VecDuplicate(y[k], &d[k]));
      PetscCall(VecWAXPY(d[k], -1.0, x[k], y[k]));
    }
    PetscCall(FeatureStatistics(gnn, n, d.data(), gnn->nout, om.data(), os.data()));
    for (Vec &v : d) PetscCall(VecDestroy(&v));
  } else PetscCall(FeatureStatistics(gnn, n, y, gnn->nout, om.data(), os.data()));
  PetscCall(GNNSetNormalization(gnn, im.data(), is.data(), om.data(), os.data()));
  PetscFunctionReturn(0);
}
