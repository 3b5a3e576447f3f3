/* ------------------------------------------------------------------------------------------------
   TS type "gnn": a trained GNN advances the solution instead of the solver (the surrogate), selected
   by options alone in a TS program that was never written for this library (loaded with
   -dll_append <dir>/libpetscgnn.so):
     -ts_type gnn -gnn_load_weights FILE [-gnn_ts_hybrid_every m [-gnn_ts_hybrid_solver rk]]
     (-gnn_ts_every, -gnn_ts_field and the architecture come from the weights file).
   One step of this type is one GNN application, which stands for k solver steps of the TS's time
   step dt: the time advances by k dt and the step counter by k, so step numbers, -ts_max_steps and
   -ts_max_time mean what they mean for the solver, and the program's monitors see every GNN step.
   The GNN is built at TSSetUp() on the TS's own DM and partition, as -ts_trajectory_type gnn built
   it for training (tsdmgnn.cxx); the weights file carries the parameters, the normalisation and
   metadata (k, the field, dt, the architecture, -gnn_residual): options not given take the file's
   values, options that contradict them are errors (the model was trained for the file's).
   -ts_max_time between GNN steps: -ts_exact_final_time interpolate interpolates within the last
   step, matchstep ends with the hybrid solver (else an error: a GNN step cannot shrink).
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

/* The solver's steps (hybrid mode) from the state and time of ts to time tend: steps of the TS's
   dt, the last one shortened to end at tend (-ts_exact_final_time matchstep); their number in *n */
static PetscErrorCode SolverSteps(TS ts, TS_GNN *g, PetscReal tend, PetscInt *n)
{
  const PetscReal dt = ts->time_step;

  PetscFunctionBegin;
  PetscCall(TSSetSolution(g->solver, ts->vec_sol)); /* in place; TSSolve() may have replaced it since set-up */
  PetscCall(TSSetTime(g->solver, ts->ptime));
  PetscCall(TSRestartStep(g->solver)); /* a multistep history would span GNN steps */
  for (*n = 0; g->solver->ptime < tend - 1e-10 * dt; (*n)++) {
    PetscCall(TSSetTimeStep(g->solver, PetscMin(dt, tend - g->solver->ptime)));
    PetscCall(TSStep(g->solver));
    PetscCheck(g->solver->reason >= 0, PetscObjectComm((PetscObject)ts), PETSC_ERR_NOT_CONVERGED, "-gnn_ts_hybrid_solver %s: step failed (%s)", g->hybridSolver, TSConvergedReasons[g->solver->reason]);
  }
  g->nsolver++;
  PetscFunctionReturn(0);
}

/* -ts_exact_final_time matchstep: a GNN step stands for k dt and cannot shrink, so the run must
   either land on -ts_max_time after whole GNN steps or end with the hybrid mode's solver; else an
   error before the first step (interpolate and stepover need nothing) */
static PetscErrorCode CheckMatchStep(TS ts, TS_GNN *g)
{
  const PetscReal h = g->every * ts->time_step, left = ts->max_time - ts->ptime;
  const PetscReal r = left - h * PetscFloorReal(left / h + 0.5);

  PetscFunctionBegin;
  if (ts->exact_final_time != TS_EXACTFINALTIME_MATCHSTEP || ts->max_time >= PETSC_MAX_REAL || g->solver) PetscFunctionReturn(0);
  PetscCheck(PetscAbsReal(r) <= 1e-10 * h, PetscObjectComm((PetscObject)ts), PETSC_ERR_SUP, "-ts_type gnn with -ts_exact_final_time matchstep: one GNN step is k dt = %g and cannot shrink, and -ts_max_time %g is not reached from time %g in whole GNN steps; use -ts_exact_final_time interpolate (linear within the last GNN step) or stepover, a -ts_max_time that is, or the hybrid mode (-gnn_ts_hybrid_every m) whose solver then takes the last part", (double)h, (double)ts->max_time, (double)ts->ptime);
  PetscFunctionReturn(0);
}

