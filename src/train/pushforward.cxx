/* The pushforward trick (Brandstetter, Worrall and Welling, "Message passing neural PDE solvers",
   2022): on a fraction of the steps, the input of sample k is not the solver's state but the
   model's own one-step prediction from the sample before it (the sample whose target is this
   input), taken as data: no gradient flows through that first step. In a rollout the model is fed
   its own outputs, whose errors are not the Gaussian noise of -gnn_train_noise; trained so, it
   learns to correct the errors its steps actually make, which is what keeps a rollout on track.
   Which steps are pushed forward is drawn from (seed, step), so every rank and every rank count
   draws the same, and a resumed run the same as an uninterrupted one. */
#include "gnntrainimpl.h"
#include "sys/gnnhash.hpp"

/* Sample k (just added) follows sample k - 1 when its input is the earlier target, bit for bit:
   the pairs of a trajectory, as in-situ training adds them */
PetscErrorCode GNNTrainerLinkSample_Private(GNNTrainer tr)
{
  GNNTrainerState &s = *tr->s;
  const size_t     k = s.x.size() - 1;
  PetscBool        eq = PETSC_FALSE;

  PetscFunctionBegin;
  if (k > 0) PetscCall(VecEqual(s.x[k], s.y[k - 1], &eq));
  s.prev.push_back(eq ? (PetscInt)k - 1 : -1);
  PetscFunctionReturn(0);
}

/* The input of this step for sample k: s.x[k], or the model's prediction from its predecessor with
   the values of the nodes out of the loss (weight 0: given data, such as Dirichlet values, which a
   rollout also sets) taken from s.x[k] */
PetscErrorCode GNNTrainerPushforwardInput_Private(GNNTrainer tr, PetscInt k, Vec *x)
{
  GNNTrainerState &s = *tr->s;
  const PetscInt   j = s.prev[k];
  double           u;

  PetscFunctionBegin;
  *x = s.x[k];
  if (tr->pushforward <= 0 || j < 0) PetscFunctionReturn(0);
  u = (double)(GNNMix64(GNNMix64((uint64_t)tr->noiseSeed ^ 0x7075736866777264ULL) ^ (uint64_t)tr->step) >> 11) * 0x1.0p-53;
  if (u >= tr->pushforward) PetscFunctionReturn(0);
  if (!tr->xpush) PetscCall(VecDuplicate(s.x[k], &tr->xpush));
  PetscCall(GNNApply(tr->gnn, s.x[j], tr->xpush));
  if (tr->weights) {
    const PetscScalar *w, *xk;
    PetscScalar       *xp;
    PetscInt           n, bs;

    PetscCall(VecGetLocalSize(tr->xpush, &n));
    PetscCall(VecGetBlockSize(tr->xpush, &bs));
    PetscCall(VecGetArrayRead(tr->weights, &w));
    PetscCall(VecGetArrayRead(s.x[k], &xk));
    PetscCall(VecGetArray(tr->xpush, &xp));
    for (PetscInt i = 0; i < n / bs; i++)
      if (w[i] == 0)
        for (PetscInt f = 0; f < bs; f++) xp[i * bs + f] = xk[i * bs + f];
    PetscCall(VecRestoreArray(tr->xpush, &xp));
    PetscCall(VecRestoreArrayRead(s.x[k], &xk));
    PetscCall(VecRestoreArrayRead(tr->weights, &w));
  }
  *x = tr->xpush;
  tr->pushed++;
  PetscFunctionReturn(0);
}
