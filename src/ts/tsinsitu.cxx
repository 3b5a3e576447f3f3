/* In-situ training as a TS monitor: snapshot pairs go from the solver to the trainer in memory */
#include <petscgnnts.h>
#include <petsc/private/petscimpl.h>

typedef struct {
  GNNTrainer tr;
  GNNGraph   graph;
  PetscInt   field, every, trainSteps;
  PetscInt   first; /* step of the first call: samples are every `every` steps from there */
  Vec        prev, cur;
  PetscBool  havePrev;
} InSituCtx;

static PetscErrorCode InSituDestroy(void **ctx)
{
  InSituCtx *c = (InSituCtx *)*ctx;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&c->prev));
  PetscCall(VecDestroy(&c->cur));
  PetscCall(GNNTrainerDestroy(&c->tr));
  PetscCall(PetscFree(c));
  PetscFunctionReturn(0);
}

static PetscErrorCode InSituMonitor(TS ts, PetscInt step, PetscReal t, Vec u, void *ctx)
{
  InSituCtx *c = (InSituCtx *)ctx;
  DM         dm;

  PetscFunctionBegin;
  if (c->first < 0) c->first = step;
  if ((step - c->first) % c->every) PetscFunctionReturn(0);
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(GNNGraphPlexFieldToNodes(c->graph, dm, c->field, t, u, c->cur));
  if (c->havePrev) {
    PetscCall(GNNTrainerAddSample(c->tr, c->prev, c->cur));
    PetscCall(GNNTrainerSetUp(c->tr)); /* at the first pair: normalisation from it */
    for (PetscInt k = 0; k < c->trainSteps; k++) PetscCall(GNNTrainerStep(c->tr, NULL));
  }
  PetscCall(VecCopy(c->cur, c->prev));
  c->havePrev = PETSC_TRUE;
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
  GNN        gnn;
  PetscInt   nin, nout;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ts, TS_CLASSID, 1);
  PetscCheck(every > 0 && trainSteps >= 0, PetscObjectComm((PetscObject)ts), PETSC_ERR_ARG_OUTOFRANGE, "Sampling interval must be positive and training steps non-negative");
  PetscCall(PetscNew(&c));
  PetscCall(PetscObjectReference((PetscObject)tr));
  c->tr         = tr;
  c->field      = field;
  c->every      = every;
  c->trainSteps = trainSteps;
  c->first      = -1;
  PetscCall(GNNTrainerGetGNN(tr, &gnn));
  PetscCall(GNNGetGraph(gnn, &c->graph));
  PetscCall(GNNGetSizes(gnn, &nin, &nout));
  PetscCheck(nin == nout, PetscObjectComm((PetscObject)ts), PETSC_ERR_ARG_WRONG, "In-situ training of a one-step model needs F_in = F_out");
  PetscCall(GNNGraphCreateNodeVec(c->graph, nin, &c->prev));
  PetscCall(GNNGraphCreateNodeVec(c->graph, nin, &c->cur));
  PetscCall(TSMonitorSet(ts, InSituMonitor, c, InSituDestroy));
  PetscFunctionReturn(0);
}
