/* Consistent training: N ranks against the 1-rank run (PETSC_COMM_SELF on rank 0, same options) */
#include "gnntest.hpp"
#include <petscgnntrain.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const std::string kMesh = "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 7,6 -dm_plex_box_upper 6.283185307179586,6.283185307179586 ";

TrainResult Train(MPI_Comm comm, const std::string &opts) { return GNNTestTrain(comm, kMesh + opts); }

void Compare(const std::string &opts, double tol, size_t steps)
{
  TrainResult dist = Train(PETSC_COMM_WORLD, opts);
  if (Rank() == 0) {
    TrainResult ref = Train(PETSC_COMM_SELF, opts);
    EXPECT_EQ(ref.history.size(), steps);
    std::printf("  %s: history rel diff %.3e, weights rel diff %.3e, loss %.4e -> %.4e\n", opts.c_str(), RelDiff(ref.history, dist.history), RelDiff(ref.params, dist.params), ref.history.front(), ref.history.back());
    EXPECT_LE(RelDiff(ref.history, dist.history), tol) << "loss history";
    EXPECT_LE(RelDiff(ref.params, dist.params), tol) << "final weights";
    /* the run learns something (so the comparison is not between two untouched models) */
    EXPECT_LT(ref.history.back(), 0.9 * ref.history.front());
  }
}

TEST(Training, AdamFloat64)
{
  Compare("-gnn_precision float64 -gnn_train_steps 50 -gnn_train_lr 1e-3", 1e-10, 50);
}

TEST(Training, AdamWWarmupClipFloat64)
{
  Compare("-gnn_precision float64 -gnn_train_steps 50 -gnn_train_optimizer adamw -gnn_train_lr 2e-3 -gnn_train_warmup_steps 10 -gnn_train_lr_min 1e-5 -gnn_train_clip 0.5", 1e-10, 50);
}

TEST(Training, NormalisationAndNoiseFloat64)
{
  Compare("-gnn_precision float64 -gnn_train_steps 50 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02", 1e-10, 50);
}

TEST(Training, AdamFloat32)
{
  Compare("-gnn_precision float32 -gnn_train_steps 20 -gnn_train_lr 1e-3", 1e-4, 20);
}

/* Ranks with very few nodes or none (test_consistency's FewNodesPerRank mesh: 3 x 2 cells, simple
   partitioner, some ranks without a node on more than 6 ranks), with normalisation and noise: their
   statistics and the noise go through every rank, empty or not */
TEST(Training, FewNodesPerRankFloat64)
{
  const std::string few = "-dm_plex_box_faces 3,2 -petscpartitioner_type simple "; /* replaces kMesh's 7,6 */
  PetscInt          fewest, most;
  GNNTestOwnedRange(PETSC_COMM_WORLD, kMesh + few, &fewest, &most);
  if (Size() > 6) EXPECT_EQ(fewest, 0) << "on more than 6 ranks some rank should own no node";
  if (Rank() == 0) std::printf("  %d rank(s): owned nodes per rank %d to %d\n", Size(), (int)fewest, (int)most);
  Compare(few + "-gnn_precision float64 -gnn_train_steps 30 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02", 1e-10, 30);
}

/* -gnn_train_reproducible: every sum of the step in fixed point (gradients, sums by sender, loss,
   loss weights, normalisation statistics), so N ranks give the 1-rank run bit for bit: histories
   and weights compared as bit patterns, not to a tolerance */
bool SameBits(const std::vector<double> &a, const std::vector<double> &b)
{
  return a.size() == b.size() && (a.empty() || !std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));
}

const std::string kRepro = "-gnn_train_reproducible -gnn_train_steps 50 ";

void CompareBitwise(const std::string &opts, const std::string &mesh = "")
{
  TrainResult dist = Train(PETSC_COMM_WORLD, mesh + kRepro + opts);
  if (Rank() == 0) {
    TrainResult ref = Train(PETSC_COMM_SELF, mesh + kRepro + opts);
    EXPECT_EQ(ref.history.size(), 50u);
    const bool h = SameBits(ref.history, dist.history), w = SameBits(ref.params, dist.params);
    std::printf("  reproducible %s: %d rank(s) vs 1: history %s, weights %s, loss %.4e -> %.4e\n", opts.c_str(), Size(), h ? "bitwise" : "DIFFER", w ? "bitwise" : "DIFFER", ref.history.front(), ref.history.back());
    EXPECT_TRUE(h) << "loss history, rel diff " << RelDiff(ref.history, dist.history);
    EXPECT_TRUE(w) << "final weights, rel diff " << RelDiff(ref.params, dist.params);
    EXPECT_LT(ref.history.back(), 0.9 * ref.history.front());
  }
}

/* (each case runs about 150 small all-reduces per step: two cases cover Adam and AdamW, both
   precisions, clipping, warm-up, normalisation and noise) */
