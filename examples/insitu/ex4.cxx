static const char help[] = "Example 4 (the main job): a PETSc flow solver and a GNN on one mesh partition.\n\n"
"The incompressible Navier-Stokes solver of examples/flow (TS on a DMPlex, Taylor-Hood Q2-Q1, the 2-D\n"
"Taylor-Green vortex by default; options -flow_*, -ts_*, -dm_plex_*) runs on N ranks. The GNN's graph is\n"
"built from the solver's own DM and partition: by default the GLL graph of degree 2, whose nodes are\n"
"the Q2 velocity DOFs. Three phases:\n"
"  1. in-situ training: every -insitu_every k solver steps the pair (velocity k steps ago, velocity\n"
"     now) goes to the trainer in memory and -insitu_train_per_sample m optimiser steps follow;\n"
"  2. the solver continues -insitu_rollout_samples n samples as the reference;\n"
"  3. the GNN rolls out the same n samples from the state where training stopped: error vs time.\n"
"Options:\n"
"  -insitu_every <2>                solver steps per sample (the GNN's time step is k solver steps)\n"
"  -insitu_train_per_sample <25>    optimiser steps after each new sample\n"
"  -insitu_train_samples <20>       samples in phase 1 (solver steps: k x this)\n"
"  -insitu_rollout_samples <10>     surrogate steps in phase 3\n"
"  -insitu_solver_warmup <0>        solver steps before the first sample (e.g. to let the cylinder's\n"
"                                   wake develop: samples of the start-up transient skew the normalisation)\n"
"  -insitu_output <output>          folder for the results (created): train_history.csv,\n"
"                                   rollout_error.csv, fields_final.csv/.vtu (solver vs GNN), summary.txt\n"
"GNN and training options as in examples 1 and 2 (-gnn_*, -gnn_train_*); defaults here: residual\n"
"model, normalisation, lr 1e-3, AdamW, warm-up 20 steps.\n\n";

#include <petscgnnts.h>
#include <petscgnndata.h>
#include <petscgnnfile.h>
#include <sys/stat.h>
#include <cstring>
#include <string>
#include <vector>
#include "flow.h"
#include "../exoptions.h"

/* Reference states of the solver, recorded every k steps after training stopped */
typedef struct {
  GNNGraph               graph;
  Flow                   flow;
  PetscBool              signal; /* record the wake signal too (cylinder) */
  PetscInt               every, start;
  std::vector<Vec>       states;
  std::vector<PetscReal> times, S;
} Recorder;

static PetscErrorCode RecordStates(TS ts, PetscInt step, PetscReal t, Vec u, void *ctx)
{
  Recorder *r = (Recorder *)ctx;
  DM        dm;
  Vec       v;

  PetscFunctionBeginUser;
  if (step <= r->start || (step - r->start) % r->every) PetscFunctionReturn(0);
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(GNNGraphCreateNodeVec(r->graph, 2, &v));
  PetscCall(GNNGraphPlexFieldToNodes(r->graph, dm, 0, t, u, v));
  r->states.push_back(v);
  r->times.push_back(t);
  if (r->signal) {
    PetscReal S;
    PetscCall(FlowComputeSignal(r->flow, t, u, &S));
    r->S.push_back(S);
  }
  PetscFunctionReturn(0);
}

