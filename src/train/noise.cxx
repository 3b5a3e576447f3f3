/* Training noise on the inputs, MeshGraphNets style: a normal deviate per (seed, step, node,
   feature) from a counter-based generator keyed by the node's natural index, so that the noise a
   node gets does not depend on the rank count or the partition. */
#include "gnntrainimpl.h"
#include "sys/gnnhash.hpp"
#include <cmath>
#include <cstdint>

namespace {

inline uint64_t Mix(uint64_t z) { return GNNMix64(z); }

/* uniform in (0, 1] from a key */
inline double Uniform(uint64_t key) { return ((double)(Mix(key) >> 11) + 1.0) * 0x1.0p-53; }

/* standard normal (Box-Muller) for (seed, step, node, feature) */
double Normal(uint64_t seed, uint64_t step, uint64_t node, uint64_t feature)
{
  uint64_t key = Mix(Mix(Mix(seed) ^ step) ^ node) ^ (feature << 1);
  double   u1 = Uniform(key), u2 = Uniform(key ^ 0x5555555555555555ULL);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

} // namespace

/* xnoisy = x + noise * N(0,1), drawn per natural node index at the trainer's current step */
PetscErrorCode GNNTrainerAddNoise_Private(GNNTrainer tr, Vec x, Vec xnoisy)
{
  GNNGraph           graph;
  const PetscInt    *nat;
  PetscInt           n, bs;
  const PetscScalar *xa;
  PetscScalar       *ya;

  PetscFunctionBegin;
  PetscCall(GNNGetGraph(tr->gnn, &graph));
  PetscCall(GNNGraphGetNaturalIndices(graph, &nat));
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetBlockSize(x, &bs));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArrayWrite(xnoisy, &ya));
  for (PetscInt i = 0; i < n / bs; i++)
    for (PetscInt f = 0; f < bs; f++) ya[i * bs + f] = xa[i * bs + f] + tr->noise * Normal((uint64_t)tr->noiseSeed, (uint64_t)tr->step, (uint64_t)nat[i], (uint64_t)f);
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(VecRestoreArrayWrite(xnoisy, &ya));
  PetscFunctionReturn(0);
}
