/* NekRS graphs: the files written by NekRS's gnn plugin (Taylor-Green, p = 3, 2 NekRS ranks,
   periodic box of side 2*pi; share/data/nekrs-tgv-p3-2ranks holds the pos_node, global_ids,
   edge_index and fld_u files of both ranks, with the data's LICENSE and README).

   On 2 ranks the graph keeps NekRS's own partition and is compared with the merged graph built from
   all files on one rank (rank 0, PETSC_COMM_SELF, in the same run). On 1 rank the graph built on
   PETSC_COMM_WORLD is the merged one: it is checked against the independent counts and the
   structure, and against a second merged build. */
#include "gnntest.hpp"
#include <cmath>
#include <petscgnnnekrs.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_map>

namespace {

const char    *kDir      = PETSCGNN_SOURCE_DIR "/share/data/nekrs-tgv-p3-2ranks";
const PetscInt kNekRanks = 2;
const double   kL        = 2 * M_PI;
/* GLL points of degree 3 on [-1, 1]: +-1, +-1/sqrt(5); elements of width 2*pi / 4 */
const double kH1 = (1 - 1 / std::sqrt(5.0)) * M_PI / 4, kH2 = (2 / std::sqrt(5.0)) * M_PI / 4;

std::string RankFile(const char *dir, const std::string &stem, int r)
{
  return std::string(dir) + "/" + stem + "_rank_" + std::to_string(r) + "_size_" + std::to_string(kNekRanks) + ".bin";
}

template <typename T>
std::vector<T> ReadRaw(const std::string &file)
{
  std::ifstream     in(file, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T>    v(b.size() / sizeof(T));
  std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
  return v;
}

/* Independent of the library: unique physical points and unique directed edges of the raw files
   (id 0: a point of its own), and the nodes the lowest-rank-owns rule gives each NekRS rank */
struct RawCounts {
  long long              nodes = 0, edges = 0;
  std::vector<long long> owned; /* per NekRS rank */
};

RawCounts CountRaw()
{
  RawCounts                                  c;
  std::set<long long>                        ids;
  std::set<std::pair<long long, long long>>  edges;
  long long                                  fresh = -1; /* interior points: negative ids */
  for (int r = 0; r < kNekRanks; r++) {
    auto                   gid = ReadRaw<long long>(RankFile(kDir, "global_ids", r));
    auto                   e   = ReadRaw<int>(RankFile(kDir, "edge_index", r));
    std::vector<long long> key(gid.size());
    long long              owned = 0;
    for (size_t i = 0; i < gid.size(); i++) {
      key[i] = gid[i] ? gid[i] : fresh--;
      if (!gid[i] || ids.insert(gid[i]).second) owned++;
    }
    for (size_t q = 0; q + 1 < e.size(); q += 2) edges.emplace(key[e[q]], key[e[q + 1]]);
    c.owned.push_back(owned);
  }
  c.nodes = (long long)ids.size() + (-1 - fresh);
  c.edges = (long long)edges.size();
  return c;
}

struct NekGraph {
  GNNGraph graph = NULL;
  explicit NekGraph(MPI_Comm comm, const char *dir = kDir)
  {
    TestCall(GNNGraphCreateNekRS(comm, dir, kNekRanks, &graph));
    TestCall(GNNGraphSetFromOptions(graph));
    TestCall(GNNGraphSetUp(graph));
  }
  ~NekGraph() { GNNGraphDestroy(&graph); }
  NekGraph(const NekGraph &)            = delete;
  NekGraph &operator=(const NekGraph &) = delete;
};

/* Over the graph's communicator: every edge vector (minimum image) */
struct EdgeStats {
  long long nEdges = 0, notGLL = 0, notAxis = 0;
  double    minLen = INFINITY, maxLen = 0;
};

EdgeStats Edges(GNNGraph g)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)g);
  PetscInt  nE;
  EdgeStats s;
  TestCall(GNNGraphGetSizes(g, NULL, NULL, &nE, NULL));
  for (PetscInt q = 0; q < nE; q++) {
    PetscReal v[3];
    TestCall(GNNGraphGetEdgeVector(g, q, v));
    double len = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    int    nz  = (std::fabs(v[0]) > 1e-9) + (std::fabs(v[1]) > 1e-9) + (std::fabs(v[2]) > 1e-9);
    s.minLen   = std::min(s.minLen, len);
    s.maxLen   = std::max(s.maxLen, len);
    s.notGLL += std::fabs(len - kH1) > 1e-9 && std::fabs(len - kH2) > 1e-9;
    s.notAxis += nz != 1;
  }
  long long loc[3] = {(long long)nE, s.notGLL, s.notAxis}, glob[3];
  MPI_Allreduce(loc, glob, 3, MPI_LONG_LONG, MPI_SUM, comm);
  s.nEdges = glob[0];
  s.notGLL = glob[1];
  s.notAxis = glob[2];
  MPI_Allreduce(MPI_IN_PLACE, &s.minLen, 1, MPI_DOUBLE, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, &s.maxLen, 1, MPI_DOUBLE, MPI_MAX, comm);
  return s;
}

