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
  rc = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (PetscFinalize()) return 1;
  return rc;
}

/* Options of one test case, in force while the object lives (pushed on the options stack) */
class ScopedOptions {
public:
  explicit ScopedOptions(const std::string &s)
  {
    TestCall(PetscOptionsCreate(&opts_));
    TestCall(PetscOptionsInsertString(opts_, s.c_str()));
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
    TestCall(GNNGraphCreate(comm, &graph));
    TestCall(GNNGraphSetDM(graph, dm));
    TestCall(GNNGraphSetFromOptions(graph));
    TestCall(GNNGraphSetUp(graph));
    TestCall(GNNGraphGetDimension(graph, &dim));
    TestCall(GNNCreate(comm, &gnn));
    TestCall(GNNSetGraph(gnn, graph));
    TestCall(GNNSetSizes(gnn, dim, dim));
    TestCall(GNNSetFromOptions(gnn));
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