TEST(Reproducible, AdamNormalisationNoiseFloat64) { CompareBitwise("-gnn_precision float64 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02"); }
TEST(Reproducible, AdamWClipNormalisationNoiseFloat32)
{
  CompareBitwise("-gnn_precision float32 -gnn_train_optimizer adamw -gnn_train_lr 2e-3 -gnn_train_warmup_steps 10 -gnn_train_lr_min 1e-5 -gnn_train_clip 0.5 -gnn_train_normalize -gnn_train_noise 0.02");
}
/* ranks owning few nodes or none (on more than 6 ranks) */
TEST(Reproducible, FewNodesPerRankFloat32)
{
  CompareBitwise("-dm_plex_box_faces 3,2 -petscpartitioner_type simple -gnn_precision float32 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02");
}
/* the same with the halo not overlapped (the cases above overlap it, the default): the exchange of
   h W_j and the reverse of the fixed-point sums by sender give the same bits either way */
TEST(Reproducible, HaloOverlapOffFloat32)
{
  CompareBitwise("-gnn_halo_overlap 0 -dm_plex_box_faces 3,2 -petscpartitioner_type simple -gnn_precision float32 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02");
}

/* A checkpoint written on one rank count and resumed on another continues the uninterrupted run's
   bits: written after 25 of 50 steps on 1 rank and resumed on all, and the other way round */
