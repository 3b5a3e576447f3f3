/* Graphs on DMDA structured grids (GNNGraph type da): the edges are the stencil's, the edge vectors
   minimum images on periodic axes, and the distributed GNN on N ranks gives the same bits as the
   same GNN on one rank holding the whole grid (built on PETSC_COMM_SELF on rank 0 in the same run).
   The GNN's input and output are the DMDA's own global Vecs (dof values per point). */
#include "gnntest.hpp"
#include <petscdmda.h>

namespace {

struct Case {
  std::string     name;
  PetscInt        dim;
  DMDAStencilType stencil;
  PetscInt        M[3];
  DMBoundaryType  bt[3];
  PetscInt        dof, width;
  bool            coords; /* DMDASetUniformCoordinates on [0, 2 pi]^dim, else none (the unit box) */
};

std::ostream &operator<<(std::ostream &os, const Case &c) { return os << c.name; }

const DMBoundaryType N = DM_BOUNDARY_NONE, P = DM_BOUNDARY_PERIODIC;

std::vector<Case> Cases()
{
  return {
    {"star2d", 2, DMDA_STENCIL_STAR, {9, 7, 1}, {N, N, N}, 2, 1, true},
    {"box2d", 2, DMDA_STENCIL_BOX, {8, 6, 1}, {N, N, N}, 1, 1, false},
    {"star3d", 3, DMDA_STENCIL_STAR, {5, 4, 4}, {N, N, N}, 3, 1, true},
    {"box3d", 3, DMDA_STENCIL_BOX, {4, 4, 3}, {N, N, N}, 2, 1, false},
    {"box2d_periodic", 2, DMDA_STENCIL_BOX, {8, 7, 1}, {P, P, N}, 2, 1, true},
    {"star3d_periodic_x_width2", 3, DMDA_STENCIL_STAR, {7, 4, 4}, {P, N, N}, 1, 2, false},
    {"star1d_periodic", 1, DMDA_STENCIL_STAR, {17, 1, 1}, {P, N, N}, 2, 1, false},
  };
}

DM CreateDA(MPI_Comm comm, const Case &c)
{
  DM da;
  switch (c.dim) {
  case 1:
    TestCall(DMDACreate1d(comm, c.bt[0], c.M[0], c.dof, c.width, NULL, &da));
    break;
  case 2:
    TestCall(DMDACreate2d(comm, c.bt[0], c.bt[1], c.stencil, c.M[0], c.M[1], PETSC_DECIDE, PETSC_DECIDE, c.dof, c.width, NULL, NULL, &da));
    break;
  default:
    TestCall(DMDACreate3d(comm, c.bt[0], c.bt[1], c.bt[2], c.stencil, c.M[0], c.M[1], c.M[2], PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, c.dof, c.width, NULL, NULL, NULL, &da));
  }
  TestCall(DMSetFromOptions(da));
  TestCall(DMSetUp(da));
  if (c.coords) TestCall(DMDASetUniformCoordinates(da, 0, 2 * PETSC_PI, 0, 2 * PETSC_PI, 0, 2 * PETSC_PI));
  return da;
}

/* The box length of axis d: the tests' coordinates span [0, 2 pi] or the unit interval */
double Length(const Case &c) { return c.coords ? 2 * PETSC_PI : 1.0; }

/* The grid spacing of axis d (DMDASetUniformCoordinates: M intervals on a periodic axis) */
double Spacing(const Case &c, int d) { return Length(c) / (c.bt[d] == P ? c.M[d] : c.M[d] - 1); }

/* The number of directed edges the stencil gives, counted independently of the implementation:
   along axis d, c_d = the number of (point, offset in [-s, s]) pairs that stay on the grid; a box
   stencil has prod c_d - (points) edges (the zero offset is no edge), a star stencil
   sum_d (c_d - M_d) * points / M_d */
PetscInt ExpectedEdges(const Case &c)
{
  PetscInt npts = 1, cnt[3], box = 1, star = 0;
  for (int d = 0; d < c.dim; d++) {
    npts *= c.M[d];
    cnt[d] = 0;
    for (PetscInt o = -c.width; o <= c.width; o++) cnt[d] += c.bt[d] == P ? c.M[d] : std::max<PetscInt>(0, c.M[d] - std::abs(o));
    box *= cnt[d];
  }
  for (int d = 0; d < c.dim; d++) star += (cnt[d] - c.M[d]) * (npts / c.M[d]);
  return c.stencil == DMDA_STENCIL_BOX || c.dim == 1 ? box - npts : star;
}

/* The model on a DMDA of the case, and its input: dof smooth fields of the coordinates, written
   into a DMDA global Vec */
struct DASetup {
  DM       da    = NULL;
  GNN      gnn   = NULL;
  GNNGraph graph = NULL;
  Vec      x = NULL, t = NULL, y = NULL;

