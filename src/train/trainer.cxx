/* GNNTrainer interface: creation, options, set-up, the training loop, monitor and history */
#include "gnntrainimpl.h"
#include "sys/gnnoptions.hpp"
#include "sys/gnncollective.hpp"

#include <cmath>

const char *const GNNOptimizerTypes[]         = {"adam", "adamw", "GNNOptimizerType", "GNN_OPTIMIZER_", NULL};
const char *const GNNTrainNonFinitePolicies[] = {"error", "skip", "GNNTrainNonFinitePolicy", "GNN_TRAIN_NONFINITE_", NULL};

PetscErrorCode GNNTrainerCreate(MPI_Comm comm, GNNTrainer *trainer)
{
  GNNTrainer tr;

  PetscFunctionBegin;
  PetscValidPointer(trainer, 2);
  PetscCall(GNNInitializePackage());
  PetscCall(PetscHeaderCreate(tr, GNNTRAINER_CLASSID, "GNNTrainer", "GNN training", "GNN", comm, GNNTrainerDestroy, GNNTrainerView));
  tr->s            = new GNNTrainerState;
  tr->monitorEvery = 1;
  tr->noiseSeed    = -1;
  tr->nonfinite    = GNN_TRAIN_NONFINITE_ERROR;
  tr->nonfiniteMax = 10;
  tr->memoryLimit  = -1;
  *trainer         = tr;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerSetGNN(GNNTrainer tr, GNN gnn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 2);
  PetscCall(PetscObjectReference((PetscObject)gnn));
  PetscCall(GNNDestroy(&tr->gnn));
  tr->gnn = gnn;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerGetGNN(GNNTrainer tr, GNN *gnn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  *gnn = tr->gnn;
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerAddSample - Adds a snapshot pair (input x, target y: node Vecs with F_in and F_out
  values per node) to the training set; the trainer keeps copies. This is the in-memory path a
  solver uses for in-situ training.
@*/
/* Training data enter here: a NaN or Inf in a sample is an error naming the sample and its first
   bad entry (node in the natural order, feature), the same on every rank, before it is kept.
   Non-finite values that arise later (an overflowing loss) are the step check's business. */
static PetscErrorCode CheckSampleFinite(GNNTrainer tr, Vec v, const char what[], PetscInt k)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)tr);
  const PetscInt    *nat  = NULL;
  const PetscScalar *a;
  PetscInt           bs, n, lo;
  PetscInt64         bad;
  PetscReal          val;

  PetscFunctionBegin;
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCall(VecGetLocalSize(v, &n));
  PetscCall(VecGetOwnershipRange(v, &lo, NULL));
  PetscCall(VecGetArrayRead(v, &a));
  PetscCall(GNNFindNonFinite_Private(comm, n / bs, bs, a, NULL, lo / bs, &bad, &val));
  /* bad is the same on every rank. Only when there is one, and the Vec is a node Vec of the model's
     graph, is the first bad node looked for again in the natural order, to name it there: the
     natural order (a parallel sort) is not computed for samples that are all finite */
  GNNGraph graph = NULL;
  if (bad >= 0 && tr->gnn) PetscCall(GNNGetGraph(tr->gnn, &graph));
  if (graph) {
    PetscInt nOwned;
    int      mismatch, any;
    PetscCall(GNNGraphSetUp(graph));
    PetscCall(GNNGraphGetSizes(graph, &nOwned, NULL, NULL, NULL));
    mismatch = nOwned * bs != n;
    PetscCallMPI(MPI_Allreduce(&mismatch, &any, 1, MPI_INT, MPI_MAX, comm));
    if (!any) {
      PetscCall(GNNGraphGetNaturalIndices(graph, &nat));
      PetscCall(GNNFindNonFinite_Private(comm, n / bs, bs, a, nat, lo / bs, &bad, &val));
    }
  }
  PetscCall(VecRestoreArrayRead(v, &a));
  PetscCheck(bad < 0, comm, PETSC_ERR_FP, "Training sample %" PetscInt_FMT ": its %s holds a non-finite value (%s) at node %" PetscInt64_FMT " (%s), feature %" PetscInt64_FMT, k, what, GNNNonFiniteName(val), bad / bs, nat ? "natural order" : "the Vec's numbering", bad % bs);
  PetscFunctionReturn(0);
}

