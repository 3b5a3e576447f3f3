/* flow: unsteady incompressible Navier-Stokes with PETSc TS + DMPlex + PetscFE (see flow.h) */
#include "flow.h"
#include <petscds.h>
#include <petscgnnoptions.h> /* header-only: integer options without a silent wrap */

typedef enum {
  FLOW_TGV,
  FLOW_CYLINDER
} FlowCase;
static const char *const FlowCases[] = {"tgv", "cylinder", "FlowCase", "FLOW_", NULL};

#if !defined(FLOW_CYLINDER_MESH)
  #define FLOW_CYLINDER_MESH "share/meshes/cylinder.msh"
#endif

struct _n_Flow {
  MPI_Comm  comm;
  FlowCase  fcase;
  PetscReal nu;       /* kinematic viscosity */
  PetscReal nuScale;  /* testing: the residual uses nu * nuScale (default 1) */
  PetscReal dt;       /* time step */
  PetscInt  steps;    /* number of steps (-flow_steps) */
  PetscBool stepsSet; /* -flow_steps was given */
  PetscInt  degree;   /* velocity degree; pressure degree - 1 */
  PetscBool monitor;  /* -flow_monitor */
  PetscBool view;     /* -flow_view */
  PetscBool periodic; /* the mesh is periodic in every direction */
  PetscInt  nWall;    /* boundary faces with the exact velocity (0: periodic) */
  PetscReal pin[3];   /* where the pressure is fixed */
  PetscBool setup;
  DM        dm;  /* the solver's DM: fields velocity, pressure, Dirichlet constraints */
  DM        dmE; /* the same fields without constraints: integrals of full local states */
  TS        ts;
  Vec       u; /* the TS solution */
  /* cylinder: parabolic inflow of maximum umax (mean 2/3 umax) on a channel of height H, reached
     after a smooth ramp of duration ramp; diameter D; wake signal: int of u_y over x0 < x < x1 */
  PetscReal umax, H, D, ramp, wake[2];
  /* history recorded by a TS monitor: kinetic energy, wake signal */
  PetscInt   nh, mh;
  PetscReal *th, *Eh, *Sh;
};

/* ------------------------------------------------------------------------------------------- */
/* Pointwise functions. constants[0] = nu. Field 0 u (dim components), field 1 p.
   Weak form: (v, u_t + (u.grad)u) + (grad v, nu grad u - p I) + (q, div u) = 0                */

static void f0_u(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar f0[])
{
  for (PetscInt c = 0; c < dim; ++c) {
    PetscScalar conv = 0.0;
    for (PetscInt d = 0; d < dim; ++d) conv += u[uOff[0] + d] * u_x[uOff_x[0] + c * dim + d];
    f0[c] = u_t[uOff[0] + c] + conv;
  }
}

static void f1_u(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar f1[])
{
  const PetscScalar nu = constants[0], p = u[uOff[1]];

  for (PetscInt c = 0; c < dim; ++c) {
    for (PetscInt d = 0; d < dim; ++d) f1[c * dim + d] = nu * u_x[uOff_x[0] + c * dim + d];
    f1[c * dim + c] -= p;
  }
}

static void f0_p(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar f0[])
{
  PetscScalar div = 0.0;
  for (PetscInt d = 0; d < dim; ++d) div += u_x[uOff_x[0] + d * dim + d];
  f0[0] = div;
}

/* d f0_u / d u (and the u_t shift): g0[c*dim+e] = shift delta_ce + d_e u_c */
static void g0_uu(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, PetscReal u_tShift, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar g0[])
{
  for (PetscInt c = 0; c < dim; ++c) {
    for (PetscInt e = 0; e < dim; ++e) g0[c * dim + e] = u_x[uOff_x[0] + c * dim + e];
    g0[c * dim + c] += u_tShift;
  }
}

/* d f0_u / d (grad u): g1[(c*dim+e)*dim+d] = delta_ce u_d */
static void g1_uu(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, PetscReal u_tShift, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar g1[])
{
  for (PetscInt c = 0; c < dim; ++c)
    for (PetscInt d = 0; d < dim; ++d) g1[(c * dim + c) * dim + d] = u[uOff[0] + d];
}

/* d f1_u / d (grad u) */
static void g3_uu(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, PetscReal u_tShift, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar g3[])
{
  const PetscScalar nu = constants[0];
  for (PetscInt c = 0; c < dim; ++c)
    for (PetscInt d = 0; d < dim; ++d) g3[((c * dim + c) * dim + d) * dim + d] = nu;
}

/* d f1_u / d p */
static void g2_up(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, PetscReal u_tShift, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar g2[])
{
  for (PetscInt c = 0; c < dim; ++c) g2[c * dim + c] = -1.0;
}

/* d f0_p / d (grad u) */
static void g1_pu(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, PetscReal u_tShift, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar g1[])
{
  for (PetscInt c = 0; c < dim; ++c) g1[c * dim + c] = 1.0;
}

/* kinetic energy density 1/2 |u|^2 */
static void obj_energy(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar obj[])
{
  PetscScalar e = 0.0;
  for (PetscInt c = 0; c < dim; ++c) e += u[uOff[0] + c] * u[uOff[0] + c];
  obj[0] = 0.5 * e;
}

/* wake signal density: u_y where constants[0] < x < constants[1] (a fixed linear functional) */
static void obj_wake(PetscInt dim, PetscInt Nf, PetscInt NfAux, const PetscInt uOff[], const PetscInt uOff_x[], const PetscScalar u[], const PetscScalar u_t[], const PetscScalar u_x[], const PetscInt aOff[], const PetscInt aOff_x[], const PetscScalar a[], const PetscScalar a_t[], const PetscScalar a_x[], PetscReal t, const PetscReal x[], PetscInt numConstants, const PetscScalar constants[], PetscScalar obj[])
{
  obj[0] = (x[0] > PetscRealPart(constants[0]) && x[0] < PetscRealPart(constants[1])) ? u[uOff[0] + 1] : 0.0;
}

