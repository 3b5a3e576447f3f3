static const char help[] = "Example 2: train a GNN surrogate on a mesh graph distributed over MPI ranks.\n\n"
"Mesh, graph and model options are those of example 1 (-dm_plex_*, -gnn_graph_type, -gnn_hidden, ...).\n"
"Data: by default the built-in task, the 2-D/3-D Taylor-Green vortex velocity at t -> at t + dt:\n"
"  -gnn_task_samples <8>    snapshot pairs (u(t_k), u(t_k + dt)), t_k = k dt\n"
"  -gnn_task_dt <0.25>      time between input and target\n"
"  -gnn_task_nu <0.1>       viscosity (decay exp(-d nu t))\n"
"  -gnn_task_write <prefix> write the pairs as PETSc binary files in natural node order:\n"
"                           prefix_x_K.bin and prefix_y_K.bin (readable on any rank count)\n"
"or snapshot files: -gnn_train_inputs f0,f1,... -gnn_train_targets g0,g1,... (natural order, as\n"
"written by -gnn_task_write or GNNGraphSaveNaturalVec()).\n"
"Training options: -gnn_train_* (see below), checkpoints -gnn_checkpoint FILE -gnn_checkpoint_every k,\n"
"-gnn_resume FILE; -gnn_save_weights FILE writes the trained weights (PyTorch state_dict).\n"
"Rollout: -gnn_rollout_steps n applies the model n times from u(0) and prints the relative error\n"
"against the exact Taylor-Green state; -gnn_rollout_output vtk:prefix (or hdf5:prefix, both gathered on rank 0; xdmf:prefix, written by every rank) writes each step.\n\n";

#include <petscgnntrain.h>
#include <petscgnndata.h>
#include <petscdmplex.h>
#include "exsetup.h"
#include <vector>
#include "exoptions.h"

typedef struct {
  GNNGraph  graph;
  PetscReal dt, nu;
  char      output[PETSC_MAX_PATH_LEN];
  Vec       exact;
} RolloutCtx;

