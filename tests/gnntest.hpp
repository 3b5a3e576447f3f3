/* Test support: GoogleTest under MPI with PETSc, and the 1-rank reference run.

   Every rank runs the tests; assertions are EXPECT_* only (an ASSERT returning early on one rank
   would leave the others waiting in a collective). The exit code is reduced over the ranks, so a
   failure on any rank fails the test. CTest's timeout turns a deadlock into a failure. */
#ifndef GNNTEST_HPP
#define GNNTEST_HPP

#include <gtest/gtest.h>
#include <petscgnn.h>
#include <petscgnndata.h>
#include <unistd.h>
#include <petscdmplex.h>
#include <petscgnntrain.h>
#include <cstdlib>
#include <cmath>
#include <string>
#include <vector>

#define TestCall(...) PetscCallAbort(PETSC_COMM_WORLD, __VA_ARGS__)

/* Prints failures of ranks other than 0 with their rank, everything else stays on rank 0 */
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
public:
  explicit RankFailurePrinter(int rank) : rank_(rank) { }
  void OnTestPartResult(const ::testing::TestPartResult &r) override
  {
    if (r.failed()) std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
  }

private:
  int rank_;
};

/* Ends every test with a barrier that sleeps while it waits. A test's 1-rank reference runs on rank
   0 alone after the distributed run; the other ranks wait for it in the next collective, and
   oversubscribed (8 to 32 ranks on 2 cores) OpenMPI's waiting ranks poll, taking most of the CPU
   from rank 0. Sleeping here gives it back; results and verdicts do not change. */
class IdleBarrier : public ::testing::EmptyTestEventListener {
public:
  void OnTestEnd(const ::testing::TestInfo &) override
  {
    MPI_Request req;
    int         done = 0;
    MPI_Ibarrier(PETSC_COMM_WORLD, &req);
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) usleep(500);
  }
};

inline int GNNTestMain(int argc, char **argv, const char *help)
{
  int rank, rc;
  ::testing::InitGoogleTest(&argc, argv);
  if (PetscInitialize(&argc, &argv, NULL, help)) return 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank != 0) {
    auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  ::testing::UnitTest::GetInstance()->listeners().Append(new IdleBarrier);
  rc = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (PetscFinalize()) return 1;
  return rc;
}

/* Options of one test case, in force while the object lives (pushed on the options stack), followed
   by those of the environment variable GNN_TEST_OPTIONS (e.g. "-gnn_device cuda": share/gpu/check.sh
   runs the consistency and training tests on a GPU so) */
class ScopedOptions {
public:
  explicit ScopedOptions(const std::string &s)
  {
    const char *extra = std::getenv("GNN_TEST_OPTIONS");
    TestCall(PetscOptionsCreate(&opts_));
    TestCall(PetscOptionsInsertString(opts_, (s + " " + (extra ? extra : "")).c_str()));
    TestCall(PetscOptionsPush(opts_));
  }
  ~ScopedOptions()
  {
    TestCall(PetscOptionsPop());
    TestCall(PetscOptionsDestroy(&opts_));
  }

private:
  PetscOptions opts_;
};

/* A node Vec of graph g gathered on its communicator's rank 0 in the natural order (empty elsewhere) */
inline std::vector<double> GatherNatural(GNNGraph g, Vec v)
{
  PetscInt     n, bs;
  PetscScalar *a;
  TestCall(VecGetBlockSize(v, &bs));
  TestCall(GNNGraphGatherNatural(g, v, &n, &a));
  std::vector<double> out(a, a + n * bs);
  TestCall(PetscFree(a));
  return out;
}

/* A mesh, graph and model built from the options in force, on a communicator */
struct GNNSetup {
  DM       dm    = NULL;
  GNNGraph graph = NULL;
  GNN      gnn   = NULL;
  PetscInt dim   = 0;

  explicit GNNSetup(MPI_Comm comm)
  {
    TestCall(DMCreate(comm, &dm));
    TestCall(DMSetType(dm, DMPLEX));
    TestCall(DMSetFromOptions(dm));
    TestCall(GNNCreateFromDM(dm, PETSC_DECIDE, PETSC_DECIDE, &gnn));
    TestCall(GNNGetGraph(gnn, &graph));
    TestCall(PetscObjectReference((PetscObject)graph)); /* destroyed with the others */
    TestCall(GNNGraphGetDimension(graph, &dim));
    TestCall(GNNSetUp(gnn));
  }
  ~GNNSetup()
  {
    GNNDestroy(&gnn);
    GNNGraphDestroy(&graph);
    DMDestroy(&dm);
  }
  /* input: the Taylor-Green velocity; target: a smooth field of the same size */
  void Fields(Vec *x, Vec *target)
  {
    TestCall(GNNGraphCreateNodeVec(graph, dim, x));
    TestCall(GNNDataTaylorGreen(graph, 0.0, 0.0, *x));
    if (target) {
      TestCall(GNNGraphCreateNodeVec(graph, dim, target));
      TestCall(GNNDataTaylorGreen(graph, 0.5, 0.1, *target));
      TestCall(VecScale(*target, -0.7));
    }
  }
  std::vector<double> Natural(Vec v) { return GatherNatural(graph, v); }
};

