/* The TSTrajectory type gnn (tsinsitu.cxx), registered by the package init (sys/gnninit.cxx) */
#ifndef GNNTSTRAJGNN_H
#define GNNTSTRAJGNN_H

#include <petscts.h>

PETSC_INTERN PetscErrorCode TSTrajectoryCreate_GNN(TSTrajectory, TS);

#endif