std::vector<double> NaturalCoordinates(GNNGraph g)
{
  Vec c;
  TestCall(GNNGraphGetCoordinateVec(g, &c));
  std::vector<double> x = GatherNatural(g, c);
  TestCall(VecDestroy(&c));
  return x;
}

/* Structure of one form of the graph: checks valid on any communicator */
void CheckStructure(GNNGraph g, const RawCounts &raw, const char *form)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)g);
  PetscMPIInt crank;
  PetscInt    N;
  EdgeStats   s = Edges(g);
  MPI_Comm_rank(comm, &crank);
  TestCall(GNNGraphGetSizes(g, NULL, NULL, NULL, &N));
  EXPECT_EQ(N, 1728) << form;
  EXPECT_EQ(s.nEdges, raw.edges) << form << ": directed edges against the independent count of the raw files";
  EXPECT_EQ(s.notGLL, 0) << form << ": edges whose (minimum-image) length is no GLL spacing, min " << s.minLen << " max " << s.maxLen;
  EXPECT_EQ(s.notAxis, 0) << form << ": edges not along one axis";
  EXPECT_NEAR(s.minLen, kH1, 1e-9) << form;
  EXPECT_NEAR(s.maxLen, kH2, 1e-9) << form;
  std::vector<double> x = NaturalCoordinates(g);
  if (crank == 0) {
    std::set<double> axis[3];
    bool             inBox = true;
    for (size_t i = 0; i < x.size(); i++) {
      axis[i % 3].insert(x[i]);
      inBox = inBox && x[i] >= 0 && x[i] < kL;
    }
    EXPECT_TRUE(inBox) << form << ": coordinates not wrapped into [0, 2 pi)";
    for (int d = 0; d < 3; d++) EXPECT_EQ(axis[d].size(), 12u) << form << ": distinct coordinates along axis " << d << " (12 x 12 x 12 GLL lattice)";
  }
}

} // namespace

TEST(NekRS, RawFilesCountedIndependently)
{
  if (Rank() == 0) {
    RawCounts raw = CountRaw();
    EXPECT_EQ(raw.nodes, 1728);
    EXPECT_EQ(raw.edges, 10368) << "12^3 periodic lattice: 3 x 1728 undirected edges, both directions";
    std::printf("raw files: %lld unique points, %lld unique directed edges, NekRS rank 0 / 1 hold %lld / %lld points first\n", raw.nodes, raw.edges, raw.owned[0], raw.owned[1]);
  }
}

/* The graph on PETSC_COMM_WORLD (2 ranks: NekRS's partition; 1 rank: merged) and the merged graph on
   rank 0: counts, edge geometry across periodic images, ownership, identical coordinates */