/* Error of the rollout against the exact Taylor-Green state, and the fields to files */
static PetscErrorCode RolloutMonitor(GNN gnn, PetscInt k, Vec u, void *ctx)
{
  RolloutCtx *rc = (RolloutCtx *)ctx;
  PetscReal   err, nrm;

  PetscFunctionBeginUser;
  PetscCall(GNNDataTaylorGreen(rc->graph, k * rc->dt, rc->nu, rc->exact));
  PetscCall(VecNorm(rc->exact, NORM_2, &nrm));
  PetscCall(VecAXPY(rc->exact, -1.0, u));
  PetscCall(VecNorm(rc->exact, NORM_2, &err));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "rollout step %3" PetscInt_FMT " t = %.4f relative L2 error %.6e\n", k, (double)(k * rc->dt), (double)(err / nrm)));
  if (rc->output[0]) {
    char              spec[PETSC_MAX_PATH_LEN + 32];
    const char       *dot  = strchr(rc->output, ':');
    const char       *ext  = (dot && !strncmp(rc->output, "hdf5", 4)) ? "h5" : (dot && !strncmp(rc->output, "xdmf", 4)) ? "xmf" : "vtu";
    Vec               f[]  = {u};
    const char *const nm[] = {"u"};
    PetscCall(PetscSNPrintf(spec, sizeof(spec), "%s_%03" PetscInt_FMT ".%s", rc->output, k, ext));
    PetscCall(GNNGraphWriteNodeFields(rc->graph, spec, 1, f, nm));
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  DM         dm;
  GNNGraph   graph;
  GNN        gnn;
  GNNTrainer tr;
  PetscInt   dim, nsamples = 8, nin = 64, ntg = 64, rollout = 0;
  PetscReal  dt = 0.25, nu = 0.1;
  char       write[PETSC_MAX_PATH_LEN] = "", *inputs[64], *targets[64];
  RolloutCtx rc;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(ExampleWarnUnusedOptions());
  rc.output[0] = 0;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Example 2 options", "GNN");
  PetscCall(GNNOptionsInt("-gnn_task_samples", "Built-in task: snapshot pairs", NULL, nsamples, &nsamples, NULL));
  PetscCall(PetscOptionsReal("-gnn_task_dt", "Built-in task: time between input and target", NULL, dt, &dt, NULL));
  PetscCall(PetscOptionsReal("-gnn_task_nu", "Built-in task: viscosity", NULL, nu, &nu, NULL));
  PetscCall(PetscOptionsString("-gnn_task_write", "Write the built-in pairs to prefix_x_K.bin, prefix_y_K.bin", NULL, write, write, sizeof(write), NULL));
  PetscCall(PetscOptionsStringArray("-gnn_train_inputs", "Input snapshot files (natural order)", NULL, inputs, &nin, NULL));
  PetscCall(PetscOptionsStringArray("-gnn_train_targets", "Target snapshot files (natural order)", NULL, targets, &ntg, NULL));
  PetscCall(GNNOptionsInt("-gnn_rollout_steps", "Rollout steps after training", NULL, rollout, &rollout, NULL));
  PetscCall(PetscOptionsString("-gnn_rollout_output", "Write each rollout step: vtk:prefix, hdf5:prefix or xdmf:prefix", NULL, rc.output, rc.output, sizeof(rc.output), NULL));
  PetscOptionsEnd();
  PetscCheck(nsamples > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_task_samples must be positive");
  PetscCheck(!PetscIsInfOrNanReal(dt), PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_task_dt must be finite, got %g", (double)dt);
  PetscCheck(!PetscIsInfOrNanReal(nu) && nu >= 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_task_nu must be finite and non-negative, got %g", (double)nu);
  PetscCheck(nin == ntg, PETSC_COMM_WORLD, PETSC_ERR_ARG_SIZ, "-gnn_train_inputs and -gnn_train_targets must list as many files (%" PetscInt_FMT " vs %" PetscInt_FMT ")", nin, ntg);
  PetscCheck(rollout >= 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_rollout_steps must be non-negative");

  /* The solver's mesh and its partition, the graph and the model */
  PetscCall(ExampleCreateModel(PETSC_COMM_WORLD, &dm, &graph, &gnn, &dim));

  PetscCall(GNNTrainerCreate(PETSC_COMM_WORLD, &tr));
  PetscCall(GNNTrainerSetGNN(tr, gnn));
  PetscCall(GNNTrainerSetFromOptions(tr));

  /* the training pairs */
  {
    Vec x, y;
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &x));
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &y));
    if (nin > 0) {
      for (PetscInt k = 0; k < nin; k++) {
        PetscCall(GNNGraphLoadNaturalVec(graph, inputs[k], x));
        PetscCall(GNNGraphLoadNaturalVec(graph, targets[k], y));
        PetscCall(GNNTrainerAddSample(tr, x, y));
        PetscCall(PetscFree(inputs[k]));
        PetscCall(PetscFree(targets[k]));
      }
    } else {
      for (PetscInt k = 0; k < nsamples; k++) {
        PetscCall(GNNDataTaylorGreen(graph, k * dt, nu, x));
        PetscCall(GNNDataTaylorGreen(graph, (k + 1) * dt, nu, y));
        PetscCall(GNNTrainerAddSample(tr, x, y));
        if (write[0]) {
          char f[PETSC_MAX_PATH_LEN + 32];
          PetscCall(PetscSNPrintf(f, sizeof(f), "%s_x_%" PetscInt_FMT ".bin", write, k));
          PetscCall(GNNGraphSaveNaturalVec(graph, x, f));
          PetscCall(PetscSNPrintf(f, sizeof(f), "%s_y_%" PetscInt_FMT ".bin", write, k));
          PetscCall(GNNGraphSaveNaturalVec(graph, y, f));
        }
      }
    }
    PetscCall(VecDestroy(&x));
    PetscCall(VecDestroy(&y));
  }

  PetscCall(GNNTrainerSetUp(tr));
  PetscCall(GNNTrainerTrain(tr));
  {
    PetscInt         first, n;
    const PetscReal *h;
    PetscCall(GNNTrainerGetHistory(tr, &first, &n, &h));
    if (n > 0) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Trained steps %" PetscInt_FMT " to %" PetscInt_FMT ": loss %.6e -> %.6e\n", first, first + n - 1, (double)h[0], (double)h[n - 1]));
  }

  if (rollout > 0) {
    Vec u;
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &u));
    PetscCall(VecDuplicate(u, &rc.exact));
    PetscCall(GNNDataTaylorGreen(graph, 0.0, nu, u));
    rc.graph = graph;
    rc.dt    = dt;
    rc.nu    = nu;
    PetscCall(GNNRollout(gnn, u, rollout, RolloutMonitor, &rc));
    PetscCall(VecDestroy(&u));
    PetscCall(VecDestroy(&rc.exact));
  }

  PetscCall(GNNTrainerDestroy(&tr));
  PetscCall(GNNDestroy(&gnn));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(DMDestroy(&dm));
  PetscCall(PetscFinalize());
  return 0;
}
