/* In-situ training as a TS monitor: snapshot pairs go from the solver to the trainer in memory */
#include <petscgnnts.h>
#include "sys/gnnoptions.hpp"
#include "tsgnnimpl.h"
#include <petsc/private/petscimpl.h>
#include <petsc/private/tsimpl.h> /* the TSTrajectory type gnn */

typedef struct {
  GNNTrainer tr;
  GNNGraph   graph;
  PetscInt   field, every, trainSteps;
  PetscInt   first; /* step of the first call: samples are every `every` steps from there */
  Vec        prev, cur;
  PetscReal  tprev; /* time of prev */
  PetscBool  havePrev, recorded; /* recorded: the metadata (at the first pair) */
} InSituCtx;

/* Releases what the context holds (the monitor's and the trajectory type's end) */
static PetscErrorCode InSituClear(InSituCtx *c)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&c->prev));
  PetscCall(VecDestroy(&c->cur));
  PetscCall(GNNTrainerDestroy(&c->tr));
  PetscFunctionReturn(0);
}

static PetscErrorCode InSituDestroy(void **ctx)
{
  PetscFunctionBegin;
  PetscCall(InSituClear((InSituCtx *)*ctx));
  PetscCall(PetscFree(*ctx));
  PetscFunctionReturn(0);
}

/* One state of the run: every `every` steps from the first, the pair (previous sample, this one)
   is added and trained on `trainSteps` times. Shared by the monitor and the trajectory type gnn. */