TEST(NekRS, Structure)
{
  RawCounts raw = CountRaw(); /* every rank reads the small raw files */
  NekGraph  dist(PETSC_COMM_WORLD);
  PetscInt  nOwned, nGhost;
  EdgeStats sd = Edges(dist.graph);

  CheckStructure(dist.graph, raw, Size() == kNekRanks ? "NekRS partition" : "merged (world)");
  TestCall(GNNGraphGetSizes(dist.graph, &nOwned, &nGhost, NULL, NULL));
  if (Size() == kNekRanks) {
    EXPECT_EQ(nOwned, raw.owned[Rank()]) << "a shared point belongs to the lowest rank holding it";
    EXPECT_GT(nGhost, 0);
  } else {
    EXPECT_EQ(nOwned, 1728);
    EXPECT_EQ(nGhost, 0);
  }
  std::vector<double> xd = NaturalCoordinates(dist.graph);
  if (Rank() == 0) {
    NekGraph  merged(PETSC_COMM_SELF);
    EdgeStats sm = Edges(merged.graph);
    CheckStructure(merged.graph, raw, "merged (rank 0)");
    EXPECT_EQ(sm.maxLen, sd.maxLen) << "largest edge length differs between the forms";
    EXPECT_EQ(sm.minLen, sd.minLen);
    EXPECT_TRUE(NaturalCoordinates(merged.graph) == xd) << "node coordinates differ between the forms";
    std::printf("%s: %lld directed edges, lengths [%.17g, %.17g]; merged: %lld edges, lengths [%.17g, %.17g]\n", Size() == kNekRanks ? "NekRS partition" : "merged (world)", sd.nEdges, sd.minLen, sd.maxLen, sm.nEdges, sm.minLen, sm.maxLen);
  }
  {
    long long o = nOwned, g = nGhost;
    std::fflush(stdout);
    TestCall(PetscSynchronizedPrintf(PETSC_COMM_WORLD, "[%d] owned %lld, ghost %lld\n", Rank(), o, g));
    TestCall(PetscSynchronizedFlush(PETSC_COMM_WORLD, PETSC_STDOUT));
  }
}

namespace {

struct Outputs {
  std::vector<double> x, y;          /* input and output, natural order, comm rank 0 */
  double              tgvDiff = -1; /* max |u file - Taylor-Green(x)| over the comm */
};

Outputs Evaluate(MPI_Comm comm)
{
  NekGraph g(comm);
  GNN      gnn;
  Vec      x, y, t;
  Outputs  o;
  TestCall(GNNCreate(comm, &gnn));
  TestCall(GNNSetGraph(gnn, g.graph));
  TestCall(GNNSetSizes(gnn, 3, 3));
  TestCall(GNNSetFromOptions(gnn));
  TestCall(GNNSetUp(gnn));
  TestCall(GNNGraphCreateNodeVec(g.graph, 3, &x));
  TestCall(GNNGraphCreateNodeVec(g.graph, 3, &y));
  TestCall(GNNGraphCreateNodeVec(g.graph, 3, &t));
  TestCall(GNNNekRSLoadField(g.graph, kDir, kNekRanks, "u", 3, x));
  /* the file's velocity is the Taylor-Green initial condition at the nodes' coordinates: the
     values went to the right nodes */
  TestCall(GNNDataTaylorGreen(g.graph, 0.0, 0.0, t));
  TestCall(VecAXPY(t, -1.0, x));
  TestCall(VecNorm(t, NORM_INFINITY, &o.tgvDiff));
  TestCall(GNNApply(gnn, x, y));
  o.x = GatherNatural(g.graph, x);
  o.y = GatherNatural(g.graph, y);
  TestCall(VecDestroy(&x));
  TestCall(VecDestroy(&y));
  TestCall(VecDestroy(&t));
  TestCall(GNNDestroy(&gnn));
  return o;
}

} // namespace