/* ------------------------------------------------------------------------------------------- */
/* Taylor-Green vortex (ctx: the Flow)                                                          */

static PetscErrorCode tgv_u(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  const PetscReal e = PetscExpReal(-2.0 * ((Flow)ctx)->nu * t);

  u[0] = PetscSinReal(x[0]) * PetscCosReal(x[1]) * e;
  u[1] = -PetscCosReal(x[0]) * PetscSinReal(x[1]) * e;
  return 0;
}

static PetscErrorCode tgv_u_t(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  const PetscReal nu = ((Flow)ctx)->nu;

  PetscCall(tgv_u(dim, t, x, Nc, u, ctx));
  for (PetscInt c = 0; c < Nc; ++c) u[c] *= -2.0 * nu;
  return 0;
}

static PetscErrorCode tgv_p(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *p, void *ctx)
{
  p[0] = 0.25 * (PetscCosReal(2.0 * x[0]) + PetscCosReal(2.0 * x[1])) * PetscExpReal(-4.0 * ((Flow)ctx)->nu * t);
  return 0;
}

static PetscErrorCode tgv_p_t(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *p, void *ctx)
{
  PetscCall(tgv_p(dim, t, x, Nc, p, ctx));
  p[0] *= -4.0 * ((Flow)ctx)->nu;
  return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Cylinder in a channel (ctx: the Flow): u = r(t) 4 umax y (H - y) / H^2 e_x at the inlet,
   r(t) = (1 - cos(pi t / ramp)) / 2 for t < ramp, then 1                                       */

static PetscReal cyl_ramp(Flow f, PetscReal t, PetscReal *r_t)
{
  if (f->ramp > 0.0 && t < f->ramp) {
    *r_t = 0.5 * PETSC_PI / f->ramp * PetscSinReal(PETSC_PI * t / f->ramp);
    return 0.5 * (1.0 - PetscCosReal(PETSC_PI * t / f->ramp));
  }
  *r_t = 0.0;
  return 1.0;
}

static PetscErrorCode cyl_inflow(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  Flow      f = (Flow)ctx;
  PetscReal r_t, r = cyl_ramp(f, t, &r_t);

  u[0] = r * 4.0 * f->umax * x[1] * (f->H - x[1]) / (f->H * f->H);
  u[1] = 0.0;
  return 0;
}

static PetscErrorCode cyl_inflow_t(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  Flow      f = (Flow)ctx;
  PetscReal r_t;

  (void)cyl_ramp(f, t, &r_t);
  u[0] = r_t * 4.0 * f->umax * x[1] * (f->H - x[1]) / (f->H * f->H);
  u[1] = 0.0;
  return 0;
}

static PetscErrorCode zero_vector(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  for (PetscInt c = 0; c < Nc; ++c) u[c] = 0.0;
  return 0;
}

/* ------------------------------------------------------------------------------------------- */

PetscErrorCode FlowCreate(MPI_Comm comm, Flow *flow)
{
  Flow f;

  PetscFunctionBegin;
  PetscCall(PetscNew(&f));
  f->comm   = comm;
  f->fcase  = FLOW_TGV;
  f->nu     = 0.05;
  f->dt     = 0.05;
  f->steps  = 40;
  f->degree = 2;
  f->nuScale = 1.0;
  /* cylinder: the Schaefer-Turek 2D-2 benchmark, Re = (2/3 umax) D / nu = 100 */
  f->umax    = 1.5;
  f->H       = 0.41;
  f->D       = 0.1;
  f->ramp    = 1.0;
  f->wake[0] = 0.3;
  f->wake[1] = 1.0;
  PetscOptionsBegin(comm, NULL, "Navier-Stokes flow solver options", "Flow");
  PetscCall(PetscOptionsEnum("-flow_case", "The flow problem", "FlowCreate", FlowCases, (PetscEnum)f->fcase, (PetscEnum *)&f->fcase, NULL));
  if (f->fcase == FLOW_CYLINDER) {
    f->nu    = 1.0e-3;
    f->dt    = 0.01;
    f->steps = 800;
  }
  PetscCall(PetscOptionsReal("-flow_nu", "Kinematic viscosity", "FlowCreate", f->nu, &f->nu, NULL));
  PetscCall(PetscOptionsReal("-flow_dt", "Time step (-ts_dt overrides)", "FlowCreate", f->dt, &f->dt, NULL));
  PetscCall(GNNOptionsInt("-flow_steps", "Number of time steps (final time steps*dt unless -ts_max_time)", "FlowCreate", f->steps, &f->steps, &f->stepsSet));
  PetscCall(GNNOptionsRangeInt("-flow_vel_degree", "Velocity degree k (Taylor-Hood: pressure k-1)", "FlowCreate", f->degree, &f->degree, NULL, 2, 8));
  PetscCall(PetscOptionsBool("-flow_monitor", "Print the kinetic energy after every step", "FlowCreate", f->monitor, &f->monitor, NULL));
  if (f->fcase == FLOW_CYLINDER) {
    PetscInt n = 2;

    PetscCall(PetscOptionsReal("-flow_cyl_umax", "cylinder: maximum inflow velocity (mean 2/3 of it)", "FlowCreate", f->umax, &f->umax, NULL));
    PetscCall(PetscOptionsReal("-flow_cyl_height", "cylinder: channel height (the inlet is 0 < y < H)", "FlowCreate", f->H, &f->H, NULL));
    PetscCall(PetscOptionsReal("-flow_cyl_diameter", "cylinder: diameter (Reynolds and Strouhal numbers)", "FlowCreate", f->D, &f->D, NULL));
    PetscCall(PetscOptionsReal("-flow_cyl_ramp", "cylinder: duration of the smooth start of the inflow", "FlowCreate", f->ramp, &f->ramp, NULL));
    PetscCall(PetscOptionsRealArray("-flow_cyl_wake", "cylinder: x range of the wake signal int u_y", "FlowCreate", f->wake, &n, NULL));
  }
  PetscCall(PetscOptionsBool("-flow_view", "View the set-up (FlowView) at the end of FlowSetUp", "FlowView", f->view, &f->view, NULL));
  PetscCall(PetscOptionsReal("-flow_test_residual_nu_scale", "Testing only: scale the viscosity of the residual (not of the exact solution)", "FlowCreate", f->nuScale, &f->nuScale, NULL));
  PetscOptionsEnd();
  PetscCheck(f->nu > 0.0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-flow_nu %g must be positive", (double)f->nu);
  PetscCheck(f->dt > 0.0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-flow_dt %g must be positive", (double)f->dt);
  PetscCheck(f->steps >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-flow_steps %" PetscInt_FMT " must be non-negative", f->steps);
  *flow = f;
  PetscFunctionReturn(0);
}

/* The mesh from the -dm_plex_* options, with the defaults of the TGV box for what is not given.
   The defaults are put in the options database only for DMSetFromOptions() and taken out again. */
static PetscErrorCode FlowCreateMesh(Flow flow)
{
  const char *names[3] = {"-dm_plex_simplex", "-dm_plex_box_faces", "-dm_plex_box_upper"};
  char        upper[64];
  const char *values[3];
  PetscBool   inserted[3] = {PETSC_FALSE, PETSC_FALSE, PETSC_FALSE};
  PetscInt    dim, n = 3;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(upper, sizeof(upper), "%.17g,%.17g", 2.0 * PETSC_PI, 2.0 * PETSC_PI));
  values[0] = "0";
  values[1] = "16,16";
  values[2] = upper;
  if (flow->fcase == FLOW_CYLINDER) {
    /* the Gmsh mesh of the source tree */
    names[0]  = "-dm_plex_filename";
    values[0] = FLOW_CYLINDER_MESH;
    n         = 1;
  }
  for (PetscInt i = 0; i < n; ++i) {
    PetscBool has;

    PetscCall(PetscOptionsHasName(NULL, NULL, names[i], &has));
    if (!has) {
      PetscCall(PetscOptionsSetValue(NULL, names[i], values[i]));
      inserted[i] = PETSC_TRUE;
    }
  }
  PetscCall(DMCreate(flow->comm, &flow->dm));
  PetscCall(DMSetType(flow->dm, DMPLEX));
  PetscCall(DMSetFromOptions(flow->dm));
  for (PetscInt i = 0; i < n; ++i)
    if (inserted[i]) PetscCall(PetscOptionsClearValue(NULL, names[i]));
  PetscCall(PetscObjectSetName((PetscObject)flow->dm, "flow"));
  PetscCall(DMViewFromOptions(flow->dm, NULL, "-dm_view"));
  PetscCall(DMGetDimension(flow->dm, &dim));
  PetscCheck(dim == 2, flow->comm, PETSC_ERR_SUP, "The flow cases are 2-D; the mesh has dimension %" PetscInt_FMT, dim);
  PetscFunctionReturn(0);
}

/* Label "flow_pin": the vertex with the lexicographically smallest coordinates (on every rank
   that holds it), where the pressure is fixed */
static PetscErrorCode FlowCreatePinLabel(Flow flow)
{
  DM                 dm = flow->dm, cdm;
  Vec                coords;
  PetscSection       cs;
  const PetscScalar *a;
  DMLabel            pin;
  PetscInt           vStart, vEnd, cdim;
  PetscReal          xmin = PETSC_MAX_REAL, ymin = PETSC_MAX_REAL, gx, gy;
  PetscInt           nmark = 0, gmark;

  PetscFunctionBegin;
  PetscCall(DMGetCoordinateDim(dm, &cdim));
  PetscCall(DMGetCoordinatesLocal(dm, &coords));
  PetscCall(DMGetCoordinateDM(dm, &cdm));
  PetscCall(DMGetLocalSection(cdm, &cs));
  PetscCall(DMPlexGetDepthStratum(dm, 0, &vStart, &vEnd));
  PetscCall(VecGetArrayRead(coords, &a));
  for (PetscInt v = vStart; v < vEnd; ++v) {
    PetscInt off, dof;

    PetscCall(PetscSectionGetDof(cs, v, &dof));
    PetscCheck(dof == cdim, PETSC_COMM_SELF, PETSC_ERR_SUP, "Vertex coordinates expected");
    PetscCall(PetscSectionGetOffset(cs, v, &off));
    xmin = PetscMin(xmin, PetscRealPart(a[off]));
  }
  PetscCall(MPIU_Allreduce(&xmin, &gx, 1, MPIU_REAL, MPIU_MIN, flow->comm));
  for (PetscInt v = vStart; v < vEnd; ++v) {
    PetscInt off;

    PetscCall(PetscSectionGetOffset(cs, v, &off));
    if (PetscRealPart(a[off]) == gx) ymin = PetscMin(ymin, PetscRealPart(a[off + 1]));
  }
  PetscCall(MPIU_Allreduce(&ymin, &gy, 1, MPIU_REAL, MPIU_MIN, flow->comm));
  PetscCall(DMCreateLabel(dm, "flow_pin"));
  PetscCall(DMGetLabel(dm, "flow_pin", &pin));
  for (PetscInt v = vStart; v < vEnd; ++v) {
    PetscInt off;

    PetscCall(PetscSectionGetOffset(cs, v, &off));
    if (PetscRealPart(a[off]) == gx && PetscRealPart(a[off + 1]) == gy) {
      PetscCall(DMLabelSetValue(pin, v, 1));
      ++nmark;
    }
  }
  PetscCall(VecRestoreArrayRead(coords, &a));
  PetscCall(MPIU_Allreduce(&nmark, &gmark, 1, MPIU_INT, MPI_SUM, flow->comm));
  PetscCheck(gmark >= 1, flow->comm, PETSC_ERR_PLIB, "No vertex found to pin the pressure");
  flow->pin[0] = gx;
  flow->pin[1] = gy;
  PetscFunctionReturn(0);
}

static PetscErrorCode FlowSetUpDiscretization(Flow flow)
{
  DM          dm = flow->dm;
  PetscFE     fe[2];
  PetscDS     ds;
  PetscBool   simplex;
  PetscInt    dim;
  DMLabel     wall, pin;
  PetscScalar constants[1];
  const PetscInt id = 1;

  PetscFunctionBegin;
  PetscCall(DMGetDimension(dm, &dim));
  PetscCall(DMPlexIsSimplex(dm, &simplex));
  /* Taylor-Hood: equispaced Lagrange nodes, velocity degree k, pressure k - 1, same quadrature */
  PetscCall(PetscFECreateLagrange(PETSC_COMM_SELF, dim, dim, simplex, flow->degree, PETSC_DETERMINE, &fe[0]));
  PetscCall(PetscObjectSetName((PetscObject)fe[0], "velocity"));
  PetscCall(PetscFECreateLagrange(PETSC_COMM_SELF, dim, 1, simplex, flow->degree - 1, PETSC_DETERMINE, &fe[1]));
  PetscCall(PetscFECopyQuadrature(fe[0], fe[1]));
  PetscCall(PetscObjectSetName((PetscObject)fe[1], "pressure"));
  PetscCall(DMSetField(dm, 0, NULL, (PetscObject)fe[0]));
  PetscCall(DMSetField(dm, 1, NULL, (PetscObject)fe[1]));
  PetscCall(DMCreateDS(dm));
  PetscCall(DMGetDS(dm, &ds));
  PetscCall(PetscDSSetResidual(ds, 0, f0_u, f1_u));
  PetscCall(PetscDSSetResidual(ds, 1, f0_p, NULL));
  PetscCall(PetscDSSetJacobian(ds, 0, 0, g0_uu, g1_uu, NULL, g3_uu));
  PetscCall(PetscDSSetJacobian(ds, 0, 1, NULL, NULL, g2_up, NULL));
  PetscCall(PetscDSSetJacobian(ds, 1, 0, NULL, g1_pu, NULL, NULL));
  constants[0] = flow->nu * flow->nuScale;
  PetscCall(PetscDSSetConstants(ds, 1, constants));

  switch (flow->fcase) {
  case FLOW_TGV:
    PetscCall(PetscDSSetExactSolution(ds, 0, tgv_u, flow));
    PetscCall(PetscDSSetExactSolution(ds, 1, tgv_p, flow));
    PetscCall(PetscDSSetExactSolutionTimeDerivative(ds, 0, tgv_u_t, flow));
    PetscCall(PetscDSSetExactSolutionTimeDerivative(ds, 1, tgv_p_t, flow));
    /* The exact velocity on the boundary faces of the box ("marker"), none where periodic; the
       exact pressure at one vertex */
    {
      const PetscReal *L = NULL, *maxCell, *Lstart;
      PetscInt         nw = 0, np = 0;

      PetscCall(DMGetPeriodicity(dm, &maxCell, &Lstart, &L));
      flow->periodic = PETSC_TRUE;
      for (PetscInt d = 0; d < dim; ++d)
        if (!L || L[d] <= 0.0) flow->periodic = PETSC_FALSE;
      PetscCall(DMGetLabel(dm, "marker", &wall));
      if (wall) {
        PetscInt fStart, fEnd;
        IS       is;

        /* boundary faces (each on one rank without overlap): for FlowView() and the check below */
        PetscCall(DMPlexGetHeightStratum(dm, 1, &fStart, &fEnd));
        PetscCall(DMLabelGetStratumIS(wall, 1, &is));
        if (is) {
          const PetscInt *pts;

          PetscCall(ISGetLocalSize(is, &np));
          PetscCall(ISGetIndices(is, &pts));
          for (PetscInt i = 0; i < np; ++i)
            if (pts[i] >= fStart && pts[i] < fEnd) ++nw;
          PetscCall(ISRestoreIndices(is, &pts));
          PetscCall(ISDestroy(&is));
        }
      }
      PetscCall(MPIU_Allreduce(&nw, &flow->nWall, 1, MPIU_INT, MPI_SUM, flow->comm));
      PetscCheck(flow->nWall > 0 || flow->periodic, flow->comm, PETSC_ERR_ARG_WRONG, "-flow_case tgv needs a box mesh: its boundary label \"marker\" (Dirichlet) or -dm_plex_box_bd periodic,periodic");
      if (flow->nWall) PetscCall(DMAddBoundary(dm, DM_BC_ESSENTIAL, "wall", wall, 1, &id, 0, 0, NULL, (void (*)(void))tgv_u, (void (*)(void))tgv_u_t, flow, NULL));
    }
    PetscCall(FlowCreatePinLabel(flow));
    PetscCall(DMGetLabel(dm, "flow_pin", &pin));
    PetscCall(DMAddBoundary(dm, DM_BC_ESSENTIAL, "pressure_pin", pin, 1, &id, 1, 0, NULL, (void (*)(void))tgv_p, (void (*)(void))tgv_p_t, flow, NULL));
    break;
  case FLOW_CYLINDER: {
    /* Gmsh physical curves: 1 inlet, 2 outlet (do-nothing: natural), 3 walls, 4 cylinder */
    DMLabel        fs;
    const PetscInt inlet = 1, noslip[2] = {3, 4};

    PetscCall(DMGetLabel(dm, "Face Sets", &fs));
    PetscCheck(fs, flow->comm, PETSC_ERR_ARG_WRONG, "-flow_case cylinder needs a Gmsh mesh with physical curves 1 inlet, 2 outlet, 3 walls, 4 cylinder (label \"Face Sets\")");
    PetscCall(DMAddBoundary(dm, DM_BC_ESSENTIAL, "inlet", fs, 1, &inlet, 0, 0, NULL, (void (*)(void))cyl_inflow, (void (*)(void))cyl_inflow_t, flow, NULL));
    PetscCall(DMAddBoundary(dm, DM_BC_ESSENTIAL, "noslip", fs, 2, noslip, 0, 0, NULL, (void (*)(void))zero_vector, (void (*)(void))zero_vector, flow, NULL));
    flow->nWall = -1;
  } break;
  }
  PetscCall(PetscFEDestroy(&fe[0]));
  PetscCall(PetscFEDestroy(&fe[1]));

  /* The unconstrained twin: same fields and local layout, no boundary conditions */
  PetscCall(DMClone(dm, &flow->dmE));
  PetscCall(DMCopyFields(dm, flow->dmE));
  PetscCall(DMCreateDS(flow->dmE));
  {
    PetscDS dsE;

    PetscCall(DMGetDS(flow->dmE, &dsE));
    PetscCall(PetscDSSetObjective(dsE, 0, obj_energy));
    if (flow->fcase == FLOW_CYLINDER) {
      /* the pressure's slot of the integral carries the wake signal */
      PetscScalar window[2];

      window[0] = flow->wake[0];
      window[1] = flow->wake[1];
      PetscCall(PetscDSSetConstants(dsE, 2, window));
      PetscCall(PetscDSSetObjective(dsE, 1, obj_wake));
    }
  }
  {
    PetscInt n, nE;
    Vec      l, lE;

    PetscCall(DMGetLocalVector(dm, &l));
    PetscCall(DMGetLocalVector(flow->dmE, &lE));
    PetscCall(VecGetLocalSize(l, &n));
    PetscCall(VecGetLocalSize(lE, &nE));
    PetscCall(DMRestoreLocalVector(dm, &l));
    PetscCall(DMRestoreLocalVector(flow->dmE, &lE));
    PetscCheck(n == nE, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Local layouts differ: %" PetscInt_FMT " vs %" PetscInt_FMT, n, nE);
  }
  PetscFunctionReturn(0);
}

/* The integrals of the unconstrained twin: E = 1/2 int |u|^2 and (cylinder) the wake signal S */
static PetscErrorCode FlowIntegrals(Flow flow, PetscReal t, Vec u, PetscReal *E, PetscReal *S)
{
  Vec         uloc, lE, gE;
  PetscScalar integral[2] = {0.0, 0.0};

  PetscFunctionBegin;
  PetscCall(FlowGetLocalSolution(flow, u, t, &uloc));
  PetscCall(DMGetLocalVector(flow->dmE, &lE));
  PetscCall(DMGetGlobalVector(flow->dmE, &gE));
  PetscCall(VecCopy(uloc, lE));
  PetscCall(DMLocalToGlobalBegin(flow->dmE, lE, INSERT_VALUES, gE));
  PetscCall(DMLocalToGlobalEnd(flow->dmE, lE, INSERT_VALUES, gE));
  PetscCall(DMPlexComputeIntegralFEM(flow->dmE, gE, integral, NULL));
  if (E) *E = PetscRealPart(integral[0]);
  if (S) *S = PetscRealPart(integral[1]);
  PetscCall(DMRestoreGlobalVector(flow->dmE, &gE));
  PetscCall(DMRestoreLocalVector(flow->dmE, &lE));
  PetscCall(DMRestoreLocalVector(flow->dm, &uloc));
  PetscFunctionReturn(0);
}

static PetscErrorCode FlowMonitorHistory(TS ts, PetscInt step, PetscReal t, Vec u, void *ctx)
{
  Flow      flow = (Flow)ctx;
  PetscReal E, S;

  PetscFunctionBegin;
  PetscCall(FlowIntegrals(flow, t, u, &E, &S));
  if (flow->nh > 0 && flow->th[flow->nh - 1] == t) --flow->nh; /* the same state again (a new TSSolve) */
  if (flow->nh == flow->mh) {
    PetscReal *th, *Eh, *Sh;

    flow->mh = PetscMax(64, 2 * flow->mh);
    PetscCall(PetscMalloc3(flow->mh, &th, flow->mh, &Eh, flow->mh, &Sh));
    if (flow->nh) {
      PetscCall(PetscArraycpy(th, flow->th, flow->nh));
      PetscCall(PetscArraycpy(Eh, flow->Eh, flow->nh));
      PetscCall(PetscArraycpy(Sh, flow->Sh, flow->nh));
    }
    PetscCall(PetscFree3(flow->th, flow->Eh, flow->Sh));
    flow->th = th;
    flow->Eh = Eh;
    flow->Sh = Sh;
  }
  flow->th[flow->nh] = t;
  flow->Eh[flow->nh] = E;
  flow->Sh[flow->nh] = S;
  ++flow->nh;
  if (flow->monitor) {
    if (flow->fcase == FLOW_CYLINDER) PetscCall(PetscPrintf(flow->comm, "  flow step %4" PetscInt_FMT " time %-10.6g kinetic energy %.12e wake signal %+.6e\n", step, (double)t, (double)E, (double)S));
    else PetscCall(PetscPrintf(flow->comm, "  flow step %4" PetscInt_FMT " time %-10.6g kinetic energy %.12e\n", step, (double)t, (double)E));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode FlowSetUpTS(Flow flow)
{
  TS          ts;
  SNES        snes;
  KSP         ksp;
  PC          pc;
  const char *prefix;
  PetscBool   hasMaxTime, hasMaxSteps;

  PetscFunctionBegin;
  PetscCall(TSCreate(flow->comm, &flow->ts));
  ts = flow->ts;
  PetscCall(TSSetDM(ts, flow->dm));
  PetscCall(DMTSSetBoundaryLocal(flow->dm, DMPlexTSComputeBoundary, flow));
  PetscCall(DMTSSetIFunctionLocal(flow->dm, DMPlexTSComputeIFunctionFEM, flow));
  PetscCall(DMTSSetIJacobianLocal(flow->dm, DMPlexTSComputeIJacobianFEM, flow));
  /* Defaults: Crank-Nicolson, Newton with a tight tolerance (rank-count independent results to
     round-off), LU (MUMPS: pivoting for the saddle point, parallel) */
  PetscCall(TSSetType(ts, TSCN));
  PetscCall(TSSetTime(ts, 0.0));
  PetscCall(TSSetTimeStep(ts, flow->dt));
  PetscCall(TSSetMaxSteps(ts, flow->steps));
  PetscCall(TSSetMaxTime(ts, flow->steps * flow->dt));
  PetscCall(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP));
  {
    TSAdapt adapt;

    /* fixed steps: the local error estimators of TSBDF/TSTHETA count the algebraic pressure */
    PetscCall(TSGetAdapt(ts, &adapt));
    PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  }
  PetscCall(TSGetSNES(ts, &snes));
  PetscCall(SNESSetTolerances(snes, 1.0e-12, 1.0e-10, PETSC_DEFAULT, 20, PETSC_DEFAULT));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetType(ksp, KSPPREONLY));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCLU));
#if defined(PETSC_HAVE_MUMPS)
  PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
#elif defined(PETSC_HAVE_SUPERLU_DIST)
  PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERSUPERLU_DIST));
#endif
  PetscCall(TSSetFromOptions(ts));
  /* -ts_dt / -ts_max_time / -ts_max_steps take precedence over -flow_dt / -flow_steps */
  PetscCall(TSGetTimeStep(ts, &flow->dt));
  PetscCall(TSGetOptionsPrefix(ts, &prefix));
  PetscCall(PetscOptionsHasName(NULL, prefix, "-ts_max_time", &hasMaxTime));
  PetscCall(PetscOptionsHasName(NULL, prefix, "-ts_max_steps", &hasMaxSteps));
  if (!hasMaxTime) PetscCall(TSSetMaxTime(ts, flow->steps * flow->dt));
  else if (!hasMaxSteps && !flow->stepsSet) PetscCall(TSSetMaxSteps(ts, PETSC_MAX_INT));
  PetscCall(TSMonitorSet(ts, FlowMonitorHistory, flow, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowSetUp(Flow flow)
{
  PetscFunctionBegin;
  if (flow->setup) PetscFunctionReturn(0);
  PetscCall(FlowCreateMesh(flow));
  PetscCall(FlowSetUpDiscretization(flow));
  PetscCall(DMPlexCreateClosureIndex(flow->dm, NULL));
  PetscCall(DMCreateGlobalVector(flow->dm, &flow->u));
  PetscCall(PetscObjectSetName((PetscObject)flow->u, "flow_solution"));
  PetscCall(FlowSetUpTS(flow));
  if (flow->fcase == FLOW_TGV) PetscCall(FlowExactSolution(flow, 0.0, flow->u));
  else PetscCall(VecZeroEntries(flow->u)); /* at rest; the inflow starts smoothly */
  PetscCall(TSSetSolution(flow->ts, flow->u));
  PetscCall(DMTSCheckFromOptions(flow->ts, flow->u));
  flow->setup = PETSC_TRUE;
  if (flow->view) PetscCall(FlowView(flow, PETSC_VIEWER_STDOUT_(flow->comm)));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowView(Flow flow, PetscViewer viewer)
{
  PetscInt  N, cStart, cEnd, ncells, steps;
  PetscReal tmax, dt;
  TSType    type;
  PetscBool simplex;

  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  PetscCall(VecGetSize(flow->u, &N));
  PetscCall(DMPlexGetHeightStratum(flow->dm, 0, &cStart, &cEnd));
  ncells = cEnd - cStart;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ncells, 1, MPIU_INT, MPI_SUM, flow->comm));
  PetscCall(TSGetMaxSteps(flow->ts, &steps));
  PetscCall(TSGetMaxTime(flow->ts, &tmax));
  PetscCall(TSGetTimeStep(flow->ts, &dt));
  PetscCall(TSGetType(flow->ts, &type));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Flow: incompressible Navier-Stokes, case %s, nu = %g\n", FlowCases[flow->fcase], (double)flow->nu));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(DMPlexIsSimplex(flow->dm, &simplex));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Taylor-Hood %s%" PetscInt_FMT "-%s%" PetscInt_FMT ", equispaced Lagrange nodes; %" PetscInt_FMT " cells, %" PetscInt_FMT " unknowns\n", simplex ? "P" : "Q", flow->degree, simplex ? "P" : "Q", flow->degree - 1, ncells, N));
  if (flow->fcase == FLOW_TGV) {
    if (flow->nWall) PetscCall(PetscViewerASCIIPrintf(viewer, "exact velocity (Dirichlet) on %" PetscInt_FMT " boundary faces\n", flow->nWall));
    else PetscCall(PetscViewerASCIIPrintf(viewer, "periodic, no Dirichlet velocity\n"));
    PetscCall(PetscViewerASCIIPrintf(viewer, "pressure fixed to the exact value at the vertex (%g, %g)\n", (double)flow->pin[0], (double)flow->pin[1]));
  } else {
    PetscCall(PetscViewerASCIIPrintf(viewer, "channel of height %g, cylinder of diameter %g: Re = %g\n", (double)flow->H, (double)flow->D, (double)(2.0 / 3.0 * flow->umax * flow->D / flow->nu)));
    PetscCall(PetscViewerASCIIPrintf(viewer, "parabolic inflow, max %g (mean %g), smooth start over %g; no-slip walls and cylinder; do-nothing outlet\n", (double)flow->umax, (double)(2.0 / 3.0 * flow->umax), (double)flow->ramp));
    PetscCall(PetscViewerASCIIPrintf(viewer, "wake signal: int u_y over %g < x < %g\n", (double)flow->wake[0], (double)flow->wake[1]));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "TS %s, dt = %g, at most %" PetscInt_FMT " steps, max time %g\n", type, (double)dt, steps, (double)tmax));
  if (flow->nuScale != 1.0) PetscCall(PetscViewerASCIIPrintf(viewer, "TESTING: the residual uses nu x %g\n", (double)flow->nuScale));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetDM(Flow flow, DM *dm)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  *dm = flow->dm;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetTS(Flow flow, TS *ts)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  *ts = flow->ts;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetSolution(Flow flow, Vec *u)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  *u = flow->u;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetViscosity(Flow flow, PetscReal *nu)
{
  PetscFunctionBegin;
  *nu = flow->nu;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowExactSolution(Flow flow, PetscReal t, Vec u)
{
  PetscErrorCode (*funcs[2])(PetscInt, PetscReal, const PetscReal[], PetscInt, PetscScalar *, void *);
  void   *ctxs[2];
  PetscDS ds;

  PetscFunctionBegin;
  PetscCheck(flow->fcase == FLOW_TGV, flow->comm, PETSC_ERR_SUP, "No exact solution for -flow_case %s", FlowCases[flow->fcase]);
  PetscCall(DMGetDS(flow->dm, &ds));
  for (PetscInt f = 0; f < 2; ++f) PetscCall(PetscDSGetExactSolution(ds, f, &funcs[f], &ctxs[f]));
  PetscCall(DMProjectFunction(flow->dm, t, funcs, ctxs, INSERT_ALL_VALUES, u));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowSolve(Flow flow)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  PetscCall(TSSolve(flow->ts, flow->u));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetLocalSolution(Flow flow, Vec u, PetscReal t, Vec *uloc)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  if (!u) {
    u = flow->u;
    PetscCall(TSGetTime(flow->ts, &t));
  }
  PetscCall(DMGetLocalVector(flow->dm, uloc));
  PetscCall(VecZeroEntries(*uloc));
  PetscCall(DMGlobalToLocalBegin(flow->dm, u, INSERT_VALUES, *uloc));
  PetscCall(DMGlobalToLocalEnd(flow->dm, u, INSERT_VALUES, *uloc));
  PetscCall(DMPlexInsertBoundaryValues(flow->dm, PETSC_TRUE, *uloc, t, NULL, NULL, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowKineticEnergyAtTime(Flow flow, PetscReal t, Vec u, PetscReal *E)
{
  PetscFunctionBegin;
  PetscCall(FlowIntegrals(flow, t, u, E, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowKineticEnergy(Flow flow, Vec u, PetscReal *E)
{
  PetscReal t;

  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  PetscCall(TSGetTime(flow->ts, &t));
  PetscCall(FlowKineticEnergyAtTime(flow, t, u, E));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowComputeError(Flow flow, PetscReal t, Vec u, PetscReal *errU, PetscReal *errP, PetscReal *normU, PetscReal *normP)
{
  PetscErrorCode (*funcs[2])(PetscInt, PetscReal, const PetscReal[], PetscInt, PetscScalar *, void *);
  void     *ctxs[2];
  PetscDS   ds;
  PetscReal err[2], nrm[2];
  Vec       zero;

  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  PetscCheck(flow->fcase == FLOW_TGV, flow->comm, PETSC_ERR_SUP, "No exact solution for -flow_case %s", FlowCases[flow->fcase]);
  if (!u) u = flow->u;
  if (t < 0) PetscCall(TSGetTime(flow->ts, &t));
  PetscCall(DMGetDS(flow->dm, &ds));
  for (PetscInt f = 0; f < 2; ++f) PetscCall(PetscDSGetExactSolution(ds, f, &funcs[f], &ctxs[f]));
  /* DMComputeL2FieldDiff inserts the boundary values of the exact solution at t */
  PetscCall(DMComputeL2FieldDiff(flow->dm, t, funcs, ctxs, u, err));
  /* norms of the exact fields: the difference from zero, computed with the unconstrained twin */
  PetscCall(DMGetGlobalVector(flow->dmE, &zero));
  PetscCall(VecZeroEntries(zero));
  PetscCall(DMComputeL2FieldDiff(flow->dmE, t, funcs, ctxs, zero, nrm));
  PetscCall(DMRestoreGlobalVector(flow->dmE, &zero));
  if (errU) *errU = err[0];
  if (errP) *errP = err[1];
  if (normU) *normU = nrm[0];
  if (normP) *normP = nrm[1];
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetEnergyHistory(Flow flow, PetscInt *n, const PetscReal *t[], const PetscReal *E[])
{
  PetscFunctionBegin;
  if (n) *n = flow->nh;
  if (t) *t = flow->th;
  if (E) *E = flow->Eh;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetEnergyDecayRate(Flow flow, PetscReal *rate)
{
  PetscReal tm = 0, ym = 0, stt = 0, sty = 0;

  PetscFunctionBegin;
  PetscCheck(flow->nh >= 2, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "The energy history has %" PetscInt_FMT " values: at least 2 needed", flow->nh);
  /* least-squares slope of log E against t */
  for (PetscInt i = 0; i < flow->nh; ++i) {
    tm += flow->th[i] / flow->nh;
    ym += PetscLogReal(flow->Eh[i]) / flow->nh;
  }
  for (PetscInt i = 0; i < flow->nh; ++i) {
    const PetscReal dt = flow->th[i] - tm, dy = PetscLogReal(flow->Eh[i]) - ym;

    stt += dt * dt;
    sty += dt * dy;
  }
  *rate = -sty / stt;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowAddHistoryMonitor(Flow flow)
{
  PetscFunctionBegin;
  PetscCheck(flow->setup, flow->comm, PETSC_ERR_ARG_WRONGSTATE, "Call FlowSetUp() first");
  PetscCall(TSMonitorSet(flow->ts, FlowMonitorHistory, flow, NULL)); /* a second identical one is ignored */
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetCase(Flow flow, const char **name)
{
  PetscFunctionBegin;
  *name = FlowCases[flow->fcase];
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetReynolds(Flow flow, PetscReal *Re)
{
  PetscFunctionBegin;
  if (flow->fcase == FLOW_CYLINDER) *Re = 2.0 / 3.0 * flow->umax * flow->D / flow->nu;
  else *Re = 1.0 / flow->nu; /* TGV: velocity amplitude 1, length 1 (wavenumber 1) */
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetSignalHistory(Flow flow, PetscInt *n, const PetscReal *t[], const PetscReal *S[])
{
  PetscFunctionBegin;
  if (n) *n = flow->nh;
  if (t) *t = flow->th;
  if (S) *S = flow->Sh;
  PetscFunctionReturn(0);
}

PetscErrorCode FlowGetStrouhal(Flow flow, PetscReal tstart, PetscReal *St, PetscInt *periods, PetscReal *amplitude)
{
  PetscFunctionBegin;
  PetscCall(FlowStrouhalFromSignal(flow, flow->nh, flow->th, flow->Sh, tstart, St, periods, amplitude));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowStrouhalFromSignal(Flow flow, PetscInt n, const PetscReal t[], const PetscReal S[], PetscReal tstart, PetscReal *St, PetscInt *periods, PetscReal *amplitude)
{
  PetscReal mean = 0.0, smin = PETSC_MAX_REAL, smax = PETSC_MIN_REAL, first = -1.0, last = -1.0;
  PetscInt  i0 = 0, m, ncross = 0;

  PetscFunctionBegin;
  PetscCheck(flow->fcase == FLOW_CYLINDER, flow->comm, PETSC_ERR_SUP, "The Strouhal number is for -flow_case cylinder");
  while (i0 < n && t[i0] < tstart) ++i0;
  m = n - i0;
  *St     = 0.0;
  if (periods) *periods = 0;
  if (amplitude) *amplitude = 0.0;
  if (m < 3) PetscFunctionReturn(0);
  for (PetscInt i = i0; i < n; ++i) {
    mean += S[i] / m;
    smin = PetscMin(smin, S[i]);
    smax = PetscMax(smax, S[i]);
  }
  /* upward crossings of the mean, linearly interpolated */
  for (PetscInt i = i0 + 1; i < n; ++i) {
    const PetscReal a = S[i - 1] - mean, b = S[i] - mean;

    if (a < 0.0 && b >= 0.0) {
      const PetscReal tc = t[i - 1] + (t[i] - t[i - 1]) * (-a) / (b - a);

      if (first < 0.0) first = tc;
      last = tc;
      ++ncross;
    }
  }
  if (ncross >= 2) *St = (ncross - 1) / (last - first) * flow->D / (2.0 / 3.0 * flow->umax);
  if (periods) *periods = PetscMax(ncross - 1, 0);
  if (amplitude) *amplitude = 0.5 * (smax - smin);
  PetscFunctionReturn(0);
}

PetscErrorCode FlowComputeSignal(Flow flow, PetscReal t, Vec u, PetscReal *S)
{
  PetscFunctionBegin;
  PetscCheck(flow->fcase == FLOW_CYLINDER, flow->comm, PETSC_ERR_SUP, "The wake signal is for -flow_case cylinder");
  PetscCall(FlowIntegrals(flow, t, u, NULL, S));
  PetscFunctionReturn(0);
}

PetscErrorCode FlowDestroy(Flow *flow)
{
  PetscFunctionBegin;
  if (!*flow) PetscFunctionReturn(0);
  PetscCall(VecDestroy(&(*flow)->u));
  PetscCall(TSDestroy(&(*flow)->ts));
  PetscCall(DMDestroy(&(*flow)->dmE));
  PetscCall(DMDestroy(&(*flow)->dm));
  PetscCall(PetscFree3((*flow)->th, (*flow)->Eh, (*flow)->Sh));
  PetscCall(PetscFree(*flow));
  PetscFunctionReturn(0);
}
