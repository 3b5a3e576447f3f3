/* Package-level set-up of the petscgnn library: class ids, log events, registration. */
#ifndef PETSCGNNSYS_H
#define PETSCGNNSYS_H

#include <petscsys.h>

#define PETSCGNN_VERSION_MAJOR 0
#define PETSCGNN_VERSION_MINOR 1
#define PETSCGNN_VERSION_SUBMINOR 0

PETSC_EXTERN PetscErrorCode GNNInitializePackage(void);
PETSC_EXTERN PetscErrorCode GNNFinalizePackage(void);

/* Log events of the component's phases, shown by -log_view */
PETSC_EXTERN PetscLogEvent GNN_GraphSetUp;
PETSC_EXTERN PetscLogEvent GNN_HaloExchange;   /* ghost update: owner -> ghosts (forward) */
PETSC_EXTERN PetscLogEvent GNN_HaloReverse; /* adjoint: ghosts -> owner, ADD (backward) */
PETSC_EXTERN PetscLogEvent GNN_Encode;
PETSC_EXTERN PetscLogEvent GNN_EdgeMLP;
PETSC_EXTERN PetscLogEvent GNN_Aggregate;
PETSC_EXTERN PetscLogEvent GNN_NodeMLP;
PETSC_EXTERN PetscLogEvent GNN_Decode;
PETSC_EXTERN PetscLogEvent GNN_Backward;
PETSC_EXTERN PetscLogEvent GNN_GradReduce;

#endif