TEST(Reproducible, ResumeOnAnotherRankCount)
{
  const std::string opts = kRepro + "-gnn_precision float32 -gnn_train_optimizer adamw -gnn_train_lr 2e-3 -gnn_train_clip 0.5 -gnn_train_normalize -gnn_train_noise 0.02 ";
  const std::string c1 = "repro_ckpt_from1_np" + std::to_string(Size()) + ".pt", cN = "repro_ckpt_fromN_np" + std::to_string(Size()) + ".pt";
  TrainResult       full;
  if (Rank() == 0) {
    full = Train(PETSC_COMM_SELF, opts);
    GNNTestTrain(PETSC_COMM_SELF, kMesh + opts, 25, c1);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  GNNTestTrain(PETSC_COMM_WORLD, kMesh + opts, 25, cN);
  TrainResult fromOne = Train(PETSC_COMM_WORLD, opts + "-gnn_resume " + c1);
  if (Rank() == 0) {
    TrainResult fromN = Train(PETSC_COMM_SELF, opts + "-gnn_resume " + cN);
    for (const TrainResult *r : {&fromOne, &fromN}) {
      const char *what = r == &fromOne ? "written on 1 rank, resumed on all" : "written on all ranks, resumed on 1";
      ASSERT_LE(r->history.size(), full.history.size());
      std::vector<double> tail(full.history.end() - r->history.size(), full.history.end());
      EXPECT_GE(r->history.size(), 25u) << what;
      EXPECT_TRUE(SameBits(tail, r->history)) << what << ": history rel diff " << RelDiff(tail, r->history);
      EXPECT_TRUE(SameBits(full.params, r->params)) << what << ": weights rel diff " << RelDiff(full.params, r->params);
    }
    std::remove(c1.c_str());
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  if (Rank() == 0) std::remove(cN.c_str());
}

/* The reproducible run is the same training as the default one, to rounding (float64) */
TEST(Reproducible, AgreesWithTheDefaultSums)
{
  TrainResult rep = Train(PETSC_COMM_WORLD, kRepro + "-gnn_precision float64 -gnn_train_lr 1e-3 -gnn_train_normalize");
  TrainResult def = Train(PETSC_COMM_WORLD, "-gnn_train_steps 50 -gnn_precision float64 -gnn_train_lr 1e-3 -gnn_train_normalize");
  if (Rank() == 0) std::printf("  reproducible vs default sums, float64, %d rank(s): history rel diff %.3e, weights rel diff %.3e\n", Size(), RelDiff(def.history, rep.history), RelDiff(def.params, rep.params));
  EXPECT_LE(RelDiff(def.history, rep.history), 1e-8);
  EXPECT_LE(RelDiff(def.params, rep.params), 1e-8);
}

/* The noise must actually change the run (else the test above proves nothing about it) */
TEST(Training, NoiseChangesTheRun)
{
  TrainResult a = Train(PETSC_COMM_WORLD, "-gnn_precision float64 -gnn_train_steps 5 -gnn_train_lr 1e-3");
  TrainResult b = Train(PETSC_COMM_WORLD, "-gnn_precision float64 -gnn_train_steps 5 -gnn_train_lr 1e-3 -gnn_train_noise 0.02");
  EXPECT_GT(RelDiff(a.history, b.history), 1e-6);
}

/* -gnn_train_pushforward: the 4 Taylor-Green pairs follow each other (pair k's input is pair
   k - 1's target), so on the chosen steps the input is the model's own prediction. Consistent at any
   rank count; step 0 (sample 0 has no predecessor) is not changed, the steps after are. */
TEST(Training, PushforwardFloat64)
{
  Compare("-gnn_precision float64 -gnn_train_steps 50 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.01 -gnn_train_pushforward 0.5", 1e-10, 50);
}

TEST(Training, PushforwardUsesThePredecessorOnly)
{
  const std::string opts = "-petscpartitioner_type simple -gnn_precision float64 -gnn_train_steps 6 -gnn_train_lr 1e-3 ";
  TrainResult       a    = Train(PETSC_COMM_WORLD, opts);
  TrainResult       b    = Train(PETSC_COMM_WORLD, opts + "-gnn_train_pushforward 1");
  ASSERT_EQ(a.history.size(), 6u);
  ASSERT_EQ(b.history.size(), 6u);
  EXPECT_EQ(a.history[0], b.history[0]) << "sample 0 has no predecessor: its step must not change";
  for (size_t k = 1; k < 4; k++) EXPECT_NE(a.history[k], b.history[k]) << "step " << k << " was not pushed forward";
}

/* -gnn_recompute layers keeps only each processor layer's inputs and runs the layer again in
   backward: the same operations on the same values, so the same run bit for bit, on N ranks as on
   one (with noise and normalisation, in both precisions) */
TEST(Training, RecomputeLayersIsBitwiseTheSame)
{
  for (const char *prec : {"float64", "float32"}) {
    /* the simple partitioner: PTScotch may split the mesh differently on a second call in one process */
    const std::string opts = std::string("-petscpartitioner_type simple -gnn_precision ") + prec + " -gnn_train_steps 8 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02 ";
    TrainResult       keep = Train(PETSC_COMM_WORLD, opts + "-gnn_recompute none");
    TrainResult       re   = Train(PETSC_COMM_WORLD, opts + "-gnn_recompute layers");
    EXPECT_EQ(keep.history.size(), 8u);
    EXPECT_TRUE(keep.history == re.history) << prec << ": loss history differs, rel " << RelDiff(keep.history, re.history);
    EXPECT_TRUE(keep.params == re.params) << prec << ": weights differ, rel " << RelDiff(keep.params, re.params);
  }
}

/* -gnn_recompute mlp keeps only each MLP's input and the fused backward computes its activations
   again (GNNKernelMLPBackward): the same operations on the same values and the same sums, so the
   same run bit for bit, with and without LayerNorm, and with reproducible sums (the layers' own
   fixed-point backward, run again with autograd). In both precisions, with noise and normalisation,
   on a mesh large enough for several chunks of the LayerNorm's sums. */
TEST(Training, RecomputeMLPIsBitwiseTheSame)
{
  for (const char *prec : {"float64", "float32"}) {
    const std::string opts = std::string("-dm_plex_box_faces 24,20 -petscpartitioner_type simple -gnn_precision ") + prec + " -gnn_train_steps 4 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02 ";
    for (const char *extra : {"-gnn_layer_norm 0 ", "", "-gnn_train_reproducible "}) {
      TrainResult keep = Train(PETSC_COMM_WORLD, opts + extra + "-gnn_recompute none");
      TrainResult re   = Train(PETSC_COMM_WORLD, opts + extra + "-gnn_recompute mlp");
      EXPECT_EQ(keep.history.size(), 4u);
      EXPECT_TRUE(keep.history == re.history) << prec << " " << extra << ": loss history differs, rel " << RelDiff(keep.history, re.history);
      EXPECT_TRUE(keep.params == re.params) << prec << " " << extra << ": weights differ, rel " << RelDiff(keep.params, re.params);
    }
  }
}

/* ... and N ranks train as one with it */
TEST(Training, RecomputeMLPFloat64) { Compare("-gnn_precision float64 -gnn_train_steps 30 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02 -gnn_recompute mlp", 1e-10, 30); }

/* -gnn_halo_overlap changes the time only: 8 steps with the exchange overlapped, not overlapped, and
   overlapped with the processor layers recomputed in backward (a second exchange per layer) give
   the same losses and weights bit for bit */
TEST(Training, HaloOverlapIsBitwiseTheSame)
{
  for (const char *prec : {"float64", "float32"}) {
    const std::string opts = std::string("-petscpartitioner_type simple -gnn_precision ") + prec + " -gnn_train_steps 8 -gnn_train_lr 1e-3 -gnn_train_normalize -gnn_train_noise 0.02 ";
    TrainResult       off = Train(PETSC_COMM_WORLD, opts + "-gnn_halo_overlap 0");
    TrainResult       on  = Train(PETSC_COMM_WORLD, opts + "-gnn_halo_overlap 1");
    TrainResult       re  = Train(PETSC_COMM_WORLD, opts + "-gnn_halo_overlap 1 -gnn_recompute layers");
    EXPECT_EQ(off.history.size(), 8u);
    EXPECT_TRUE(off.history == on.history) << prec << ": loss history differs, rel " << RelDiff(off.history, on.history);
    EXPECT_TRUE(off.params == on.params) << prec << ": weights differ, rel " << RelDiff(off.params, on.params);
    EXPECT_TRUE(off.history == re.history) << prec << " (recompute layers): loss history differs, rel " << RelDiff(off.history, re.history);
    EXPECT_TRUE(off.params == re.params) << prec << " (recompute layers): weights differ, rel " << RelDiff(off.params, re.params);
  }
}

/* Node weights of the loss (GNNTrainerSetNodeWeights). weights: 0 none, 1 all ones, 2 zero on the
   nodes with x < 2 (3 of the 8 columns of the 7 x 6 box) and 1 + 0.5 sin(y) elsewhere. perturb:
   targets changed (+5 + y) on the nodes with x < 2. 30 Adam steps, float64, no normalisation (its
   statistics would see the targets of every node). */
enum { kUnweighted, kOnes, kMasked };

bool Masked(const PetscReal *x) { return x[0] < 2.0; }

TrainResult TrainWeighted(MPI_Comm comm, int weights, bool perturb)
{
  ScopedOptions    o(kMesh + "-gnn_precision float64 -gnn_train_steps 30 -gnn_train_lr 1e-3 -petscpartitioner_type simple");
  GNNSetup         s(comm);
  GNNTrainer       tr;
  Vec              x, y, w = NULL;
  PetscInt         nO;
  const PetscReal *X;
  PetscScalar     *a;
  TrainResult      r;
  TestCall(GNNTrainerCreate(comm, &tr));
  TestCall(GNNTrainerSetGNN(tr, s.gnn));
  TestCall(GNNTrainerSetFromOptions(tr));
  TestCall(GNNGraphGetSizes(s.graph, &nO, NULL, NULL, NULL));
  TestCall(GNNGraphGetCoordinates(s.graph, &X));
  if (weights != kUnweighted) {
    TestCall(GNNGraphCreateNodeVec(s.graph, 1, &w));
    TestCall(VecGetArrayWrite(w, &a));
    for (PetscInt i = 0; i < nO; i++) a[i] = weights == kOnes ? 1.0 : Masked(X + i * s.dim) ? 0.0 : 1 + 0.5 * std::sin(X[i * s.dim + 1]);
    TestCall(VecRestoreArrayWrite(w, &a));
    TestCall(GNNTrainerSetNodeWeights(tr, w));
    TestCall(VecDestroy(&w)); /* the trainer keeps a reference */
  }
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &x));
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &y));
  for (int k = 0; k < 4; k++) {
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * k, 0.1, x));
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * (k + 1), 0.1, y));
    if (perturb) {
      TestCall(VecGetArray(y, &a));
      for (PetscInt i = 0; i < nO; i++)
        if (Masked(X + i * s.dim))
          for (PetscInt c = 0; c < s.dim; c++) a[i * s.dim + c] += 5 + X[i * s.dim + 1];
      TestCall(VecRestoreArray(y, &a));
    }
    TestCall(GNNTrainerAddSample(tr, x, y));
  }
  TestCall(GNNTrainerTrain(tr));
  r = GNNTestTrainResult(tr);
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&y));
  TestCall(GNNTrainerDestroy(&tr));
  return r;
}

