/* ------------------------------------------------------------------------------------------------
   TS type "gnn": a trained GNN advances the solution instead of the solver (the surrogate), selected
   by options alone in a TS program that was never written for this library (loaded with
   -dll_append <dir>/libpetscgnn.so):
     -ts_type gnn -gnn_load_weights FILE [-gnn_ts_every k] [-gnn_ts_field f]
     [-gnn_ts_hybrid_every m [-gnn_ts_hybrid_solver rk]] and the GNN and graph options of training.
   One step of this type is one GNN application, which stands for k solver steps of the TS's time
   step dt: the time advances by k dt and the step counter by k, so step numbers, -ts_max_steps and
   -ts_max_time mean what they mean for the solver, and the program's monitors see every GNN step.
   The GNN is built at TSSetUp() on the TS's own DM and partition, as -ts_trajectory_type gnn built
   it for training (tsdmgnn.cxx); the weights file carries the parameters and the normalisation,
   the architecture options and k must be given as in training (a weights file of another
   architecture or feature count is an error).
   Hybrid mode: every m-th step is taken by the solver instead (k steps of an explicit TS type on
   the same DM and RHS function), which pulls the rollout back to the solver's dynamics. */
#include "sys/gnnoptions.hpp"
#include "tsgnnimpl.h"
#include <petsc/private/petscimpl.h>
#include <petsc/private/tsimpl.h>

typedef struct {
  GNN       gnn;
  PetscInt  every, field;  /* k solver steps per GNN step; the DMPlex field */
  PetscInt  hybridEvery;   /* m: every m-th step by the solver (0: never) */
  char      hybridSolver[64];
  TS        solver;        /* hybrid mode: the solver's steps */
  Vec       x, y, prev;    /* node Vecs; the state at the start of the step (interpolation) */
  PetscInt  nsteps, nsolver; /* steps of this type, of them by the solver */
} TS_GNN;

/* The solver's k steps (hybrid mode) from the state and time of ts */
static PetscErrorCode SolverSteps(TS ts, TS_GNN *g)
{
  PetscFunctionBegin;
  PetscCall(TSSetSolution(g->solver, ts->vec_sol)); /* in place; TSSolve() may have replaced it since set-up */
  PetscCall(TSSetTime(g->solver, ts->ptime));
  PetscCall(TSSetTimeStep(g->solver, ts->time_step));
  PetscCall(TSRestartStep(g->solver)); /* a multistep history would span GNN steps */
  for (PetscInt k = 0; k < g->every; k++) {
    PetscCall(TSStep(g->solver));
    PetscCheck(g->solver->reason >= 0, PetscObjectComm((PetscObject)ts), PETSC_ERR_NOT_CONVERGED, "-gnn_ts_hybrid_solver %s: step failed (%s)", g->hybridSolver, TSConvergedReasons[g->solver->reason]);
  }
  g->nsolver++;
  PetscFunctionReturn(0);
}

static PetscErrorCode TSStep_GNN(TS ts)
{
  TS_GNN  *g = (TS_GNN *)ts->data;
  GNNGraph graph;
  DM       dm;

  PetscFunctionBegin;
  PetscCall(VecCopy(ts->vec_sol, g->prev));
  if (g->solver && (g->nsteps + 1) % g->hybridEvery == 0) PetscCall(SolverSteps(ts, g));
  else {
    PetscCall(TSGetDM(ts, &dm));
    PetscCall(GNNGetGraph(g->gnn, &graph));
    PetscCall(TSPreStage(ts, ts->ptime));
    PetscCall(GNNTSStateToNodes_Private(graph, dm, g->field, ts->ptime, ts->vec_sol, g->x));
    PetscCall(GNNApply(g->gnn, g->x, g->y));
    PetscCall(GNNTSNodesToState_Private(graph, dm, g->field, g->y, ts->vec_sol));
  }
  /* k solver steps in one: TSStep() adds the last to the counter */
  ts->ptime += g->every * ts->time_step;
  ts->steps += g->every - 1;
  g->nsteps++;
  PetscFunctionReturn(0);
}

