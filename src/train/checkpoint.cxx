/* Training checkpoints: one pickled dict of tensors (Python's torch.load reads it too) holding the
   model state, the optimiser moments, the step, the schedule and the noise seed. Rank 0 writes it
   atomically; every rank reads the same bytes, so a bad file is the same error everywhere. */
#include "gnntrainimpl.h"
#include "gnn/gnnstatedict.hpp"
#include "gnntorch.hpp"
#include "gnnfileio.h"
#include <cmath>

namespace {
const int64_t kMagic = 0x474E4E43; /* "GNNC" */
/* 2: with the graph record (node count and fingerprint); version 1 files (without it) still load */
const int64_t kVersion = 2;

/* (nodes, fingerprint) of the model's graph: a checkpoint resumes only on the graph it was written on */
std::vector<int64_t> GraphRecord(GNN gnn)
{
  GNNGraph   graph;
  PetscInt   N;
  PetscInt64 fp;
  GNNCallThrow(GNNGetGraph(gnn, &graph));
  GNNCallThrow(GNNGraphGetSizes(graph, NULL, NULL, NULL, &N));
  GNNCallThrow(GNNGraphGetFingerprint(graph, &fp));
  return {(int64_t)N, (int64_t)fp};
}

/* (in, out, hidden, mlp hidden layers, layers, layer norm, dim, parameters) */
std::vector<int64_t> Architecture(GNN gnn)
{
  PetscInt  nin, nout, hidden, mlpHidden, layers, dim, np;
  PetscBool ln;
  GNNGraph  graph;
  GNNCallThrow(GNNGetSizes(gnn, &nin, &nout));
  GNNCallThrow(GNNGetArchitecture(gnn, &hidden, &mlpHidden, &layers, &ln));
  GNNCallThrow(GNNGetGraph(gnn, &graph));
  GNNCallThrow(GNNGraphGetDimension(graph, &dim));
  GNNCallThrow(GNNGetNumParameters(gnn, &np));
  return {nin, nout, hidden, mlpHidden, layers, ln, dim, np};
}

torch::Tensor I64(const std::vector<int64_t> &v) { return torch::tensor(v, torch::kInt64); }
torch::Tensor F64(const std::vector<double> &v) { return torch::tensor(v, torch::kFloat64); }
std::vector<double> ToVector(const torch::Tensor &t)
{
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
} // namespace

/*@C
  GNNTrainerSaveCheckpoint - Writes the training state so that GNNTrainerLoadCheckpoint() (on any
  rank count) continues the run exactly: model (with normalisation), Adam moments, step, schedule,
  noise seed. The file is written to FILE.tmp and renamed, so a crash keeps the previous one.
@*/
PetscErrorCode GNNTrainerSaveCheckpoint(GNNTrainer tr, const char file[])
{
  MPI_Comm          comm = PetscObjectComm((PetscObject)tr);
  std::vector<char> bytes;
  GNNOptimizer     &o = tr->s->opt;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(tr->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNTrainerSetUp() first");
  std::string err;
  try {
    c10::Dict<std::string, at::Tensor> d;
    for (const auto *mom : {&o.m, &o.v})
      for (size_t k = 0; k < mom->size(); k++)
        if (!std::isfinite((*mom)[k])) throw std::runtime_error("the optimiser's moments are not finite (entry " + std::to_string(k) + "): the state is not written");
    d.insert("petscgnn_checkpoint", I64({kMagic, kVersion}));
    d.insert("architecture", I64(Architecture(tr->gnn)));
    d.insert("graph", I64(GraphRecord(tr->gnn)));
    d.insert("step", I64({tr->step}));
    d.insert("optimizer", F64({(double)o.type, o.lr, o.lrMin, o.beta1, o.beta2, o.eps, o.weightDecay, o.clip, (double)o.warmup, (double)o.steps}));
    d.insert("noise", F64({tr->noise, (double)tr->noiseSeed}));
    d.insert("adam_m", F64(o.m));
    d.insert("adam_v", F64(o.v));
    GNNStateToDict_Private(tr->gnn, d, "model.");
    bytes = torch::pickle_save(c10::IValue(d));
  } catch (const std::exception &e) {
    err = GNNExceptionMessage_Private(e);
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FP, "Checkpoint %s: %s", file, err.c_str());
  PetscCall(GNNWriteFileAtomic_Private(comm, "checkpoint", file, bytes));
  PetscFunctionReturn(0);
}

/*@C
  GNNTrainerLoadCheckpoint - Restores the state written by GNNTrainerSaveCheckpoint(). The schedule
  and the noise come from the checkpoint. A truncated or foreign file, or one written for another
  architecture, is an error on every rank.
@*/
PetscErrorCode GNNTrainerLoadCheckpoint(GNNTrainer tr, const char file[])
{
  MPI_Comm          comm = PetscObjectComm((PetscObject)tr);
  std::vector<char> bytes;
  PetscBool         found;
  std::string       err;
  GNNOptimizer     &o = tr->s->opt;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(tr, GNNTRAINER_CLASSID, 1);
  PetscCheck(tr->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNTrainerSetUp() first");
  PetscCall(GNNReadFileEverywhere_Private(comm, file, bytes, &found));
  PetscCheck(found, comm, PETSC_ERR_FILE_OPEN, "Cannot open the checkpoint %s", file);
  try {
    c10::IValue       iv;
    const std::string zip = GNNZipInvalid_Private(bytes); /* before LibTorch's zip reader, which trusts the offsets */
    if (!zip.empty()) throw std::runtime_error("it is not a readable checkpoint (truncated or another format): " + zip);
    try {
      iv = torch::pickle_load(bytes);
    } catch (const std::exception &e) {
      throw std::runtime_error("it is not a readable checkpoint (truncated or another format): " + GNNExceptionMessage_Private(e));
    }
    if (!iv.isGenericDict()) throw std::runtime_error("it is not a petscgnn checkpoint");
    auto d   = iv.toGenericDict();
    auto get = [&](const std::string &k) {
      if (!d.contains(k) || !d.at(k).isTensor()) throw std::runtime_error("it is not a petscgnn checkpoint (no " + k + ")");
      return d.at(k).toTensor();
    };
    auto magic = get("petscgnn_checkpoint");
    if (magic.numel() != 2 || magic[0].item<int64_t>() != kMagic) throw std::runtime_error("it is not a petscgnn checkpoint");
    const int64_t version = magic[1].item<int64_t>();
    if (version != 1 && version != kVersion) throw std::runtime_error("it has checkpoint version " + std::to_string(version) + ", this library reads versions 1 and " + std::to_string(kVersion));
    auto arch = get("architecture");
    auto mine = Architecture(tr->gnn);
    if (arch.numel() != (int64_t)mine.size() || !torch::equal(arch, I64(mine))) {
      auto list = [](const int64_t *v, int64_t n) {
        std::string s;
        for (int64_t k = 0; k < n; k++) s += (k ? ", " : "") + std::to_string(v[k]);
        return s;
      };
      auto a = arch.contiguous();
      throw std::runtime_error("it was written for another architecture: (in, out, hidden, mlp hidden layers, layers, layer norm, dim, parameters) = (" + list(a.data_ptr<int64_t>(), a.numel()) + "), this model's (" + list(mine.data(), (int64_t)mine.size()) + ")");
    }
    if (version >= 2) { /* version 1 had no graph record: such a file resumes unchecked */
      auto graph = get("graph").to(torch::kInt64).contiguous();
      auto here  = GraphRecord(tr->gnn);
      if (graph.numel() != 2) throw std::runtime_error("its graph record is malformed");
      const int64_t *g = graph.data_ptr<int64_t>();
      if (g[0] != here[0]) throw std::runtime_error("it was written on a graph of " + std::to_string(g[0]) + " nodes, this graph has " + std::to_string(here[0]));
      if (g[1] != here[1]) throw std::runtime_error("it was written on another graph (fingerprint " + std::to_string(g[1]) + ", this graph's " + std::to_string(here[1]) + ": same node count, other coordinates)");
    }
    auto opt   = ToVector(get("optimizer"));
    auto noise = ToVector(get("noise"));
    auto m = ToVector(get("adam_m")), v = ToVector(get("adam_v"));
    if (opt.size() != 10 || noise.size() != 2) throw std::runtime_error("its optimiser record is malformed");
    if (!m.empty() && (m.size() != tr->s->p.size() || v.size() != m.size())) throw std::runtime_error("its optimiser moments have the wrong size");
    /* a crafted or damaged file must not reach the optimiser: every field in its range, every
       number finite (the options' own checks), before anything is changed */
    auto   stepT  = get("step");
    double nsteps = opt[9], step = stepT.numel() == 1 ? (double)stepT[0].item<int64_t>() : -1;
    auto   finite = [](const std::vector<double> &x) {
      for (double y : x)
        if (!std::isfinite(y)) return false;
      return true;
    };
    if (!finite(opt) || !finite(noise) || !finite(m) || !finite(v)) throw std::runtime_error("it holds numbers that are not finite (NaN or Inf)");
    if (opt[0] != 0 && opt[0] != 1) throw std::runtime_error("its optimiser type " + std::to_string(opt[0]) + " is not adam (0) or adamw (1)");
    for (double n : {opt[8], nsteps})
      if (!(n >= 0 && n <= (double)PETSC_MAX_INT && n == std::floor(n))) throw std::runtime_error("its warm-up and total steps must be non-negative integers");
    if (!(step >= 0 && step <= nsteps)) throw std::runtime_error("its step " + std::to_string((long long)step) + " is not in [0, steps = " + std::to_string((long long)nsteps) + "]");
    if (!(noise[0] >= 0)) throw std::runtime_error("its noise level is negative");
    GNNOptimizer c = o;
    c.type         = (GNNOptimizerType)(int)opt[0];
    c.lr           = opt[1];
    c.lrMin        = opt[2];
    c.beta1        = opt[3];
    c.beta2        = opt[4];
    c.eps          = opt[5];
    c.weightDecay  = opt[6];
    c.clip         = opt[7];
    c.warmup       = (PetscInt)opt[8];
    c.steps        = (PetscInt)nsteps;
    c.m            = m;
    c.v            = v;
    const std::string why = GNNOptimizerInvalid_Private(c);
    if (!why.empty()) throw std::runtime_error("its optimiser record is invalid: " + why);
    GNNStateFromDict_Private(tr->gnn, d, "model.");
    tr->step      = (PetscInt)step;
    o             = c;
    tr->noise     = noise[0];
    tr->noiseSeed = (PetscInt)noise[1];
  } catch (const std::exception &e) {
    err = GNNExceptionMessage_Private(e);
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint %s cannot be used: %s", file, err.c_str());
  PetscFunctionReturn(0);
}