/* Two training runs that must be the same, bit for bit, at any rank count. (The runs use PETSc's
   simple partitioner: PTScotch, the default, may split the same mesh differently in a second call
   within one process, and another partition sums the gradients in another order, so two runs would
   then agree to rounding only; with one partition they are identical.) */
void ExpectSame(MPI_Comm comm, const TrainResult &a, const TrainResult &b, const char *what)
{
  PetscMPIInt n;
  MPI_Comm_size(comm, &n);
  EXPECT_TRUE(a.history == b.history) << what << ", " << n << " rank(s): history rel diff " << RelDiff(a.history, b.history);
  EXPECT_TRUE(a.params == b.params) << what << ", " << n << " rank(s): weights rel diff " << RelDiff(a.params, b.params);
  EXPECT_EQ(a.history.size(), 30u);
}

/* (a) weights all 1 give exactly the unweighted run: on PETSC_COMM_WORLD, and on rank 0 alone */
void CheckOnes(MPI_Comm comm)
{
  TrainResult u = TrainWeighted(comm, kUnweighted, false);
  TrainResult o = TrainWeighted(comm, kOnes, false);
  ExpectSame(comm, u, o, "weights all 1 vs unweighted");
  EXPECT_LT(u.history.back(), 0.9 * u.history.front()) << "the run does not learn";
}

TEST(NodeWeights, OnesAreUnweighted)
{
  CheckOnes(PETSC_COMM_WORLD);
  if (Rank() == 0) CheckOnes(PETSC_COMM_SELF);
}

/* (b) weight 0 masks a node: its targets do not matter, while they do matter unweighted; and the
   masked run is not the unweighted one */
void CheckMasked(MPI_Comm comm)
{
  TrainResult m  = TrainWeighted(comm, kMasked, false);
  TrainResult mp = TrainWeighted(comm, kMasked, true);
  TrainResult u  = TrainWeighted(comm, kUnweighted, false);
  TrainResult up = TrainWeighted(comm, kUnweighted, true);
  ExpectSame(comm, m, mp, "weight 0 where the targets were changed vs the same weights, targets unchanged");
  EXPECT_GT(RelDiff(u.history, up.history), 1e-2) << "the perturbation does not change the unweighted run (so the check above proves nothing)";
  EXPECT_GT(RelDiff(u.history, m.history), 1e-3) << "the weights do not change the loss";
  if (Rank() == 0) std::printf("  %s: masked, targets changed there: history rel diff %.3e (unweighted: %.3e); masked vs unweighted %.3e\n", comm == PETSC_COMM_SELF ? "rank 0 alone" : "all ranks", RelDiff(m.history, mp.history), RelDiff(u.history, up.history), RelDiff(u.history, m.history));
}