/* Linear in time between the step's two states (-ts_exact_final_time interpolate) */
static PetscErrorCode TSInterpolate_GNN(TS ts, PetscReal t, Vec X)
{
  TS_GNN   *g  = (TS_GNN *)ts->data;
  PetscReal t0 = ts->ptime_prev, t1 = ts->ptime, a = t1 > t0 ? (t - t0) / (t1 - t0) : 1.0;

  PetscFunctionBegin;
  PetscCall(VecCopy(g->prev, X));
  PetscCall(VecAXPBY(X, a, 1.0 - a, ts->vec_sol));
  PetscFunctionReturn(0);
}

/* The hybrid mode's solver: an explicit TS type on the same DM, hence the program's RHS function
   (held by the DM). An implicit type would need the DM's SNES function, which belongs to the TS
   of type gnn, so it is refused. Options prefix gnn_hybrid_ (e.g. -gnn_hybrid_ts_rk_type 3). */
static PetscErrorCode SolverSetUp(TS ts, TS_GNN *g)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)ts);
  DM       dm;
  TSAdapt  adapt;

  PetscFunctionBegin;
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(TSCreate(comm, &g->solver));
  PetscCall(TSSetOptionsPrefix(g->solver, "gnn_hybrid_"));
  PetscCall(TSSetDM(g->solver, dm));
  PetscCall(TSSetProblemType(g->solver, ts->problem_type));
  PetscCall(TSSetType(g->solver, g->hybridSolver));
  PetscCall(TSGetAdapt(g->solver, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTNONE)); /* k steps of the TS's dt, as in training */
  PetscCall(TSSetExactFinalTime(g->solver, TS_EXACTFINALTIME_STEPOVER));
  PetscCall(TSSetMaxSteps(g->solver, PETSC_MAX_INT - 1));
  PetscCall(TSSetFromOptions(g->solver));
  PetscCheck(!g->solver->usessnes, comm, PETSC_ERR_SUP, "-gnn_ts_hybrid_solver %s: the hybrid mode needs an explicit TS type (rk, euler, ssp): an implicit one would need the DM's nonlinear function, which belongs to the TS of type gnn", g->hybridSolver);
  PetscCall(TSSetSolution(g->solver, ts->vec_sol));
  PetscCall(TSSetUp(g->solver));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSSetUp_GNN(TS ts)
{
  TS_GNN  *g    = (TS_GNN *)ts->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)ts);
  GNNGraph graph;
  PetscInt nin, nout;

  PetscFunctionBegin;
  if (!g->gnn) {
    char      file[PETSC_MAX_PATH_LEN] = "";
    PetscBool set;
    PetscCall(GNNTSCreateGNN_Private(ts, "-ts_type gnn", g->field, &g->gnn));
    PetscCall(PetscOptionsGetString(((PetscObject)g->gnn)->options, ((PetscObject)g->gnn)->prefix, "-gnn_load_weights", file, sizeof(file), &set));
    PetscCheck(set && file[0], comm, PETSC_ERR_USER_INPUT, "-ts_type gnn needs trained weights: -gnn_load_weights FILE, written by a run of the same program with -ts_save_trajectory -ts_trajectory_type gnn -gnn_save_weights FILE (give the same -gnn_ts_every and GNN options as there)");
    PetscCall(GNNSetUp(g->gnn)); /* loads the weights: another architecture or feature count fails here */
    PetscCall(GNNGetSizes(g->gnn, &nin, &nout));
    PetscCheck(nin == nout, comm, PETSC_ERR_ARG_WRONG, "-ts_type gnn needs a one-step model (as many outputs as inputs), got %" PetscInt_FMT " -> %" PetscInt_FMT, nin, nout);
    PetscCall(GNNGetGraph(g->gnn, &graph));
    PetscCall(GNNGraphCreateNodeVec(graph, nin, &g->x));
    PetscCall(GNNGraphCreateNodeVec(graph, nout, &g->y));
  }
  if (!g->prev) PetscCall(VecDuplicate(ts->vec_sol, &g->prev));
  if (g->hybridEvery > 0 && !g->solver) PetscCall(SolverSetUp(ts, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSReset_GNN(TS ts)
{
  TS_GNN *g = (TS_GNN *)ts->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&g->prev));
  PetscCall(TSDestroy(&g->solver));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSDestroy_GNN(TS ts)
{
  TS_GNN *g = (TS_GNN *)ts->data;

  PetscFunctionBegin;
  PetscCall(TSReset_GNN(ts));
  PetscCall(VecDestroy(&g->x));
  PetscCall(VecDestroy(&g->y));
  PetscCall(GNNDestroy(&g->gnn));
  PetscCall(PetscFree(ts->data));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSSetFromOptions_GNN(TS ts, PetscOptionItems *PetscOptionsObject)
{
  TS_GNN  *g    = (TS_GNN *)ts->data;
  MPI_Comm comm = PetscObjectComm((PetscObject)ts);

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "TS gnn: a trained GNN advances the solution (surrogate; -gnn_load_weights FILE)");
  PetscCall(GNNOptionsInt("-gnn_ts_every", "Solver steps of dt per GNN step (as in training)", "TSGNN", g->every, &g->every, NULL));
  PetscCall(GNNOptionsInt("-gnn_ts_field", "DMPlex: the section field the GNN advances (as in training; the other fields are kept)", "TSGNN", g->field, &g->field, NULL));
  PetscCall(GNNOptionsInt("-gnn_ts_hybrid_every", "Hybrid mode: every m-th step by the solver, the GNN in between (0: never)", "TSGNN", g->hybridEvery, &g->hybridEvery, NULL));
  PetscCall(PetscOptionsString("-gnn_ts_hybrid_solver", "Hybrid mode: the explicit TS type of the solver's steps", "TSSetType", g->hybridSolver, g->hybridSolver, sizeof(g->hybridSolver), NULL));
  PetscOptionsHeadEnd();
  GNNTSPluginRead = PETSC_TRUE;
  PetscCheck(g->every > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_ts_every must be positive, got %" PetscInt_FMT, g->every);
  PetscCheck(g->hybridEvery >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_ts_hybrid_every must be non-negative, got %" PetscInt_FMT, g->hybridEvery);
  PetscFunctionReturn(0);
}

static PetscErrorCode TSView_GNN(TS ts, PetscViewer viewer)
{
  TS_GNN   *g = (TS_GNN *)ts->data;
  PetscBool iascii;
  char      hybrid[160];

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  hybrid[0] = 0;
  if (g->hybridEvery > 0) PetscCall(PetscSNPrintf(hybrid, sizeof(hybrid), ", hybrid: every %" PetscInt_FMT "-th by the solver (%s), %" PetscInt_FMT " of them", g->hybridEvery, g->hybridSolver, g->nsolver));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  GNN surrogate: one GNN step per %" PetscInt_FMT " solver steps of dt; %" PetscInt_FMT " steps taken%s\n", g->every, g->nsteps, hybrid));
  if (g->gnn) {
    PetscCall(PetscViewerASCIIPushTab(viewer));
    PetscCall(GNNView(g->gnn, viewer));
    PetscCall(PetscViewerASCIIPopTab(viewer));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode TSCreate_GNN(TS ts)
{
  TS_GNN *g;

  PetscFunctionBegin;
  PetscCall(PetscNew(&g));
  g->every = 1; /* the default of -gnn_ts_every in training */
  PetscCall(PetscStrncpy(g->hybridSolver, TSRK, sizeof(g->hybridSolver)));
  ts->data                = g;
  ts->ops->setup          = TSSetUp_GNN;
  ts->ops->step           = TSStep_GNN;
  ts->ops->interpolate    = TSInterpolate_GNN;
  ts->ops->reset          = TSReset_GNN;
  ts->ops->destroy        = TSDestroy_GNN;
  ts->ops->setfromoptions = TSSetFromOptions_GNN;
  ts->ops->view           = TSView_GNN;
  ts->usessnes            = PETSC_FALSE;
  PetscFunctionReturn(0);
}
