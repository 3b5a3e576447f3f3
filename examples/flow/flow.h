/*
  flow: a small unsteady incompressible Navier-Stokes solver on a DMPlex (plain PETSc).

    u_t + (u . grad) u + grad p - nu Laplace u = 0,   div u = 0        (density 1)

  Discretisation: Taylor-Hood finite elements (velocity Lagrange degree k >= 2, pressure degree
  k - 1; Q2-Q1 on quadrilaterals by default) with equispaced Lagrange nodes, so the velocity DOFs
  sit on the mesh points (vertices, edges, cells), one node (dim components) per point for k = 2.
  The residual is given as PetscDS pointwise functions, the time integrator is a PETSc TS
  (implicit, -ts_type, default Crank-Nicolson), each step is solved by Newton (SNES) with a direct
  solver (MUMPS LU by default).

  Case "tgv" (the default): the 2-D Taylor-Green vortex on [0, 2 pi]^2,
      u = (sin x cos y, -cos x sin y) e^{-2 nu t},  p = (cos 2x + cos 2y)/4 e^{-4 nu t},
  with the exact velocity as time-dependent Dirichlet data on the boundary faces of the box (label
  "marker"), or fully periodic with -dm_plex_box_bd periodic,periodic (no Dirichlet data); the
  pressure is pinned to the exact value at one vertex (the lexicographically smallest one), which
  removes its constant null space. Initial state: the interpolant of the exact solution at t = 0.
  The kinetic energy decays as e^{-4 nu t}.

  Case "cylinder": flow past a cylinder in a channel, the Schaefer-Turek 2D-2 benchmark (channel
  [0, 2.2] x [0, 0.41], cylinder of diameter 0.1 at (0.2, 0.2), parabolic inflow of maximum 1.5,
  nu = 1e-3: Re = 100), on the Gmsh quadrilateral mesh share/meshes/cylinder.msh (its "Face Sets":
  1 inlet, 2 outlet, 3 walls, 4 cylinder). No-slip walls and cylinder, do-nothing outlet, the
  inflow ramped up smoothly over t < 1 from rest. The vortex shedding is seen in the wake signal
  S(t) = int_{0.3 < x < 1} u_y; FlowGetStrouhal() gives f D / U from it.

  Field 0 is the velocity, field 1 the pressure. The TS solution is a global Vec of the DM: it does
  not hold the Dirichlet (constrained) DOFs; FlowGetLocalSolution() gives a local Vec with every
  DOF of the mesh, the boundary values inserted at the solution's time.
*/
#ifndef PETSCGNN_FLOW_H
#define PETSCGNN_FLOW_H

#include <petscdmplex.h>
#include <petscts.h>

typedef struct _n_Flow *Flow;

/* Reads the options (prefix flow_):
     -flow_case tgv          the problem: tgv or cylinder
     -flow_nu 0.05           kinematic viscosity (cylinder: 1e-3)
     -flow_dt 0.05           time step (cylinder: 0.01)
     -flow_steps 40          number of steps (cylinder: 800); the final time is steps * dt unless
                             -ts_max_time is given
     -flow_vel_degree 2      velocity degree k (pressure k - 1)
     -flow_monitor           print the kinetic energy after every step
     -flow_view              FlowView() at the end of FlowSetUp()
     -flow_cyl_umax 1.5 -flow_cyl_height 0.41 -flow_cyl_diameter 0.1 -flow_cyl_ramp 1
     -flow_cyl_wake 0.3,1    cylinder: inflow, geometry, start-up, wake signal window
     -flow_test_residual_nu_scale 1   testing only: the residual's viscosity is nu times this
   The mesh comes from the -dm_plex_* options; what is not given defaults to a 16 x 16
   quadrilateral box on [0, 2 pi]^2 (-dm_plex_simplex 0 -dm_plex_box_faces 16,16
   -dm_plex_box_upper 2pi,2pi), for the cylinder to -dm_plex_filename share/meshes/cylinder.msh
   (the source tree's, an absolute path compiled in). */
PETSC_EXTERN PetscErrorCode FlowCreate(MPI_Comm comm, Flow *flow);
/* DM (created and distributed), FE discretisation, boundary conditions, TS (TSSetFromOptions:
   the -ts_*, -snes_*, -ksp_*, -pc_* options apply) and the initial condition */