TEST(NodeWeights, ZeroWeightMasksTargets)
{
  CheckMasked(PETSC_COMM_WORLD);
  if (Rank() == 0) CheckMasked(PETSC_COMM_SELF);
}

/* (c) weighted training on N ranks is the 1-rank run */
TEST(NodeWeights, ConsistentAcrossRankCounts)
{
  TrainResult dist = TrainWeighted(PETSC_COMM_WORLD, kMasked, false);
  if (Rank() == 0) {
    TrainResult ref = TrainWeighted(PETSC_COMM_SELF, kMasked, false);
    EXPECT_EQ(ref.history.size(), 30u);
    EXPECT_LE(RelDiff(ref.history, dist.history), 1e-10) << "loss history";
    EXPECT_LE(RelDiff(ref.params, dist.params), 1e-10) << "final weights";
    EXPECT_LT(ref.history.back(), 0.9 * ref.history.front());
    std::printf("  weighted, %d rank(s) vs 1: history rel diff %.3e, weights rel diff %.3e\n", Size(), RelDiff(ref.history, dist.history), RelDiff(ref.params, dist.params));
  }
}

/* Rollout (the one-step model applied repeatedly) is bitwise the same on any rank count */
std::vector<double> Rollout(MPI_Comm comm)
{
  ScopedOptions o(kMesh + "-gnn_precision float64 -gnn_seed 3");
  GNNSetup      s(comm);
  Vec           u;
  s.Fields(&u, NULL);
  TestCall(GNNRollout(s.gnn, u, 3, NULL, NULL));
  std::vector<double> r = s.Natural(u);
  TestCall(VecDestroy(&u));
  return r;
}

TEST(Rollout, ConsistentAcrossRankCounts)
{
  std::vector<double> dist = Rollout(PETSC_COMM_WORLD);
  if (Rank() == 0) {
    std::vector<double> ref = Rollout(PETSC_COMM_SELF);
    EXPECT_FALSE(ref.empty());
    EXPECT_TRUE(ref == dist) << "rel diff " << RelDiff(ref, dist);
  }
}

/* Snapshot files in natural order: written on N ranks, read on N and on 1 */
bool ReadsBack(MPI_Comm comm, const char *file)
{
  ScopedOptions o(kMesh);
  GNNSetup      s(comm);
  Vec           x, z;
  PetscBool     eq;
  s.Fields(&x, NULL);
  TestCall(VecDuplicate(x, &z));
  TestCall(GNNGraphLoadNaturalVec(s.graph, file, z));
  TestCall(VecEqual(x, z, &eq));
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&z));
  return eq;
}

TEST(Data, NaturalOrderFilesAreRankCountIndependent)
{
  char file[PETSC_MAX_PATH_LEN];
  TestCall(PetscSNPrintf(file, sizeof(file), "test_training_natural_%d.bin", (int)getpid()));
  MPI_Bcast(file, sizeof(file), MPI_CHAR, 0, PETSC_COMM_WORLD);
  {
    ScopedOptions o(kMesh);
    GNNSetup      s(PETSC_COMM_WORLD);
    Vec           x;
    s.Fields(&x, NULL);
    TestCall(GNNGraphSaveNaturalVec(s.graph, x, file));
    TestCall(VecDestroy(&x));
  }
  EXPECT_TRUE(ReadsBack(PETSC_COMM_WORLD, file));
  if (Rank() == 0) {
    EXPECT_TRUE(ReadsBack(PETSC_COMM_SELF, file));
    remove(file);
    remove((std::string(file) + ".info").c_str()); /* the binary viewer's block size */
  }
}

/* The non-finite policy (-gnn_train_nonfinite): one target value of a sample is Inf on the last rank
   only (sample 1 of 4, or every sample). That rank's loss and gradient are then not finite, and so
   are every rank's once summed. Steps are taken one at a time with errors returned, not aborted, so
   each rank checks its own outcome (a rank that went on or hung would fail or time out the test). */
struct NonFiniteRun {
  std::vector<PetscErrorCode> ierr;      /* per step taken: 0 or the error */
  std::string                 message;   /* the error's, if any */
  std::vector<int>            unchanged; /* per step applied or skipped: weights bitwise the same after it */
  std::vector<double>         loss;
  bool                        finite  = true; /* the weights at the end */
  PetscInt                    skipped = -1;
};