struct TrainResult {
  std::vector<double> history, params;
};

/* The loss history and the weights of a trainer's model */
inline TrainResult GNNTestTrainResult(GNNTrainer tr)
{
  TrainResult      r;
  GNN              gnn;
  PetscInt         n, np;
  const PetscReal *h;
  TestCall(GNNTrainerGetHistory(tr, NULL, &n, &h));
  r.history.assign(h, h + n);
  TestCall(GNNTrainerGetGNN(tr, &gnn));
  TestCall(GNNGetNumParameters(gnn, &np));
  r.params.resize(np);
  TestCall(GNNGetParameters(gnn, r.params.data()));
  return r;
}

/* Trains on the Taylor-Green task (4 pairs, dt 0.25) with these options (mesh, model, trainer):
   loss history and final weights; with stopAfter >= 0, only that many steps, then a checkpoint */
inline TrainResult GNNTestTrain(MPI_Comm comm, const std::string &opts, PetscInt stopAfter = -1, const std::string &checkpoint = "")
{
  ScopedOptions o(opts);
  GNNSetup      s(comm);
  GNNTrainer    tr;
  Vec           x, y;
  TrainResult   r;
  TestCall(GNNTrainerCreate(comm, &tr));
  TestCall(GNNTrainerSetGNN(tr, s.gnn));
  TestCall(GNNTrainerSetFromOptions(tr));
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &x));
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &y));
  for (int k = 0; k < 4; k++) {
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * k, 0.1, x));
    TestCall(GNNDataTaylorGreen(s.graph, 0.25 * (k + 1), 0.1, y));
    TestCall(GNNTrainerAddSample(tr, x, y));
  }
  if (stopAfter < 0) TestCall(GNNTrainerTrain(tr));
  else { /* a run cut short after stopAfter steps, its state saved */
    for (PetscInt k = 0; k < stopAfter; k++) TestCall(GNNTrainerStep(tr, NULL));
    TestCall(GNNTrainerSaveCheckpoint(tr, checkpoint.c_str()));
  }
  r = GNNTestTrainResult(tr);
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&y));
  TestCall(GNNTrainerDestroy(&tr));
  return r;
}

/* Outputs, and optionally loss and gradients, of the model the options describe, on the
   Taylor-Green fields (GNNSetup::Fields) */
struct GNNTestResult {
  std::vector<double> y;    /* outputs, natural order, rank 0 only */
  double              loss = 0;
  std::vector<double> grad; /* identical on every rank */
};

inline GNNTestResult GNNTestEvaluate(MPI_Comm comm, const std::string &opts, bool withGrad)
{
  ScopedOptions o(opts);
  GNNSetup      s(comm);
  Vec           x, t, y;
  GNNTestResult r;
  s.Fields(&x, &t);
  TestCall(GNNGraphCreateNodeVec(s.graph, s.dim, &y));
  TestCall(GNNApply(s.gnn, x, y));
  r.y = s.Natural(y);
  if (withGrad) {
    PetscInt  np;
    PetscReal loss;
    TestCall(GNNGetNumParameters(s.gnn, &np));
    r.grad.resize(np);
    TestCall(GNNComputeLossGradient(s.gnn, x, t, NULL, &loss, r.grad.data()));
    r.loss = loss;
  }
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&t));
  TestCall(VecDestroy(&y));
  return r;
}

/* The fewest and the most nodes a rank of comm owns in the graph the options describe */
inline void GNNTestOwnedRange(MPI_Comm comm, const std::string &opts, PetscInt *fewest, PetscInt *most)
{
  ScopedOptions o(opts);
  GNNSetup      s(comm);
  PetscInt      n;
  TestCall(GNNGraphGetSizes(s.graph, &n, NULL, NULL, NULL));
  MPI_Allreduce(&n, fewest, 1, MPIU_INT, MPI_MIN, comm);
  MPI_Allreduce(&n, most, 1, MPIU_INT, MPI_MAX, comm);
}

/* this process's rank and the number of ranks in PETSC_COMM_WORLD */
inline int Rank()
{
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  return rank;
}

inline int Size()
{
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return size;
}

/* largest absolute difference / largest absolute value of the reference */
inline double RelDiff(const std::vector<double> &ref, const std::vector<double> &v)
{
  double dmax = 0, vmax = 0;
  if (ref.size() != v.size()) return INFINITY;
  for (size_t i = 0; i < ref.size(); i++) {
    dmax = std::max(dmax, std::fabs(ref[i] - v[i]));
    vmax = std::max(vmax, std::fabs(ref[i]));
  }
  return vmax > 0 ? dmax / vmax : dmax;
}

#endif
