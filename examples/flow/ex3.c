static const char help[] = "Example 3: the unsteady incompressible Navier-Stokes solver (examples/flow) alone.\n\n"
"The 2-D Taylor-Green vortex on [0, 2 pi]^2 with the exact velocity on the boundary (or periodic:\n"
"-dm_plex_box_bd periodic,periodic),\n"
"Taylor-Hood Q2-Q1 elements on a DMPlex, an implicit PETSc TS (default Crank-Nicolson), Newton\n"
"and a direct solver (MUMPS). Options:\n"
"  -flow_nu 0.05 -flow_dt 0.05 -flow_steps 40 -flow_vel_degree 2 -flow_monitor -flow_view\n"
"  -ex3_chunks k: advance in k TSSolve calls (as a coupled code would), same result\n"
"Case 2, -flow_case cylinder: flow past a cylinder at Re = 100 (share/meshes/cylinder.msh);\n"
"  prints the Strouhal number from the wake signal for t >= -ex3_st_tstart (default T/2);\n"
"  -ex3_signal_csv FILE writes t, kinetic energy, wake signal\n"
"  the mesh: -dm_plex_box_faces 16,16 (default) or any -dm_plex_* option\n"
"  and the TS/SNES/KSP options (-ts_type, -ts_monitor, -snes_monitor, -ts_view, ...).\n"
"Prints the measured kinetic energy decay rate against the exact 4 nu and the L2 error against\n"
"the exact solution at the final time.\n\n";

#include "flow.h"
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "../exoptions.h"

static PetscErrorCode coord_u(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  for (PetscInt c = 0; c < Nc; ++c) u[c] = x[c];
  return 0;
}

static PetscErrorCode zero_p(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  for (PetscInt c = 0; c < Nc; ++c) u[c] = 0.0;
  return 0;
}

/* The layout a GLL graph relies on: the velocity (field 0) has the same number of DOFs on every
   mesh point of a depth (dofmin[d] == dofmax[d]), and for one node (dim DOFs) per point, the node
   is the point's centroid (the interpolant of u = x read at the point's DOFs; modulo the period
   on a periodic mesh) */
