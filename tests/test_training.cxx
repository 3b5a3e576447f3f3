/* Consistent training: N ranks against the 1-rank run (PETSC_COMM_SELF on rank 0, same options) */
#include "gnntest.hpp"
#include <petscgnntrain.h>

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

/* The noise must actually change the run (else the test above proves nothing about it) */
TEST(Training, NoiseChangesTheRun)
{
  TrainResult a = Train(PETSC_COMM_WORLD, "-gnn_precision float64 -gnn_train_steps 5 -gnn_train_lr 1e-3");
  TrainResult b = Train(PETSC_COMM_WORLD, "-gnn_precision float64 -gnn_train_steps 5 -gnn_train_lr 1e-3 -gnn_train_noise 0.02");
  EXPECT_GT(RelDiff(a.history, b.history), 1e-6);
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
  }
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Consistency of distributed training against the 1-rank run\n");
}
