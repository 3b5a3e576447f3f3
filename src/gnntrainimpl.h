/* Private data of GNNTrainer */
#ifndef GNNTRAINIMPL_H
#define GNNTRAINIMPL_H

#include <petscgnntrain.h>
#include <petsc/private/petscimpl.h>
#include <string>
#include <vector>

/* The optimiser: Adam/AdamW on the flat parameter array, replicated on every rank */
struct GNNOptimizer {
  GNNOptimizerType    type   = GNN_OPTIMIZER_ADAM;
  PetscReal           lr     = 1e-4, lrMin = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, clip = 0;
  PetscInt            warmup = 0, steps = 100;
  std::vector<double> m, v; /* first and second moments */
};

struct GNNTrainerState {
  std::vector<Vec>    x, y;    /* samples: inputs and targets (node Vecs) */
  std::vector<PetscInt> prev;  /* the sample whose target is sample k's input, or -1 (pushforward) */
  std::vector<double> p, g;    /* parameters and gradient, flat */
  std::vector<double> history; /* loss per step taken */
  PetscInt            historyStart = 0;
  GNNOptimizer        opt;
};

struct _p_GNNTrainer {
  PETSCHEADER(int);
  GNN                     gnn;
  Vec                     weights; /* per-node loss weights, or NULL */
  Vec                     xnoisy;
  Vec                     xpush;       /* the pushforward input */
  PetscReal               pushforward; /* fraction of the steps whose input is the model's own prediction */
  PetscInt                pushed;      /* steps pushed forward so far in this run */
  PetscInt                step;
  PetscBool               normalize;
  PetscBool               reproducible; /* GNNTrainerSetReproducible: handed to the GNN at set-up */
  PetscReal               noise;
  PetscReal               memoryLimit; /* GiB per rank for the pre-flight check; < 0: the node's share, 0: no check */
  PetscLogDouble          memoryNeed, memoryHave; /* the pre-flight's figures on its tightest rank (bytes; 0: not checked) */
  PetscMPIInt             memoryRank;
  PetscInt                noiseSeed;
  PetscBool               monitor;
  PetscInt                monitorEvery;
  char                    historyFile[PETSC_MAX_PATH_LEN];
  char                    checkpointFile[PETSC_MAX_PATH_LEN];
  PetscInt                checkpointEvery;
  char                    resumeFile[PETSC_MAX_PATH_LEN];
  GNNTrainNonFinitePolicy nonfinite;
  PetscInt                nonfiniteMax;     /* most consecutive skipped steps */
  PetscInt                skipped, skipRun; /* steps skipped: in all, in a row up to now */
  PetscBool               setupcalled;
  PetscLogDouble          trainStart;
  GNNTrainerState        *s;
};

/* The global norm of the gradient (every rank holds the same gradient) */
PETSC_INTERN PetscReal      GNNGradientNorm_Private(const std::vector<double> &);
PETSC_INTERN PetscErrorCode GNNOptimizerUpdate_Private(GNNOptimizer &, PetscInt, std::vector<double> &, std::vector<double> &, PetscReal, PetscReal *);
PETSC_INTERN PetscReal      GNNOptimizerLearningRate_Private(const GNNOptimizer &, PetscInt);
/* The first setting of the optimiser out of its range (or not finite), in words; "" when all are
   valid: the options and the checkpoints are checked by this one function */
std::string GNNOptimizerInvalid_Private(const GNNOptimizer &);
PETSC_INTERN PetscErrorCode GNNTrainerAddNoise_Private(GNNTrainer, Vec, Vec);
PETSC_INTERN PetscErrorCode GNNTrainerLinkSample_Private(GNNTrainer);
PETSC_INTERN PetscErrorCode GNNTrainerPushforwardInput_Private(GNNTrainer, PetscInt, Vec *);
PETSC_INTERN PetscErrorCode GNNTrainerHistoryRestart_Private(GNNTrainer);
PETSC_INTERN PetscErrorCode GNNTrainerHistoryAppend_Private(GNNTrainer, PetscInt, PetscReal);
PETSC_INTERN PetscErrorCode GNNTrainerMonitor_Private(GNNTrainer, PetscReal, PetscReal, PetscReal, PetscLogDouble, PetscBool);

#endif
