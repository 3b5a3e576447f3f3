static const char help[] = "petscgnn benchmark driver (make bench runs it through bench/run_bench.py).\n\n"
"  -bench_mode train|partition|peak|scale|kernels\n"
"    train      training steps (GNNTrainerStep: forward, loss, backward, gradient all-reduce,\n"
"               Adam) on the Taylor-Green pair u(0) -> u(dt) of the mesh given by the -dm_plex_*\n"
"               options; the model from the -gnn_* options. Prints one JSON object (rank 0):\n"
"               step times, losses, log-event times of the timed steps, peak memory, halo counts.\n"
"    partition  only the graph: per-rank owned/ghost/edge/neighbour counts and the ghost count of\n"
"               every (receiver, sender) rank pair, as JSON (for the halo and scaling models)\n"
"    peak       large fp32 matrix product (LibTorch mm, n x n) and the skinny products of the\n"
"               model (M x 32 by 32 x 32: LibTorch mm and the row-deterministic forward kernel)\n"
"    scale      the phases of a large run, each timed and with its own peak resident memory\n"
"               (VmHWM, reset through /proc/self/clear_refs at the start of every phase) on every\n"
"               rank: mesh (DMSetFromOptions), graph (GNNGraphSetUp), natural (the natural order:\n"
"               GNNGraphGetNaturalIndices), model (GNNSetUp), data_write (Taylor-Green pair saved\n"
"               with GNNGraphSaveNaturalVec), data_load (read back with GNNGraphLoadNaturalVec),\n"
"               train (-bench_reps GNNTrainerStep), output (GNNApply, GNNGraphSaveNaturalVec), view\n"
"               (GNNGraphWriteNodeFields xdmf+edges: nodes, fields, edges; with -bench_scale_vtk\n"
"               also vtk, gathered on rank 0). JSON: per phase the slowest\n"
"               rank's time and every rank's VmHWM and VmRSS (kB)\n"
"    kernels    each of the library's kernels alone on one processor layer's edge MLP (the paper's:\n"
"               H 32, 5 hidden layers, LayerNorm, the split first layer's edge start) over\n"
"               -bench_kernels_m edges and -bench_kernels_n nodes, on -bench_device: the fused\n"
"               forward and backward (GNNKernelMLPForward, GNNKernelMLPBackward) against the\n"
"               layers one at a time, the fused backward as training runs it (the aggregation's\n"
"               gradient gathered by receiver, the residual's added to dX), the receivers'\n"
"               segment sum and LayerNorm (on a GPU also\n"
"               the fused backward with 1x1 and 4x4 outputs per thread, against the default 2x2, and\n"
"               the fused forward with 2 rows per thread, against the default 1).\n"
"               Per kernel the\n"
"               median time of -bench_reps calls (the device synchronised around each), GFLOP/s\n"
"               and GB/s from the counts of the algorithm (each input read and output written once),\n"
"               and their fraction of -bench_peak_gflops and -bench_peak_gbs when given\n"
"  -bench_kernels_m <5253120> -bench_kernels_n <884736>  (kernels) edges and nodes (96^3 hex box)\n"
"  -bench_device <cpu|cuda|hip>  (kernels) where;  -bench_kernels_float64  in double\n"
"  -bench_peak_gflops, -bench_peak_gbs  (kernels) the device's peaks (H200: 66900, 4800)\n"
"  -bench_scale_stop <phase>  (scale) stop after this phase (e.g. natural: set-up only)\n"
"  -bench_scale_files PREFIX  (scale) where the data and output files go (removed at the end)\n"
"  -bench_scale_vtk        (scale) also write the view as .vtu (gathered on rank 0)\n"
"  -bench_phase_view       (scale) print a per-phase, per-rank memory table (rank 0)\n"
"  -bench_da <0>           (train) N > 0: the graph of a 3-D DMDA of N^3 points instead of the DMPlex\n"
"                          (star stencil of width 1 on [0,1]^3: the vertex graph of the box\n"
"                          -dm_plex_box_faces N-1,N-1,N-1, the same nodes and edges in the same\n"
"                          order on 1 rank; its set-up takes seconds where the DMPlex's takes\n"
"                          minutes at 10 M nodes)\n"
"  -bench_warmup <1>       untimed steps first\n"
"  -bench_reps <5>         timed steps\n"
"  -bench_infer <0>        (train) then time this many forward passes without autograd (GNNApply)\n"
"  -bench_overlap_alternate (train) timed steps (and forward passes) alternate -gnn_halo_overlap\n"
"                          off and on (GNNSetHaloOverlap), each with its own log stage: JSON\n"
"                          step_times_off/_on, infer_times_off/_on, events_max_off/_on, ...\n"
"  -bench_lr <1e-4>        constant learning rate (Adam)\n"
"  -bench_json FILE        write the JSON there as well (rank 0)\n"
"  -bench_profile FILE     (train) one more step after the timed ones under LibTorch's profiler:\n"
"                          a Chrome trace of the operators (rank 0)\n"
"  -bench_export PREFIX    (train, 1 rank) write the graph for the PyTorch reference, before training:\n"
"                          PREFIX.pos.f64, PREFIX.x.f64, PREFIX.y.f64 ([N, d] raw doubles),\n"
"                          PREFIX.edges.i64 ([2, E] raw int64: senders, then receivers; node\n"
"                          indices in this run's numbering) and PREFIX.weights.pt (GNNSaveWeights)\n"
"  -bench_peak_n <4096>    size of the large product;  -bench_skinny_m <190464> rows of the skinny one\n"
"  -bench_threads <1>      (peak) LibTorch threads\n\n";

#include <petscgnntrain.h>
#include <petscgnndata.h>
#include <petscdmplex.h>
#include <petscdmda.h>
#include <torch/torch.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include "nn/linear.hpp" /* the library's forward kernel, timed alone in -bench_mode peak */
#include "kernels/kernels.hpp" /* the kernel interface, timed alone in -bench_mode kernels */
#include "kernels/mlppack.hpp"  /* how often the MLPs' weights were packed */
#include <torch/cuda.h>
#include <functional>

#include <algorithm>
#include <cstdio>
#include <dlfcn.h>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

/* ---------------------------------------------------------------------------------------------- */
/* Memory of this process from /proc/self/status (kB); "clear_refs 5" resets the high-water mark */

static long ProcStatus(const char *key)
{
  std::ifstream in("/proc/self/status");
  std::string   line;
  size_t        n = strlen(key);
  while (std::getline(in, line))
    if (!line.compare(0, n, key) && line[n] == ':') return std::stol(line.substr(n + 1));
  return -1;
}

/* The live-memory meter (bench/livepeak.c) when it is preloaded, else nothing: peak bytes or -1 */
static void LivePeakReset()
{
  if (auto f = (void (*)(void))dlsym(RTLD_DEFAULT, "gnn_livepeak_reset")) f();
}
static long LivePeakGet()
{
  auto f = (long (*)(void))dlsym(RTLD_DEFAULT, "gnn_livepeak_get");
  return f ? f() : -1;
}