static PetscErrorCode TSStep_GNN(TS ts)
{
  TS_GNN         *g = (TS_GNN *)ts->data;
  GNNGraph        graph;
  DM              dm;
  const PetscReal tend = ts->ptime + g->every * ts->time_step;
  PetscInt        n    = g->every;

  PetscFunctionBegin;
  if (!g->nsteps) PetscCall(CheckMatchStep(ts, g));
  PetscCall(VecCopy(ts->vec_sol, g->prev));
  if (g->solver && ts->exact_final_time == TS_EXACTFINALTIME_MATCHSTEP && tend > ts->max_time + 1e-10 * ts->time_step) {
    PetscCall(SolverSteps(ts, g, ts->max_time, &n)); /* the last, partial step: the solver's */
    ts->ptime = ts->max_time;
  } else {
    if (g->solver && (g->nsteps + 1) % g->hybridEvery == 0) PetscCall(SolverSteps(ts, g, tend, &n));
    else {
      PetscCall(TSGetDM(ts, &dm));
      PetscCall(GNNGetGraph(g->gnn, &graph));
      PetscCall(TSPreStage(ts, ts->ptime));
      PetscCall(GNNTSStateToNodes_Private(graph, dm, g->field, ts->ptime, ts->vec_sol, g->x));
      PetscCall(GNNApply(g->gnn, g->x, g->y));
      PetscCall(GNNTSNodesToState_Private(graph, dm, g->field, g->y, ts->vec_sol));
    }
    /* a GNN step that lands on -ts_max_time up to rounding lands on it (else a spurious extra step) */
    ts->ptime = PetscAbsReal(tend - ts->max_time) <= 1e-10 * ts->time_step ? ts->max_time : tend;
  }
  /* n solver steps in one: TSStep() adds the last to the counter */
  ts->steps += n - 1;
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

/* Option `name` (prefix `prefix` in database `opts`) against the weights file's metadata `meta`:
   not in the file, nothing; not given, *value becomes the file's and *fromFile is set; given and
   equal (to 1e-12 relative), nothing; given and different, an error naming both (the model was
   trained for the file's value) */
static PetscErrorCode FromMetadata(MPI_Comm comm, const char file[], PetscOptions meta, PetscOptions opts, const char prefix[], const char name[], PetscBool isBool, PetscReal *value, PetscBool *fromFile)
{
  PetscReal m, v = 0;
  PetscBool inFile, given, b = PETSC_FALSE;

  PetscFunctionBegin;
  if (fromFile) *fromFile = PETSC_FALSE;
  PetscCall(PetscOptionsGetReal(meta, NULL, name, &m, &inFile));
  if (!inFile) PetscFunctionReturn(0);
  if (isBool) {
    PetscCall(PetscOptionsGetBool(opts, prefix, name, &b, &given));
    v = b ? 1 : 0;
  } else PetscCall(PetscOptionsGetReal(opts, prefix, name, &v, &given));
  if (!given) {
    *value = m;
    if (fromFile) *fromFile = PETSC_TRUE;
  } else PetscCheck(PetscAbsReal(v - m) <= 1e-12 * PetscMax(PetscAbsReal(m), PetscAbsReal(v)), comm, PETSC_ERR_ARG_INCOMP, "-ts_type gnn: %s %g contradicts the weights file %s, whose model was trained with %s %g (drop the option to use the file's value)", name, (double)v, file, name, (double)m);
  PetscFunctionReturn(0);
}

/* The weights file's metadata (written by -ts_trajectory_type gnn) for what the options do not
   say: k, the field, the time step and, once the GNN exists, its architecture and -gnn_residual */
static PetscErrorCode ApplyMetadataTS(TS ts, TS_GNN *g, const char file[], PetscOptions meta)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)ts);
  PetscOptions opts = ((PetscObject)ts)->options;
  PetscReal    v;
  PetscBool    from;

  PetscFunctionBegin;
  v = g->every;
  PetscCall(FromMetadata(comm, file, meta, opts, NULL, "-gnn_ts_every", PETSC_FALSE, &v, &from));
  if (from) g->every = (PetscInt)v;
  v = g->field;
  PetscCall(FromMetadata(comm, file, meta, opts, NULL, "-gnn_ts_field", PETSC_FALSE, &v, &from));
  if (from) g->field = (PetscInt)v;
  v = ts->time_step;
  PetscCall(FromMetadata(comm, file, meta, opts, ((PetscObject)ts)->prefix, "-ts_dt", PETSC_FALSE, &v, &from));
  if (from && v != ts->time_step) {
    PetscCall(PetscInfo(ts, "Time step %g from the weights file %s (the program's was %g)\n", (double)v, file, (double)ts->time_step));
    ts->time_step = v;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ApplyMetadataGNN(GNN gnn, const char file[], PetscOptions meta)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)gnn);
  PetscOptions opts = ((PetscObject)gnn)->options;
  const char  *prefix = ((PetscObject)gnn)->prefix;
  PetscInt     hidden, mlp, layers;
  PetscBool    ln, any = PETSC_FALSE, from;
  PetscReal    v;

  PetscFunctionBegin;
  PetscCall(GNNGetArchitecture(gnn, &hidden, &mlp, &layers, &ln));
  v = hidden;
  PetscCall(FromMetadata(comm, file, meta, opts, prefix, "-gnn_hidden", PETSC_FALSE, &v, &from));
  if (from) hidden = (PetscInt)v, any = PETSC_TRUE;
  v = mlp;
  PetscCall(FromMetadata(comm, file, meta, opts, prefix, "-gnn_mlp_hidden_layers", PETSC_FALSE, &v, &from));
  if (from) mlp = (PetscInt)v, any = PETSC_TRUE;
  v = layers;
  PetscCall(FromMetadata(comm, file, meta, opts, prefix, "-gnn_layers", PETSC_FALSE, &v, &from));
  if (from) layers = (PetscInt)v, any = PETSC_TRUE;
  v = ln;
  PetscCall(FromMetadata(comm, file, meta, opts, prefix, "-gnn_layer_norm", PETSC_TRUE, &v, &from));
  if (from) ln = v != 0 ? PETSC_TRUE : PETSC_FALSE, any = PETSC_TRUE;
  if (any) PetscCall(GNNSetArchitecture(gnn, hidden, mlp, layers, ln));
  v = 0;
  PetscCall(FromMetadata(comm, file, meta, opts, prefix, "-gnn_residual", PETSC_TRUE, &v, &from));
  if (from) PetscCall(GNNSetResidual(gnn, v != 0 ? PETSC_TRUE : PETSC_FALSE));
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
    char         file[PETSC_MAX_PATH_LEN] = "";
    PetscBool    set;
    PetscOptions meta;
    /* the GNN's options have no prefix (GNNCreateFromDM()) */
    PetscCall(PetscOptionsGetString(((PetscObject)ts)->options, NULL, "-gnn_load_weights", file, sizeof(file), &set));
    PetscCheck(set && file[0], comm, PETSC_ERR_USER_INPUT, "-ts_type gnn needs trained weights: -gnn_load_weights FILE, written by a run of the same program with -ts_save_trajectory -ts_trajectory_type gnn -gnn_save_weights FILE");
    PetscCall(GNNReadWeightsMetadata(comm, file, &meta));
    PetscCall(ApplyMetadataTS(ts, g, file, meta));
    PetscCheck(g->every > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "Weights file %s: gnn_ts_every %" PetscInt_FMT " is not positive", file, g->every);
    PetscCall(GNNTSCreateGNN_Private(ts, "-ts_type gnn", g->field, &g->gnn));
    PetscCall(ApplyMetadataGNN(g->gnn, file, meta));
    PetscCall(PetscOptionsDestroy(&meta));
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
  PetscCall(GNNOptionsInt("-gnn_ts_every", "Solver steps of dt per GNN step (default: the weights file's, else 1)", "TSGNN", g->every, &g->every, NULL));
  PetscCall(GNNOptionsInt("-gnn_ts_field", "DMPlex: the section field the GNN advances, the other fields are kept (default: the weights file's, else 0)", "TSGNN", g->field, &g->field, NULL));
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