TEST(NekRS, GNNOnNekRSPartitionMatchesMerged)
{
  ScopedOptions o("-gnn_precision float64");
  Outputs       dist = Evaluate(PETSC_COMM_WORLD);
  EXPECT_LE(dist.tgvDiff, 1e-12) << "the velocity file is not the Taylor-Green field at the nodes";
  if (Rank() == 0) {
    Outputs ref = Evaluate(PETSC_COMM_SELF);
    EXPECT_EQ(ref.y.size(), 3u * 1728u);
    EXPECT_TRUE(ref.x == dist.x) << "the input field differs between the forms";
    double rel = RelDiff(ref.y, dist.y), vmax = 0;
    for (double v : ref.y) vmax = std::max(vmax, std::fabs(v));
    EXPECT_GT(vmax, 0);
    EXPECT_LE(rel, 1e-12);
    EXPECT_TRUE(ref.y == dist.y) << "GNN outputs on " << (Size() == kNekRanks ? "the NekRS partition" : "the merged graph") << " are not bitwise equal to the merged 1-rank run (max rel diff " << rel << ")";
    std::printf("GNN on %s (%d rank(s)) vs merged graph on 1 rank, float64: max rel diff %.3e, bitwise identical: %s\n", Size() == kNekRanks ? "the NekRS partition" : "the merged graph", Size(), rel, ref.y == dist.y ? "yes" : "no");
  }
}

/* Creates, sets from options and sets up a NekRS graph (the files are read by the set-up): the
   first error, under the caller's error handler */
PetscErrorCode BuildNekRS(MPI_Comm comm, const char dir[], PetscInt nekRanks, GNNGraph *g)
{
  PetscErrorCode ierr = GNNGraphCreateNekRS(comm, dir, nekRanks, g);
  if (!ierr) ierr = GNNGraphSetFromOptions(*g);
  if (!ierr) ierr = GNNGraphSetUp(*g);
  return ierr;
}

