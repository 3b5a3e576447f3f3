/*
   GNNTrainer: consistent distributed training of a GNN on snapshot pairs (input field -> target
   field on the graph nodes). Every rank holds its owned nodes of every sample; the loss is one
   global mean, the gradients are summed over the ranks and every rank applies the same update,
   so N ranks reproduce the training run of one rank.

   Options (prefix-able, see GNNTrainerSetFromOptions()):
     -gnn_train_optimizer adam|adamw  -gnn_train_lr 1e-4  -gnn_train_lr_min 0
     -gnn_train_warmup_steps 0  -gnn_train_steps 100  -gnn_train_weight_decay 0.01 (adamw)
     -gnn_train_clip 0 (global gradient norm; 0: off)  -gnn_train_normalize  -gnn_train_noise 0
     -gnn_train_monitor  -gnn_train_monitor_every 1  -gnn_train_history FILE
     -gnn_checkpoint FILE  -gnn_checkpoint_every k  -gnn_resume FILE  -gnn_train_view
     -gnn_train_nonfinite error|skip  -gnn_train_nonfinite_max 10  -gnn_train_pushforward 0
*/
#ifndef PETSCGNNTRAIN_H
#define PETSCGNNTRAIN_H

#include <petscgnn.h>

typedef struct _p_GNNTrainer *GNNTrainer;

typedef enum {
  GNN_OPTIMIZER_ADAM,
  GNN_OPTIMIZER_ADAMW
} GNNOptimizerType;
PETSC_EXTERN const char *const GNNOptimizerTypes[];

/* What a training step whose loss or gradient is not finite (NaN, Inf) does: stop with an error
   (the default), or leave the weights and the optimiser state as they are and go on */
typedef enum {
  GNN_TRAIN_NONFINITE_ERROR,
  GNN_TRAIN_NONFINITE_SKIP
} GNNTrainNonFinitePolicy;
PETSC_EXTERN const char *const GNNTrainNonFinitePolicies[];

PETSC_EXTERN PetscClassId GNNTRAINER_CLASSID;

PETSC_EXTERN PetscErrorCode GNNTrainerCreate(MPI_Comm, GNNTrainer *);
PETSC_EXTERN PetscErrorCode GNNTrainerSetGNN(GNNTrainer, GNN);
PETSC_EXTERN PetscErrorCode GNNTrainerGetGNN(GNNTrainer, GNN *);
PETSC_EXTERN PetscErrorCode GNNTrainerAddSample(GNNTrainer, Vec, Vec);
PETSC_EXTERN PetscErrorCode GNNTrainerGetNumSamples(GNNTrainer, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNTrainerSetNodeWeights(GNNTrainer, Vec);
PETSC_EXTERN PetscErrorCode GNNTrainerSetPushforward(GNNTrainer, PetscReal);
PETSC_EXTERN PetscErrorCode GNNTrainerSetSteps(GNNTrainer, PetscInt);
PETSC_EXTERN PetscErrorCode GNNTrainerSetLearningRate(GNNTrainer, PetscReal, PetscReal, PetscInt);
/* The policy, and for skip the most consecutive steps skipped before it is an error */
PETSC_EXTERN PetscErrorCode GNNTrainerSetNonFinitePolicy(GNNTrainer, GNNTrainNonFinitePolicy, PetscInt);
PETSC_EXTERN PetscErrorCode GNNTrainerSetReproducible(GNNTrainer, PetscBool);
/* Steps skipped for a non-finite loss or gradient by this object: in all, and in a row up to now */
PETSC_EXTERN PetscErrorCode GNNTrainerGetNonFiniteSkipped(GNNTrainer, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNTrainerSetOptionsPrefix(GNNTrainer, const char[]);
PETSC_EXTERN PetscErrorCode GNNTrainerAppendOptionsPrefix(GNNTrainer, const char[]);
PETSC_EXTERN PetscErrorCode GNNTrainerSetFromOptions(GNNTrainer);
PETSC_EXTERN PetscErrorCode GNNTrainerSetUp(GNNTrainer);
PETSC_EXTERN PetscErrorCode GNNTrainerView(GNNTrainer, PetscViewer);
PETSC_EXTERN PetscErrorCode GNNTrainerViewFromOptions(GNNTrainer, PetscObject, const char[]);
PETSC_EXTERN PetscErrorCode GNNTrainerDestroy(GNNTrainer *);

/* One optimiser step on the next sample (sample = step mod number of samples); returns its loss
   (not finite for a step skipped by -gnn_train_nonfinite skip) */
PETSC_EXTERN PetscErrorCode GNNTrainerStep(GNNTrainer, PetscReal *);
/* Steps until the configured number of steps; writes monitor, history, checkpoints, final weights */
PETSC_EXTERN PetscErrorCode GNNTrainerTrain(GNNTrainer);
PETSC_EXTERN PetscErrorCode GNNTrainerGetStep(GNNTrainer, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNTrainerGetLearningRate(GNNTrainer, PetscInt, PetscReal *);
/* Loss of every step taken by this object (resumed runs: from the resumed step on) */
PETSC_EXTERN PetscErrorCode GNNTrainerGetHistory(GNNTrainer, PetscInt *, PetscInt *, const PetscReal *[]);

/* Checkpoints: model, optimiser state, step, schedule, normalisation, noise seed; written
   atomically (temporary file, then rename) */
PETSC_EXTERN PetscErrorCode GNNTrainerSaveCheckpoint(GNNTrainer, const char[]);
PETSC_EXTERN PetscErrorCode GNNTrainerLoadCheckpoint(GNNTrainer, const char[]);

/* GNNRollout() is declared with the model (petscgnn.h), beside GNNApply() */

#endif