PETSC_EXTERN PetscErrorCode FlowSetUp(Flow flow);
/* The solver's DMPlex: velocity field 0, pressure field 1 (borrowed reference) */
PETSC_EXTERN PetscErrorCode FlowGetDM(Flow flow, DM *dm);
/* The TS (borrowed reference) */
PETSC_EXTERN PetscErrorCode FlowGetTS(Flow flow, TS *ts);
/* The TS solution, a global Vec of the DM (borrowed reference; it changes as the TS steps) */
PETSC_EXTERN PetscErrorCode FlowGetSolution(Flow flow, Vec *u);
/* The exact state at time t (interpolant) in the layout of FlowGetSolution() */
PETSC_EXTERN PetscErrorCode FlowExactSolution(Flow flow, PetscReal t, Vec u);
/* TSSolve from the current state up to the TS's max time / max steps */
PETSC_EXTERN PetscErrorCode FlowSolve(Flow flow);
/* E = 1/2 int |u|^2 of a global Vec in the layout of FlowGetSolution(); its boundary values are
   taken at the TS's current time */
PETSC_EXTERN PetscErrorCode FlowKineticEnergy(Flow flow, Vec u, PetscReal *E);
PETSC_EXTERN PetscErrorCode FlowDestroy(Flow *flow);

/* Additions */
/* The set-up in words (ASCII viewer) */
PETSC_EXTERN PetscErrorCode FlowView(Flow flow, PetscViewer viewer);
/* As FlowKineticEnergy(), with the boundary values of u taken at time t */
PETSC_EXTERN PetscErrorCode FlowKineticEnergyAtTime(Flow flow, PetscReal t, Vec u, PetscReal *E);
/* A local Vec of the DM (DMGetLocalVector(); give it back with DMRestoreLocalVector()) holding
   the global Vec u (NULL: the TS solution) and the Dirichlet values at time t (the TS's time for
   the TS solution): every DOF of every local mesh point, ghosts included */
PETSC_EXTERN PetscErrorCode FlowGetLocalSolution(Flow flow, Vec u, PetscReal t, Vec *uloc);
/* The viscosity, and the exact energy decay rate 4 nu of the TGV */
PETSC_EXTERN PetscErrorCode FlowGetViscosity(Flow flow, PetscReal *nu);
/* L2 errors of velocity and pressure of u against the exact solution at t (t < 0: the TS's time);
   the norms of the exact fields are returned too (for relative errors); any pointer may be NULL */
PETSC_EXTERN PetscErrorCode FlowComputeError(Flow flow, PetscReal t, Vec u, PetscReal *errU, PetscReal *errP, PetscReal *normU, PetscReal *normP);
/* The kinetic energy recorded after every step (and at the initial state): n values, times t[]
   and energies E[] (borrowed arrays, valid until the next FlowSolve/FlowDestroy). The history is
   recorded by a TS monitor that FlowSetUp() installs: TSMonitorCancel() removes it, and
   FlowAddHistoryMonitor() puts it back (a no-op while it is there). */
PETSC_EXTERN PetscErrorCode FlowGetEnergyHistory(Flow flow, PetscInt *n, const PetscReal *t[], const PetscReal *E[]);
PETSC_EXTERN PetscErrorCode FlowAddHistoryMonitor(Flow flow);
/* The energy decay rate fitted by least squares to log E(t) of the history: E ~ e^{-rate t} */
PETSC_EXTERN PetscErrorCode FlowGetEnergyDecayRate(Flow flow, PetscReal *rate);
/* The case's name ("tgv", "cylinder") and Reynolds number (cylinder: mean inflow x D / nu;
   tgv: 1 / nu) */
PETSC_EXTERN PetscErrorCode FlowGetCase(Flow flow, const char **name);
PETSC_EXTERN PetscErrorCode FlowGetReynolds(Flow flow, PetscReal *Re);
/* cylinder: the wake signal S(t) = int_{x0 < x < x1} u_y recorded after every step (borrowed) */
PETSC_EXTERN PetscErrorCode FlowGetSignalHistory(Flow flow, PetscInt *n, const PetscReal *t[], const PetscReal *S[]);
/* cylinder: the Strouhal number f D / U (U the mean inflow) from the upward mean crossings of the
   wake signal for t >= tstart; periods: the number of whole periods seen (St = 0 below 1);
   amplitude: half the signal's range */
PETSC_EXTERN PetscErrorCode FlowGetStrouhal(Flow flow, PetscReal tstart, PetscReal *St, PetscInt *periods, PetscReal *amplitude);
/* cylinder: the same from any record of the wake signal (n times t[] and values S[], e.g. a surrogate's) */
PETSC_EXTERN PetscErrorCode FlowStrouhalFromSignal(Flow flow, PetscInt n, const PetscReal t[], const PetscReal S[], PetscReal tstart, PetscReal *St, PetscInt *periods, PetscReal *amplitude);
/* cylinder: the wake signal S = int_{x0 < x < x1} u_y of a state u (layout of FlowGetSolution(),
   boundary values at time t) */
PETSC_EXTERN PetscErrorCode FlowComputeSignal(Flow flow, PetscReal t, Vec u, PetscReal *S);

#endif
