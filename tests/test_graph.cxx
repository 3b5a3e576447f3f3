/* The distributed graph: sizes, ghosts, halo SF, user-supplied adjacency */
#include "gnntest.hpp"

namespace {

struct Built {
  DM       dm    = NULL;
  GNNGraph graph = NULL;
  Built(const std::string &opts)
  {
    ScopedOptions o(opts);
    TestCall(DMCreate(PETSC_COMM_WORLD, &dm));
    TestCall(DMSetType(dm, DMPLEX));
    TestCall(DMSetFromOptions(dm));
    TestCall(GNNGraphCreate(PETSC_COMM_WORLD, &graph));
    TestCall(GNNGraphSetDM(graph, dm));
    TestCall(GNNGraphSetFromOptions(graph));
    TestCall(GNNGraphSetUp(graph));
  }
  ~Built()
  {
    GNNGraphDestroy(&graph);
    DMDestroy(&dm);
  }
  PetscInt GlobalEdges()
  {
    PetscInt e, E;
    TestCall(GNNGraphGetSizes(graph, NULL, NULL, &e, NULL));
    MPI_Allreduce(&e, &E, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
    return E;
  }
  PetscInt Nodes()
  {
    PetscInt N;
    TestCall(GNNGraphGetSizes(graph, NULL, NULL, NULL, &N));
    return N;
  }
};

/* nodes (n1+1)...: a lattice of (p*faces+1)^d points; directed edges 2 * d * lattice links */
PetscInt LatticeNodes(std::vector<PetscInt> n) { PetscInt N = 1; for (auto k : n) N *= k + 1; return N; }
PetscInt LatticeEdges(std::vector<PetscInt> n)
{
  PetscInt E = 0;
  for (size_t a = 0; a < n.size(); a++) {
    PetscInt links = n[a];
    for (size_t b = 0; b < n.size(); b++)
      if (b != a) links *= n[b] + 1;
    E += links;
  }
  return 2 * E;
}

TEST(Graph, VertexQuadBoxSizes)
{
  Built b("-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 5,4");
  EXPECT_EQ(b.Nodes(), LatticeNodes({5, 4}));
  EXPECT_EQ(b.GlobalEdges(), LatticeEdges({5, 4}));
}

TEST(Graph, VertexHexBoxSizes)
{
  Built b("-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 3,4,2");
  EXPECT_EQ(b.Nodes(), LatticeNodes({3, 4, 2}));
  EXPECT_EQ(b.GlobalEdges(), LatticeEdges({3, 4, 2}));
}

TEST(Graph, GLLSizes)
{
  for (PetscInt p = 1; p <= 4; p++) {
    Built b2("-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,2 -gnn_graph_type gll -gnn_graph_degree " + std::to_string(p));
    EXPECT_EQ(b2.Nodes(), LatticeNodes({3 * p, 2 * p})) << "p = " << p;
    EXPECT_EQ(b2.GlobalEdges(), LatticeEdges({3 * p, 2 * p})) << "p = " << p;
    Built b3("-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 2,2,1 -gnn_graph_type gll -gnn_graph_degree " + std::to_string(p));
    EXPECT_EQ(b3.Nodes(), LatticeNodes({2 * p, 2 * p, p})) << "p = " << p;
    EXPECT_EQ(b3.GlobalEdges(), LatticeEdges({2 * p, 2 * p, p})) << "p = " << p;
  }
}

/* GLL p = 1 is the vertex graph of the same hex mesh (same DM, so the same partition) */
TEST(Graph, GLLDegreeOneIsVertexGraph)
{
  Built     v("-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 3,2,2");
  GNNGraph  g;
  Mat       A, B;
  PetscBool eq;
  TestCall(GNNGraphCreate(PETSC_COMM_WORLD, &g));
  TestCall(GNNGraphSetDM(g, v.dm));
  TestCall(GNNGraphSetType(g, GNNGRAPHGLL));
  TestCall(GNNGraphSetDegree(g, 1));
  TestCall(GNNGraphSetUp(g));
  TestCall(GNNGraphGetAdjacency(v.graph, &A));
  TestCall(GNNGraphGetAdjacency(g, &B));
  TestCall(MatEqual(A, B, &eq));
  EXPECT_TRUE(eq);
  TestCall(GNNGraphDestroy(&g));
}

/* Ghost rows filled by the halo SF carry the ghosts' global numbers and coordinates, every edge's
   sender is a neighbour of its receiver, and the adjacency is symmetric */
TEST(Graph, HaloDeliversGhosts)
{
  Built            b("-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 6,5 -gnn_graph_type gll -gnn_graph_degree 2");
  PetscInt         nO, nG, nE, dim;
  const PetscInt  *gn, *rowptr, *senders;
  const PetscReal *X;
  TestCall(GNNGraphGetSizes(b.graph, &nO, &nG, &nE, NULL));
  TestCall(GNNGraphGetGlobalNumbers(b.graph, &gn));
  TestCall(GNNGraphGetCoordinates(b.graph, &X));
  TestCall(GNNGraphGetEdges(b.graph, &rowptr, &senders));
  TestCall(GNNGraphGetDimension(b.graph, &dim));
  std::vector<double> g(nO + nG, -1.0);
  for (PetscInt i = 0; i < nO; i++) g[i] = (double)gn[i];
  TestCall(GNNGraphHaloUpdate(b.graph, 1, MPI_DOUBLE, g.data(), g.data()));
  for (PetscInt k = 0; k < nG; k++) EXPECT_EQ(g[nO + k], (double)gn[nO + k]);
  /* GLL p = 2 on a box of unit cells: lattice spacing 1/(faces*p) along each axis */
  const double h[2] = {1.0 / 12, 1.0 / 10};
  for (PetscInt i = 0; i < nO; i++)
    for (PetscInt q = rowptr[i]; q < rowptr[i + 1]; q++) {
      PetscInt j = senders[q], axes = 0;
      for (PetscInt d = 0; d < dim; d++)
        if (std::fabs(X[j * dim + d] - X[i * dim + d]) > 1e-12) {
          axes++;
          EXPECT_NEAR(std::fabs(X[j * dim + d] - X[i * dim + d]), h[d], 1e-12);
        }
      EXPECT_EQ(axes, 1);
    }
  Mat       A, At;
  PetscBool eq;
  TestCall(GNNGraphGetAdjacency(b.graph, &A));
  TestCall(MatTranspose(A, MAT_INITIAL_MATRIX, &At));
  TestCall(MatEqual(A, At, &eq));
  EXPECT_TRUE(eq);
  TestCall(MatDestroy(&At));
}

/* The global -sf_type does not reach the halo SF, which has its own prefix */
TEST(Graph, HaloSFHasOwnPrefix)
{
  Built       b("-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 4,4 -sf_type window");
  PetscSF     sf;
  const char *prefix;
  PetscBool   isbasic;
  TestCall(GNNGraphGetHaloSF(b.graph, &sf));
  TestCall(PetscObjectGetOptionsPrefix((PetscObject)sf, &prefix));
  EXPECT_STREQ(prefix, "gnn_halo_");
  TestCall(PetscObjectTypeCompare((PetscObject)sf, PETSCSFBASIC, &isbasic));
  EXPECT_TRUE(isbasic);
}

/* A graph built from a user adjacency (type mat) gives the same model outputs as the mesh graph */
TEST(Graph, UserAdjacencyMatchesMeshGraph)
{
  const std::string opts = "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 5,5 -gnn_precision float64";
  Built             b(opts);
  Mat               A;
  Vec               coords, x, y1, y2;
  GNNGraph          user;
  GNN               g1, g2;
  TestCall(GNNGraphGetAdjacency(b.graph, &A));
  TestCall(GNNGraphGetCoordinateVec(b.graph, &coords));
  TestCall(GNNGraphCreate(PETSC_COMM_WORLD, &user));
  TestCall(GNNGraphSetAdjacency(user, A, coords));
  TestCall(GNNGraphSetUp(user));
  ScopedOptions o(opts);
  GNNGraph      graphs[2] = {b.graph, user};
  GNN          *gnns[2]   = {&g1, &g2};
  for (int k = 0; k < 2; k++) {
    TestCall(GNNCreate(PETSC_COMM_WORLD, gnns[k]));
    TestCall(GNNSetGraph(*gnns[k], graphs[k]));
    TestCall(GNNSetSizes(*gnns[k], 2, 2));
    TestCall(GNNSetFromOptions(*gnns[k]));
    TestCall(GNNSetUp(*gnns[k]));
  }
  TestCall(GNNGraphCreateNodeVec(b.graph, 2, &x));
  TestCall(GNNDataTaylorGreen(b.graph, 0, 0, x));
  TestCall(VecDuplicate(x, &y1));
  TestCall(VecDuplicate(x, &y2));
  TestCall(GNNApply(g1, x, y1));
  TestCall(GNNApply(g2, x, y2));
  PetscBool eq;
  TestCall(VecEqual(y1, y2, &eq));
  EXPECT_TRUE(eq);
  for (Vec *v : {&coords, &x, &y1, &y2}) TestCall(VecDestroy(v));
  TestCall(GNNDestroy(&g1));
  TestCall(GNNDestroy(&g2));
  TestCall(GNNGraphDestroy(&user));
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Tests of the distributed graph\n");
}
