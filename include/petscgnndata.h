/* Data for GNNs on mesh graphs: node fields of built-in tasks */
#ifndef PETSCGNNDATA_H
#define PETSCGNNDATA_H

#include <petscgnngraph.h>

/* The Taylor-Green vortex velocity at the graph's owned nodes at time t, viscosity nu:
     d = 2: u = ( sin x cos y, -cos x sin y ) exp(-2 nu t)   (exact Navier-Stokes solution)
     d = 3: u = ( sin x cos y cos z, -cos x sin y cos z, 0 ) exp(-3 nu t)
   u is a node Vec with d values per node (GNNGraphCreateNodeVec()). */
PETSC_EXTERN PetscErrorCode GNNDataTaylorGreen(GNNGraph, PetscReal, PetscReal, Vec);

#endif