NonFiniteRun TrainNonFinite(MPI_Comm comm, const std::string &opts, PetscInt steps, bool everySample)
{
  ScopedOptions       o(kMesh + "-gnn_precision float64 -gnn_train_lr 1e-3 -gnn_train_steps 12 " + opts);
  GNNSetup            s(comm);
  GNNTrainer          tr;
  Vec                 x, y;
  PetscMPIInt         rank, size;
  PetscInt            np, nO;
  PetscScalar        *a;
  NonFiniteRun        r;
  std::vector<double> before, after;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  TestCall(GNNTrainerCreate(comm, &tr));
  TestCall(GNNTrainerSetGNN(tr, s.gnn));
  TestCall(GNNTrainerSetFromOptions(tr));
  TestCall(GNNGraphGetSizes(s.graph, &nO, NULL, NULL, NULL));
  EXPECT_GT(nO, 0) << "rank " << rank << " owns no node, so the Inf would not be where the test says";
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &x));
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &y));
  for (int k = 0; k < 4; k++) {
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * k, 0.1, x));
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * (k + 1), 0.1, y));
    if ((k == 1 || everySample) && rank == size - 1 && nO > 0) {
      TestCall(VecGetArray(y, &a));
      a[s.dim * (nO / 2)] = 1e300; /* finite (an Inf is refused by GNNTrainerAddSample), its square overflows the loss */
      TestCall(VecRestoreArray(y, &a));
    }
    TestCall(GNNTrainerAddSample(tr, x, y));
  }
  TestCall(GNNGetNumParameters(s.gnn, &np));
  before.resize(np);
  after.resize(np);
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (PetscInt k = 0; k < steps; k++) {
    PetscReal      l = 0;
    PetscErrorCode ierr;
    TestCall(GNNGetParameters(s.gnn, before.data()));
    ierr = GNNTrainerStep(tr, &l);
    r.ierr.push_back(ierr);
    if (ierr) {
      const char *text;
      char       *spec = NULL;
      PetscErrorMessage(ierr, &text, &spec);
      r.message = spec ? spec : "";
      break;
    }
    TestCall(GNNGetParameters(s.gnn, after.data()));
    r.unchanged.push_back(before == after);
    r.loss.push_back(l);
  }
  TestCall(PetscPopErrorHandler());
  TestCall(GNNGetParameters(s.gnn, after.data()));
  for (double p : after) r.finite = r.finite && std::isfinite(p);
  TestCall(GNNTrainerGetNonFiniteSkipped(tr, &r.skipped, NULL));
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&y));
  TestCall(GNNTrainerDestroy(&tr));
  return r;
}

/* error (the default): step 1 (sample 1) stops with PETSC_ERR_FP on every rank, naming the step,
   with the weights of step 0 */
