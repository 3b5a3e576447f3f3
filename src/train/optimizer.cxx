/* Adam and AdamW with linear warm-up, cosine decay and clipping by the global gradient norm.
   Plain loops on the flat parameter array: every rank holds the same gradient (summed over ranks)
   and applies the same update, and the state (two moment arrays and the step) checkpoints as is. */
#include "gnntrainimpl.h"
#include <cmath>

std::string GNNOptimizerInvalid_Private(const GNNOptimizer &o)
{
  for (double x : {o.lr, o.lrMin, o.beta1, o.beta2, o.eps, o.weightDecay, o.clip})
    if (!std::isfinite(x)) return "its constants must be finite (lr, lr_min, betas, eps, weight decay, clip)";
  if (o.type != GNN_OPTIMIZER_ADAM && o.type != GNN_OPTIMIZER_ADAMW) return "the optimiser type " + std::to_string((int)o.type) + " is not adam (0) or adamw (1)";
  if (!(o.lr > 0)) return "the learning rate must be positive";
  if (!(o.lrMin >= 0 && o.lrMin <= o.lr)) return "the final learning rate must be in [0, lr]";
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1)) return "Adam betas must be in [0, 1)";
  if (!(o.eps > 0)) return "Adam epsilon must be positive";
  if (!(o.weightDecay >= 0)) return "the weight decay must be non-negative";
  if (!(o.clip >= 0)) return "the clipping norm must be non-negative";
  if (!(o.warmup >= 0 && o.steps >= 0)) return "the warm-up and total steps must be non-negative";
  return "";
}

/* Learning rate of step s (0-based): linear warm-up to lr over `warmup` steps, then cosine decay
   to lrMin at the last step */
PetscReal GNNOptimizerLearningRate_Private(const GNNOptimizer &o, PetscInt s)
{
  if (s < o.warmup) return o.lr * (PetscReal)(s + 1) / (PetscReal)o.warmup;
  const PetscInt  decay    = std::max<PetscInt>(1, o.steps - o.warmup);
  const PetscReal progress = std::min<PetscReal>(1, (PetscReal)(s - o.warmup) / (PetscReal)decay);
  return o.lrMin + 0.5 * (o.lr - o.lrMin) * (1 + std::cos(PETSC_PI * progress));
}

PetscReal GNNGradientNorm_Private(const std::vector<double> &g)
{
  double norm2 = 0;
  for (double gk : g) norm2 += gk * gk;
  return std::sqrt(norm2);
}

/* One update of p with gradient g (of norm gnorm, before clipping) at step s; returns the learning
   rate used */
PetscErrorCode GNNOptimizerUpdate_Private(GNNOptimizer &o, PetscInt s, std::vector<double> &p, std::vector<double> &g, PetscReal gnorm, PetscReal *lrUsed)
{
  const size_t n = p.size();

  PetscFunctionBegin;
  if (o.m.size() != n) {
    o.m.assign(n, 0.0);
    o.v.assign(n, 0.0);
  }
  if (o.clip > 0 && gnorm > o.clip) {
    const double scale = o.clip / (gnorm + 1e-6);
    for (size_t k = 0; k < n; k++) g[k] *= scale;
  }
  const double lr = GNNOptimizerLearningRate_Private(o, s), t = (double)(s + 1);
  const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
  for (size_t k = 0; k < n; k++) {
    double gk = g[k];
    if (o.type == GNN_OPTIMIZER_ADAMW) p[k] -= lr * o.weightDecay * p[k]; /* decoupled weight decay */
    o.m[k] = o.beta1 * o.m[k] + (1 - o.beta1) * gk;
    o.v[k] = o.beta2 * o.v[k] + (1 - o.beta2) * gk * gk;
    p[k] -= lr * (o.m[k] / bc1) / (std::sqrt(o.v[k] / bc2) + o.eps);
  }
  *lrUsed = lr;
  PetscFunctionReturn(0);
}
