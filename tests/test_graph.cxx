/* The distributed graph: sizes, ghosts, halo SF, user-supplied adjacency */
#include "gnntest.hpp"
#include <algorithm>
#include <numeric>

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

/* The vertex graph's definition rebuilt here from plain DMPlex calls, without the library: the
   nodes are the DM's vertices, and j -> i is an edge iff i and j are the two cone points of one
   depth-1 point (a mesh edge); no self edges. The global numbers come from
   DMPlexGetVertexNumbering(), reversed inside each rank's range, so that the user graph does not
   even share the library's node numbering; the coordinates come from the DM's coordinate section.
   A: MATMPIAIJ (row i: the senders into i), coords: the owned vertices' coordinates in row order. */
void IndependentVertexAdjacency(DM dm, Mat *A, Vec *coords)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)dm);
  IS                 vnum;
  const PetscInt    *vn;
  PetscInt           vStart, vEnd, eStart, eEnd, dim, nOwned = 0;
  PetscMPIInt        size, rank;
  Vec                cloc;
  PetscSection       csec;
  const PetscScalar *carr;
  PetscScalar       *x;

  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  TestCall(DMPlexGetDepthStratum(dm, 0, &vStart, &vEnd));
  TestCall(DMPlexGetDepthStratum(dm, 1, &eStart, &eEnd));
  TestCall(DMGetCoordinateDim(dm, &dim));
  TestCall(DMPlexGetVertexNumbering(dm, &vnum)); /* owned: g, owned elsewhere: -(g + 1) */
  TestCall(ISGetIndices(vnum, &vn));
  for (PetscInt v = vStart; v < vEnd; v++) nOwned += vn[v - vStart] >= 0;
  std::vector<PetscInt> starts(size + 1, 0), counts(size);
  MPI_Allgather(&nOwned, 1, MPIU_INT, counts.data(), 1, MPIU_INT, comm);
  for (int r = 0; r < size; r++) starts[r + 1] = starts[r] + counts[r];
  auto reversed = [&](PetscInt g) { /* reversed inside its owner's range */
    int r = (int)(std::upper_bound(starts.begin(), starts.end(), g) - starts.begin()) - 1;
    return starts[r] + starts[r + 1] - 1 - g;
  };
  auto number = [&](PetscInt v) {
    PetscInt g = vn[v - vStart];
    return reversed(g < 0 ? -(g + 1) : g);
  };
  for (PetscInt v = vStart; v < vEnd; v++)
    if (vn[v - vStart] >= 0) {
      EXPECT_GE(vn[v - vStart], starts[rank]);
      EXPECT_LT(vn[v - vStart], starts[rank + 1]) << "owned vertex numbers are not this rank's range";
    }

  TestCall(MatCreate(comm, A));
  TestCall(MatSetSizes(*A, nOwned, nOwned, PETSC_DETERMINE, PETSC_DETERMINE));
  TestCall(MatSetType(*A, MATMPIAIJ));
  TestCall(MatMPIAIJSetPreallocation(*A, 27, NULL, 27, NULL));
  TestCall(MatSetOption(*A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
  for (PetscInt e = eStart; e < eEnd; e++) {
    const PetscInt *cone;
    PetscInt        n;
    TestCall(DMPlexGetConeSize(dm, e, &n));
    EXPECT_EQ(n, 2) << "a depth-1 point is not a segment";
    TestCall(DMPlexGetCone(dm, e, &cone));
    const PetscInt a = number(cone[0]), b = number(cone[1]);
    TestCall(MatSetValue(*A, a, b, 1.0, INSERT_VALUES)); /* an edge seen by several ranks: one nonzero */
    TestCall(MatSetValue(*A, b, a, 1.0, INSERT_VALUES));
  }
  TestCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  TestCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));

  TestCall(VecCreateMPI(comm, nOwned * dim, PETSC_DETERMINE, coords));
  TestCall(VecSetBlockSize(*coords, dim));
  TestCall(DMGetCoordinatesLocal(dm, &cloc));
  TestCall(DMGetCoordinateSection(dm, &csec));
  TestCall(VecGetArrayRead(cloc, &carr));
  TestCall(VecGetArray(*coords, &x));
  for (PetscInt v = vStart; v < vEnd; v++) {
    PetscInt off;
    if (vn[v - vStart] < 0) continue;
    TestCall(PetscSectionGetOffset(csec, v, &off));
    for (PetscInt d = 0; d < dim; d++) x[(number(v) - starts[rank]) * dim + d] = carr[off + d];
  }
  TestCall(VecRestoreArray(*coords, &x));
  TestCall(VecRestoreArrayRead(cloc, &carr));
  TestCall(ISRestoreIndices(vnum, &vn));
}

/* Every directed edge of a graph as (receiver coordinates, sender coordinates), gathered and sorted
   on rank 0 (empty elsewhere): an edge set that does not depend on node numbers or partition */