/* Bad input: every rank returns an error, none hangs (CTest's timeout would catch a hang) */
TEST(NekRS, ErrorsAreCollective)
{
  char        tmp[PETSC_MAX_PATH_LEN] = "";
  GNNGraph    g                       = NULL;
  PetscErrorCode ierr;
  const char *text;
  char       *spec;

  if (Rank() == 0) {
    /* a copy of the files with rank 1's coordinates cut short */
    std::snprintf(tmp, sizeof(tmp), "/tmp/test_nekrs.XXXXXX");
    EXPECT_TRUE(mkdtemp(tmp) != NULL);
    for (int r = 0; r < kNekRanks; r++)
      for (const char *stem : {"pos_node", "global_ids", "edge_index", "fld_u_time_0.0"}) {
        std::ifstream in(RankFile(kDir, stem, r), std::ios::binary);
        std::string   b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (r == 1 && !strcmp(stem, "pos_node")) b.resize(b.size() - 24);
        std::ofstream(RankFile(tmp, stem, r), std::ios::binary) << b;
      }
  }
  MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, PETSC_COMM_WORLD);

  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = BuildNekRS(PETSC_COMM_WORLD, tmp, kNekRanks, &g);
  EXPECT_NE(ierr, 0) << "a short coordinate file of NekRS rank 1";
  PetscErrorMessage(ierr, &text, &spec);
  EXPECT_TRUE(spec && strstr(spec, "pos_node_rank_1_size_2.bin") && strstr(spec, "short")) << (spec ? spec : "(no message)");
  if (Rank() == 0) std::printf("short file: %s\n", spec ? spec : "");
  GNNGraphDestroy(&g);

  if (Rank() == 0) {
    /* full-size coordinates again, but a point that NekRS ranks 0 and 1 both hold moved on rank 1 */
    auto       g0 = ReadRaw<long long>(RankFile(kDir, "global_ids", 0)), g1 = ReadRaw<long long>(RankFile(kDir, "global_ids", 1));
    auto       x1 = ReadRaw<double>(RankFile(kDir, "pos_node", 1));
    std::set<long long> on0(g0.begin(), g0.end());
    size_t     i = 0;
    while (i < g1.size() && !(g1[i] && on0.count(g1[i]))) i++;
    EXPECT_LT(i, g1.size());
    if (i < g1.size())
      for (size_t k = 0, id = g1[i]; k < g1.size(); k++) /* every copy on rank 1: only the cross-rank check sees it on 2 ranks */
        if (g1[k] == (long long)id) x1[3 * k + 1] += 0.1;
    std::ofstream(RankFile(tmp, "pos_node", 1), std::ios::binary).write((const char *)x1.data(), x1.size() * sizeof(double));
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  ierr = BuildNekRS(PETSC_COMM_WORLD, tmp, kNekRanks, &g);
  EXPECT_NE(ierr, 0) << "copies of one global id at different positions";
  PetscErrorMessage(ierr, &text, &spec);
  EXPECT_TRUE(spec && strstr(spec, "global id")) << (spec ? spec : "(no message)");
  if (Rank() == 0) std::printf("moved copy: %s\n", spec ? spec : "");
  GNNGraphDestroy(&g);

  if (Rank() == 0) {
    /* a NaN coordinate (point 5 of NekRS rank 1, z): refused as the file is read, naming it */
    auto x1 = ReadRaw<double>(RankFile(kDir, "pos_node", 1));
    x1[3 * 5 + 2] = NAN;
    std::ofstream(RankFile(tmp, "pos_node", 1), std::ios::binary).write((const char *)x1.data(), x1.size() * sizeof(double));
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  ierr = BuildNekRS(PETSC_COMM_WORLD, tmp, kNekRanks, &g);
  EXPECT_EQ(ierr, PETSC_ERR_FP) << "a NaN coordinate";
  PetscErrorMessage(ierr, &text, &spec);
  EXPECT_TRUE(spec && strstr(spec, "pos_node_rank_1_size_2.bin: point 5 has a non-finite coordinate 2 (nan)")) << (spec ? spec : "(no message)");
  if (Rank() == 0) std::printf("NaN coordinate: %s\n", spec ? spec : "");
  GNNGraphDestroy(&g);

  {
    /* the box is periodic: read as a non-periodic one, the periodic images of a point are copies at
       different positions */
    ScopedOptions o("-gnn_nekrs_period 0");
    ierr = BuildNekRS(PETSC_COMM_WORLD, kDir, kNekRanks, &g);
    EXPECT_NE(ierr, 0) << "the periodic data read with -gnn_nekrs_period 0";
    PetscErrorMessage(ierr, &text, &spec);
    EXPECT_TRUE(spec && strstr(spec, "global id")) << (spec ? spec : "(no message)");
    GNNGraphDestroy(&g);
  }

  ierr = BuildNekRS(PETSC_COMM_WORLD, PETSCGNN_SOURCE_DIR "/no/such/dir", kNekRanks, &g);
  EXPECT_NE(ierr, 0) << "a missing directory";
  GNNGraphDestroy(&g);

  ierr = BuildNekRS(PETSC_COMM_WORLD, kDir, 3, &g); /* 2 ranks: no 3-rank partition; 1 rank: no size-3 files */
  EXPECT_NE(ierr, 0) << "files of 3 NekRS ranks";
  GNNGraphDestroy(&g);
  TestCall(PetscPopErrorHandler());

  {
    NekGraph ok(PETSC_COMM_WORLD);
    Vec      p;
    TestCall(GNNGraphCreateNodeVec(ok.graph, 1, &p));
    TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = GNNNekRSLoadField(ok.graph, kDir, kNekRanks, "p", 1, p); /* the pressure files are not in share/data */
    EXPECT_NE(ierr, 0) << "a missing field file";
    PetscErrorMessage(ierr, &text, &spec);
    EXPECT_TRUE(spec && strstr(spec, "fld_p_time_0.0_rank_")) << (spec ? spec : "(no message)");
    ierr = GNNNekRSLoadField(ok.graph, kDir, kNekRanks, "u", 3, p); /* a Vec of the wrong size */
    EXPECT_NE(ierr, 0) << "a Vec of the wrong size";
    TestCall(PetscPopErrorHandler());
    TestCall(VecDestroy(&p));
  }

  MPI_Barrier(PETSC_COMM_WORLD);
  if (Rank() == 0) {
    for (int r = 0; r < kNekRanks; r++)
      for (const char *stem : {"pos_node", "global_ids", "edge_index", "fld_u_time_0.0"}) std::remove(RankFile(tmp, stem, r).c_str());
    std::remove(tmp);
  }
}

int main(int argc, char **argv) { return GNNTestMain(argc, argv, "NekRS graphs\n"); }