static PetscErrorCode CheckVelocityNodes(DM dm, PetscInt dofmin[], PetscInt dofmax[], PetscReal *maxdev)
{
  PetscErrorCode (*funcs[2])(PetscInt, PetscReal, const PetscReal[], PetscInt, PetscScalar *, void *) = {coord_u, zero_p};
  Vec                l, cl;
  DM                 cdm;
  PetscSection       s;
  PetscInt           dim, pStart, pEnd;
  const PetscScalar *a;
  PetscReal          dev = 0.0;
  const PetscReal   *maxCell, *Lstart, *L;

  PetscFunctionBeginUser;
  PetscCall(DMGetDimension(dm, &dim));
  PetscCall(DMGetPeriodicity(dm, &maxCell, &Lstart, &L));
  PetscCall(DMGetLocalVector(dm, &l));
  PetscCall(DMProjectFunctionLocal(dm, 0.0, funcs, NULL, INSERT_ALL_VALUES, l));
  PetscCall(DMGetCoordinatesLocal(dm, &cl));
  PetscCall(DMGetCoordinateDM(dm, &cdm));
  PetscCall(DMGetLocalSection(dm, &s));
  PetscCall(DMPlexGetChart(dm, &pStart, &pEnd));
  for (PetscInt d = 0; d <= dim; ++d) {
    dofmin[d] = PETSC_MAX_INT;
    dofmax[d] = -1;
  }
  PetscCall(VecGetArrayRead(l, &a));
  for (PetscInt p = pStart; p < pEnd; ++p) {
    PetscInt depth, nd, off, n;
    PetscScalar *xc = NULL;

    PetscCall(DMPlexGetPointDepth(dm, p, &depth));
    PetscCall(PetscSectionGetFieldDof(s, p, 0, &nd));
    dofmin[depth] = PetscMin(dofmin[depth], nd);
    dofmax[depth] = PetscMax(dofmax[depth], nd);
    if (nd != dim) continue;
    PetscCall(PetscSectionGetFieldOffset(s, p, 0, &off));
    PetscCall(DMPlexVecGetClosure(cdm, NULL, cl, p, &n, &xc));
    for (PetscInt c = 0; c < dim; ++c) {
      const PetscReal per = (L && L[c] > 0.0) ? L[c] : 0.0, x0 = PetscRealPart(xc[c]);
      PetscReal       centroid = 0.0, diff;

      for (PetscInt v = 0; v < n / dim; ++v) {
        PetscReal x = PetscRealPart(xc[v * dim + c]);

        if (per > 0.0) x -= per * round((x - x0) / per); /* unwrap across the period */
        centroid += x;
      }
      centroid /= n / dim;
      diff = PetscRealPart(a[off + c]) - centroid;
      if (per > 0.0) diff -= per * round(diff / per);
      dev = PetscMax(dev, PetscAbsReal(diff));
    }
    PetscCall(DMPlexVecRestoreClosure(cdm, NULL, cl, p, &n, &xc));
  }
  PetscCall(VecRestoreArrayRead(l, &a));
  PetscCall(DMRestoreLocalVector(dm, &l));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, dofmin, (int)(dim + 1), MPIU_INT, MPI_MIN, PetscObjectComm((PetscObject)dm)));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, dofmax, (int)(dim + 1), MPIU_INT, MPI_MAX, PetscObjectComm((PetscObject)dm)));
  PetscCallMPI(MPI_Allreduce(&dev, maxdev, 1, MPIU_REAL, MPI_MAX, PetscObjectComm((PetscObject)dm)));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Flow           flow;
  DM             dm;
  TS             ts;
  Vec            u;
  PetscMPIInt    size;
  PetscLogDouble t0, t1, t2;
  PetscReal      nu, rate, tfinal, E0, ET, errU, errP, normU, normP, Eexact, Eint;
  PetscInt       chunks = 1;
  const char    *fcase;
  char           signal[PETSC_MAX_PATH_LEN] = "";
  Vec            uex;
  PetscInt       steps, nh, N, cStart, cEnd, ncells, vdeg;
  const PetscReal *th, *Eh;
  PetscFE        fe;
  PetscInt       dofmin[4], dofmax[4];
  PetscReal      nodedev;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(ExampleWarnUnusedOptions());
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscTime(&t0));
  PetscCall(FlowCreate(PETSC_COMM_WORLD, &flow));
  PetscCall(FlowSetUp(flow));
  PetscCall(PetscTime(&t1));
  PetscCall(GNNOptionsGetInt(NULL, NULL, "-ex3_chunks", &chunks, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-ex3_signal_csv", signal, sizeof(signal), NULL));
  if (chunks <= 1) PetscCall(FlowSolve(flow));
  else {
    /* the way a coupled code advances the solver: several TSSolve calls, each some steps further */
    PetscInt maxSteps;

    PetscCall(FlowGetTS(flow, &ts));
    PetscCall(TSGetMaxSteps(ts, &maxSteps));
    for (PetscInt k = 1; k <= chunks; ++k) {
      PetscCall(TSSetMaxSteps(ts, (maxSteps * k) / chunks));
      PetscCall(FlowSolve(flow));
    }
  }
  PetscCall(PetscTime(&t2));

  PetscCall(FlowGetDM(flow, &dm));
  PetscCall(FlowGetTS(flow, &ts));
  PetscCall(FlowGetSolution(flow, &u));
  PetscCall(FlowGetViscosity(flow, &nu));
  PetscCall(TSGetStepNumber(ts, &steps));
  PetscCall(TSGetTime(ts, &tfinal));
  PetscCall(VecGetSize(u, &N));
  PetscCall(DMPlexGetHeightStratum(dm, 0, &cStart, &cEnd));
  ncells = cEnd - cStart;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ncells, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(DMGetField(dm, 0, NULL, (PetscObject *)&fe));
  {
    PetscSpace sp;
    PetscCall(PetscFEGetBasisSpace(fe, &sp));
    PetscCall(PetscSpaceGetDegree(sp, &vdeg, NULL));
  }

  PetscCall(CheckVelocityNodes(dm, dofmin, dofmax, &nodedev));
  PetscCall(FlowGetEnergyHistory(flow, &nh, &th, &Eh));
  PetscCheck(nh >= 2, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONGSTATE, "Run at least one time step (-flow_steps)");
  PetscCall(FlowGetCase(flow, &fcase));
  if (!strcmp(fcase, "cylinder")) {
    PetscReal Re, St, amp, tstart = 0.5 * tfinal, Stref = 0.30;
    PetscInt  periods;

    /* Strouhal number from the second half of the run (-ex3_st_tstart) */
    PetscCall(PetscOptionsGetReal(NULL, NULL, "-ex3_st_tstart", &tstart, NULL));
    PetscCall(FlowGetReynolds(flow, &Re));
    PetscCall(FlowGetStrouhal(flow, tstart, &St, &periods, &amp));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Cylinder in a channel (Schaefer-Turek 2D-2), Re = %g: Q%" PetscInt_FMT "-Q%" PetscInt_FMT " Taylor-Hood, %" PetscInt_FMT " cells, %" PetscInt_FMT " unknowns, %d rank(s)\n", (double)Re, vdeg, vdeg - 1, ncells, N, size));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "steps %" PetscInt_FMT ", final time %.6g, kinetic energy at T %.8f\n", steps, (double)tfinal, (double)Eh[nh - 1]));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "wake signal int u_y for t >= %g: %" PetscInt_FMT " periods, amplitude %.3e\n", (double)tstart, periods, (double)amp));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Strouhal number %.4f (reference 0.295-0.305, Schaefer & Turek 1996; relative difference to %.2f: %.2e)\n", (double)St, (double)Stref, (double)(PetscAbsReal(St - Stref) / Stref)));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "wall time: set-up %.3f s, solve %.3f s, total %.3f s\n", t1 - t0, t2 - t1, t2 - t0));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "FLOW_RESULT steps=%" PetscInt_FMT " time=%.17g Re=%.17g St=%.17g St_rel=%.6e periods=%" PetscInt_FMT " amplitude=%.17g ET=%.17g wall=%.3f\n", steps, (double)tfinal, (double)Re, (double)St, (double)(PetscAbsReal(St - Stref) / Stref), periods, (double)amp, (double)Eh[nh - 1], t2 - t0));
    if (signal[0]) {
      const PetscReal *ts_, *S;
      PetscMPIInt      rank;
      int              written = 0;

      PetscCall(FlowGetSignalHistory(flow, &nh, &ts_, &S));
      PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
      /* atomically: FILE.tmp, synced, renamed to FILE, so that a full disk or a killed run never
         leaves a fragment; the outcome is every rank's error */
      if (!rank) {
        char  tmp[PETSC_MAX_PATH_LEN + 8];
        FILE *fp;

        PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", signal));
        fp = fopen(tmp, "w");
        if (fp) {
          fprintf(fp, "t,E,S\n");
          for (PetscInt i = 0; i < nh; ++i) fprintf(fp, "%.10g,%.10g,%.10g\n", (double)ts_[i], (double)Eh[i], (double)S[i]);
          written = !ferror(fp);
          written = fflush(fp) == 0 && written;
          written = fsync(fileno(fp)) == 0 && written;
          written = fclose(fp) == 0 && written;
          written = written && rename(tmp, signal) == 0;
          if (!written) remove(tmp);
        }
      }
      PetscCallMPI(MPI_Bcast(&written, 1, MPI_INT, 0, PETSC_COMM_WORLD));
      PetscCheck(written, PETSC_COMM_WORLD, PETSC_ERR_FILE_WRITE, "Cannot write the signal CSV %s", signal);
    }
    PetscCall(FlowDestroy(&flow));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCall(FlowGetEnergyDecayRate(flow, &rate));
  E0 = Eh[0];
  ET = Eh[nh - 1];
  Eexact = E0 * PetscExpReal(-4.0 * nu * tfinal);
  PetscCall(FlowComputeError(flow, tfinal, u, &errU, &errP, &normU, &normP));
  /* the energy of the exact state's interpolant at T, against the analytic pi^2 e^{-4 nu T} */
  PetscCall(VecDuplicate(u, &uex));
  PetscCall(FlowExactSolution(flow, tfinal, uex));
  PetscCall(FlowKineticEnergy(flow, uex, &Eint));
  PetscCall(VecDestroy(&uex));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Taylor-Green vortex, nu = %g: Q%" PetscInt_FMT "-Q%" PetscInt_FMT " Taylor-Hood, %" PetscInt_FMT " cells, %" PetscInt_FMT " unknowns, %d rank(s)\n", (double)nu, vdeg, vdeg - 1, ncells, N, size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "velocity DOFs per vertex/edge/cell: %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT "%s, max |node - point centroid| = %.3e\n", dofmax[0], dofmax[1], dofmax[2], (dofmin[0] == dofmax[0] && dofmin[1] == dofmax[1] && dofmin[2] == dofmax[2]) ? "" : " (NOT uniform)", (double)nodedev));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "steps %" PetscInt_FMT ", final time %.6g\n", steps, (double)tfinal));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "kinetic energy: E(0) = %.10f, E(T) = %.10f, E(0) exp(-4 nu T) = %.10f\n", (double)E0, (double)ET, (double)Eexact));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "                E of the exact state's interpolant at T = %.10f, analytic pi^2 exp(-4 nu T) = %.10f\n", (double)Eint, (double)(PETSC_PI * PETSC_PI * PetscExpReal(-4.0 * nu * tfinal))));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "energy decay rate: measured %.8f (least squares on log E), exact 4 nu = %.8f, relative difference %.3e\n", (double)rate, (double)(4.0 * nu), (double)(PetscAbsReal(rate - 4.0 * nu) / (4.0 * nu))));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "L2 error at T: velocity %.6e (relative %.3e), pressure %.6e (relative %.3e)\n", (double)errU, (double)(errU / normU), (double)errP, (double)(errP / normP)));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "wall time: set-up %.3f s, solve %.3f s, total %.3f s\n", t1 - t0, t2 - t1, t2 - t0));
  /* one line for scripts, full precision */
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "FLOW_RESULT steps=%" PetscInt_FMT " time=%.17g rate=%.17g rate_exact=%.17g rate_rel=%.6e l2u=%.17g l2u_rel=%.6e l2p=%.17g E0=%.17g ET=%.17g nodedev=%.3e vdofs=%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT " wall=%.3f\n", steps, (double)tfinal, (double)rate, (double)(4.0 * nu), (double)(PetscAbsReal(rate - 4.0 * nu) / (4.0 * nu)), (double)errU, (double)(errU / normU), (double)errP, (double)E0, (double)ET, (double)nodedev, dofmin[0] == dofmax[0] ? dofmax[0] : -1, dofmin[1] == dofmax[1] ? dofmax[1] : -1, dofmin[2] == dofmax[2] ? dofmax[2] : -1, t2 - t0));

  PetscCall(FlowDestroy(&flow));
  PetscCall(PetscFinalize());
  return 0;
}