static PetscErrorCode InSituSample(InSituCtx *c, TS ts, PetscInt step, PetscReal t, Vec u)
{
  DM dm;

  PetscFunctionBegin;
  if (c->first < 0) c->first = step;
  if ((step - c->first) % c->every) PetscFunctionReturn(0);
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(GNNTSStateToNodes_Private(c->graph, dm, c->field, t, u, c->cur));
  if (c->havePrev) {
    if (!c->recorded) { /* the weights file records what the model stands for (-ts_type gnn reads it) */
      GNN gnn;
      PetscCall(GNNTrainerGetGNN(c->tr, &gnn));
      PetscCall(GNNSetMetadata(gnn, "gnn_ts_every", (PetscReal)c->every));
      PetscCall(GNNSetMetadata(gnn, "gnn_ts_field", (PetscReal)c->field));
      PetscCall(GNNSetMetadata(gnn, "ts_dt", (t - c->tprev) / c->every));
      c->recorded = PETSC_TRUE;
    }
    PetscCall(GNNTrainerAddSample(c->tr, c->prev, c->cur));
    PetscCall(GNNTrainerSetUp(c->tr)); /* at the first pair: normalisation from it */
    for (PetscInt k = 0; k < c->trainSteps; k++) PetscCall(GNNTrainerStep(c->tr, NULL));
  }
  PetscCall(VecCopy(c->cur, c->prev));
  c->tprev    = t;
  c->havePrev = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode InSituMonitor(TS ts, PetscInt step, PetscReal t, Vec u, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(InSituSample((InSituCtx *)ctx, ts, step, t, u));
  PetscFunctionReturn(0);
}

/* The context's trainer, graph and work vectors for a trainer already made */
static PetscErrorCode InSituSetTrainer(InSituCtx *c, GNNTrainer tr, MPI_Comm comm)
{
  GNN      gnn;
  PetscInt nin, nout;

  PetscFunctionBegin;
  PetscCall(PetscObjectReference((PetscObject)tr));
  c->tr    = tr;
  c->first = -1;
  PetscCall(GNNTrainerGetGNN(tr, &gnn));
  PetscCall(GNNGetGraph(gnn, &c->graph));
  PetscCall(GNNGetSizes(gnn, &nin, &nout));
  PetscCheck(nin == nout, comm, PETSC_ERR_ARG_WRONG, "In-situ training of a one-step model needs F_in = F_out");
  PetscCall(GNNGraphCreateNodeVec(c->graph, nin, &c->prev));
  PetscCall(GNNGraphCreateNodeVec(c->graph, nin, &c->cur));
  PetscFunctionReturn(0);
}

/*@C
  GNNTSSetInSituTraining - Trains the trainer's GNN while ts runs: every `every` steps the pair
  (field at the previous sample, field now) becomes a training sample and `trainSteps` optimiser
  steps follow (each on a sample of the growing set, step mod samples).
@*/
PetscErrorCode GNNTSSetInSituTraining(TS ts, GNNTrainer tr, PetscInt field, PetscInt every, PetscInt trainSteps)
{
  InSituCtx *c;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ts, TS_CLASSID, 1);
  PetscCheck(every > 0 && trainSteps >= 0, PetscObjectComm((PetscObject)ts), PETSC_ERR_ARG_OUTOFRANGE, "Sampling interval must be positive and training steps non-negative");
  PetscCall(PetscNew(&c));
  c->field      = field;
  c->every      = every;
  c->trainSteps = trainSteps;
  PetscCall(InSituSetTrainer(c, tr, PetscObjectComm((PetscObject)ts)));
  PetscCall(TSMonitorSet(ts, InSituMonitor, c, InSituDestroy));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------------------
   TSTrajectory type "gnn": the same in-situ training selected by options alone, for a TS program
   that was never written for this library (loaded with -dll_append <dir>/libpetscgnn.so):
     -ts_save_trajectory -ts_trajectory_type gnn [-gnn_ts_every k] [-gnn_ts_train_per_sample n]
     [-gnn_ts_field f] [-gnn_save_weights FILE] and the GNN, graph and trainer options.
   TSSolve() hands every accepted state to TSTrajectorySet(); the GNN is built at TSSetUp() on the
   TS's own DM and partition (GNNCreateFromDM()), so an unsupported DM fails before the solve. */
typedef struct {
  InSituCtx ctx;
  GNN       gnn;
} TSTrajectory_GNN;

static PetscErrorCode TSTrajectorySetFromOptions_GNN(TSTrajectory tj, PetscOptionItems *PetscOptionsObject)
{
  TSTrajectory_GNN *g = (TSTrajectory_GNN *)tj->data;
  MPI_Comm          comm = PetscObjectComm((PetscObject)tj);

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "TSTrajectory gnn: in-situ GNN training on the solver's states");
  PetscCall(GNNOptionsInt("-gnn_ts_every", "Solver steps between the two states of a training pair", "GNNTSSetInSituTraining", g->ctx.every, &g->ctx.every, NULL));
  PetscCall(GNNOptionsInt("-gnn_ts_train_per_sample", "Optimiser steps after each new pair", "GNNTSSetInSituTraining", g->ctx.trainSteps, &g->ctx.trainSteps, NULL));
  PetscCall(GNNOptionsInt("-gnn_ts_field", "DMPlex: the section field the GNN learns (a DMDA's dof are all node features)", "GNNTSSetInSituTraining", g->ctx.field, &g->ctx.field, NULL));
  PetscCall(PetscOptionsName("-gnn_ts_view", "View the trajectory (pairs, first and last loss) at the end of the run", "TSTrajectoryView", NULL));
  PetscOptionsHeadEnd();
  GNNTSPluginRead = PETSC_TRUE;
  PetscCheck(g->ctx.every > 0 && g->ctx.trainSteps >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_ts_every must be positive and -gnn_ts_train_per_sample non-negative");
  PetscFunctionReturn(0);
}

static PetscErrorCode TSTrajectorySetUp_GNN(TSTrajectory tj, TS ts)
{
  TSTrajectory_GNN *g = (TSTrajectory_GNN *)tj->data;
  MPI_Comm          comm = PetscObjectComm((PetscObject)tj);
  GNNTrainer        tr;

  PetscFunctionBegin;
  if (g->gnn) PetscFunctionReturn(0);
  PetscCall(GNNTSCreateGNN_Private(ts, "-ts_trajectory_type gnn", g->ctx.field, &g->gnn));
  PetscCall(GNNSetUp(g->gnn));
  PetscCall(GNNTrainerCreate(comm, &tr));
  PetscCall(GNNTrainerSetGNN(tr, g->gnn));
  PetscCall(GNNTrainerSetFromOptions(tr));
  {
    /* the learning-rate schedule spans -gnn_train_steps optimiser steps, after which the rate is
       0: unless that option is given, span the whole run when the TS has a step limit */
    PetscBool given;
    PetscInt  maxSteps;
    PetscCall(PetscOptionsHasName(((PetscObject)tr)->options, ((PetscObject)tr)->prefix, "-gnn_train_steps", &given));
    PetscCall(TSGetMaxSteps(ts, &maxSteps));
    if (!given && maxSteps < PETSC_MAX_INT && maxSteps >= g->ctx.every && g->ctx.trainSteps > 0) PetscCall(GNNTrainerSetSteps(tr, (maxSteps / g->ctx.every) * g->ctx.trainSteps));
  }
  PetscCall(InSituSetTrainer(&g->ctx, tr, comm));
  PetscCall(GNNTrainerDestroy(&tr)); /* the context holds it */
  PetscFunctionReturn(0);
}

static PetscErrorCode TSTrajectorySet_GNN(TSTrajectory tj, TS ts, PetscInt step, PetscReal t, Vec u)
{
  TSTrajectory_GNN *g = (TSTrajectory_GNN *)tj->data;

  PetscFunctionBegin;
  PetscCall(TSTrajectorySetUp_GNN(tj, ts)); /* TSSetUp() normally did it */
  PetscCall(InSituSample(&g->ctx, ts, step, t, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSTrajectoryView_GNN(TSTrajectory tj, PetscViewer viewer)
{
  TSTrajectory_GNN *g = (TSTrajectory_GNN *)tj->data;
  PetscInt          n = 0;
  PetscInt          nh = 0;
  const PetscReal  *h  = NULL;
  char              loss[128];

  if (g->ctx.tr) {
    PetscCall(GNNTrainerGetNumSamples(g->ctx.tr, &n));
    PetscCall(GNNTrainerGetHistory(g->ctx.tr, NULL, &nh, &h));
  }
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(loss, sizeof(loss), nh ? ", loss %.6e at the first step, %.6e at the last (%" PetscInt_FMT ")" : "", nh ? (double)h[0] : 0.0, nh ? (double)h[nh - 1] : 0.0, nh));
  PetscCall(PetscViewerASCIIPrintf(viewer, "GNN in-situ training: a pair every %" PetscInt_FMT " steps, %" PetscInt_FMT " optimiser steps per pair, %" PetscInt_FMT " pairs so far%s\n", g->ctx.every, g->ctx.trainSteps, n, loss));
  PetscFunctionReturn(0);
}

/* The end of the run (TSDestroy()): the summary to -gnn_ts_view, the final weights to
   -gnn_save_weights (TSTrajectory has no view option of its own in PETSc 3.18) */
static PetscErrorCode TSTrajectoryDestroy_GNN(TSTrajectory tj)
{
  TSTrajectory_GNN *g = (TSTrajectory_GNN *)tj->data;

  PetscFunctionBegin;
  PetscCall(TSTrajectoryViewFromOptions(tj, NULL, "-gnn_ts_view"));
  if (g->gnn) PetscCall(GNNSaveWeightsFromOptions(g->gnn));
  PetscCall(InSituClear(&g->ctx));
  PetscCall(GNNDestroy(&g->gnn));
  PetscCall(PetscFree(tj->data));
  PetscFunctionReturn(0);
}

PetscErrorCode TSTrajectoryCreate_GNN(TSTrajectory tj, TS ts)
{
  TSTrajectory_GNN *g;

  PetscFunctionBegin;
  (void)ts;
  PetscCall(PetscNew(&g));
  g->ctx.every          = 1;
  g->ctx.trainSteps     = 10;
  g->ctx.first          = -1;
  tj->data              = g;
  tj->solution_only     = PETSC_TRUE; /* the states only, not the stages */
  tj->ops->set            = TSTrajectorySet_GNN;
  tj->ops->setup          = TSTrajectorySetUp_GNN;
  tj->ops->setfromoptions = TSTrajectorySetFromOptions_GNN;
  tj->ops->view           = TSTrajectoryView_GNN;
  tj->ops->destroy        = TSTrajectoryDestroy_GNN;
  PetscFunctionReturn(0);
}