std::vector<std::vector<double>> EdgeSet(GNNGraph g)
{
  PetscInt         nO, dim;
  const PetscInt  *rowptr, *senders;
  const PetscReal *X;
  std::vector<double> loc;
  TestCall(GNNGraphGetSizes(g, &nO, NULL, NULL, NULL));
  TestCall(GNNGraphGetDimension(g, &dim));
  TestCall(GNNGraphGetEdges(g, &rowptr, &senders));
  TestCall(GNNGraphGetCoordinates(g, &X));
  for (PetscInt i = 0; i < nO; i++)
    for (PetscInt q = rowptr[i]; q < rowptr[i + 1]; q++) {
      loc.insert(loc.end(), X + i * dim, X + (i + 1) * dim);
      loc.insert(loc.end(), X + senders[q] * dim, X + (senders[q] + 1) * dim);
    }
  int              size = Size(), n = (int)loc.size();
  std::vector<int> counts(size), displs(size, 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, PETSC_COMM_WORLD);
  for (int r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> all(Rank() == 0 ? displs[size - 1] + counts[size - 1] : 0);
  MPI_Gatherv(loc.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, PETSC_COMM_WORLD);
  std::vector<std::vector<double>> edges;
  for (size_t k = 0; k < all.size(); k += 2 * dim) edges.emplace_back(all.begin() + k, all.begin() + k + 2 * dim);
  std::sort(edges.begin(), edges.end());
  return edges;
}

/* A graph built from a user adjacency (type mat), assembled independently of the library from the
   DMPlex's edges, has the vertex graph's edge set and gives the same model outputs, bitwise, in the
   natural order: on quads, a Gmsh triangle mesh with a hole, and hexahedra */
TEST(Graph, UserAdjacencyMatchesMeshGraph)
{
  /* expected directed edges; -1: a triangulation of a domain with one hole (Euler: E = V + T) */
  const std::pair<std::string, PetscInt> meshes[] = {
    {"-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 5,5", LatticeEdges({5, 5})},
    {"-dm_plex_filename " PETSCGNN_SOURCE_DIR "/share/meshes/channel-hole.msh", -1},
    {"-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 3,2,2", LatticeEdges({3, 2, 2})},
  };
  for (auto mesh : meshes) {
    const std::string opts = mesh.first + " -gnn_precision float64";
    Built             b(opts);
    if (mesh.second < 0) {
      IS              cnum;
      const PetscInt *cn;
      PetscInt        cStart, cEnd, T = 0;
      TestCall(DMPlexGetHeightStratum(b.dm, 0, &cStart, &cEnd));
      TestCall(DMPlexGetCellNumbering(b.dm, &cnum));
      TestCall(ISGetIndices(cnum, &cn));
      for (PetscInt c = cStart; c < cEnd; c++) T += cn[c - cStart] >= 0;
      TestCall(ISRestoreIndices(cnum, &cn));
      MPI_Allreduce(MPI_IN_PLACE, &T, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
      mesh.second = 2 * (b.Nodes() + T);
    }
    Mat               A;
    Vec               coords, x[2], y[2];
    GNNGraph          user;
    GNN               gnn[2];
    PetscInt          dim;
    IndependentVertexAdjacency(b.dm, &A, &coords);
    TestCall(GNNGraphCreate(PETSC_COMM_WORLD, &user));
    TestCall(GNNGraphSetAdjacency(user, A, coords));
    TestCall(GNNGraphSetUp(user));
    TestCall(GNNGraphGetDimension(b.graph, &dim));
    PetscInt E[2], e;
    GNNGraph graphs[2] = {b.graph, user};
    for (int k = 0; k < 2; k++) {
      TestCall(GNNGraphGetSizes(graphs[k], NULL, NULL, &e, NULL));
      MPI_Allreduce(&e, &E[k], 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
    }
    EXPECT_EQ(E[0], mesh.second) << mesh.first << ": vertex graph edges";
    EXPECT_EQ(E[1], mesh.second) << mesh.first << ": edges of the independently assembled adjacency";
    auto ev = EdgeSet(b.graph), eu = EdgeSet(user);
    if (Rank() == 0) {
      EXPECT_EQ(ev.size(), (size_t)mesh.second) << mesh.first;
      EXPECT_TRUE(ev == eu) << mesh.first << ": the edge sets (receiver, sender coordinates) differ";
    }

    ScopedOptions o(opts);
    std::vector<double> out[2];
    for (int k = 0; k < 2; k++) {
      TestCall(GNNCreate(PETSC_COMM_WORLD, &gnn[k]));
      TestCall(GNNSetGraph(gnn[k], graphs[k]));
      TestCall(GNNSetSizes(gnn[k], dim, dim));
      TestCall(GNNSetFromOptions(gnn[k]));
      TestCall(GNNSetUp(gnn[k]));
      TestCall(GNNGraphCreateNodeVec(graphs[k], dim, &x[k]));
      TestCall(GNNDataTaylorGreen(graphs[k], 0, 0, x[k]));
      TestCall(VecDuplicate(x[k], &y[k]));
      TestCall(GNNApply(gnn[k], x[k], y[k]));
      out[k] = GatherNatural(graphs[k], y[k]);
    }
    if (Rank() == 0) {
      double vmax = 0;
      for (double v : out[0]) vmax = std::max(vmax, std::fabs(v));
      EXPECT_EQ(out[0].size(), (size_t)(dim * b.Nodes()));
      EXPECT_GT(vmax, 0);
      EXPECT_TRUE(out[0] == out[1]) << mesh.first << ": GNN outputs on the vertex graph and on the user adjacency differ, rel diff " << RelDiff(out[0], out[1]);
      std::printf("  %s: %lld directed edges, edge sets equal: %s, outputs bitwise equal: %s\n", mesh.first.c_str(), (long long)E[1], ev == eu ? "yes" : "no", out[0] == out[1] ? "yes" : "no");
    }
    for (int k = 0; k < 2; k++) {
      TestCall(VecDestroy(&x[k]));
      TestCall(VecDestroy(&y[k]));
      TestCall(GNNDestroy(&gnn[k]));
    }
    TestCall(MatDestroy(&A));
    TestCall(VecDestroy(&coords));
    TestCall(GNNGraphDestroy(&user));
  }
}

/* Gathers n values per owned node of g in the global numbering (rank order) on rank 0 of g's
   communicator; empty elsewhere */
template <typename T>
std::vector<T> GatherOwned(GNNGraph g, const T *local, int n, MPI_Datatype type)
{
  MPI_Comm         comm = PetscObjectComm((PetscObject)g);
  PetscInt         nO;
  int              rank, size;
  TestCall(GNNGraphGetSizes(g, &nO, NULL, NULL, NULL));
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int              cnt = (int)nO * n;
  std::vector<int> counts(size), displs(size + 1, 0);
  MPI_Gather(&cnt, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  for (int r = 0; r < size; r++) displs[r + 1] = displs[r] + counts[r];
  std::vector<T> all(rank == 0 ? displs[size] : 0);
  MPI_Gatherv(local, cnt, type, all.data(), counts.data(), displs.data(), type, 0, comm);
  return all;
}

/* The natural order as the library computed it before the parallel sort, here in the test only:
   every coordinate gathered on rank 0 in the global numbering, sorted lexicographically, ties by
   global number. On rank 0: perm[k] = the global number of the k-th node; empty elsewhere. */
std::vector<PetscInt> ReferenceNaturalPerm(GNNGraph g)
{
  PetscInt         dim, N;
  const PetscReal *X;
  TestCall(GNNGraphGetDimension(g, &dim));
  TestCall(GNNGraphGetSizes(g, NULL, NULL, NULL, &N));
  TestCall(GNNGraphGetCoordinates(g, &X));
  std::vector<PetscReal> all = GatherOwned(g, X, (int)dim, MPIU_REAL);
  std::vector<PetscInt>  perm(all.empty() ? 0 : N);
  std::iota(perm.begin(), perm.end(), 0);
  std::sort(perm.begin(), perm.end(), [&](PetscInt i, PetscInt j) {
    for (PetscInt d = 0; d < dim; d++) {
      if (all[i * dim + d] < all[j * dim + d]) return true;
      if (all[i * dim + d] > all[j * dim + d]) return false;
    }
    return i < j;
  });
  return perm;
}

/* The natural indices of g are a permutation of 0..N-1, the reference's; also what
   GNNGraphGatherNatural() puts in natural order. Returns the reference permutation (rank 0). */
std::vector<PetscInt> CheckNaturalIndices(GNNGraph g, const std::string &what)
{
  PetscInt        nO, N;
  const PetscInt *nat;
  TestCall(GNNGraphGetSizes(g, &nO, NULL, NULL, &N));
  TestCall(GNNGraphGetNaturalIndices(g, &nat));
  std::vector<PetscInt> perm = ReferenceNaturalPerm(g), natAll = GatherOwned(g, nat, 1, MPIU_INT);
  /* the global numbers through the natural-order gather: perm itself */
  Vec          gv;
  PetscScalar *a;
  TestCall(GNNGraphCreateNodeVec(g, 1, &gv));
  TestCall(VecGetArrayWrite(gv, &a));
  for (PetscInt i = 0; i < nO; i++) a[i] = (PetscScalar)i;
  TestCall(VecRestoreArrayWrite(gv, &a));
  PetscInt rstart;
  TestCall(VecGetOwnershipRange(gv, &rstart, NULL));
  TestCall(VecShift(gv, (PetscScalar)rstart));
  std::vector<double> gathered = GatherNatural(g, gv);
  TestCall(VecDestroy(&gv));
  if (!perm.empty()) {
    std::vector<PetscInt> refNat(N), sorted(natAll);
    for (PetscInt k = 0; k < N; k++) refNat[perm[k]] = k;
    std::sort(sorted.begin(), sorted.end());
    bool isPerm = (PetscInt)sorted.size() == N;
    for (PetscInt k = 0; isPerm && k < N; k++) isPerm = sorted[k] == k;
    EXPECT_TRUE(isPerm) << what << ": the natural indices are not a permutation of 0..N-1";
    EXPECT_TRUE(natAll == refNat) << what << ": the natural indices differ from the rank-0 sort's";
    std::vector<double> expect(perm.begin(), perm.end());
    EXPECT_TRUE(gathered == expect) << what << ": GNNGraphGatherNatural() is not in the natural order";
  }
  return perm;
}

/* A user graph (type mat) whose nodes do not depend on the communicator: node g (global number)
   has coordinates that are a function of g alone, edges g <-> g +- 1, and the split over the ranks
   is uneven: rank 1 owns no node, rank 2 one, rank 0 the most. kind 0: few distinct points, so
   many coincident nodes (ties), some at 0 and some at -0; kind 1: all nodes at one point (the
   order is the global numbering); kind 2: scattered points, a few coincident. */
struct MatGraph {
  GNNGraph graph = NULL;
  MatGraph(MPI_Comm comm, PetscInt N, PetscInt dim, int kind)
  {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    std::vector<PetscInt> n(size, 0);
    if (size == 1) n[0] = N;
    else {
      const PetscInt rest = N - (size > 2), others = size - std::min(size, 3) + 1; /* rank 0 and ranks >= 3 */
      if (size > 2) n[2] = 1;
      for (int r = 0; r < size; r++)
        if (r == 0 || r >= 3) n[r] = rest / others;
      n[0] += rest % others;
    }
    PetscInt rstart = std::accumulate(n.begin(), n.begin() + rank, (PetscInt)0), nl = n[rank];
    Mat      A;
    Vec      coords;
    TestCall(MatCreateAIJ(comm, nl, nl, N, N, 2, NULL, 2, NULL, &A));
    for (PetscInt g = rstart; g < rstart + nl; g++) {
      if (g > 0) TestCall(MatSetValue(A, g, g - 1, 1.0, INSERT_VALUES));
      if (g + 1 < N) TestCall(MatSetValue(A, g, g + 1, 1.0, INSERT_VALUES));
    }
    TestCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    TestCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
    TestCall(VecCreate(comm, &coords));
    TestCall(VecSetSizes(coords, nl * dim, N * dim));
    TestCall(VecSetBlockSize(coords, dim));
    TestCall(VecSetType(coords, VECSTANDARD));
    PetscScalar *x;
    TestCall(VecGetArrayWrite(coords, &x));
    for (PetscInt i = 0; i < nl; i++)
      for (PetscInt d = 0; d < dim; d++) {
        const PetscInt g = rstart + i;
        double         v = 0.25;
        if (kind == 0) v = 0.5 * (double)((g * (7 + 3 * d) + d) % 5 - 2);
        if (kind == 2) v = std::fmod(0.6180339887 * (double)((g % (N - 3)) * (d + 1)), 1.0);
        x[i * dim + d] = v == 0 && g % 2 ? -0.0 : v;
      }
    TestCall(VecRestoreArrayWrite(coords, &x));
    TestCall(GNNGraphCreate(comm, &graph));
    TestCall(GNNGraphSetAdjacency(graph, A, coords));
    TestCall(GNNGraphSetUp(graph));
    TestCall(MatDestroy(&A));
    TestCall(VecDestroy(&coords));
  }
  ~MatGraph() { GNNGraphDestroy(&graph); }
};

/* The natural index of every node is the one the former rank-0 sort gave: on meshes split by the
   simple partitioner and by the default one, and on user graphs with ties, with all nodes at one
   point, and with ranks owning no node or one */
TEST(Natural, IndicesAreTheRankZeroSort)
{
  const std::string meshes[] = {
    "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 7,5 -petscpartitioner_type simple",
    "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 2,1 -petscpartitioner_type simple",
    "-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 2,2,1 -gnn_graph_type gll -gnn_graph_degree 2",
  };
  for (const auto &m : meshes) {
    Built b(m);
    CheckNaturalIndices(b.graph, m);
  }
  for (int kind = 0; kind < 3; kind++)
    for (PetscInt dim = 1; dim <= 3; dim++) {
      MatGraph g(PETSC_COMM_WORLD, kind == 2 ? 2000 : 37, dim, kind);
      CheckNaturalIndices(g.graph, "mat graph kind " + std::to_string(kind) + ", dim " + std::to_string(dim));
    }
  MatGraph tiny(PETSC_COMM_WORLD, 2, 2, 0); /* fewer nodes than ranks at 3 and 4 ranks */
  CheckNaturalIndices(tiny.graph, "mat graph of 2 nodes");
}

/* A node field of a MatGraph whose values are a function of the global number alone */
Vec NodeField(GNNGraph g, PetscInt bs)
{
  Vec          v;
  PetscScalar *a;
  PetscInt     rstart, n;
  TestCall(GNNGraphCreateNodeVec(g, bs, &v));
  TestCall(VecGetOwnershipRange(v, &rstart, NULL));
  TestCall(VecGetLocalSize(v, &n));
  TestCall(VecGetArrayWrite(v, &a));
  for (PetscInt k = 0; k < n; k++) a[k] = std::sin(0.37 * (double)(rstart + k)) * 1e3 + 1.0 / 3.0;
  TestCall(VecRestoreArrayWrite(v, &a));
  return v;
}

/* Loads file into a new node field of g: true iff it equals NodeField() bitwise */
bool LoadsBack(GNNGraph g, PetscInt bs, const char *file)
{
  Vec       ref = NodeField(g, bs), v;
  PetscBool eq;
  TestCall(VecDuplicate(ref, &v));
  TestCall(GNNGraphLoadNaturalVec(g, file, v));
  TestCall(VecEqual(ref, v, &eq));
  TestCall(VecDestroy(&ref));
  TestCall(VecDestroy(&v));
  return eq;
}

std::string FileBytes(const std::string &f)
{
  FILE       *fp = fopen(f.c_str(), "rb");
  std::string s;
  if (!fp) return "<missing>";
  for (int c; (c = fgetc(fp)) != EOF;) s.push_back((char)c);
  fclose(fp);
  return s;
}

/* Natural-order files of one kind (".bin": PETSc binary, ".h5": HDF5): written on P ranks they read
   back bitwise on P ranks, on P - 1 and on 1, files written on P - 1 ranks read back on P; a wrong
   block size, a truncated file and a missing file fail on every rank. The files are base + tag + ext. */
void CheckRoundTrips(const std::string &base, const std::string &ext)
{
  const PetscInt    N = 301, bs = 3;
  const int         rank = Rank(), size = Size(), sizeSub = std::max(size - 1, 1);
  const std::string fP = base + "_P" + ext, fSub = base + "_sub" + ext;
  MPI_Comm          sub; /* the first max(P - 1, 1) ranks */
  MPI_Comm_split(PETSC_COMM_WORLD, rank < sizeSub ? 0 : MPI_UNDEFINED, rank, &sub);
  {
    MatGraph g(PETSC_COMM_WORLD, N, 2, 0);
    Vec      v = NodeField(g.graph, bs);
    TestCall(GNNGraphSaveNaturalVec(g.graph, v, fP.c_str()));
    TestCall(VecDestroy(&v));
    EXPECT_TRUE(LoadsBack(g.graph, bs, fP.c_str())) << ext << " written and read on " << size << " ranks";
  }
  if (sub != MPI_COMM_NULL) {
    MatGraph g(sub, N, 2, 0);
    EXPECT_TRUE(LoadsBack(g.graph, bs, fP.c_str())) << ext << " written on " << size << " ranks, read on " << sizeSub;
    Vec v = NodeField(g.graph, bs);
    TestCall(GNNGraphSaveNaturalVec(g.graph, v, fSub.c_str()));
    TestCall(VecDestroy(&v));
    MPI_Comm_free(&sub);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  {
    MatGraph g(PETSC_COMM_WORLD, N, 2, 0);
    EXPECT_TRUE(LoadsBack(g.graph, bs, fSub.c_str())) << ext << " written on " << sizeSub << " ranks, read on " << size;
  }
  if (rank == 0) {
    MatGraph g(PETSC_COMM_SELF, N, 2, 0);
    EXPECT_TRUE(LoadsBack(g.graph, bs, fP.c_str())) << ext << " written on " << size << " ranks, read on 1";
  }
  {
    MatGraph g(PETSC_COMM_WORLD, N, 2, 0);
    if (rank == 0) {
      EXPECT_EQ(truncate(fSub.c_str(), 100), 0);
    }
    MPI_Barrier(PETSC_COMM_WORLD);
    const std::pair<std::string, PetscInt> bad[] = {{fP, 2}, {fSub, bs}, {base + "_none" + ext, bs}};
    for (const auto &b : bad) {
      Vec            v;
      PetscErrorCode ierr;
      TestCall(GNNGraphCreateNodeVec(g.graph, b.second, &v));
      TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = GNNGraphLoadNaturalVec(g.graph, b.first.c_str(), v);
      TestCall(PetscPopErrorHandler());
      EXPECT_NE(ierr, 0) << b.first << " with block size " << b.second << " was accepted";
      TestCall(VecDestroy(&v));
    }
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  if (rank == 0)
    for (const auto &f : {fP, fSub}) {
      remove(f.c_str());
      remove((f + ".info").c_str());
    }
}

std::string TestFileBase()
{
  char base[PETSC_MAX_PATH_LEN];
  TestCall(PetscSNPrintf(base, sizeof(base), "test_graph_natural_%d", (int)getpid()));
  MPI_Bcast(base, sizeof(base), MPI_CHAR, 0, PETSC_COMM_WORLD);
  return base;
}

/* PETSc binary files written on P ranks hold the bytes (values, header and .info) that the former
   code wrote on rank 0 from a sequential Vec, so older files stay valid; round trips as above */
TEST(Natural, BinaryFilesAreRankCountIndependent)
{
  const PetscInt    N = 301, bs = 3;
  const std::string base = TestFileBase(), fP = base + "_bytes.bin", fRef = base + "_ref.bin";
  {
    MatGraph g(PETSC_COMM_WORLD, N, 2, 0);
    Vec      v = NodeField(g.graph, bs);
    TestCall(GNNGraphSaveNaturalVec(g.graph, v, fP.c_str()));
    /* the former writer: rank 0 gathers in the natural order, a sequential Vec, its own viewer */
    std::vector<PetscInt> perm = ReferenceNaturalPerm(g.graph);
    const PetscScalar    *a;
    TestCall(VecGetArrayRead(v, &a));
    std::vector<PetscScalar> vals = GatherOwned(g.graph, a, (int)bs, MPIU_SCALAR);
    TestCall(VecRestoreArrayRead(v, &a));
    TestCall(VecDestroy(&v));
    if (Rank() == 0) {
      std::vector<PetscScalar> nat(N * bs);
      for (PetscInt k = 0; k < N; k++)
        for (PetscInt f = 0; f < bs; f++) nat[k * bs + f] = vals[perm[k] * bs + f];
      PetscViewer viewer;
      Vec         s;
      TestCall(PetscViewerBinaryOpen(PETSC_COMM_SELF, fRef.c_str(), FILE_MODE_WRITE, &viewer));
      TestCall(VecCreateSeqWithArray(PETSC_COMM_SELF, bs, N * bs, nat.data(), &s));
      TestCall(VecView(s, viewer));
      TestCall(VecDestroy(&s));
      TestCall(PetscViewerDestroy(&viewer));
      EXPECT_EQ(FileBytes(fP).size(), 2 * sizeof(PetscInt) + N * bs * sizeof(PetscScalar));
      EXPECT_NE(FileBytes(fP + ".info").find("-vecload_block_size 3"), std::string::npos) << FileBytes(fP + ".info");
      EXPECT_TRUE(FileBytes(fP) == FileBytes(fRef)) << "the file differs from the former rank-0 writer's";
      EXPECT_TRUE(FileBytes(fP + ".info") == FileBytes(fRef + ".info")) << "the .info file differs from the former rank-0 writer's: " << FileBytes(fP + ".info") << " vs " << FileBytes(fRef + ".info");
      for (const auto &f : {fP, fRef}) {
        remove(f.c_str());
        remove((f + ".info").c_str());
      }
    }
  }
  CheckRoundTrips(base, ".bin");
}

/* HDF5 files (.h5), read and written collectively: the same round trips */
TEST(Natural, HDF5FilesAreRankCountIndependent)
{
  CheckRoundTrips(TestFileBase(), ".h5");
}

/* XDMF output (GNNGraphWriteNodeFields "xdmf:FILE.xmf"): every rank writes its block of the natural
   order into FILE.h5; the datasets must be those of the 1-rank run bit for bit, and FILE.xmf
   well-formed XML describing them (parsed by Python's xml.etree: N points, the datasets' names and
   dimensions, the .h5 beside it) */
struct PlexGraph {
  DM       dm    = NULL;
  GNNGraph graph = NULL;
  PlexGraph(MPI_Comm comm, const std::string &opts)
  {
    ScopedOptions o(opts);
    TestCall(DMCreate(comm, &dm));
    TestCall(DMSetType(dm, DMPLEX));
    TestCall(DMSetFromOptions(dm));
    TestCall(GNNGraphCreate(comm, &graph));
    TestCall(GNNGraphSetDM(graph, dm));
    TestCall(GNNGraphSetFromOptions(graph));
    TestCall(GNNGraphSetUp(graph));
  }
  ~PlexGraph()
  {
    GNNGraphDestroy(&graph);
    DMDestroy(&dm);
  }
};

/* velocity (3 values) and pressure (1) per node, functions of its coordinates; kind "xdmf" or
   "xdmf+edges"; edgesCsv: also the edge CSV there */
void WriteXdmf(MPI_Comm comm, const std::string &opts, const std::string &xmf, const std::string &kind = "xdmf", const std::string &edgesCsv = "")
{
  PlexGraph        g(comm, opts);
  Vec              f[2];
  const char      *names[] = {"velocity", "pressure"};
  const PetscReal *X;
  PetscInt         n, dim;
  PetscScalar     *u, *p;
  TestCall(GNNGraphGetSizes(g.graph, &n, NULL, NULL, NULL));
  TestCall(GNNGraphGetDimension(g.graph, &dim));
  TestCall(GNNGraphGetCoordinates(g.graph, &X));
  TestCall(GNNGraphCreateNodeVec(g.graph, 3, &f[0]));
  TestCall(GNNGraphCreateNodeVec(g.graph, 1, &f[1]));
  TestCall(VecGetArrayWrite(f[0], &u));
  TestCall(VecGetArrayWrite(f[1], &p));
  for (PetscInt i = 0; i < n; i++) {
    for (PetscInt c = 0; c < 3; c++) u[3 * i + c] = std::sin(X[i * dim + c % dim] + c) / 3.0;
    p[i] = X[i * dim] * X[i * dim + 1] + 1.0 / 7.0;
  }
  TestCall(VecRestoreArrayWrite(f[0], &u));
  TestCall(VecRestoreArrayWrite(f[1], &p));
  TestCall(GNNGraphWriteNodeFields(g.graph, (kind + ":" + xmf).c_str(), 2, f, names));
  if (!edgesCsv.empty()) TestCall(GNNGraphWriteEdges(g.graph, edgesCsv.c_str()));
  TestCall(VecDestroy(&f[0]));
  TestCall(VecDestroy(&f[1]));
}

/* a dataset of an HDF5 file as a sequential Vec */
Vec LoadDataset(const std::string &file, const char *name)
{
  PetscViewer viewer;
  Vec         v;
  /* PetscViewerHDF5Open() by its parts: petscviewerhdf5.h needs HDF5's headers, the tests do not */
  TestCall(PetscViewerCreate(PETSC_COMM_SELF, &viewer));
  TestCall(PetscViewerSetType(viewer, PETSCVIEWERHDF5));
  TestCall(PetscViewerFileSetMode(viewer, FILE_MODE_READ));
  TestCall(PetscViewerFileSetName(viewer, file.c_str()));
  TestCall(VecCreate(PETSC_COMM_SELF, &v));
  TestCall(PetscObjectSetName((PetscObject)v, name));
  TestCall(VecLoad(v, viewer));
  TestCall(PetscViewerDestroy(&viewer));
  return v;
}

TEST(Output, XdmfIsRankCountIndependent)
{
  const std::string opts = "-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 4,3,3 -dm_plex_box_upper 1,2,3 -petscpartitioner_type simple";
  const std::string base = TestFileBase() + "_xdmf";
  const PetscInt    N    = 5 * 4 * 4;
  WriteXdmf(PETSC_COMM_WORLD, opts, base + "_P.xmf");
  if (Rank() == 0) {
    WriteXdmf(PETSC_COMM_SELF, opts, base + "_1.xmf");
    const std::pair<const char *, PetscInt> sets[] = {{"coordinates", 3}, {"velocity", 3}, {"pressure", 1}};
    for (const auto &d : sets) {
      Vec       a = LoadDataset(base + "_P.h5", d.first), b = LoadDataset(base + "_1.h5", d.first);
      PetscInt  na, bs;
      PetscBool eq;
      TestCall(VecGetSize(a, &na));
      TestCall(VecGetBlockSize(a, &bs));
      TestCall(VecEqual(a, b, &eq));
      EXPECT_EQ(na, N * d.second) << d.first;
      EXPECT_EQ(bs, d.second) << d.first;
      EXPECT_TRUE(eq) << d.first << ": written on " << Size() << " ranks, differs from the 1-rank file";
      TestCall(VecDestroy(&a));
      TestCall(VecDestroy(&b));
    }
    /* the .xmf: XML, a Polyvertex of N points, each DataItem a dataset of the .h5 beside it */
    const std::string check = "/usr/bin/python3 -c \"import sys, os, xml.etree.ElementTree as E\n"
                              "r = E.parse(sys.argv[1]).getroot(); g = r.find('Domain/Grid'); t = g.find('Topology')\n"
                              "assert r.tag == 'Xdmf' and t.get('TopologyType') == 'Polyvertex' and t.get('NumberOfElements') == sys.argv[2]\n"
                              "items = {i.text.split(':/')[1]: (i.text.split(':/')[0], i.get('Dimensions')) for i in g.iter('DataItem')}\n"
                              "assert items == {'coordinates': (sys.argv[3], sys.argv[2] + ' 3'), 'velocity': (sys.argv[3], sys.argv[2] + ' 3'), 'pressure': (sys.argv[3], sys.argv[2])}, items\n"
                              "assert [a.get('Name') for a in g.findall('Attribute')] == ['velocity', 'pressure']\n"
                              "assert os.path.exists(os.path.join(os.path.dirname(sys.argv[1]), sys.argv[3]))\" ";
    for (const char *k : {"_P", "_1"}) {
      const std::string xmf = base + k + ".xmf", h5 = base + k + ".h5";
      EXPECT_EQ(std::system((check + xmf + " " + std::to_string(N) + " " + h5).c_str()), 0) << xmf << " is not the expected XDMF";
      remove(xmf.c_str());
      remove(h5.c_str());
    }
  }
  MPI_Barrier(PETSC_COMM_WORLD);
}

/* an integer dataset of an HDF5 file (ISView's) as a sequential IS */
IS LoadIndexDataset(const std::string &file, const char *name)
{
  PetscViewer viewer;
  IS          is;
  TestCall(PetscViewerCreate(PETSC_COMM_SELF, &viewer));
  TestCall(PetscViewerSetType(viewer, PETSCVIEWERHDF5));
  TestCall(PetscViewerFileSetMode(viewer, FILE_MODE_READ));
  TestCall(PetscViewerFileSetName(viewer, file.c_str()));
  TestCall(ISCreate(PETSC_COMM_SELF, &is));
  TestCall(PetscObjectSetName((PetscObject)is, name));
  TestCall(ISLoad(is, viewer));
  TestCall(PetscViewerDestroy(&viewer));
  return is;
}

/* XDMF with edges ("xdmf+edges:FILE.xmf"): every rank writes its block of the natural edge order;
   the edge datasets (edges, edge_vector, edge_length) and the node datasets must be the 1-rank
   run's bit for bit; the edges sorted by receiver then sender, as many as the graph has, each
   pair the line of the edge CSV (GNNGraphWriteEdges, streamed to rank 0) at the same place, that
   CSV the same bytes as the 1-rank one, and each length the norm of its vector; the .xmf a Polyline
   of E segments with the edge features as cell attributes. In 3-D (a GLL graph, ghosts inside
   elements' faces) and in 2-D (the vertex graph of a Gmsh triangle mesh). */
void CheckXdmfEdges(const std::string &opts, PetscInt dim, const std::string &tag)
{
  const std::string base = TestFileBase() + "_xdmfe" + tag;
  PetscInt          E, N;
  {
    Built b(opts);
    E = b.GlobalEdges();
    N = b.Nodes();
  }
  WriteXdmf(PETSC_COMM_WORLD, opts, base + "_P.xmf", "xdmf+edges", base + "_P.csv");
  if (Rank() == 0) {
    WriteXdmf(PETSC_COMM_SELF, opts, base + "_1.xmf", "xdmf+edges", base + "_1.csv");
    const std::pair<const char *, PetscInt> sets[] = {{"coordinates", dim}, {"velocity", 3}, {"pressure", 1}, {"edge_vector", dim}, {"edge_length", 1}};
    for (const auto &d : sets) {
      Vec       a = LoadDataset(base + "_P.h5", d.first), b = LoadDataset(base + "_1.h5", d.first);
      PetscInt  na;
      PetscBool eq;
      TestCall(VecGetSize(a, &na));
      TestCall(VecEqual(a, b, &eq));
      EXPECT_EQ(na, (strncmp(d.first, "edge", 4) ? N : E) * d.second) << d.first;
      EXPECT_TRUE(eq) << d.first << ": written on " << Size() << " ranks, differs from the 1-rank file";
      TestCall(VecDestroy(&a));
      TestCall(VecDestroy(&b));
    }
    IS              a = LoadIndexDataset(base + "_P.h5", "edges"), b = LoadIndexDataset(base + "_1.h5", "edges");
    PetscInt        na;
    PetscBool       eq;
    const PetscInt *p;
    PetscInt        bsE;
    TestCall(ISGetSize(a, &na));
    TestCall(ISGetBlockSize(a, &bsE));
    TestCall(ISEqualUnsorted(a, b, &eq));
    EXPECT_EQ(na, 2 * E);
    EXPECT_EQ(bsE, 2) << "the edges dataset is not [E, 2]";
    EXPECT_TRUE(eq) << "edges: written on " << Size() << " ranks, differs from the 1-rank file";
    EXPECT_TRUE(FileBytes(base + "_P.csv") == FileBytes(base + "_1.csv")) << "the edge CSV differs from the 1-rank one";
    /* sorted by (receiver, sender), no duplicate, every index a node; the CSV holds the same pairs */
    TestCall(ISGetIndices(a, &p));
    std::string expect = "sender,receiver\n";
    for (PetscInt k = 0; k < na / 2; k++) {
      EXPECT_TRUE(p[2 * k] >= 0 && p[2 * k] < N && p[2 * k + 1] >= 0 && p[2 * k + 1] < N && p[2 * k] != p[2 * k + 1]) << "edge " << k;
      if (k) EXPECT_TRUE(std::make_pair(p[2 * k - 1], p[2 * k - 2]) < std::make_pair(p[2 * k + 1], p[2 * k])) << "edge " << k << " out of order";
      expect += std::to_string(p[2 * k]) + "," + std::to_string(p[2 * k + 1]) + "\n";
    }
    TestCall(ISRestoreIndices(a, &p));
    EXPECT_TRUE(FileBytes(base + "_P.csv") == expect) << "the edge CSV and the XDMF edges differ";
    TestCall(ISDestroy(&a));
    TestCall(ISDestroy(&b));
    {
      Vec                v = LoadDataset(base + "_P.h5", "edge_vector"), l = LoadDataset(base + "_P.h5", "edge_length");
      const PetscScalar *x, *y;
      PetscReal          worst = 0;
      TestCall(VecGetArrayRead(v, &x));
      TestCall(VecGetArrayRead(l, &y));
      for (PetscInt k = 0; k < E; k++) {
        PetscReal s2 = 0;
        for (PetscInt d = 0; d < dim; d++) s2 += PetscRealPart(x[k * dim + d] * x[k * dim + d]);
        worst = std::max(worst, std::abs(std::sqrt(s2) - PetscRealPart(y[k])));
        EXPECT_GT(PetscRealPart(y[k]), 0) << "edge " << k;
      }
      EXPECT_LT(worst, 1e-14);
      TestCall(VecRestoreArrayRead(v, &x));
      TestCall(VecRestoreArrayRead(l, &y));
      TestCall(VecDestroy(&v));
      TestCall(VecDestroy(&l));
    }
    const std::string check = "/usr/bin/python3 -c \"import sys, os, xml.etree.ElementTree as E\n"
                              "r = E.parse(sys.argv[1]).getroot(); g = r.find('Domain/Grid'); t = g.find('Topology'); n, e, d = sys.argv[2:5]\n"
                              "assert t.get('TopologyType') == 'Polyline' and t.get('NodesPerElement') == '2' and t.get('NumberOfElements') == e\n"
                              "assert t.find('DataItem').text.endswith(':/edges') and t.find('DataItem').get('Dimensions') == e + ' 2' and t.find('DataItem').get('NumberType') == 'Int'\n"
                              "a = {x.get('Name'): (x.get('Center'), x.find('DataItem').get('Dimensions')) for x in g.findall('Attribute')}\n"
                              "assert a == {'velocity': ('Node', n + ' 3'), 'pressure': ('Node', n), 'edge_vector': ('Cell', e + ' ' + d), 'edge_length': ('Cell', e)}, a\n"
                              "assert g.find('Geometry/DataItem').get('Dimensions') == n + ' ' + d\" ";
    for (const char *k : {"_P", "_1"}) {
      const std::string xmf = base + k + ".xmf";
      EXPECT_EQ(std::system((check + xmf + " " + std::to_string(N) + " " + std::to_string(E) + " " + std::to_string(dim)).c_str()), 0) << xmf << " is not the expected XDMF";
      for (const char *ext : {".xmf", ".h5", ".csv"}) remove((base + k + ext).c_str());
    }
  }
  MPI_Barrier(PETSC_COMM_WORLD);
}

TEST(Output, XdmfEdgesAreRankCountIndependent)
{
  CheckXdmfEdges("-dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 3,2,2 -dm_plex_box_upper 1,2,3 -gnn_graph_type gll -gnn_graph_degree 2 -petscpartitioner_type simple", 3, "3d");
  CheckXdmfEdges("-dm_plex_filename " PETSCGNN_SOURCE_DIR "/share/meshes/channel-hole.msh -petscpartitioner_type simple", 2, "2d");
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Tests of the distributed graph\n");
}
