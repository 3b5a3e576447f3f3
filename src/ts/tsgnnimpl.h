/* The plug-in's PETSc types (the TSTrajectory type gnn in tsinsitu.cxx, the TS type gnn in
   tsgnn.cxx), registered by the package init (sys/gnninit.cxx), and what the two share
   (tsdmgnn.cxx): the GNN built on a TS's own DM and the state <-> node Vec moves */
#ifndef GNNTSGNNIMPL_H
#define GNNTSGNNIMPL_H

#include <petscgnnts.h>

PETSC_INTERN PetscErrorCode TSTrajectoryCreate_GNN(TSTrajectory, TS);
PETSC_INTERN PetscErrorCode TSCreate_GNN(TS);

/* A GNN (not set up) on the TS's DM and partition: on a DMDA the dof are the node features, on a
   DMPlex the components of section field `field`; any other DM is an error naming `who` (the
   option that asked for it) and what is supported, on every rank */
PETSC_INTERN PetscErrorCode GNNTSCreateGNN_Private(TS, const char[], PetscInt, GNN *);
/* The solver state u (time t) -> node Vec, and back (the other fields of u are kept) */
PETSC_INTERN PetscErrorCode GNNTSStateToNodes_Private(GNNGraph, DM, PetscInt, PetscReal, Vec, Vec);
PETSC_INTERN PetscErrorCode GNNTSNodesToState_Private(GNNGraph, DM, PetscInt, Vec, Vec);
/* At PetscFinalize(): a warning when -ts_type gnn, -ts_trajectory_type gnn or -gnn_ts_ options were
   given but never read (the program never called TSSetFromOptions(), or has no TS) */
PETSC_INTERN PetscErrorCode GNNTSCheckOptionsUsed_Private(void);
PETSC_INTERN PetscBool      GNNTSPluginRead; /* set by the types' SetFromOptions */

#endif