TEST(NonFinite, ErrorStopsEveryRank)
{
  NonFiniteRun r = TrainNonFinite(PETSC_COMM_WORLD, "", 4, false);
  EXPECT_EQ(r.ierr.size(), 2u) << "rank " << Rank();
  EXPECT_EQ(r.ierr.back(), PETSC_ERR_FP) << "rank " << Rank();
  EXPECT_NE(r.message.find("Training step 1 (sample 1)"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("not finite"), std::string::npos) << r.message;
  EXPECT_TRUE(r.finite);
  EXPECT_EQ(r.skipped, 0);
  if (Rank() == 0) std::printf("  error: %s\n", r.message.c_str());
}

/* the same with -gnn_train_reproducible: the loss and the gradients are then fixed-point sums, in
   which a non-finite term must stay non-finite (not turn into a finite integer), so that the check
   sees it as in the default sums */
TEST(NonFinite, ReproducibleSumsKeepItNonFinite)
{
  NonFiniteRun r = TrainNonFinite(PETSC_COMM_WORLD, "-gnn_train_reproducible", 4, false);
  EXPECT_EQ(r.ierr.size(), 2u) << "rank " << Rank();
  EXPECT_EQ(r.ierr.back(), PETSC_ERR_FP) << "rank " << Rank();
  EXPECT_NE(r.message.find("Training step 1 (sample 1): the loss (nan)"), std::string::npos) << r.message;
  EXPECT_TRUE(r.finite);
  if (Rank() == 0) std::printf("  reproducible: %s\n", r.message.c_str());
}

/* skip: steps 1, 5 and 9 leave the weights bitwise as they were, every other step changes them;
   the losses of the skipped steps are the non-finite ones; with at most 1 skip in a row allowed,
   the run goes on because the count restarts after each good step */
TEST(NonFinite, SkipLeavesWeightsAndGoesOn)
{
  NonFiniteRun r = TrainNonFinite(PETSC_COMM_WORLD, "-gnn_train_nonfinite skip -gnn_train_nonfinite_max 1", 12, false);
  EXPECT_EQ(r.ierr.size(), 12u) << "rank " << Rank() << ": " << r.message;
  for (size_t k = 0; k < r.ierr.size(); k++) EXPECT_EQ(r.ierr[k], 0) << "step " << k;
  EXPECT_EQ(r.skipped, 3);
  for (size_t k = 0; k < r.unchanged.size(); k++) {
    EXPECT_EQ(r.unchanged[k], k % 4 == 1) << "rank " << Rank() << ", step " << k << ": weights " << (r.unchanged[k] ? "unchanged" : "changed");
    EXPECT_EQ(std::isfinite(r.loss[k]), k % 4 != 1) << "rank " << Rank() << ", step " << k << ": loss " << r.loss[k];
  }
  EXPECT_TRUE(r.finite);
}

/* skip with every sample bad: -gnn_train_nonfinite_max 3 skips steps 0-2, step 3 is an error on
   every rank */
TEST(NonFinite, TooManySkipsInARowIsAnError)
{
  NonFiniteRun r = TrainNonFinite(PETSC_COMM_WORLD, "-gnn_train_nonfinite skip -gnn_train_nonfinite_max 3", 12, true);
  EXPECT_EQ(r.ierr.size(), 4u) << "rank " << Rank();
  EXPECT_EQ(r.ierr.back(), PETSC_ERR_FP) << "rank " << Rank();
  EXPECT_NE(r.message.find("Training step 3 (sample 3)"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("4 steps in a row"), std::string::npos) << r.message;
  EXPECT_EQ(r.skipped, 3);
  for (int u : r.unchanged) EXPECT_TRUE(u);
  EXPECT_TRUE(r.finite);
  if (Rank() == 0) std::printf("  skip limit: %s\n", r.message.c_str());
}

/* Where data enter: an Inf in one target value on one rank only is refused by
   GNNTrainerAddSample() on every rank (PETSC_ERR_FP), naming the sample, the node's natural index
   and the feature; a model with a NaN weight is never written: GNNSaveWeights() and the checkpoint
   are PETSC_ERR_FP errors on every rank and no file appears. */
TEST(NonFinite, RefusedWhereDataEnterAndNeverWritten)
{
  ScopedOptions    o(kMesh + "-gnn_precision float64");
  GNNSetup         s(PETSC_COMM_WORLD);
  GNNTrainer       tr;
  Vec              x, y;
  PetscMPIInt      rank, size;
  PetscInt         nO, np, bad = -1;
  const PetscInt  *nat;
  PetscScalar     *a;
  char             file[PETSC_MAX_PATH_LEN];
  PetscErrorCode   ierr;
  std::string      msg;
  auto             message = [](PetscErrorCode e) {
    const char *text;
    char       *spec = NULL;
    PetscErrorMessage(e, &text, &spec);
    return std::string(spec ? spec : "");
  };
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  TestCall(GNNTrainerCreate(PETSC_COMM_WORLD, &tr));
  TestCall(GNNTrainerSetGNN(tr, s.gnn));
  TestCall(GNNTrainerSetFromOptions(tr));
  TestCall(GNNGraphGetSizes(s.graph, &nO, NULL, NULL, NULL));
  TestCall(GNNGraphGetNaturalIndices(s.graph, &nat));
  s.Fields(&x, &y);
  if (rank == size - 1 && nO > 0) {
    TestCall(VecGetArray(y, &a));
    a[s.dim * (nO / 2) + 1] = INFINITY; /* not PETSC_INFINITY, which is PETSC_MAX_REAL / 4 */
    TestCall(VecRestoreArray(y, &a));
    bad = nat[nO / 2];
  }
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD);
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = GNNTrainerAddSample(tr, x, y);
  msg  = message(ierr);
  EXPECT_EQ(ierr, PETSC_ERR_FP) << "rank " << rank << ": " << msg;
  EXPECT_NE(msg.find("Training sample 0: its target holds a non-finite value (inf) at node " + std::to_string(bad) + " (natural order), feature 1"), std::string::npos) << msg;
  TestCall(PetscPopErrorHandler());
  TestCall(GNNTrainerGetNumSamples(tr, &np));
  EXPECT_EQ(np, 0) << "the refused sample was kept";
  TestCall(VecDestroy(&y));
  TestCall(GNNTrainerAddSample(tr, x, x));
  TestCall(GNNTrainerSetUp(tr));

  TestCall(GNNGetNumParameters(s.gnn, &np));
  std::vector<double> p(np);
  TestCall(GNNGetParameters(s.gnn, p.data()));
  p[np / 2] = NAN;
  TestCall(GNNSetParameters(s.gnn, p.data()));
  TestCall(PetscSNPrintf(file, sizeof(file), "test_training_nan_%d", (int)getpid()));
  MPI_Bcast(file, sizeof(file), MPI_CHAR, 0, PETSC_COMM_WORLD);
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = GNNSaveWeights(s.gnn, file);
  msg  = message(ierr);
  EXPECT_EQ(ierr, PETSC_ERR_FP) << "rank " << rank << ": " << msg;
  EXPECT_NE(msg.find("the model's state is not written: entry"), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds a non-finite value (nan)"), std::string::npos) << msg;
  ierr = GNNTrainerSaveCheckpoint(tr, file);
  msg  = message(ierr);
  EXPECT_EQ(ierr, PETSC_ERR_FP) << "rank " << rank << ": " << msg;
  EXPECT_NE(msg.find("Checkpoint " + std::string(file)), std::string::npos) << msg;
  TestCall(PetscPopErrorHandler());
  EXPECT_NE(access(file, F_OK), 0) << file << " was written";
  EXPECT_NE(access((std::string(file) + ".tmp").c_str(), F_OK), 0);
  TestCall(VecDestroy(&x));
  TestCall(GNNTrainerDestroy(&tr));
}

/* Outputs (node fields as CSV, VTU and HDF5, edges, weights) are written to FILE.tmp and renamed
   when complete. One that cannot be written is the same error on every rank: a directory that does
   not exist, or a directory in the file's place (the temporary file is written in full, the rename
   fails). No temporary file is left behind, failed or not. */
TEST(Outputs, FailedWritesAreErrorsOnEveryRankAndLeaveNoTemporaryFile)
{
  char dir[PETSC_MAX_PATH_LEN];
  TestCall(PetscSNPrintf(dir, sizeof(dir), "test_training_outputs_%d", (int)getpid()));
  MPI_Bcast(dir, sizeof(dir), MPI_CHAR, 0, PETSC_COMM_WORLD);
  if (Rank() == 0) {
    EXPECT_EQ(mkdir(dir, 0700), 0);
    EXPECT_EQ(mkdir((std::string(dir) + "/adir").c_str(), 0700), 0);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  {
    ScopedOptions     o(kMesh);
    GNNSetup          s(PETSC_COMM_WORLD);
    Vec               x;
    const std::string d = dir;
    s.Fields(&x, NULL);
    Vec               f[]  = {x};
    const char *const nm[] = {"u"};
    /* each output to a file name: csv, vtk or hdf5 node fields, edges, weights */
    auto write = [&](const std::string &kind, const std::string &file) -> PetscErrorCode {
      if (kind == "edges") return GNNGraphWriteEdges(s.graph, file.c_str());
      if (kind == "weights") return GNNSaveWeights(s.gnn, file.c_str());
      return GNNGraphWriteNodeFields(s.graph, (kind + ":" + file).c_str(), 1, f, nm);
    };
    const std::vector<std::string> kinds = {"csv", "vtk", "hdf5", "edges", "weights"};
    TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    for (const std::string &kind : kinds)
      for (const std::string &target : {d + "/no/such/file", d + "/adir"}) {
        PetscErrorCode ierr = write(kind, target);
        const char    *text;
        char          *spec = NULL;
        PetscErrorMessage(ierr, &text, &spec);
        const std::string msg = spec ? spec : "";
        EXPECT_EQ(ierr, PETSC_ERR_FILE_WRITE) << "rank " << Rank() << ", " << kind << " to " << target << ": " << msg;
        EXPECT_NE(msg.find("Cannot write the"), std::string::npos) << msg;
        EXPECT_NE(msg.find(target), std::string::npos) << msg;
        /* HDF5 reports a missing directory in its own words, if any */
        if (target == d + "/adir") EXPECT_NE(msg.find("Is a directory"), std::string::npos) << msg;
        else if (kind != "hdf5") EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
      }
    TestCall(PetscPopErrorHandler());
    for (const std::string &kind : kinds) TestCall(write(kind, d + "/" + kind));
    TestCall(VecDestroy(&x));
  }
  if (Rank() == 0) { /* the directory holds what succeeded and nothing else */
    std::vector<std::string> names;
    DIR                     *dp = opendir(dir);
    EXPECT_TRUE(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));)
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.push_back(e->d_name);
    if (dp) closedir(dp);
    std::sort(names.begin(), names.end());
    const std::vector<std::string> expected = {"adir", "csv", "edges", "hdf5", "vtk", "weights"};
    EXPECT_EQ(names, expected);
    for (const std::string &n : names) std::remove((std::string(dir) + "/" + n).c_str());
    EXPECT_EQ(rmdir(dir), 0);
  }
}

/* The pre-flight's default limit on the CPU: the node's MemAvailable shared by the ranks on the
   node (read here again, a moment later: to 20 %) */
TEST(Memory, AvailableIsTheNodesShareOfMemAvailable)
{
  ScopedOptions  o(kMesh + "-gnn_precision float64");
  GNNSetup       s(PETSC_COMM_WORLD);
  PetscLogDouble avail;
  MPI_Comm       node;
  int            onNode;
  double         kb = 0;
  char           line[256];
  TestCall(GNNGetMemoryAvailable(s.gnn, &avail));
  MPI_Comm_split_type(PETSC_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &onNode);
  MPI_Comm_free(&node);
  if (FILE *fp = std::fopen("/proc/meminfo", "r")) {
    while (std::fgets(line, sizeof(line), fp))
      if (std::sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    std::fclose(fp);
  }
  EXPECT_GT(kb, 0) << "no MemAvailable in /proc/meminfo";
  EXPECT_NEAR(avail * onNode / (kb * 1024.0), 1.0, 0.2) << avail << " bytes on each of " << onNode << " ranks, MemAvailable " << kb << " kB";
  if (Rank() == 0) std::printf("  available for training: %.2f GiB per rank, %d rank(s) on the node, MemAvailable %.2f GiB\n", avail / 1073741824.0, onNode, kb / 1048576.0);
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Consistency of distributed training against the 1-rank run\n");
}