static bool ResetPeakRSS()
{
  FILE *fp = fopen("/proc/self/clear_refs", "w");
  if (!fp) return false;
  bool ok = fputs("5", fp) >= 0;
  return (fclose(fp) == 0) && ok;
}

/* ---------------------------------------------------------------------------------------------- */
/* A minimal JSON writer: keys in insertion order */

struct Json {
  std::vector<std::pair<std::string, std::string>> kv;
  void raw(const std::string &k, const std::string &v) { kv.emplace_back(k, v); }
  void num(const std::string &k, double v)
  {
    char b[64];
    snprintf(b, sizeof(b), "%.10g", v);
    raw(k, b);
  }
  void str(const std::string &k, const std::string &v) { raw(k, "\"" + v + "\""); }
  template <typename T>
  void arr(const std::string &k, const std::vector<T> &v)
  {
    std::ostringstream s;
    s.precision(10);
    s << "[";
    for (size_t i = 0; i < v.size(); i++) s << (i ? "," : "") << v[i];
    s << "]";
    raw(k, s.str());
  }
  std::string dump() const
  {
    std::string s = "{";
    for (size_t i = 0; i < kv.size(); i++) s += (i ? ", \"" : "\"") + kv[i].first + "\": " + kv[i].second;
    return s + "}";
  }
};

static PetscErrorCode EmitJson(MPI_Comm comm, const Json &j, const char file[])
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::string s = j.dump();
    printf("BENCH_JSON %s\n", s.c_str());
    fflush(stdout);
    if (file && file[0]) {
      FILE *fp = fopen(file, "w");
      PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s", file);
      fprintf(fp, "%s\n", s.c_str());
      PetscCheck(fclose(fp) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s", file);
    }
  }
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------------------------------------- */
/* Halo counts from the graph's PetscSF: ghosts per (receiver = this rank, sender) pair */