  DASetup(MPI_Comm comm, const Case &c)
  {
    const PetscReal *X;
    PetscScalar     *a, *b;
    PetscInt         n, dim;
    da = CreateDA(comm, c);
    TestCall(GNNCreateFromDM(da, PETSC_DECIDE, PETSC_DECIDE, &gnn));
    TestCall(GNNSetUp(gnn));
    TestCall(GNNGetGraph(gnn, &graph));
    TestCall(DMCreateGlobalVector(da, &x));
    TestCall(VecDuplicate(x, &t));
    TestCall(VecDuplicate(x, &y));
    TestCall(GNNGraphGetSizes(graph, &n, NULL, NULL, NULL));
    TestCall(GNNGraphGetDimension(graph, &dim));
    TestCall(GNNGraphGetCoordinates(graph, &X));
    TestCall(VecGetArray(x, &a));
    TestCall(VecGetArray(t, &b));
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt f = 0; f < c.dof; f++) {
        double v = f + 1;
        for (PetscInt d = 0; d < dim; d++) v *= std::sin(2 * PETSC_PI * X[i * dim + d] / Length(c) + 0.3 * (f + d + 1));
        a[i * c.dof + f] = v;
        b[i * c.dof + f] = -0.7 * v + 0.1 * f;
      }
    TestCall(VecRestoreArray(x, &a));
    TestCall(VecRestoreArray(t, &b));
  }
  ~DASetup()
  {
    VecDestroy(&x);
    VecDestroy(&t);
    VecDestroy(&y);
    GNNDestroy(&gnn);
    DMDestroy(&da);
  }
};

struct Result {
  std::vector<double> y, grad;
  double              loss = 0;
};

Result Evaluate(MPI_Comm comm, const Case &c, const std::string &opts, bool withGrad)
{
  ScopedOptions o(opts);
  DASetup       s(comm, c);
  Result        r;
  TestCall(GNNApply(s.gnn, s.x, s.y));
  r.y = GatherNatural(s.graph, s.y);
  if (withGrad) {
    PetscInt  np;
    PetscReal loss;
    TestCall(GNNGetNumParameters(s.gnn, &np));
    r.grad.resize(np);
    TestCall(GNNComputeLossGradient(s.gnn, s.x, s.t, NULL, &loss, r.grad.data()));
    r.loss = loss;
  }
  return r;
}

class DMDAGraph : public ::testing::TestWithParam<Case> { };

/* GNNCreateFromDM picks the type da and the DMDA's dof as feature counts; the edge count is the
   stencil's; every edge vector is a stencil offset times the spacing (on periodic axes the minimum
   image: a wrap-around edge would otherwise span the box) */