/* Sets an option's default without overriding the user's value */
static PetscErrorCode DefaultOption(const char name[], const char value[])
{
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, name, value));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Flow           flow;
  DM             dm;
  TS             ts;
  Vec            u, diff, u0;
  GNNGraph       graph;
  GNN            gnn;
  GNNTrainer     tr;
  PetscInt       every = 2, perSample = 25, nTrain = 20, nRoll = 10, warmup = 0, step0, nsteps;
  PetscBool      mask = PETSC_TRUE, cylinder;
  char           out[PETSC_MAX_PATH_LEN] = "output";
  PetscMPIInt    rank;
  PetscLogDouble tstart, tsolve, ttrain0;
  Recorder       rec;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(ExampleWarnUnusedOptions());
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Example 4 options", "GNN");
  PetscCall(GNNOptionsInt("-insitu_every", "Solver steps per sample", NULL, every, &every, NULL));
  PetscCall(GNNOptionsInt("-insitu_train_per_sample", "Optimiser steps after each new sample", NULL, perSample, &perSample, NULL));
  PetscCall(GNNOptionsInt("-insitu_train_samples", "Samples taken while training", NULL, nTrain, &nTrain, NULL));
  PetscCall(GNNOptionsInt("-insitu_rollout_samples", "Surrogate steps after training", NULL, nRoll, &nRoll, NULL));
  PetscCall(GNNOptionsInt("-insitu_solver_warmup", "Solver steps before the first sample", NULL, warmup, &warmup, NULL));
  PetscCall(PetscOptionsBool("-insitu_mask_constrained", "Leave the Dirichlet nodes out of the loss", NULL, mask, &mask, NULL));
  PetscCall(PetscOptionsString("-insitu_output", "Output folder", NULL, out, out, sizeof(out), NULL));
  PetscOptionsEnd();
  PetscCheck(every > 0 && perSample >= 0 && nTrain > 0 && nRoll >= 0 && warmup >= 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-insitu_every and -insitu_train_samples must be positive, the others non-negative");
  if (rank == 0) mkdir(out, 0755);

  /* defaults of this example (the user's options win) */
  PetscCall(DefaultOption("-gnn_graph_type", "gll"));
  PetscCall(DefaultOption("-gnn_graph_degree", "2"));
  PetscCall(DefaultOption("-gnn_residual", "true"));
  PetscCall(DefaultOption("-gnn_train_normalize", "true"));
  PetscCall(DefaultOption("-gnn_train_optimizer", "adamw"));
  PetscCall(DefaultOption("-gnn_train_lr", "1e-3"));
  PetscCall(DefaultOption("-gnn_train_lr_min", "1e-5"));
  PetscCall(DefaultOption("-gnn_train_warmup_steps", "20"));
  {
    char steps[32], hist[PETSC_MAX_PATH_LEN + 32];
    PetscCall(PetscSNPrintf(steps, sizeof(steps), "%" PetscInt_FMT, (nTrain - 1) * perSample));
    PetscCall(DefaultOption("-gnn_train_steps", steps));
    PetscCall(PetscSNPrintf(hist, sizeof(hist), "%s/train_history.csv", out));
    PetscCall(DefaultOption("-gnn_train_history", hist));
  }

  /* the solver */
  PetscCall(FlowCreate(PETSC_COMM_WORLD, &flow));
  PetscCall(FlowSetUp(flow));
  PetscCall(FlowGetDM(flow, &dm));
  PetscCall(FlowGetTS(flow, &ts));
  PetscCall(FlowGetSolution(flow, &u));
  {
    const char *flowCase;
    PetscCall(FlowGetCase(flow, &flowCase));
    cylinder = strcmp(flowCase, "cylinder") ? PETSC_FALSE : PETSC_TRUE;
  }
  if (cylinder) { /* MeshGraphNets' node types, from the mesh's boundary labels */
    PetscCall(DefaultOption("-gnn_node_types_label", "Face Sets"));
    PetscCall(DefaultOption("-gnn_node_types", "1,2,3,4"));
  }

  /* the GNN on the solver's own mesh and partition */
  PetscCall(GNNCreateFromDM(dm, 2, 2, &gnn));
  PetscCall(GNNGetGraph(gnn, &graph));
  PetscCall(PetscObjectReference((PetscObject)graph)); /* destroyed with the others at the end */
  PetscCall(GNNSetUp(gnn));
  PetscCall(GNNTrainerCreate(PETSC_COMM_WORLD, &tr));
  PetscCall(GNNTrainerSetGNN(tr, gnn));
  PetscCall(GNNTrainerSetFromOptions(tr));
  if (mask) { /* the Dirichlet nodes' next values are given: no loss there */
    Vec w;
    PetscCall(GNNGraphCreateNodeVec(graph, 1, &w));
    PetscCall(GNNGraphPlexConstrainedNodes(graph, dm, 0, w));
    PetscCall(VecShift(w, -1.0));
    PetscCall(VecScale(w, -1.0));
    PetscCall(GNNTrainerSetNodeWeights(tr, w));
    PetscCall(VecDestroy(&w));
  }

  PetscCall(TSSetMaxTime(ts, PETSC_MAX_REAL));
  if (warmup > 0) {
    PetscCall(TSGetStepNumber(ts, &step0));
    PetscCall(TSSetMaxSteps(ts, step0 + warmup));
    PetscCall(TSSolve(ts, u));
  }

  /* 1. the solver runs and the GNN learns from it, in memory, on the same ranks */
  PetscCall(GNNTSSetInSituTraining(ts, tr, 0, every, perSample));
  PetscCall(TSGetStepNumber(ts, &step0));
  PetscCall(TSSetMaxSteps(ts, step0 + every * (nTrain - 1)));
  PetscCall(PetscTime(&tstart));
  PetscCall(TSSolve(ts, u));
  PetscCall(PetscTime(&ttrain0));

  /* 2. the solver goes on as the reference; the GNN will start from this state */
  PetscCall(TSMonitorCancel(ts));
  PetscCall(FlowAddHistoryMonitor(flow)); /* the solver's energy record, removed with the rest */
  PetscCall(VecDuplicate(u, &u0));
  PetscCall(VecCopy(u, u0));
  PetscReal t0;
  PetscCall(TSGetTime(ts, &t0));
  PetscCall(TSGetStepNumber(ts, &nsteps));
  rec.graph  = graph;
  rec.flow   = flow;
  rec.signal = cylinder;
  rec.every  = every;
  rec.start = nsteps;
  PetscCall(TSMonitorSet(ts, RecordStates, &rec, NULL));
  PetscCall(TSSetMaxSteps(ts, nsteps + every * nRoll));
  PetscCall(TSSolve(ts, u));
  PetscCall(PetscTime(&tsolve));

  /* 3. the surrogate: n GNN steps from the same state, error against the solver; and one GNN step
     from each of the solver's reference states (held out: training never saw them), against
     persistence (u(t + k dt) = u(t)), the baseline a useful surrogate must beat */
  {
    Vec                 v, vs, prev, usolver;
    PetscReal           err, nrm, dt;
    FILE               *fp = NULL;
    char                f[PETSC_MAX_PATH_LEN + 64];
    PetscInt            first, nh;
    const PetscReal    *h;
    std::vector<double> errors, oneStep, persistence, Sgnn;

    PetscCall(TSGetTimeStep(ts, &dt));
    PetscCall(GNNGraphCreateNodeVec(graph, 2, &v));
    PetscCall(VecDuplicate(v, &vs));
    PetscCall(VecDuplicate(v, &prev));
    PetscCall(VecDuplicate(v, &diff));
    PetscCall(VecDuplicate(u0, &usolver));
    PetscCall(GNNGraphPlexFieldToNodes(graph, dm, 0, t0, u0, prev));
    for (PetscInt k = 0; k < (PetscInt)rec.states.size(); k++) {
      /* one step from the solver's state; the Dirichlet values of the result are the known data */
      PetscCall(VecCopy(u0, usolver));
      PetscCall(GNNApply(gnn, prev, vs));
      PetscCall(GNNGraphPlexNodesToField(graph, dm, 0, vs, usolver));
      PetscCall(GNNGraphPlexFieldToNodes(graph, dm, 0, rec.times[k], usolver, vs));
      PetscCall(VecNorm(rec.states[k], NORM_2, &nrm));
      PetscCall(VecWAXPY(diff, -1.0, rec.states[k], vs));
      PetscCall(VecNorm(diff, NORM_2, &err));
      oneStep.push_back(err / nrm);
      PetscCall(VecWAXPY(diff, -1.0, rec.states[k], prev));
      PetscCall(VecNorm(diff, NORM_2, &err));
      persistence.push_back(err / nrm);
      PetscCall(VecCopy(rec.states[k], prev));
    }
    PetscCall(VecDestroy(&usolver));
    PetscCall(GNNGraphPlexFieldToNodes(graph, dm, 0, t0, u0, v));
    /* written atomically (petscgnnfile.h): rank 0 writes rollout_error.csv.tmp, renamed when whole */
    PetscCall(PetscSNPrintf(f, sizeof(f), "%s/rollout_error.csv", out));
    PetscCall(GNNFileOpenAtomic(PETSC_COMM_WORLD, f, &fp));
    if (fp) fprintf(fp, "step,time,relative_l2_error,one_step_error,persistence_error\n");
    for (PetscInt k = 0; k < (PetscInt)rec.states.size(); k++) {
      /* one surrogate step; the boundary values of the next input are the known Dirichlet data */
      PetscCall(GNNApply(gnn, v, vs));
      PetscCall(GNNGraphPlexNodesToField(graph, dm, 0, vs, u0));
      PetscCall(GNNGraphPlexFieldToNodes(graph, dm, 0, rec.times[k], u0, v));
      if (cylinder) {
        PetscReal S;
        PetscCall(FlowComputeSignal(flow, rec.times[k], u0, &S));
        Sgnn.push_back(S);
      }
      PetscCall(VecWAXPY(diff, -1.0, rec.states[k], v));
      PetscCall(VecNorm(diff, NORM_2, &err));
      PetscCall(VecNorm(rec.states[k], NORM_2, &nrm));
      errors.push_back(err / nrm);
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "surrogate step %2" PetscInt_FMT " t = %.3f relative L2 error vs solver %.4e (one step from the solver's state %.3e, persistence %.3e)\n", k + 1, (double)rec.times[k], (double)(err / nrm), oneStep[k], persistence[k]));
      if (fp) fprintf(fp, "%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g\n", k + 1, (double)rec.times[k], err / nrm, oneStep[k], persistence[k]);
    }
    PetscCall(GNNFileCloseAtomic(PETSC_COMM_WORLD, f, &fp));
    if (cylinder) {
      PetscCall(PetscSNPrintf(f, sizeof(f), "%s/rollout_signal.csv", out));
      PetscCall(GNNFileOpenAtomic(PETSC_COMM_WORLD, f, &fp));
      if (fp) {
        fprintf(fp, "step,time,signal_solver,signal_gnn\n");
        for (size_t k = 0; k < Sgnn.size(); k++) fprintf(fp, "%d,%.17g,%.17g,%.17g\n", (int)k + 1, (double)rec.times[k], (double)rec.S[k], Sgnn[k]);
      }
      PetscCall(GNNFileCloseAtomic(PETSC_COMM_WORLD, f, &fp));
    }
    if (!rec.states.empty()) {
      Vec               fields[] = {rec.states.back(), v};
      const char *const names[]  = {"u_solver", "u_gnn"};
      PetscCall(PetscSNPrintf(f, sizeof(f), "csv:%s/fields_final.csv", out));
      PetscCall(GNNGraphWriteNodeFields(graph, f, 2, fields, names));
      PetscCall(PetscSNPrintf(f, sizeof(f), "vtk:%s/fields_final.vtu", out));
      PetscCall(GNNGraphWriteNodeFields(graph, f, 2, fields, names));
    }
    PetscCall(GNNTrainerGetHistory(tr, &first, &nh, &h));
    {
      PetscInt    N, solverSteps;
      PetscReal   rate, nu;
      std::string s;
      char        line[512];
      const char *flowCase;

      PetscCall(GNNGraphGetSizes(graph, NULL, NULL, NULL, &N));
      PetscCall(TSGetStepNumber(ts, &solverSteps));
      PetscCall(FlowGetCase(flow, &flowCase));
      if (!cylinder) {
        PetscCall(FlowGetEnergyDecayRate(flow, &rate));
        PetscCall(FlowGetViscosity(flow, &nu));
        PetscCall(PetscSNPrintf(line, sizeof(line), "solver: %s, %" PetscInt_FMT " steps of dt %.4g to t = %.4g (%" PetscInt_FMT " while training), energy decay rate %.5f vs exact %.5f (%.2f %%)\n", flowCase, solverSteps, (double)dt, (double)(t0 + nRoll * every * dt), nsteps, (double)rate, (double)(4 * nu), (double)(100 * PetscAbsReal(rate - 4 * nu) / (4 * nu))));
      } else {
        PetscReal Re;
        PetscCall(FlowGetReynolds(flow, &Re));
        PetscCall(PetscSNPrintf(line, sizeof(line), "solver: %s at Re %.0f, %" PetscInt_FMT " steps of dt %.4g to t = %.4g (%" PetscInt_FMT " while training)\n", flowCase, (double)Re, solverSteps, (double)dt, (double)(t0 + nRoll * every * dt), nsteps));
      }
      s += line;
      PetscCall(PetscSNPrintf(line, sizeof(line), "graph: %" PetscInt_FMT " nodes (the Q2 velocity DOFs), samples %" PetscInt_FMT ", every %" PetscInt_FMT " solver steps\n", N, nTrain, every));
      s += line;
      if (nh > 0) {
        PetscCall(PetscSNPrintf(line, sizeof(line), "training: %" PetscInt_FMT " optimiser steps in situ, loss %.4e -> %.4e\n", nh, (double)h[0], (double)h[nh - 1]));
        s += line;
      }
      if (!errors.empty()) {
        double mOne = 0, mPers = 0;
        for (size_t k = 0; k < oneStep.size(); k++) {
          mOne += oneStep[k] / oneStep.size();
          mPers += persistence[k] / persistence.size();
        }
        PetscCall(PetscSNPrintf(line, sizeof(line), "one step (held-out solver states, mean of %d): relative L2 error %.4e, persistence %.4e, ratio %.3f\n", (int)oneStep.size(), mOne, mPers, mOne / mPers));
        s += line;
        PetscCall(PetscSNPrintf(line, sizeof(line), "surrogate: %d GNN steps (each %" PetscInt_FMT " solver steps), relative L2 error vs solver %.4e after 1 step, %.4e after %d\n", (int)errors.size(), every, errors.front(), errors.back(), (int)errors.size()));
        s += line;
      }
      if (cylinder && !Sgnn.empty()) {
        PetscReal St, Sts, amp, amps;
        PetscInt  per, pers;
        PetscCall(FlowStrouhalFromSignal(flow, (PetscInt)rec.S.size(), rec.times.data(), rec.S.data(), 0.0, &St, &per, &amp));
        PetscCall(FlowStrouhalFromSignal(flow, (PetscInt)Sgnn.size(), rec.times.data(), Sgnn.data(), 0.0, &Sts, &pers, &amps));
        PetscCall(PetscSNPrintf(line, sizeof(line), "shedding over the rollout: Strouhal solver %.4f (%" PetscInt_FMT " periods, amplitude %.3e), GNN %.4f (%" PetscInt_FMT " periods, amplitude %.3e), St difference %.1f %%\n", (double)St, per, (double)amp, (double)Sts, pers, (double)amps, St > 0 ? (double)(100 * PetscAbsReal(Sts - St) / St) : -1.0));
        s += line;
      }
      PetscCall(PetscSNPrintf(line, sizeof(line), "wall time: %.1f s solving + training, %.1f s reference solve\n", ttrain0 - tstart, tsolve - ttrain0));
      s += line;
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nSummary\n%s", s.c_str()));
      {
        FILE *sf;
        PetscCall(PetscSNPrintf(f, sizeof(f), "%s/summary.txt", out));
        PetscCall(GNNFileOpenAtomic(PETSC_COMM_WORLD, f, &sf));
        if (sf) fputs(s.c_str(), sf);
        PetscCall(GNNFileCloseAtomic(PETSC_COMM_WORLD, f, &sf));
      }
    }
    PetscCall(VecDestroy(&v));
    PetscCall(VecDestroy(&vs));
    PetscCall(VecDestroy(&prev));
    PetscCall(VecDestroy(&diff));
  }
  for (Vec &v : rec.states) PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&u0));
  PetscCall(GNNTrainerDestroy(&tr));
  PetscCall(GNNDestroy(&gnn));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(FlowDestroy(&flow));
  PetscCall(PetscFinalize());
  return 0;
}