static PetscErrorCode HaloCounts(GNNGraph graph, Json &j)
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt           size, rank;
  PetscSF               sf;
  PetscInt              nroots, nleaves, nOwned, nGhost, nEdges, N;
  const PetscInt       *ilocal;
  const PetscSFNode    *iremote;
  std::vector<PetscInt> pair, all, owned, ghost, edges, nbrs;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(GNNGraphGetSizes(graph, &nOwned, &nGhost, &nEdges, &N));
  PetscCall(GNNGraphGetHaloSF(graph, &sf));
  PetscCall(PetscSFGetGraph(sf, &nroots, &nleaves, &ilocal, &iremote));
  pair.assign(size, 0);
  for (PetscInt l = 0; l < nleaves; l++) pair[iremote[l].rank]++;
  PetscInt nn = 0;
  for (PetscMPIInt q = 0; q < size; q++) nn += (q != rank && pair[q] > 0);
  PetscInt mine[4] = {nOwned, nGhost, nEdges, nn};
  std::vector<PetscInt> gathered(rank == 0 ? 4 * size : 0);
  all.resize(rank == 0 ? (size_t)size * size : 0);
  PetscCallMPI(MPI_Gather(mine, 4, MPIU_INT, gathered.data(), 4, MPIU_INT, 0, comm));
  PetscCallMPI(MPI_Gather(pair.data(), size, MPIU_INT, all.data(), size, MPIU_INT, 0, comm));
  if (rank == 0) {
    PetscInt maxpair = 0;
    for (PetscMPIInt r = 0; r < size; r++) {
      owned.push_back(gathered[4 * r]);
      ghost.push_back(gathered[4 * r + 1]);
      edges.push_back(gathered[4 * r + 2]);
      nbrs.push_back(gathered[4 * r + 3]);
      for (PetscMPIInt q = 0; q < size; q++)
        if (q != r) maxpair = std::max(maxpair, all[(size_t)r * size + q]);
    }
    j.num("ranks", size);
    j.num("nodes", (double)N);
    j.arr("owned", owned);
    j.arr("ghost", ghost);
    j.arr("edges_local", edges);
    j.arr("neighbours", nbrs);
    j.num("max_pair", (double)maxpair);
    if (size <= 64) j.arr("pair_counts", all); /* row r: ghosts rank r receives from each rank */
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateGraph(DM *dm, GNNGraph *graph)
{
  PetscFunctionBeginUser;
  PetscCall(DMCreate(PETSC_COMM_WORLD, dm));
  PetscCall(DMSetType(*dm, DMPLEX));
  PetscCall(DMSetFromOptions(*dm));
  PetscCall(GNNGraphCreate(PETSC_COMM_WORLD, graph));
  PetscCall(GNNGraphSetDM(*graph, *dm));
  PetscCall(GNNGraphSetFromOptions(*graph));
  PetscCall(GNNGraphSetUp(*graph));
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------------------------------------- */

static PetscErrorCode WriteRaw(const std::string &file, const void *data, size_t bytes)
{
  PetscFunctionBeginUser;
  FILE *fp = fopen(file.c_str(), "wb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s", file.c_str());
  bool ok = fwrite(data, 1, bytes, fp) == bytes;
  ok      = (fclose(fp) == 0) && ok;
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s", file.c_str());
  PetscFunctionReturn(0);
}

/* The graph, the training pair and the weights for share/python/meshgraphnet.py (1 rank) */
static PetscErrorCode ExportForReference(GNNGraph graph, GNN gnn, Vec x, Vec y, const std::string &prefix)
{
  PetscInt           nOwned, nGhost, nEdges, dim;
  const PetscInt    *rowptr, *senders;
  const PetscReal   *coords;
  const PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(GNNGraphGetSizes(graph, &nOwned, &nGhost, &nEdges, NULL));
  PetscCheck(nGhost == 0, PETSC_COMM_WORLD, PETSC_ERR_SUP, "-bench_export needs 1 rank");
  PetscCall(GNNGraphGetDimension(graph, &dim));
  PetscCall(GNNGraphGetEdges(graph, &rowptr, &senders));
  PetscCall(GNNGraphGetCoordinates(graph, &coords));
  std::vector<int64_t> ei(2 * (size_t)nEdges);
  for (PetscInt i = 0; i < nOwned; i++)
    for (PetscInt q = rowptr[i]; q < rowptr[i + 1]; q++) {
      ei[q]          = senders[q];
      ei[nEdges + q] = i;
    }
  std::vector<double> pos((size_t)nOwned * dim);
  for (size_t k = 0; k < pos.size(); k++) pos[k] = coords[k];
  PetscCall(WriteRaw(prefix + ".edges.i64", ei.data(), ei.size() * sizeof(int64_t)));
  PetscCall(WriteRaw(prefix + ".pos.f64", pos.data(), pos.size() * sizeof(double)));
  PetscCall(VecGetArrayRead(x, &a));
  PetscCall(WriteRaw(prefix + ".x.f64", a, sizeof(double) * nOwned * dim));
  PetscCall(VecRestoreArrayRead(x, &a));
  PetscCall(VecGetArrayRead(y, &a));
  PetscCall(WriteRaw(prefix + ".y.f64", a, sizeof(double) * nOwned * dim));
  PetscCall(VecRestoreArrayRead(y, &a));
  PetscCall(GNNSaveWeights(gnn, (prefix + ".weights.pt").c_str()));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModeTrain(const char json[])
{
  DM                  dm;
  GNNGraph            graph;
  GNN                 gnn;
  GNNTrainer          tr;
  Vec                 x, y;
  PetscInt            dim, warmup = 1, reps = 5, N, nOwned, nEdges, nparams, threads = 1, infer = 0, daPoints = 0;
  PetscBool           alternate = PETSC_FALSE;
  PetscReal           lr = 1e-4, dt = 0.25, nu = 0.1;
  char                exportPrefix[PETSC_MAX_PATH_LEN] = "", profile[PETSC_MAX_PATH_LEN] = "";
  PetscLogStage       stage;
  PetscMPIInt         size, rank;
  Json                j;
  std::vector<double> times, losses;
  long                rssStart = ProcStatus("VmRSS");

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Benchmark options", "bench");
  PetscCall(PetscOptionsInt("-bench_warmup", "Untimed steps", NULL, warmup, &warmup, NULL));
  PetscCall(PetscOptionsInt("-bench_reps", "Timed steps", NULL, reps, &reps, NULL));
  PetscCall(PetscOptionsInt("-bench_infer", "Then time this many forward passes without autograd (GNNApply: inference, rollout)", NULL, infer, &infer, NULL));
  PetscCall(PetscOptionsBool("-bench_overlap_alternate", "Alternate the halo overlap off and on between timed steps", NULL, alternate, &alternate, NULL));
  PetscCall(PetscOptionsReal("-bench_lr", "Learning rate (constant)", NULL, lr, &lr, NULL));
  PetscCall(PetscOptionsString("-bench_export", "Write the graph, pair and weights for the reference", NULL, exportPrefix, exportPrefix, sizeof(exportPrefix), NULL));
  PetscCall(PetscOptionsString("-bench_profile", "Profile one more step (Chrome trace)", NULL, profile, profile, sizeof(profile), NULL));
  PetscCall(PetscOptionsInt("-gnn_threads", "(read here for the report)", NULL, threads, &threads, NULL));
  PetscCall(PetscOptionsInt("-bench_da", "N > 0: the graph of a 3-D DMDA of N^3 points (star stencil, width 1, [0,1]^3) instead of the DMPlex", NULL, daPoints, &daPoints, NULL));
  PetscOptionsEnd();

  if (daPoints > 0) { /* the box's vertex graph without building the box */
    PetscCall(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, daPoints, daPoints, daPoints, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 3, 1, NULL, NULL, NULL, &dm));
    PetscCall(DMSetFromOptions(dm));
    PetscCall(DMSetUp(dm));
    PetscCall(DMDASetUniformCoordinates(dm, 0, 1, 0, 1, 0, 1));
  } else {
    PetscCall(DMCreate(PETSC_COMM_WORLD, &dm));
    PetscCall(DMSetType(dm, DMPLEX));
    PetscCall(DMSetFromOptions(dm));
  }
  PetscCall(GNNCreateFromDM(dm, PETSC_DECIDE, PETSC_DECIDE, &gnn));
  PetscCall(GNNGetGraph(gnn, &graph));
  PetscCall(PetscObjectReference((PetscObject)graph)); /* destroyed with the others */
  PetscCall(GNNGraphGetDimension(graph, &dim));
  PetscCall(GNNGraphGetSizes(graph, &nOwned, NULL, &nEdges, &N));
  PetscCall(GNNSetUp(gnn));
  PetscCall(GNNGetNumParameters(gnn, &nparams));

  PetscCall(GNNGraphCreateNodeVec(graph, dim, &x));
  PetscCall(GNNGraphCreateNodeVec(graph, dim, &y));
  PetscCall(GNNDataTaylorGreen(graph, 0.0, nu, x));
  PetscCall(GNNDataTaylorGreen(graph, dt, nu, y));
  if (exportPrefix[0]) PetscCall(ExportForReference(graph, gnn, x, y, exportPrefix));

  PetscCall(GNNTrainerCreate(PETSC_COMM_WORLD, &tr));
  PetscCall(GNNTrainerSetGNN(tr, gnn));
  PetscCall(GNNTrainerSetSteps(tr, warmup + reps + (profile[0] ? 1 : 0)));
  PetscCall(GNNTrainerSetLearningRate(tr, lr, lr, 0)); /* constant: lr_min = lr, no warm-up */
  PetscCall(GNNTrainerSetFromOptions(tr));
  PetscCall(GNNTrainerAddSample(tr, x, y));
  PetscCall(GNNTrainerSetUp(tr));
  /* the trainer's pre-flight figures (the largest estimate, the smallest share of memory), to set
     beside the measured peak: how well the CPU-calibrated estimate holds on the device */
  PetscLogDouble memEstimate, memAvailable;
  PetscCall(GNNGetMemoryEstimate(gnn, &memEstimate));
  PetscCall(GNNGetMemoryAvailable(gnn, &memAvailable));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &memEstimate, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &memAvailable, 1, MPI_DOUBLE, MPI_MIN, PETSC_COMM_WORLD));

  PetscCall(PetscLogStageRegister("BenchTimed", &stage));
  /* -bench_overlap_alternate: timed step k runs with the halo overlap (k - warmup) % 2 (off first),
     in stage stages[on]; the two modes see the same machine load, step after step */
  PetscLogStage stages[2] = {stage, stage};
  if (alternate) {
    PetscCall(PetscLogStageRegister("BenchOverlapOff", &stages[0]));
    PetscCall(PetscLogStageRegister("BenchOverlapOn", &stages[1]));
  }
  std::vector<double> modeTimes[2], modeInfer[2];
  const long rssSetup = ProcStatus("VmRSS");
  const bool peakOk   = ResetPeakRSS();
  LivePeakReset();
  GNNMLPPackCounts packs[4]; /* at the first timed step, after the last, at the first forward, after the last */
  for (PetscInt k = 0; k < warmup + reps; k++) {
    PetscReal loss;
    double    t0, t1, tmax;
    const int on = (int)((k - warmup) % 2);
    if (k == warmup) packs[0] = GNNKernelMLPPackCounts();
    if (alternate && k >= warmup) PetscCall(GNNSetHaloOverlap(gnn, on ? PETSC_TRUE : PETSC_FALSE));
    if (k >= warmup) PetscCall(PetscLogStagePush(stages[on]));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    t0 = MPI_Wtime();
    PetscCall(GNNTrainerStep(tr, &loss));
    t1 = MPI_Wtime() - t0;
    if (k >= warmup) PetscCall(PetscLogStagePop());
    PetscCallMPI(MPI_Allreduce(&t1, &tmax, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
    losses.push_back(loss);
    if (k >= warmup) times.push_back(tmax);
    if (k >= warmup) modeTimes[on].push_back(tmax);
  }
  packs[1]            = GNNKernelMLPPackCounts();
  const long hwm      = ProcStatus("VmHWM");
  const long livePeak = LivePeakGet();
  /* inference: the trained model's forward on x, one untimed pass first */
  std::vector<double> inferTimes;
  for (PetscInt k = 0; k <= infer && infer > 0; k++) {
    double    t0, t1, tmax;
    const int on = (int)((k + 1) % 2);
    if (alternate && k > 0) PetscCall(GNNSetHaloOverlap(gnn, on ? PETSC_TRUE : PETSC_FALSE));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    t0 = MPI_Wtime();
    PetscCall(GNNApply(gnn, x, y));
    t1 = MPI_Wtime() - t0;
    PetscCallMPI(MPI_Allreduce(&t1, &tmax, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
    if (k > 0) inferTimes.push_back(tmax);
    if (k > 0) modeInfer[on].push_back(tmax);
    if (k == 0) packs[2] = GNNKernelMLPPackCounts();
  }
  packs[3] = GNNKernelMLPPackCounts();
  if (profile[0]) {
    std::ostringstream trace;
    {
      torch::autograd::profiler::RecordProfile guard(trace);
      PetscCall(GNNTrainerStep(tr, NULL));
    }
    if (rank == 0) {
      std::ofstream out(profile);
      out << trace.str();
      PetscCheck(out.good(), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot write %s", profile);
    }
  }

  /* Log events of the timed steps: time per step, max and mean over ranks */
  {
    struct {
      const char   *name;
      PetscLogEvent ev;
    } evs[] = {
      {"GNNEncode", GNN_Encode},       {"GNNHaloExchange", GNN_HaloExchange}, {"GNNEdgeMLP", GNN_EdgeMLP},       {"GNNAggregate", GNN_Aggregate},
      {"GNNNodeMLP", GNN_NodeMLP},     {"GNNDecode", GNN_Decode},          {"GNNBackward", GNN_Backward},     {"GNNHaloReverse", GNN_HaloReverse},
      {"GNNGradReduce", GNN_GradReduce},
    };
    /* per timed step of the stage's steps (nsteps), max and mean over the ranks */
    auto events = [&](PetscLogStage st, PetscInt nsteps, const std::string &suffix) -> PetscErrorCode {
      std::ostringstream emax, emean, ecount;
      PetscFunctionBeginUser;
      for (size_t e = 0; e < sizeof(evs) / sizeof(evs[0]); e++) {
        PetscEventPerfInfo info;
        double             t = 0, tm, ts;
        int                c = 0;
        if (nsteps > 0) {
          PetscCall(PetscLogEventGetPerfInfo(st, evs[e].ev, &info));
          t = info.time / nsteps;
          c = info.count;
        }
        PetscCallMPI(MPI_Allreduce(&t, &tm, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
        PetscCallMPI(MPI_Allreduce(&t, &ts, 1, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD));
        emax << (e ? ", " : "") << "\"" << evs[e].name << "\": " << tm;
        emean << (e ? ", " : "") << "\"" << evs[e].name << "\": " << ts / size;
        ecount << (e ? ", " : "") << "\"" << evs[e].name << "\": " << c;
      }
      j.raw("events_max" + suffix, "{" + emax.str() + "}");
      j.raw("events_mean" + suffix, "{" + emean.str() + "}");
      j.raw("event_counts_rank0" + suffix, "{" + ecount.str() + "}");
      PetscFunctionReturn(0);
    };
    if (alternate) {
      PetscCall(events(stages[0], (PetscInt)modeTimes[0].size(), "_off"));
      PetscCall(events(stages[1], (PetscInt)modeTimes[1].size(), "_on"));
      j.arr("step_times_off", modeTimes[0]);
      j.arr("step_times_on", modeTimes[1]);
      if (infer > 0) j.arr("infer_times_off", modeInfer[0]);
      if (infer > 0) j.arr("infer_times_on", modeInfer[1]);
    } else PetscCall(events(stage, reps, ""));
    j.str("mode", "train");
    j.num("threads", (double)threads);
    j.num("params", (double)nparams);
    j.num("warmup", (double)warmup);
    j.arr("step_times", times);
    j.arr("losses", losses);
    if (infer > 0) j.arr("infer_times", inferTimes);
    /* the MLPs' packed weights (src/kernels/mlppack.hpp), rank 0: made (gathered: in one device
       operation; the others in about ten) and reused, per timed step and per forward */
    auto perCall = [&](const GNNMLPPackCounts &a, const GNNMLPPackCounts &c, size_t n) {
      auto per = [&](int64_t d) { return std::to_string(n ? (double)d / n : 0.0); };
      return "{\"made\": " + per(c.made - a.made) + ", \"gathered\": " + per(c.gathered - a.gathered) + ", \"reused\": " + per(c.reused - a.reused) + "}";
    };
    j.raw("mlp_packs_per_step", perCall(packs[0], packs[1], times.size()));
    if (infer > 0) j.raw("mlp_packs_per_forward", perCall(packs[2], packs[3], inferTimes.size()));
  }
  /* Memory (kB): per rank at start, after set-up, and the peak during the steps */
  {
    long mine[4] = {rssStart, rssSetup, peakOk ? hwm : -1, livePeak}, mx[4], sm[4];
    PetscCallMPI(MPI_Allreduce(mine, mx, 4, MPI_LONG, MPI_MAX, PETSC_COMM_WORLD));
    PetscCallMPI(MPI_Allreduce(mine, sm, 4, MPI_LONG, MPI_SUM, PETSC_COMM_WORLD));
    if (mx[3] >= 0) j.num("live_peak_bytes_sum", (double)sm[3]); /* bench/livepeak.c preloaded */
    j.num("rss_start_kb_sum", (double)sm[0]);
    j.num("rss_setup_kb_sum", (double)sm[1]);
    j.num("hwm_train_kb_sum", (double)sm[2]);
    j.num("hwm_train_kb_max", (double)mx[2]);
    j.num("memory_estimate_bytes_max", memEstimate);
    j.num("memory_available_bytes_min", memAvailable);
    PetscInt Eg, El = nEdges;
    PetscCallMPI(MPI_Allreduce(&El, &Eg, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
    j.num("edges", (double)Eg);
  }
  PetscCall(HaloCounts(graph, j));
  PetscCall(EmitJson(PETSC_COMM_WORLD, j, json));

  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscCall(GNNTrainerDestroy(&tr));
  PetscCall(GNNDestroy(&gnn));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModePartition(const char json[])
{
  DM       dm;
  GNNGraph graph;
  Json     j;

  PetscFunctionBeginUser;
  PetscCall(CreateGraph(&dm, &graph));
  j.str("mode", "partition");
  PetscCall(HaloCounts(graph, j));
  PetscCall(EmitJson(PETSC_COMM_WORLD, j, json));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------------------------------------- */
/* -bench_mode scale: time and per-rank peak memory of each phase of a large run */

struct ScalePhase {
  std::string       name;
  double              tmax = 0;   /* slowest rank, s */
  std::vector<long>   hwm, rss;   /* every rank (rank 0 only), kB */
  std::vector<double> cpu;        /* every rank (rank 0 only): CPU time of the process, s */
};

class PhaseMeter {
public:
  PhaseMeter(MPI_Comm comm) : comm_(comm) { MPI_Comm_rank(comm, &rank_); MPI_Comm_size(comm, &size_); }
  /* starts a phase: all ranks at once, the peak reset to the memory resident now */
  PetscErrorCode Begin(const char *name)
  {
    PetscFunctionBeginUser;
    cur_.name = name;
    PetscCallMPI(MPI_Barrier(comm_));
    ok_ = ResetPeakRSS() && ok_;
    t0_ = MPI_Wtime();
    c0_ = CpuTime();
    PetscFunctionReturn(0);
  }
  PetscErrorCode End()
  {
    long   mine[2] = {ProcStatus("VmHWM"), ProcStatus("VmRSS")};
    double t       = MPI_Wtime() - t0_, c = CpuTime() - c0_;
    std::vector<long>   all(rank_ == 0 ? 2 * (size_t)size_ : 0);
    std::vector<double> cpu(rank_ == 0 ? (size_t)size_ : 0);

    PetscFunctionBeginUser;
    PetscCallMPI(MPI_Allreduce(&t, &cur_.tmax, 1, MPI_DOUBLE, MPI_MAX, comm_));
    PetscCallMPI(MPI_Gather(mine, 2, MPI_LONG, all.data(), 2, MPI_LONG, 0, comm_));
    PetscCallMPI(MPI_Gather(&c, 1, MPI_DOUBLE, cpu.data(), 1, MPI_DOUBLE, 0, comm_));
    cur_.cpu = cpu;
    cur_.hwm.clear();
    cur_.rss.clear();
    for (int r = 0; rank_ == 0 && r < size_; r++) {
      cur_.hwm.push_back(all[2 * r]);
      cur_.rss.push_back(all[2 * r + 1]);
    }
    phases_.push_back(cur_);
    PetscFunctionReturn(0);
  }
  bool resetOk() const { return ok_; }
  const std::vector<ScalePhase> &phases() const { return phases_; }

private:
  MPI_Comm                comm_;
  int                     rank_, size_;
  double                  t0_ = 0, c0_ = 0;
  bool                    ok_ = true;
  static double           CpuTime()
  {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
  }
  ScalePhase              cur_;
  std::vector<ScalePhase> phases_;
};

static PetscErrorCode ModeScale(const char json[])
{
  MPI_Comm    comm = PETSC_COMM_WORLD;
  DM          dm;
  GNNGraph    graph;
  GNN         gnn = NULL;
  GNNTrainer  tr  = NULL;
  Vec         x = NULL, y = NULL, out = NULL;
  PetscInt    dim, reps = 5, N, nOwned, nEdges, nparams = 0, threads = 1;
  PetscReal   lr = 1e-4, dt = 0.25, nu = 0.1;
  char        stop[32] = "view", prefix[PETSC_MAX_PATH_LEN] = "bench_scale";
  PetscBool   vtk = PETSC_FALSE, view = PETSC_FALSE;
  PetscMPIInt size, rank;
  PhaseMeter  m(comm);
  Json        j;
  long        start[2] = {ProcStatus("VmHWM"), ProcStatus("VmRSS")};
  std::vector<double> losses;
  std::vector<std::string> files;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscOptionsBegin(comm, NULL, "Benchmark options (scale)", "bench");
  PetscCall(PetscOptionsInt("-bench_reps", "Training steps", NULL, reps, &reps, NULL));
  PetscCall(PetscOptionsReal("-bench_lr", "Learning rate (constant)", NULL, lr, &lr, NULL));
  PetscCall(PetscOptionsString("-bench_scale_stop", "Stop after this phase", NULL, stop, stop, sizeof(stop), NULL));
  PetscCall(PetscOptionsString("-bench_scale_files", "Prefix of the data and output files", NULL, prefix, prefix, sizeof(prefix), NULL));
  PetscCall(PetscOptionsBool("-bench_scale_vtk", "Also write the output as .vtu", NULL, vtk, &vtk, NULL));
  PetscCall(PetscOptionsBool("-bench_phase_view", "Print per-phase, per-rank memory", NULL, view, &view, NULL));
  PetscCall(PetscOptionsInt("-gnn_threads", "(read here for the report)", NULL, threads, &threads, NULL));
  PetscOptionsEnd();
  const std::vector<std::string> order = {"mesh", "graph", "natural", "model", "data_write", "data_load", "train", "output", "view"};
  const auto                     last  = std::find(order.begin(), order.end(), std::string(stop));
  PetscCheck(last != order.end(), comm, PETSC_ERR_ARG_WRONG, "Unknown -bench_scale_stop %s", stop);
  /* true when the run stops before phase ph */
  auto done = [&](const char *ph) { return std::find(order.begin(), order.end(), std::string(ph)) > last; };

  PetscCall(m.Begin("mesh"));
  PetscCall(DMCreate(comm, &dm));
  PetscCall(DMSetType(dm, DMPLEX));
  PetscCall(DMSetFromOptions(dm));
  PetscCall(m.End());

  PetscCall(m.Begin("graph"));
  PetscCall(GNNGraphCreate(comm, &graph));
  PetscCall(GNNGraphSetDM(graph, dm));
  PetscCall(GNNGraphSetFromOptions(graph));
  PetscCall(GNNGraphSetUp(graph));
  PetscCall(m.End());
  PetscCall(GNNGraphGetDimension(graph, &dim));
  PetscCall(GNNGraphGetSizes(graph, &nOwned, NULL, &nEdges, &N));

  PetscCall(m.Begin("natural"));
  {
    const PetscInt *nat;
    PetscCall(GNNGraphGetNaturalIndices(graph, &nat));
  }
  PetscCall(m.End());

  if (!done("model")) {
    PetscCall(m.Begin("model"));
    PetscCall(GNNCreate(comm, &gnn));
    PetscCall(GNNSetGraph(gnn, graph));
    PetscCall(GNNSetSizes(gnn, dim, dim));
    PetscCall(GNNSetFromOptions(gnn));
    PetscCall(GNNSetUp(gnn));
    PetscCall(GNNGetNumParameters(gnn, &nparams));
    PetscCall(m.End());
  }
  if (!done("data_write")) {
    files = {std::string(prefix) + ".x.bin", std::string(prefix) + ".y.bin"};
    PetscCall(m.Begin("data_write"));
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &x));
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &y));
    PetscCall(GNNDataTaylorGreen(graph, 0.0, nu, x));
    PetscCall(GNNDataTaylorGreen(graph, dt, nu, y));
    PetscCall(GNNGraphSaveNaturalVec(graph, x, files[0].c_str()));
    PetscCall(GNNGraphSaveNaturalVec(graph, y, files[1].c_str()));
    PetscCall(VecDestroy(&x));
    PetscCall(VecDestroy(&y));
    PetscCall(m.End());
  }
  if (!done("data_load")) {
    PetscCall(m.Begin("data_load"));
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &x));
    PetscCall(GNNGraphCreateNodeVec(graph, dim, &y));
    PetscCall(GNNGraphLoadNaturalVec(graph, files[0].c_str(), x));
    PetscCall(GNNGraphLoadNaturalVec(graph, files[1].c_str(), y));
    PetscCall(m.End());
  }
  if (!done("train")) {
    PetscCall(m.Begin("train"));
    PetscCall(GNNTrainerCreate(comm, &tr));
    PetscCall(GNNTrainerSetGNN(tr, gnn));
    PetscCall(GNNTrainerSetSteps(tr, reps));
    PetscCall(GNNTrainerSetLearningRate(tr, lr, lr, 0));
    PetscCall(GNNTrainerSetFromOptions(tr));
    PetscCall(GNNTrainerAddSample(tr, x, y));
    PetscCall(GNNTrainerSetUp(tr));
    for (PetscInt k = 0; k < reps; k++) {
      PetscReal loss;
      PetscCall(GNNTrainerStep(tr, &loss));
      losses.push_back(loss);
    }
    PetscCall(m.End());
    if (!done("output")) {
      const std::string f = std::string(prefix) + ".out.bin";
      files.push_back(f);
      PetscCall(m.Begin("output"));
      PetscCall(GNNGraphCreateNodeVec(graph, dim, &out));
      PetscCall(GNNApply(gnn, x, out));
      PetscCall(GNNGraphSaveNaturalVec(graph, out, f.c_str()));
      PetscCall(m.End());
    }
    /* the ParaView output of the parallel path: nodes, fields, edges and edge features in one
       XDMF + HDF5 pair written by every rank (and, with -bench_scale_vtk, the .vtu gathered on rank 0) */
    if (!done("view")) {
      const std::string fx = std::string(prefix) + ".out.xmf", fh = std::string(prefix) + ".out.h5", fv = std::string(prefix) + ".out.vtu";
      const char       *names[]  = {"u", "prediction"};
      Vec               fields[] = {x, out};
      files.push_back(fx);
      files.push_back(fh);
      PetscCall(m.Begin("view"));
      PetscCall(GNNGraphWriteNodeFields(graph, ("xdmf+edges:" + fx).c_str(), 2, fields, names));
      if (vtk) {
        files.push_back(fv);
        PetscCall(GNNGraphWriteNodeFields(graph, ("vtk:" + fv).c_str(), 2, fields, names));
      }
      PetscCall(m.End());
    }
  }

  /* Report: rank 0 */
  {
    std::vector<long> st(rank == 0 ? 2 * (size_t)size : 0);
    PetscCallMPI(MPI_Gather(start, 2, MPI_LONG, st.data(), 2, MPI_LONG, 0, comm));
    j.str("mode", "scale");
    j.num("threads", (double)threads);
    j.num("params", (double)nparams);
    j.num("peak_reset_ok", m.resetOk() ? 1 : 0);
    j.arr("losses", losses);
    if (rank == 0) {
      std::vector<long> h0, r0;
      for (PetscMPIInt r = 0; r < size; r++) {
        h0.push_back(st[2 * r]);
        r0.push_back(st[2 * r + 1]);
      }
      j.arr("start_hwm_kb", h0);
      j.arr("start_rss_kb", r0);
      std::ostringstream ph;
      ph << "[";
      for (size_t k = 0; k < m.phases().size(); k++) {
        const ScalePhase &p = m.phases()[k];
        Json              q;
        q.str("name", p.name);
        q.num("time_max", p.tmax);
        q.arr("hwm_kb", p.hwm);
        q.arr("rss_kb", p.rss);
        q.arr("cpu_s", p.cpu);
        ph << (k ? ", " : "") << q.dump();
      }
      ph << "]";
      j.raw("phases", ph.str());
    }
    PetscInt Eg, El = nEdges;
    PetscCallMPI(MPI_Allreduce(&El, &Eg, 1, MPIU_INT, MPI_SUM, comm));
    j.num("edges", (double)Eg);
  }
  PetscCall(HaloCounts(graph, j));
  if (view && rank == 0) {
    printf("%-10s %9s %12s %12s %12s %9s %16s\n", "phase", "time [s]", "VmHWM r0 MiB", "max MiB", "mean MiB", "max/mean", "r0/mean(others)");
    for (const ScalePhase &p : m.phases()) {
      double mx = 0, sum = 0, others = 0;
      for (size_t r = 0; r < p.hwm.size(); r++) {
        mx = std::max(mx, (double)p.hwm[r]);
        sum += p.hwm[r];
        if (r) others += p.hwm[r];
      }
      const double mean = sum / p.hwm.size(), omean = p.hwm.size() > 1 ? others / (p.hwm.size() - 1) : p.hwm[0];
      printf("%-10s %9.2f %12.1f %12.1f %12.1f %9.3f %16.3f\n", p.name.c_str(), p.tmax, p.hwm[0] / 1024., mx / 1024., mean / 1024., mx / mean, p.hwm[0] / omean);
    }
    fflush(stdout);
  }
  PetscCall(EmitJson(comm, j, json));
  if (rank == 0)
    for (const std::string &f : files) {
      remove(f.c_str());
      remove((f + ".info").c_str());
    }

  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscCall(VecDestroy(&out));
  PetscCall(GNNTrainerDestroy(&tr));
  PetscCall(GNNDestroy(&gnn));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

/* Best of reps of fn(), in seconds */
template <typename Fn>
static double BestTime(int reps, Fn fn)
{
  fn(); /* warm-up */
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = MPI_Wtime();
    fn();
    best = std::min(best, MPI_Wtime() - t0);
  }
  return best;
}

static PetscErrorCode ModePeak(const char json[])
{
  PetscInt n = 4096, m = 190464, threads = 1, h = 32;
  Json     j;

  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Benchmark options", "bench");
  PetscCall(PetscOptionsInt("-bench_peak_n", "Size of the large product", NULL, n, &n, NULL));
  PetscCall(PetscOptionsInt("-bench_skinny_m", "Rows of the skinny products", NULL, m, &m, NULL));
  PetscCall(PetscOptionsInt("-bench_threads", "LibTorch threads", NULL, threads, &threads, NULL));
  PetscOptionsEnd();
  try {
    torch::NoGradGuard ng;
    torch::set_num_threads((int)threads);
    torch::manual_seed(0);
    auto   a = torch::randn({n, n}), b = torch::randn({n, n});
    double t = BestTime(3, [&] { (void)torch::mm(a, b); });
    j.str("mode", "peak");
    j.num("threads", (double)threads);
    j.num("n", (double)n);
    j.num("mm_gflops", 2.0 * n * n * n / t / 1e9);
    /* the model's products: [m, K] x [K, 32], K = 32 (hidden), 96 (first edge-MLP layer) */
    for (int64_t K : {h, 3 * h}) {
      auto   x = torch::randn({m, K}), W = torch::randn({h, K}), bias = torch::randn({h});
      double flop = 2.0 * m * K * h;
      double tm   = BestTime(5, [&] { (void)torch::addmm(bias, x, W.t()); });
      double tk   = BestTime(5, [&] { (void)GNNLinear(x, W, bias, true); });
      double tk0  = BestTime(5, [&] { (void)GNNLinear(x, W, bias, false); });
      auto   g    = torch::randn({m, h});
      double tgw  = BestTime(5, [&] { (void)g.t().mm(x); });   /* weight gradient of backward */
      double tgx  = BestTime(5, [&] { (void)g.mm(W); });       /* input gradient of backward */
      /* the fused backward of GNNLinear (ELU derivative, dX, dW, db): 2 products */
      double tkb;
      {
        torch::AutoGradMode ag(true);
        auto xg = x.clone().requires_grad_(true), Wg = W.clone().requires_grad_(true), bg = bias.clone().requires_grad_(true);
        auto y  = GNNLinear(xg, Wg, bg, true);
        tkb     = BestTime(5, [&] { torch::autograd::grad({y}, {xg, Wg, bg}, {g}, true); });
      }
      std::string s = "_k" + std::to_string(K);
      j.num("skinny_gnnlinear_backward_gflops" + s, 2 * flop / tkb / 1e9);
      j.num("skinny_torch_addmm_gflops" + s, flop / tm / 1e9);
      j.num("skinny_gnnlinear_elu_gflops" + s, flop / tk / 1e9);
      j.num("skinny_gnnlinear_noelu_gflops" + s, flop / tk0 / 1e9);
      j.num("skinny_backward_dW_gflops" + s, flop / tgw / 1e9);
      j.num("skinny_backward_dx_gflops" + s, flop / tgx / 1e9);
    }
    j.num("skinny_m", (double)m);
    /* The ELU derivative of the backward of src/nn/linear.cxx, g * where(y > 0, 1, y + 1), against
       LibTorch's one-pass elu_backward (the reference's) on an [m, 32] activation: ns per element */
    {
      auto   y   = torch::randn({m, h}), g = torch::randn({m, h});
      double ne  = (double)m * h;
      double tu  = BestTime(5, [&] { (void)(g * torch::where(y > 0, torch::ones_like(y), y + 1)); });
      double tf  = BestTime(5, [&] { (void)at::elu_backward(g, 1.0, 1, 1, true, y); });
      double tmul = BestTime(5, [&] { (void)(g * y); });
      j.num("elu_bwd_unfused_ns_per_elem", tu / ne * 1e9);
      j.num("elu_bwd_torch_ns_per_elem", tf / ne * 1e9);
      j.num("elementwise_mul_ns_per_elem", tmul / ne * 1e9);
    }
  } catch (const std::exception &e) {
    SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_LIB, "%s", e.what());
  }
  PetscCall(EmitJson(PETSC_COMM_WORLD, j, json));
  PetscFunctionReturn(0);
}

/* -bench_mode kernels: the kernels of one edge MLP alone, fused and layer by layer */
static PetscErrorCode ModeKernels(const char json[])
{
  PetscInt  m = 5253120, n = 884736, reps = 5, threads = 1;
  PetscReal peakF = 0, peakB = 0;
  PetscBool f64 = PETSC_FALSE;
  char      dev[16] = "cpu";
  Json      j;

  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Benchmark options", "bench");
  PetscCall(PetscOptionsInt("-bench_kernels_m", "Edges (rows of the edge MLP)", NULL, m, &m, NULL));
  PetscCall(PetscOptionsInt("-bench_kernels_n", "Nodes (rows of the start's parts, segments of the sum)", NULL, n, &n, NULL));
  PetscCall(PetscOptionsInt("-bench_reps", "Timed calls per kernel", NULL, reps, &reps, NULL));
  PetscCall(PetscOptionsInt("-bench_threads", "LibTorch threads (CPU)", NULL, threads, &threads, NULL));
  PetscCall(PetscOptionsString("-bench_device", "cpu, cuda or hip", NULL, dev, dev, sizeof(dev), NULL));
  PetscCall(PetscOptionsBool("-bench_kernels_float64", "In double", NULL, f64, &f64, NULL));
  PetscCall(PetscOptionsReal("-bench_peak_gflops", "The device's fp32 (or fp64) FMA peak, GFLOP/s", NULL, peakF, &peakF, NULL));
  PetscCall(PetscOptionsReal("-bench_peak_gbs", "The device's memory bandwidth, GB/s", NULL, peakB, &peakB, NULL));
  PetscOptionsEnd();
  PetscCheck(m > 0 && n > 0 && reps > 0, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bench_kernels_m, -bench_kernels_n and -bench_reps must be positive");
  try {
    torch::NoGradGuard ng;
    torch::set_num_threads((int)threads);
    torch::manual_seed(0);
    const bool    gpu = strcmp(dev, "cpu") != 0;
    const auto    o   = torch::TensorOptions().dtype(f64 ? torch::kFloat64 : torch::kFloat32).device(gpu ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
    const int64_t H = 32, nl = 7, sz = f64 ? 8 : 4; /* the edge MLP after its split: e W_e^T from the start, 5 hidden, output */
    std::vector<torch::Tensor> W, b;
    for (int64_t l = 0; l < nl; l++) {
      W.push_back(torch::randn({H, H}, o) * 0.2);
      b.push_back(l == 0 ? torch::Tensor() : torch::randn({H}, o) * 0.1);
    }
    auto x = torch::randn({m, H}, o), g = torch::randn({m, H}, o), A = torch::randn({n, H}, o), B = torch::randn({n, H}, o);
    auto gamma = torch::randn({H}, o), beta = torch::randn({H}, o);
    auto ia = std::get<0>(torch::randint(0, n, {m}, o.dtype(torch::kInt64)).sort()), ib = torch::randint(0, n, {m}, o.dtype(torch::kInt64));
    auto ptr = torch::cat({torch::zeros({1}, ia.options()), torch::bincount(ia, {}, n).cumsum(0)});
    GNNEdgeStart start = {A, B, ia, ib};
    auto         sync  = [&] {
      if (gpu) torch::cuda::synchronize();
    };
    /* name, flop, bytes, the call */
    const double F = 2.0 * m * nl * H * H, rowB = (double)m * H * sz, startB = 2.0 * rowB + 16.0 * m;
    struct K {
      const char           *name;
      double                flop, bytes;
      std::function<void()> fn;
    };
    torch::Tensor              dX, dg, dbt, dS, mean, rstd, ldX, ldW, ldb;
    std::vector<torch::Tensor> dW, db, act;
    /* the fused backward with each thread's block of outputs t x t, by vector loads or not, at
       3 or 2 blocks per multiprocessor, at most kib KiB of shared memory per block (GPU; the
       default is 2 x 2 by vector loads at 3, 48 KiB) */
    auto fusedTile = [&](int tile, bool vec, int blocks, int kib = 48) {
      GNNGpuWithTuning([&](GNNGpuTuning &t) { t.tile = tile, t.vectorLoads = vec, t.blocks = blocks, t.sharedKiB = kib; },
            [&] { GNNKernelMLPBackward(x, W, b, gamma, beta, 1e-5, g, true, dX, dW, db, dg, dbt, &start, &dS); });
    };
    auto fusedForward = [&](int rows, bool stage) {
      GNNGpuWithTuning([&](GNNGpuTuning &t) { t.forwardRows = rows, t.stageWeights = stage; }, [&] { (void)GNNKernelMLPForward(x, W, b, &start, gamma, beta, 1e-5); });
    };
    std::vector<K> ks = {
      {"mlp_forward_fused", F, rowB * 2 + startB, [&] { (void)GNNKernelMLPForward(x, W, b, &start, gamma, beta, 1e-5); }},
      {"mlp_forward_layers", F, rowB * 2 * nl + startB, [&] {
         torch::Tensor h = x;
         for (int64_t l = 0; l < nl; l++) h = GNNKernelLinearForward(h, W[l], b[l], l + 1 < nl, l == 0 ? &start : nullptr);
         (void)GNNKernelLayerNormForward(h, gamma, beta, 1e-5, mean, rstd);
       }},
      /* recompute, dX and dW: 3 F; x, g in, dX, dStart out */
      {"mlp_backward_fused", 3 * F, rowB * 4 + startB, [&] { GNNKernelMLPBackward(x, W, b, gamma, beta, 1e-5, g, true, dX, dW, db, dg, dbt, &start, &dS); }},
      /* ... as training runs it: the output's gradient plus the aggregation's gathered by receiver
         (an [n, H] array), dX with the residual's added (g read again) */
      {"mlp_backward_fused_gather", 3 * F, rowB * 5 + startB + (double)n * H * sz, [&] { GNNKernelMLPBackward(x, W, b, gamma, beta, 1e-5, g, true, dX, dW, db, dg, dbt, &start, &dS, A, ia, true); }},
      /* the forward kept, then every layer's backward (what training without the fused backward
         does): 3 F; per layer its input and output written once and read back, its gradient in
         and out */
      {"mlp_backward_layers", 3 * F, rowB * (2 * nl + 4 * nl) + startB, [&] { GNNKernelMLPBackwardLayers(x, W, b, gamma, beta, 1e-5, g, true, dX, dW, db, dg, dbt, &start, &dS); }},
      {"segment_sum", (double)m * H, rowB + (double)n * H * sz + 8.0 * n, [&] { (void)GNNKernelSegmentSum(x, ptr, torch::Tensor()); }},
      /* one layer without ELU on the nodes (the edge layer's node parts A and B) */
      {"linear_forward_nodes", 2.0 * n * H * H, 2.0 * n * H * sz, [&] { (void)GNNKernelLinearForward(A, W[1], b[1], false, nullptr); }},
      /* ... and its backward: dX and dW from the output's gradient */
      {"linear_backward_nodes", 4.0 * n * H * H, 3.0 * n * H * sz, [&] { GNNKernelLinearBackward(B, torch::Tensor(), A, W[1], true, ldX, ldW, ldb); }},
      {"layernorm_forward", 8.0 * m * H, 2 * rowB, [&] { (void)GNNKernelLayerNormForward(x, gamma, beta, 1e-5, mean, rstd); }},
    };
    if (gpu) {
      ks.push_back({"mlp_backward_fused_1x1", 3 * F, rowB * 4 + startB, [&] { fusedTile(1, true, 3); }});
      ks.push_back({"mlp_backward_fused_4x4", 3 * F, rowB * 4 + startB, [&] { fusedTile(4, true, 3); }});
      ks.push_back({"mlp_backward_fused_2blocks", 3 * F, rowB * 4 + startB, [&] { fusedTile(2, true, 2); }});
      ks.push_back({"mlp_backward_fused_4x4_2blocks", 3 * F, rowB * 4 + startB, [&] { fusedTile(4, true, 2); }});
      ks.push_back({"mlp_backward_fused_scalar", 3 * F, rowB * 4 + startB, [&] { fusedTile(2, false, 3); }});
      ks.push_back({"mlp_backward_fused_4x4_scalar", 3 * F, rowB * 4 + startB, [&] { fusedTile(4, false, 3); }});
      /* tiles of 64 rows where the multiprocessor's share allows them (an H200's for 3 blocks:
         75 KiB, by the kernel's opt-in beyond 48), 32 by default for the paper's edge MLP (33 fit in 48 KiB) */
      ks.push_back({"mlp_backward_fused_64rows", 3 * F, rowB * 4 + startB, [&] { fusedTile(2, true, 3, 1024); }});
      ks.push_back({"mlp_backward_fused_4x4_64rows", 3 * F, rowB * 4 + startB, [&] { fusedTile(4, true, 3, 1024); }});
      /* the fused forward with two rows per thread (the default is one), and with its weights read
         in place instead of staged in shared memory */
      ks.push_back({"mlp_forward_fused_2rows", F, rowB * 2 + startB, [&] { fusedForward(2, true); }});
      ks.push_back({"mlp_forward_fused_in_place", F, rowB * 2 + startB, [&] { fusedForward(1, false); }});
    }
    j.str("mode", "kernels");
    j.str("device", dev);
    j.str("precision", f64 ? "float64" : "float32");
    j.num("m", (double)m);
    j.num("n", (double)n);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "kernels of one edge MLP (H %d, %d Linear layers, LayerNorm), %" PetscInt_FMT " edges, %" PetscInt_FMT " nodes, %s, %s; median of %" PetscInt_FMT "\n", (int)H, (int)nl, m, n, dev, f64 ? "float64" : "float32", reps));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| kernel | time [ms] | GFLOP/s | of peak | GB/s | of peak |\n|---|---|---|---|---|---|\n"));
    for (const K &k : ks) {
      std::vector<double> t;
      k.fn(); /* warm-up */
      for (PetscInt r = 0; r < reps; r++) {
        sync();
        const double t0 = MPI_Wtime();
        k.fn();
        sync();
        t.push_back(MPI_Wtime() - t0);
      }
      std::sort(t.begin(), t.end());
      const double med = t[t.size() / 2], gf = k.flop / med / 1e9, gb = k.bytes / med / 1e9;
      char         pf[32] = "-", pb[32] = "-";
      if (peakF > 0) snprintf(pf, sizeof(pf), "%.1f %%", 100 * gf / peakF);
      if (peakB > 0) snprintf(pb, sizeof(pb), "%.1f %%", 100 * gb / peakB);
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| %s | %.3f | %.1f | %s | %.1f | %s |\n", k.name, 1e3 * med, gf, pf, gb, pb));
      j.num(std::string(k.name) + "_s", med);
      j.num(std::string(k.name) + "_gflops", gf);
      j.num(std::string(k.name) + "_gbs", gb);
    }
  } catch (const std::exception &e) {
    SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_LIB, "%s", e.what());
  }
  PetscCall(EmitJson(PETSC_COMM_WORLD, j, json));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char      mode[32] = "train", json[PETSC_MAX_PATH_LEN] = "";
  PetscBool logOn;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(GNNInitializePackage());
  PetscCall(PetscLogIsActive(&logOn));
  if (!logOn) PetscCall(PetscLogDefaultBegin()); /* the events are read back, -log_view or not */
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Benchmark options", "bench");
  PetscCall(PetscOptionsString("-bench_mode", "train, partition, peak, scale or kernels", NULL, mode, mode, sizeof(mode), NULL));
  PetscCall(PetscOptionsString("-bench_json", "Also write the JSON to this file", NULL, json, json, sizeof(json), NULL));
  PetscOptionsEnd();
  if (!strcmp(mode, "train")) PetscCall(ModeTrain(json));
  else if (!strcmp(mode, "partition")) PetscCall(ModePartition(json));
  else if (!strcmp(mode, "peak")) PetscCall(ModePeak(json));
  else if (!strcmp(mode, "scale")) PetscCall(ModeScale(json));
  else if (!strcmp(mode, "kernels")) PetscCall(ModeKernels(json));
  else SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "Unknown -bench_mode %s", mode);
  PetscCall(PetscFinalize());
  return 0;
}
