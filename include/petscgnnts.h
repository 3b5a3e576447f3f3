/*
   Solver coupling: a GNN on the graph of a PETSc solver's own DMPlex.

   The graph is built from the solver's DM (GNNGraphSetDM(), types vertex or gll), so its owned
   nodes are the solver's owned mesh points: moving a field between the solver's vectors and node
   vectors is a local copy, with no communication and no second partition.
*/
#ifndef PETSCGNNTS_H
#define PETSCGNNTS_H

#include <petscgnntrain.h>
#include <petscts.h>

/* Field `field` of a solver Vec (global Vec of dm, boundary values at time t inserted) -> a node Vec
   with the field's components per node; needs one graph node per mesh point carrying the field
   (vertex graph and a vertex field; GLL graph of degree <= 2 and a Lagrange field of the same degree) */
PETSC_EXTERN PetscErrorCode GNNGraphPlexFieldToNodes(GNNGraph, DM, PetscInt, PetscReal, Vec, Vec);
/* ... and back: the node values overwrite that field of u (constrained boundary values are the solver's) */
PETSC_EXTERN PetscErrorCode GNNGraphPlexNodesToField(GNNGraph, DM, PetscInt, Vec, Vec);

/* mask[i] = 1 where the field's values at node i are constrained (Dirichlet), else 0 (one value per node) */
PETSC_EXTERN PetscErrorCode GNNGraphPlexConstrainedNodes(GNNGraph, DM, PetscInt, Vec);

/* Advances a solver state with the GNN: field `field` of u_out = GNN(field of u_in), the other fields copied */
PETSC_EXTERN PetscErrorCode GNNPlexApplyField(GNN, DM, PetscInt, PetscReal, Vec, Vec);

/* In-situ training: a TS monitor that every `every` solver steps hands the pair (state k steps
   before, state now) of field `field` to the trainer in memory and runs `trainSteps` optimiser
   steps, interleaved with the solve on the same ranks. The trainer is set up at the first pair
   (normalisation from it when -gnn_train_normalize). */
PETSC_EXTERN PetscErrorCode GNNTSSetInSituTraining(TS, GNNTrainer, PetscInt, PetscInt, PetscInt);

/* The same by options alone (the library loaded with -dll_append, or linked): -ts_save_trajectory
   -ts_trajectory_type gnn -gnn_ts_every k -gnn_ts_train_per_sample n [-gnn_ts_field f]
   [-gnn_save_weights FILE]; the GNN is built on the TS's DM (DMDA or DMPlex: the graph from the
   field's discretisation, Q1/P1 vertex, Q2 GLL degree 2) at TSSetUp(); the weights file records
   k, the field and dt as metadata (GNNSetMetadata()) */
#define TSTRAJECTORYGNN "gnn"

/* The surrogate by options alone: -ts_type gnn -gnn_load_weights FILE [-gnn_ts_hybrid_every m
   [-gnn_ts_hybrid_solver rk]] advances the solution with the trained GNN, one GNN step standing
   for k steps of the TS's dt (src/ts/tsgnn.cxx); k, the field, dt and the architecture come from
   the weights file's metadata (GNNReadWeightsMetadata()), an option that contradicts them is an error */
#define TSGNN "gnn"

#endif