TEST_P(DMDAGraph, StencilEdges)
{
  const Case      &c = GetParam();
  ScopedOptions    o("");
  DASetup          s(PETSC_COMM_WORLD, c);
  GNNGraphType     type;
  PetscInt         nin, nout, nOwned, nEdges, total, dim;
  const PetscInt  *rowptr;
  int              bad = 0;
  TestCall(GNNGraphGetType(s.graph, &type));
  EXPECT_STREQ(type, GNNGRAPHDA);
  TestCall(GNNGetSizes(s.gnn, &nin, &nout));
  EXPECT_EQ(nin, c.dof);
  EXPECT_EQ(nout, c.dof);
  TestCall(GNNGraphGetSizes(s.graph, &nOwned, NULL, &nEdges, NULL));
  TestCall(GNNGraphGetDimension(s.graph, &dim));
  EXPECT_EQ(dim, c.dim);
  TestCall(GNNGraphGetEdges(s.graph, &rowptr, NULL));
  MPI_Allreduce(&nEdges, &total, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
  EXPECT_EQ(total, ExpectedEdges(c));
  for (PetscInt q = 0; q < nEdges; q++) {
    PetscReal v[3];
    int       nonzero = 0;
    TestCall(GNNGraphGetEdgeVector(s.graph, q, v));
    for (PetscInt d = 0; d < dim; d++) {
      const double steps = v[d] / Spacing(c, d);
      if (std::fabs(steps - std::round(steps)) > 1e-9 || std::fabs(steps) > c.width + 1e-9) bad++;
      if (std::fabs(steps) > 0.5) nonzero++;
    }
    if (nonzero == 0 || (c.stencil == DMDA_STENCIL_STAR && nonzero > 1)) bad++;
  }
  EXPECT_EQ(bad, 0) << "edge vectors that are not a stencil offset times the spacing";
}

TEST_P(DMDAGraph, ForwardFloat64Bitwise)
{
  const std::string opts = "-gnn_precision float64";
  Result            dist = Evaluate(PETSC_COMM_WORLD, GetParam(), opts, false);
  if (Rank() == 0) {
    Result ref = Evaluate(PETSC_COMM_SELF, GetParam(), opts, false);
    ASSERT_FALSE(ref.y.empty());
    EXPECT_TRUE(ref.y == dist.y) << "forward outputs are not bitwise identical to the 1-rank run (max rel diff " << RelDiff(ref.y, dist.y) << ")";
  }
}

TEST_P(DMDAGraph, ForwardFloat32Bitwise)
{
  const std::string opts = "-gnn_precision float32";
  Result            dist = Evaluate(PETSC_COMM_WORLD, GetParam(), opts, false);
  if (Rank() == 0) {
    Result ref = Evaluate(PETSC_COMM_SELF, GetParam(), opts, false);
    EXPECT_TRUE(ref.y == dist.y) << "forward outputs are not bitwise identical to the 1-rank run (max rel diff " << RelDiff(ref.y, dist.y) << ")";
  }
}

TEST_P(DMDAGraph, LossAndGradientsFloat64)
{
  const std::string opts = "-gnn_precision float64";
  Result            dist = Evaluate(PETSC_COMM_WORLD, GetParam(), opts, true);
  if (Rank() == 0) {
    Result ref = Evaluate(PETSC_COMM_SELF, GetParam(), opts, true);
    EXPECT_GT(ref.loss, 0);
    EXPECT_LE(std::fabs(dist.loss - ref.loss) / ref.loss, 1e-12);
    EXPECT_LE(RelDiff(ref.grad, dist.grad), 1e-12);
  }
}

/* Dropping the cross-rank edges must change the result on 2+ ranks: the comparison above can fail */
TEST_P(DMDAGraph, HaloNoneIsInconsistent)
{
  const std::string opts = "-gnn_precision float64";
  Result            none = Evaluate(PETSC_COMM_WORLD, GetParam(), opts + " -gnn_halo_type none", false);
  if (Rank() == 0) {
    Result ref = Evaluate(PETSC_COMM_SELF, GetParam(), opts, false);
    if (Size() > 1) EXPECT_GT(RelDiff(ref.y, none.y), 1e-3);
    else EXPECT_TRUE(ref.y == none.y);
  }
}

INSTANTIATE_TEST_SUITE_P(Grids, DMDAGraph, ::testing::ValuesIn(Cases()), [](const ::testing::TestParamInfo<Case> &i) { return i.param.name; });

/* The natural order of a periodic grid: the coordinates are unique (a periodic axis of M points
   has M distinct positions), so the order is lexicographic in them, whatever the partition: the
   gathered coordinates are sorted and the same bits as on one rank */
TEST(DMDANatural, PeriodicCoordinatesSorted)
{
  const Case c = Cases()[4];
  ScopedOptions o("");
  DASetup       s(PETSC_COMM_WORLD, c);
  Vec           X;
  TestCall(GNNGraphGetCoordinateVec(s.graph, &X));
  std::vector<double> xs = GatherNatural(s.graph, X);
  TestCall(VecDestroy(&X));
  if (Rank() == 0) {
    EXPECT_EQ(xs.size(), (size_t)(c.M[0] * c.M[1] * c.dim));
    for (size_t i = 1; i < xs.size() / c.dim; i++) EXPECT_TRUE(std::lexicographical_compare(&xs[(i - 1) * c.dim], &xs[i * c.dim], &xs[i * c.dim], &xs[(i + 1) * c.dim])) << "node " << i;
    DASetup ref(PETSC_COMM_SELF, c);
    TestCall(GNNGraphGetCoordinateVec(ref.graph, &X));
    EXPECT_TRUE(GatherNatural(ref.graph, X) == xs);
    TestCall(VecDestroy(&X));
  }
}

/* A period given as an option replaces the one derived from the coordinates: one value for all
   axes ("100": the wrap-around edges keep their full length (M - 1) h on both), or one per axis
   ("100,2 pi": x as before, y the box's own period, so its longest edge is one spacing) */
TEST(DMDAPeriod, OptionOverridesCoordinates)
{
  const Case c = Cases()[4];
  for (bool perAxis : {false, true}) {
    ScopedOptions o(perAxis ? "-gnn_graph_da_period 100,6.283185307179586" : "-gnn_graph_da_period 100");
    DASetup       s(PETSC_COMM_WORLD, c);
    PetscInt      nEdges;
    double        longest[2] = {0, 0}, all[2];
    TestCall(GNNGraphGetSizes(s.graph, NULL, NULL, &nEdges, NULL));
    for (PetscInt q = 0; q < nEdges; q++) {
      PetscReal v[3];
      TestCall(GNNGraphGetEdgeVector(s.graph, q, v));
      for (int d = 0; d < 2; d++) longest[d] = std::max(longest[d], (double)std::fabs(v[d]));
    }
    MPI_Allreduce(longest, all, 2, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
    EXPECT_NEAR(all[0], (c.M[0] - 1) * Spacing(c, 0), 1e-12) << "per axis: " << perAxis;
    EXPECT_NEAR(all[1], (perAxis ? 1 : c.M[1] - 1) * Spacing(c, 1), 1e-12) << "per axis: " << perAxis;
  }
}

/* A periodic axis of no more than 2 x stencil width points would reach a point from both sides
   (two edge vectors for one edge): an error on every rank (each sees the same sizes), not a hang */
TEST(DMDAErrors, ShortPeriodicAxis)
{
  ScopedOptions  o("");
  DM             da;
  GNN            gnn = NULL;
  PetscErrorCode ierr;
  int            failed, all;
  TestCall(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_PERIODIC, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, 2, 8, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &da));
  TestCall(DMSetUp(da));
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = GNNCreateFromDM(da, PETSC_DECIDE, PETSC_DECIDE, &gnn);
  TestCall(PetscPopErrorHandler());
  failed = ierr == PETSC_ERR_ARG_OUTOFRANGE;
  MPI_Allreduce(&failed, &all, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  EXPECT_EQ(all, 1) << "GNNCreateFromDM returned " << (int)ierr << " on rank " << Rank();
  TestCall(GNNDestroy(&gnn));
  TestCall(DMDestroy(&da));
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "GNN graphs on DMDA grids: stencil edges, periodicity, consistency against the 1-rank run\n");
}