/* where the pre-flight's limit comes from, for messages */
static const char *GNNTrainerMemorySource_Private(GNNTrainer tr, GNNDevice dev)
{
  return tr->memoryLimit > 0 ? "-gnn_memory_limit" : (dev == GNN_DEVICE_CPU ? "MemAvailable / ranks on its node" : "its GPU's free memory / ranks using that GPU");
}

/* Pre-flight: the model's memory estimate for training against this rank's limit, before the
   first step, so that a run too large for its ranks stops with a message instead of the kernel's
   OOM killer minutes later. The verdict and the figures are reduced over the ranks. */
static PetscErrorCode GNNTrainerCheckMemory_Private(GNNTrainer tr)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)tr);
  PetscLogDouble need, avail;
  GNNRecompute   rec;
  GNNDevice      dev;

  PetscFunctionBegin;
  if (tr->memoryLimit == 0) PetscFunctionReturn(0);
  PetscCall(GNNGetMemoryEstimate(tr->gnn, &need));
  if (tr->memoryLimit > 0) avail = tr->memoryLimit * 1073741824.0;
  else PetscCall(GNNGetMemoryAvailable(tr->gnn, &avail));
  if (avail <= 0) PetscFunctionReturn(0); /* unknown here (no /proc/meminfo, no device figure): no check */
  PetscCall(GNNGetRecompute(tr->gnn, &rec));
  PetscCall(GNNGetDevice(tr->gnn, &dev));
  { /* the rank that needs the most beyond its share, and its figures */
    struct {
      double v;
      int    r;
    } in, out;
    PetscMPIInt rank;
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    in.v = need - avail;
    in.r = rank;
    PetscCallMPI(MPI_Allreduce(&in, &out, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm));
    double fig[2] = {need, avail};
    PetscCallMPI(MPI_Bcast(fig, 2, MPI_DOUBLE, out.r, comm));
    tr->memoryNeed = fig[0];
    tr->memoryHave = fig[1];
    tr->memoryRank = out.r;
    PetscCall(PetscInfo(tr, "Training memory estimate %.1f MiB, limit %.1f MiB on rank %d (the tightest)\n", fig[0] / 1048576.0, fig[1] / 1048576.0, out.r));
    PetscCheck(out.v <= 0, comm, PETSC_ERR_MEM, "Training would need about %.2f GiB on rank %d (estimate with -gnn_recompute %s; -gnn_view shows it), more than the %.2f GiB it has (%s): use more ranks, -gnn_recompute layers or float32, or set -gnn_memory_limit (0: no check)", fig[0] / 1073741824.0, out.r, GNNRecomputes[rec], fig[1] / 1073741824.0, GNNTrainerMemorySource_Private(tr, dev));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerAddSample(GNNTrainer tr, Vec x, Vec y)
{
  Vec xc, yc;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(CheckSampleFinite(tr, x, "input", (PetscInt)tr->s->x.size()));
  PetscCall(CheckSampleFinite(tr, y, "target", (PetscInt)tr->s->x.size()));
  PetscCall(VecDuplicate(x, &xc));
  PetscCall(VecCopy(x, xc));
  PetscCall(VecDuplicate(y, &yc));
  PetscCall(VecCopy(y, yc));
  tr->s->x.push_back(xc);
  tr->s->y.push_back(yc);
  PetscCall(GNNTrainerLinkSample_Private(tr));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerGetNumSamples(GNNTrainer tr, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  *n = (PetscInt)tr->s->x.size();
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerSetPushforward - On this fraction (0 to 1) of the steps, the input of a sample that
  follows another one (its input is the other's target: the pairs of a trajectory) is the model's
  own one-step prediction from that sample, taken as data; nodes of loss weight 0 keep their given
  values. Rollouts feed the model its own outputs: so it learns to correct the errors it makes.
@*/
PetscErrorCode GNNTrainerSetPushforward(GNNTrainer tr, PetscReal fraction)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(fraction >= 0 && fraction <= 1, PetscObjectComm((PetscObject)tr), PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_pushforward is a fraction of the steps, from 0 to 1, got %g", (double)fraction);
  tr->pushforward = fraction;
  PetscFunctionReturn(0);
}

/* Per-node weights of the loss (one value per node; e.g. 0 masks a boundary node), or NULL */
PetscErrorCode GNNTrainerSetNodeWeights(GNNTrainer tr, Vec w)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  if (w) PetscCall(PetscObjectReference((PetscObject)w));
  PetscCall(VecDestroy(&tr->weights));
  tr->weights = w;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerSetSteps(GNNTrainer tr, PetscInt steps)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(steps >= 0, PetscObjectComm((PetscObject)tr), PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_steps must be non-negative, got %" PetscInt_FMT, steps);
  tr->s->opt.steps = steps;
  PetscFunctionReturn(0);
}

/* Peak and final learning rates, warm-up steps */
PetscErrorCode GNNTrainerSetLearningRate(GNNTrainer tr, PetscReal lr, PetscReal lrMin, PetscInt warmup)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)tr);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(lr > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_lr must be positive, got %g", (double)lr);
  PetscCheck(lrMin >= 0 && lrMin <= lr, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_lr_min must be in [0, lr], got %g", (double)lrMin);
  PetscCheck(warmup >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_warmup_steps must be non-negative, got %" PetscInt_FMT, warmup);
  tr->s->opt.lr     = lr;
  tr->s->opt.lrMin  = lrMin;
  tr->s->opt.warmup = warmup;
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerSetReproducible - Bitwise reproducible training at any rank count (GNNSetReproducible()
  on the trainer's GNN at set-up): the gradients, the loss and the normalisation statistics are
  reproducible sums in fixed point, so the loss history and the weights are the same bits on 1 or
  N ranks, and a run resumed on another rank count continues the same bits. Off by default (see
  README: it costs more than 10% of a step); CPU and GPU (the same bits). Call before GNNTrainerSetUp().
@*/
PetscErrorCode GNNTrainerSetReproducible(GNNTrainer tr, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  tr->reproducible = flg;
  if (tr->setupcalled) PetscCall(GNNSetReproducible(tr->gnn, flg));
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerSetNonFinitePolicy - What a step whose loss or gradient norm is NaN or Inf does:
  GNN_TRAIN_NONFINITE_ERROR stops with an error before anything of the step is applied or written;
  GNN_TRAIN_NONFINITE_SKIP leaves the weights and the optimiser state untouched, counts the step as
  skipped and goes on, until more than maxConsecutive steps in a row were skipped (then an error).
  A skipped step still advances the step (so the next step takes the next sample and the schedule
  goes on) and its loss is recorded as it was in the history.
@*/
PetscErrorCode GNNTrainerSetNonFinitePolicy(GNNTrainer tr, GNNTrainNonFinitePolicy policy, PetscInt maxConsecutive)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)tr);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(policy == GNN_TRAIN_NONFINITE_ERROR || policy == GNN_TRAIN_NONFINITE_SKIP, comm, PETSC_ERR_ARG_OUTOFRANGE, "Unknown non-finite policy %d", (int)policy);
  PetscCheck(maxConsecutive >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_nonfinite_max must be positive, got %" PetscInt_FMT, maxConsecutive);
  tr->nonfinite    = policy;
  tr->nonfiniteMax = maxConsecutive;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerGetNonFiniteSkipped(GNNTrainer tr, PetscInt *total, PetscInt *consecutive)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  if (total) *total = tr->skipped;
  if (consecutive) *consecutive = tr->skipRun;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerSetOptionsPrefix(GNNTrainer tr, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)tr, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerAppendOptionsPrefix(GNNTrainer tr, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(PetscObjectAppendOptionsPrefix((PetscObject)tr, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerViewFromOptions(GNNTrainer tr, PetscObject obj, const char name[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(PetscObjectViewFromOptions((PetscObject)tr, obj, name));
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerSetFromOptions - Options database keys:
+ -gnn_train_optimizer <adam,adamw> - optimiser (default adam, as in the paper)
. -gnn_train_lr <1e-4>            - peak learning rate
. -gnn_train_lr_min <0>           - learning rate at the end of the cosine decay
. -gnn_train_warmup_steps <0>     - linear warm-up steps
. -gnn_train_steps <100>          - total optimiser steps
. -gnn_train_beta1 <0.9>, -gnn_train_beta2 <0.999>, -gnn_train_eps <1e-8> - Adam constants
. -gnn_train_weight_decay <0.01>  - AdamW's decoupled weight decay
. -gnn_train_clip <0>             - clip the gradient to this global norm (0: off)
. -gnn_train_nonfinite <error,skip> - a step with a NaN/Inf loss or gradient: stop with an error
                                    (default), or skip it (weights and optimiser state untouched)
. -gnn_train_nonfinite_max <10>   - skip: most consecutive skipped steps; one more is an error
. -gnn_train_normalize            - normalise inputs and outputs with statistics of the samples
. -gnn_train_reproducible         - bitwise the same training at any rank count: every sum of the
                                    step in fixed point (off by default: it costs more than 10% of a step)
. -gnn_train_noise <0>            - standard deviation of the Gaussian noise added to the inputs
. -gnn_train_seed <seed>          - seed of the noise (default: the GNN's -gnn_seed)
. -gnn_train_pushforward <0>      - fraction of the steps whose input is the model's own one-step
                                    prediction from the sample before (pairs of a trajectory; no
                                    gradient through it): trains the model to correct its own errors
. -gnn_train_monitor, -gnn_train_monitor_every <1> - print step, loss, lr, time, nodes/s, ETA
. -gnn_train_history <file>       - CSV step,loss written as training goes
. -gnn_checkpoint <file>, -gnn_checkpoint_every <k> - checkpoint every k steps (and at the end)
. -gnn_resume <file>              - continue from a checkpoint (any rank count)
. -gnn_memory_limit <GiB>         - memory per rank for the pre-flight check (default MemAvailable / ranks on the node, on a GPU its free memory / ranks using it; 0: no check)
- -gnn_train_view                 - print the trainer after set-up
@*/
PetscErrorCode GNNTrainerSetFromOptions(GNNTrainer tr)
{
  GNNOptimizer           &o  = tr->s->opt;
  PetscReal               lr = o.lr, lrMin = o.lrMin;
  PetscInt                warmup = o.warmup, steps = o.steps, nonfiniteMax = tr->nonfiniteMax;
  GNNTrainNonFinitePolicy nonfinite = tr->nonfinite;
  PetscBool               flg;
  MPI_Comm                comm = PetscObjectComm((PetscObject)tr);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)tr);
  PetscCall(PetscOptionsEnum("-gnn_train_optimizer", "Optimiser", "GNNTrainerSetFromOptions", GNNOptimizerTypes, (PetscEnum)o.type, (PetscEnum *)&o.type, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_lr", "Peak learning rate", "GNNTrainerSetLearningRate", lr, &lr, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_lr_min", "Learning rate at the end of the cosine decay", "GNNTrainerSetLearningRate", lrMin, &lrMin, NULL));
  PetscCall(GNNOptionsInt("-gnn_train_warmup_steps", "Linear warm-up steps", "GNNTrainerSetLearningRate", warmup, &warmup, NULL));
  PetscCall(GNNTrainerSetLearningRate(tr, lr, lrMin, warmup));
  PetscCall(GNNOptionsInt("-gnn_train_steps", "Total optimiser steps", "GNNTrainerSetSteps", steps, &steps, NULL));
  PetscCall(GNNTrainerSetSteps(tr, steps));
  PetscCall(PetscOptionsReal("-gnn_train_beta1", "Adam beta1", "GNNTrainerSetFromOptions", o.beta1, &o.beta1, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_beta2", "Adam beta2", "GNNTrainerSetFromOptions", o.beta2, &o.beta2, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_eps", "Adam epsilon", "GNNTrainerSetFromOptions", o.eps, &o.eps, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_weight_decay", "AdamW decoupled weight decay", "GNNTrainerSetFromOptions", o.weightDecay, &o.weightDecay, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_clip", "Clip the gradient to this global norm (0: off)", "GNNTrainerSetFromOptions", o.clip, &o.clip, NULL));
  {
    const std::string why = GNNOptimizerInvalid_Private(o);
    PetscCheck(why.empty(), comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_*: %s", why.c_str());
  }
  PetscCall(PetscOptionsEnum("-gnn_train_nonfinite", "A step with a NaN/Inf loss or gradient: stop with an error, or skip it", "GNNTrainerSetNonFinitePolicy", GNNTrainNonFinitePolicies, (PetscEnum)nonfinite, (PetscEnum *)&nonfinite, NULL));
  PetscCall(GNNOptionsInt("-gnn_train_nonfinite_max", "skip: most consecutive skipped steps (one more is an error)", "GNNTrainerSetNonFinitePolicy", nonfiniteMax, &nonfiniteMax, NULL));
  PetscCall(GNNTrainerSetNonFinitePolicy(tr, nonfinite, nonfiniteMax));
  PetscCall(PetscOptionsBool("-gnn_train_normalize", "Normalise inputs and outputs with statistics of the samples", "GNNComputeNormalization", tr->normalize, &tr->normalize, NULL));
  PetscCall(PetscOptionsBool("-gnn_train_reproducible", "Reproducible sums: the same bits at any rank count (CPU)", "GNNTrainerSetReproducible", tr->reproducible, &tr->reproducible, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_noise", "Standard deviation of the input noise", "GNNTrainerSetFromOptions", tr->noise, &tr->noise, NULL));
  PetscCheck(tr->noise >= 0 && std::isfinite((double)tr->noise), comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_noise must be finite and non-negative, got %g", (double)tr->noise);
  PetscCall(GNNOptionsInt("-gnn_train_seed", "Seed of the input noise (default: -gnn_seed)", "GNNTrainerSetFromOptions", tr->noiseSeed, &tr->noiseSeed, NULL));
  PetscCall(PetscOptionsReal("-gnn_train_pushforward", "Fraction of the steps whose input is the model's own prediction from the sample before", "GNNTrainerSetPushforward", tr->pushforward, &tr->pushforward, NULL));
  PetscCall(GNNTrainerSetPushforward(tr, tr->pushforward));
  PetscCall(PetscOptionsBool("-gnn_train_monitor", "Print one line per step (or every k)", "GNNTrainerTrain", tr->monitor, &tr->monitor, NULL));
  PetscCall(GNNOptionsInt("-gnn_train_monitor_every", "Monitor every k steps", "GNNTrainerTrain", tr->monitorEvery, &tr->monitorEvery, &flg));
  if (flg) tr->monitor = PETSC_TRUE;
  PetscCheck(tr->monitorEvery > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_train_monitor_every must be positive");
  PetscCall(PetscOptionsReal("-gnn_memory_limit", "Memory per rank for training, GiB: training stops before the first step if the estimate exceeds it (default: MemAvailable / ranks on the node, on a GPU its free memory / ranks using it; 0: no check)", "GNNGetMemoryAvailable", tr->memoryLimit, &tr->memoryLimit, &flg));
  PetscCheck(!flg || (tr->memoryLimit >= 0 && std::isfinite((double)tr->memoryLimit)), comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_memory_limit must be a finite number of GiB >= 0 (0: no check), got %g", (double)tr->memoryLimit);
  PetscCall(PetscOptionsString("-gnn_train_history", "CSV file step,loss written as training goes", "GNNTrainerTrain", tr->historyFile, tr->historyFile, sizeof(tr->historyFile), NULL));
  PetscCall(PetscOptionsString("-gnn_checkpoint", "Checkpoint file", "GNNTrainerSaveCheckpoint", tr->checkpointFile, tr->checkpointFile, sizeof(tr->checkpointFile), NULL));
  PetscCall(GNNOptionsInt("-gnn_checkpoint_every", "Checkpoint every k steps", "GNNTrainerSaveCheckpoint", tr->checkpointEvery, &tr->checkpointEvery, NULL));
  PetscCheck(tr->checkpointEvery >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_checkpoint_every must be non-negative");
  PetscCall(PetscOptionsString("-gnn_resume", "Continue from this checkpoint", "GNNTrainerLoadCheckpoint", tr->resumeFile, tr->resumeFile, sizeof(tr->resumeFile), NULL));
  PetscCall(PetscOptionsName("-gnn_train_view", "Print the trainer after set-up", "GNNTrainerView", &flg));
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)tr, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerSetUp - Sets up the GNN, computes the normalisation from the samples (if asked), reads
  the -gnn_resume checkpoint (if given) and starts the history file.
@*/
PetscErrorCode GNNTrainerSetUp(GNNTrainer tr)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)tr);
  PetscInt np;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  if (tr->setupcalled) PetscFunctionReturn(0);
  PetscCheck(tr->gnn, comm, PETSC_ERR_ARG_WRONGSTATE, "Call GNNTrainerSetGNN() first");
  PetscCall(GNNSetReproducible(tr->gnn, tr->reproducible)); /* first: -gnn_view (in GNNSetUp) shows it */
  PetscCall(GNNSetUp(tr->gnn));
  PetscCall(GNNGetNumParameters(tr->gnn, &np));
  tr->s->p.resize(np);
  tr->s->g.resize(np);
  if (tr->noiseSeed < 0) PetscCall(GNNGetSeed(tr->gnn, &tr->noiseSeed));
  if (tr->normalize && !tr->resumeFile[0]) {
    PetscCheck(!tr->s->x.empty(), comm, PETSC_ERR_ARG_WRONGSTATE, "-gnn_train_normalize needs the samples: add them before GNNTrainerSetUp()");
    PetscCall(GNNComputeNormalization(tr->gnn, (PetscInt)tr->s->x.size(), tr->s->x.data(), tr->s->y.data()));
  }
  PetscCall(GNNTrainerCheckMemory_Private(tr));
  tr->setupcalled = PETSC_TRUE;
  if (tr->resumeFile[0]) PetscCall(GNNTrainerLoadCheckpoint(tr, tr->resumeFile));
  tr->s->historyStart = tr->step;
  PetscCall(GNNTrainerHistoryRestart_Private(tr));
  PetscCall(GNNTrainerViewFromOptions(tr, NULL, "-gnn_train_view"));
  PetscFunctionReturn(0);
}

/* Whether step tr->step (on sample k) is applied: yes if its loss and gradient norm are finite;
   otherwise an error or, with the skip policy, no (up to nonfiniteMax in a row). Called after the
   gradient's sum over the ranks: a NaN or Inf on one rank is then in every rank's loss and gradient
   (sums propagate them). The verdict is still reduced over the ranks: MPI does not promise the same
   bits of a reduction on every rank, and ranks that disagreed here would split into one erroring
   and others waiting in the next step's collective, or into different weights. */
static PetscErrorCode GNNTrainerStepIsFinite(GNNTrainer tr, PetscInt k, PetscReal loss, PetscReal gnorm, PetscBool *apply)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)tr);
  int      bad  = !(std::isfinite((double)loss) && std::isfinite((double)gnorm));

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
  *apply = bad ? PETSC_FALSE : PETSC_TRUE;
  if (!bad) {
    tr->skipRun = 0;
    PetscFunctionReturn(0);
  }
  PetscCheck(tr->nonfinite == GNN_TRAIN_NONFINITE_SKIP, comm, PETSC_ERR_FP,
             "Training step %" PetscInt_FMT " (sample %" PetscInt_FMT "): the loss (%e) or the gradient norm (%e) is not finite; the step was not applied and nothing of it written. Look for NaN/Inf in that sample's inputs and targets, the normalisation or the learning rate, or skip such steps with -gnn_train_nonfinite skip",
             tr->step, k, (double)loss, (double)gnorm);
  PetscCheck(tr->skipRun < tr->nonfiniteMax, comm, PETSC_ERR_FP, "Training step %" PetscInt_FMT " (sample %" PetscInt_FMT "): the loss (%e) or the gradient norm (%e) is not finite in %" PetscInt_FMT " steps in a row, more than -gnn_train_nonfinite_max %" PetscInt_FMT " allows to skip (%" PetscInt_FMT " steps skipped before)", tr->step, k,
             (double)loss, (double)gnorm, tr->skipRun + 1, tr->nonfiniteMax, tr->skipped);
  tr->skipped++;
  tr->skipRun++;
  PetscCall(PetscInfo(tr, "Step %" PetscInt_FMT " (sample %" PetscInt_FMT ") skipped: loss %e, gradient norm %e\n", tr->step, k, (double)loss, (double)gnorm));
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerStep - One optimiser step on sample (step mod samples): loss and gradient over all
  ranks, the non-finite check, clipping, learning-rate schedule, Adam(W) update, the same on every
  rank.
@*/
PetscErrorCode GNNTrainerStep(GNNTrainer tr, PetscReal *loss)
{
  GNNTrainerState &s = *tr->s;
  PetscInt         k;
  Vec              x;
  PetscReal        l, lr, gnorm;
  PetscBool        apply;
  PetscLogDouble   t0, t1;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(GNNTrainerSetUp(tr));
  PetscCheck(!s.x.empty(), PetscObjectComm((PetscObject)tr), PETSC_ERR_ARG_WRONGSTATE, "No training samples: call GNNTrainerAddSample()");
  PetscCall(PetscTime(&t0));
  if (s.history.empty()) tr->trainStart = t0;
  k = tr->step % (PetscInt)s.x.size();
  PetscCall(GNNTrainerPushforwardInput_Private(tr, k, &x));
  if (tr->noise > 0) {
    if (!tr->xnoisy) PetscCall(VecDuplicate(x, &tr->xnoisy));
    PetscCall(GNNTrainerAddNoise_Private(tr, x, tr->xnoisy));
    x = tr->xnoisy;
  }
  PetscCall(GNNComputeLossGradient(tr->gnn, x, s.y[k], tr->weights, &l, s.g.data()));
  gnorm = GNNGradientNorm_Private(s.g);
  PetscCall(GNNTrainerStepIsFinite(tr, k, l, gnorm, &apply));
  if (apply) {
    PetscCall(GNNGetParameters(tr->gnn, s.p.data()));
    PetscCall(GNNOptimizerUpdate_Private(s.opt, tr->step, s.p, s.g, gnorm, &lr));
    PetscCall(GNNSetParameters(tr->gnn, s.p.data()));
  } else lr = GNNOptimizerLearningRate_Private(s.opt, tr->step); /* for the monitor */
  /* a skipped step's loss is kept as it was, so that history[i] stays the loss of step first + i */
  s.history.push_back(l);
  PetscCall(GNNTrainerHistoryAppend_Private(tr, tr->step, l));
  tr->step++;
  PetscCall(PetscTime(&t1));
  /* a skipped step is always reported: it is rare, and is what one looks for in the output */
  if (tr->monitor && (tr->step % tr->monitorEvery == 0 || tr->step == s.opt.steps || !apply)) PetscCall(GNNTrainerMonitor_Private(tr, l, lr, gnorm, t1 - t0, (PetscBool)!apply));
  if (tr->checkpointFile[0] && tr->checkpointEvery > 0 && tr->step % tr->checkpointEvery == 0) PetscCall(GNNTrainerSaveCheckpoint(tr, tr->checkpointFile));
  if (loss) *loss = l;
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerTrain - Steps until -gnn_train_steps (monitor, history and checkpoints as it goes),
  writes a last checkpoint and the -gnn_save_weights file.
@*/
PetscErrorCode GNNTrainerTrain(GNNTrainer tr)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCall(GNNTrainerSetUp(tr));
  while (tr->step < tr->s->opt.steps) PetscCall(GNNTrainerStep(tr, NULL));
  if (tr->skipped) PetscCall(PetscPrintf(PetscObjectComm((PetscObject)tr), "GNN train: %" PetscInt_FMT " step(s) skipped for a non-finite loss or gradient (-gnn_train_nonfinite skip)\n", tr->skipped));
  if (tr->checkpointFile[0]) PetscCall(GNNTrainerSaveCheckpoint(tr, tr->checkpointFile));
  PetscCall(GNNSaveWeightsFromOptions(tr->gnn));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerGetStep(GNNTrainer tr, PetscInt *step)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  *step = tr->step;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerGetLearningRate(GNNTrainer tr, PetscInt step, PetscReal *lr)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  *lr = GNNOptimizerLearningRate_Private(tr->s->opt, step);
  PetscFunctionReturn(0);
}

/* first: the step of history[0]; n: entries */
PetscErrorCode GNNTrainerGetHistory(GNNTrainer tr, PetscInt *first, PetscInt *n, const PetscReal *history[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  if (first) *first = tr->s->historyStart;
  if (n) *n = (PetscInt)tr->s->history.size();
  if (history) *history = tr->s->history.data();
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerView(GNNTrainer tr, PetscViewer viewer)
{
  PetscBool     iascii;
  GNNOptimizer &o = tr->s->opt;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)tr), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)tr, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "optimiser %s: lr %g -> %g (cosine), warm-up %" PetscInt_FMT ", steps %" PetscInt_FMT ", betas %g %g, eps %g", GNNOptimizerTypes[o.type], (double)o.lr, (double)o.lrMin, o.warmup, o.steps, (double)o.beta1, (double)o.beta2, (double)o.eps));
  if (o.type == GNN_OPTIMIZER_ADAMW) PetscCall(PetscViewerASCIIPrintf(viewer, ", weight decay %g", (double)o.weightDecay));
  PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "gradient clipping %s (%g), normalisation %s, input noise %g (seed %" PetscInt_FMT ")\n", o.clip > 0 ? "on" : "off", (double)o.clip, tr->normalize ? "on" : "off", (double)tr->noise, tr->noiseSeed));
  if (tr->pushforward > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "pushforward on %g of the steps (%" PetscInt_FMT " so far)\n", (double)tr->pushforward, tr->pushed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "reproducible sums %s\n", tr->reproducible ? "on (every sum of the step in fixed point: the same bits at any rank count)" : "off"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "samples %" PetscInt_FMT ", step %" PetscInt_FMT "%s%s\n", (PetscInt)tr->s->x.size(), tr->step, tr->resumeFile[0] ? ", resumed from " : "", tr->resumeFile));
  if (tr->nonfinite == GNN_TRAIN_NONFINITE_SKIP) PetscCall(PetscViewerASCIIPrintf(viewer, "non-finite loss or gradient: skip the step (at most %" PetscInt_FMT " in a row), %" PetscInt_FMT " skipped\n", tr->nonfiniteMax, tr->skipped));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "non-finite loss or gradient: error\n"));
  if (tr->checkpointFile[0]) PetscCall(PetscViewerASCIIPrintf(viewer, "checkpoint %s every %" PetscInt_FMT " steps\n", tr->checkpointFile, tr->checkpointEvery));
  if (tr->memoryNeed > 0) {
    GNNDevice dev;
    PetscCall(GNNGetDevice(tr->gnn, &dev));
    PetscCall(PetscViewerASCIIPrintf(viewer, "memory pre-flight: about %.1f MiB needed on rank %d (the tightest), %.1f MiB there (%s)\n", tr->memoryNeed / 1048576.0, tr->memoryRank, tr->memoryHave / 1048576.0, GNNTrainerMemorySource_Private(tr, dev)));
  } else if (tr->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "memory pre-flight: %s\n", tr->memoryLimit == 0 ? "off (-gnn_memory_limit 0)" : "not made (the available memory cannot be read here)"));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerDestroy(GNNTrainer *trainer)
{
  PetscFunctionBegin;
  if (!*trainer) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*trainer, GNNTRAINER_CLASSID, 1);
  if (--((PetscObject)(*trainer))->refct > 0) {
    *trainer = NULL;
    PetscFunctionReturn(0);
  }
  for (Vec &v : (*trainer)->s->x) PetscCall(VecDestroy(&v));
  for (Vec &v : (*trainer)->s->y) PetscCall(VecDestroy(&v));
  delete (*trainer)->s;
  PetscCall(VecDestroy(&(*trainer)->weights));
  PetscCall(VecDestroy(&(*trainer)->xnoisy));
  PetscCall(VecDestroy(&(*trainer)->xpush));
  PetscCall(GNNDestroy(&(*trainer)->gnn));
  PetscCall(PetscHeaderDestroy(trainer));
  PetscFunctionReturn(0);
}
