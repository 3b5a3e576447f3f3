/* Weights in PyTorch's state_dict format: a dict name -> tensor written with torch::pickle_save,
   which Python's torch.load reads; torch::pickle_load reads a plain dict saved by torch.save. */
#include "gnn/gnntorchstate.hpp"
#include "gnnfileio.h"
#include <algorithm>
#include <cmath>
#include <sstream>

/* Names of metadata entries start so (GNNSetMetadata()) */
static const std::string kMeta = "meta.";

/* "" if every entry of t is finite, else where the first one that is not sits and what it is */
std::string GNNTensorNonFinite_Private(const torch::Tensor &t)
{
  if (!t.is_floating_point() || t.numel() == 0) return "";
  auto flat = t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  auto bad  = torch::logical_not(torch::isfinite(flat)).nonzero();
  if (bad.size(0) == 0) return "";
  const int64_t i = bad[0][0].item<int64_t>();
  std::ostringstream s;
  s << "a non-finite value (" << flat[i].item<double>() << ") at flat index " << i << " of " << flat.numel();
  return s.str();
}

/* Why the state in `named` (the model's names) cannot be a model's state, or "": every value
   finite, the standard deviations of the normalisation positive (what GNNSetNormalization()
   requires). Used on what is loaded and on what is about to be written. */
static std::string StateInvalid(const std::vector<std::pair<std::string, torch::Tensor>> &named)
{
  for (auto &kv : named) {
    const std::string nf = GNNTensorNonFinite_Private(kv.second);
    if (!nf.empty()) return "entry " + kv.first + " holds " + nf;
    if (kv.first == "input_std" || kv.first == "output_std") {
      auto sd  = kv.second.detach().to(torch::kCPU, torch::kFloat64).contiguous();
      auto bad = (sd <= 0).nonzero();
      if (bad.size(0)) {
        const int64_t i = bad[0][0].item<int64_t>();
        std::ostringstream s;
        s << "entry " << kv.first << "[" << i << "] = " << sd[i].item<double>() << " is not positive (standard deviations of the normalisation must be)";
        return s.str();
      }
    }
  }
  return "";
}

/* The model's state (parameters and normalisation buffers) into a dict, names prefixed; throws if
   it is not finite, so that no file ever holds a NaN or Inf weight */
void GNNStateToDict_Private(GNN gnn, c10::Dict<std::string, at::Tensor> &dict, const std::string &prefix)
{
  const std::string why = StateInvalid(gnn->torch->state);
  if (!why.empty()) throw std::runtime_error("the model's state is not written: " + why);
  /* host copies: a file written from a GPU model loads on any machine */
  for (auto &kv : gnn->torch->state) dict.insert(prefix + kv.first, kv.second.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
}

/* ... and back: the dict must hold exactly the model's names (with the prefix) and shapes;
   entries without the prefix are ignored. Throws with a message on mismatch. */
void GNNStateFromDict_Private(GNN gnn, const c10::impl::GenericDict &dict, const std::string &prefix)
{
  std::map<std::string, torch::Tensor> byName;
  for (auto &item : dict) {
    if (!item.key().isString()) throw std::runtime_error("it holds a key that is not a name");
    const std::string &key = item.key().toStringRef();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (key.compare(prefix.size(), kMeta.size(), kMeta) == 0) continue; /* metadata, not state */
    if (!item.value().isTensor()) throw std::runtime_error("entry " + key + " is not a tensor");
    byName[key.substr(prefix.size())] = item.value().toTensor();
  }
  for (auto &kv : gnn->torch->state) {
    auto it = byName.find(kv.first);
    if (it == byName.end()) throw std::runtime_error("the model's entry " + kv.first + " is missing");
    if (it->second.sizes() != kv.second.sizes()) {
      std::ostringstream s;
      s << "entry " << kv.first << " has shape " << it->second.sizes() << ", the model's is " << kv.second.sizes();
      throw std::runtime_error(s.str());
    }
  }
  for (auto &kv : byName) {
    bool found = false;
    for (auto &p : gnn->torch->state) found = found || p.first == kv.first;
    if (!found) throw std::runtime_error("it has an entry " + kv.first + " that the model does not have");
  }
  {
    std::vector<std::pair<std::string, torch::Tensor>> named(byName.begin(), byName.end());
    const std::string                                  why = StateInvalid(named);
    if (!why.empty()) throw std::runtime_error(why); /* before anything of the model is changed */
  }
  torch::NoGradGuard nograd;
  for (auto &kv : gnn->torch->state) kv.second.copy_(byName[kv.first]);
}

/* The first line of an exception's message (LibTorch appends stack traces) */
std::string GNNExceptionMessage_Private(const std::exception &e)
{
  std::string err = e.what();
  size_t      nl  = err.find('\n');
  return nl == std::string::npos ? err : err.substr(0, nl);
}

/*@C
  GNNSaveWeights - Writes the weights (rank 0 writes; every rank holds the same ones) as a
  PyTorch state_dict: names node_encoder.linear.K.weight, ..., processor.L.edge_mlp.norm.bias, ...,
  decoder.linear.K.bias, and the normalisation buffers input_mean, input_std, output_mean,
  output_std; Linear weights are [out, in] as in PyTorch. The file is replaced atomically.
@*/
PetscErrorCode GNNSaveWeights(GNN gnn, const char file[])
{
  MPI_Comm          comm = PetscObjectComm((PetscObject)gnn);
  std::vector<char> bytes;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNSetUp() first");
  std::string err;
  try {
    c10::Dict<std::string, at::Tensor> dict;
    GNNStateToDict_Private(gnn, dict, "");
    if (gnn->nmeta) { /* what the model is, next to what the caller recorded */
      const std::pair<const char *, PetscReal> model[] = {
        {"gnn_hidden",            (PetscReal)gnn->hidden   },
        {"gnn_layers",            (PetscReal)gnn->layers   },
        {"gnn_mlp_hidden_layers", (PetscReal)gnn->mlpHidden},
        {"gnn_layer_norm",        (PetscReal)gnn->layerNorm},
        {"gnn_residual",          (PetscReal)gnn->residual },
      };
      auto put = [&](const std::string &name, PetscReal v) { dict.insert_or_assign(kMeta + name, torch::scalar_tensor((double)v, torch::kFloat64)); };
      for (auto &m : model) put(m.first, m.second);
      for (PetscInt i = 0; i < gnn->nmeta; i++) put(gnn->metaName[i], gnn->metaValue[i]);
    }
    bytes = torch::pickle_save(c10::IValue(dict));
  } catch (const std::exception &e) {
    err = GNNExceptionMessage_Private(e);
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FP, "Weights file %s: %s", file, err.c_str());
  PetscCall(GNNWriteFileAtomic_Private(comm, "weights file", file, bytes));
  PetscFunctionReturn(0);
}

/* Writes the weights to the -gnn_save_weights file, if one was given: call it when the model is
   final (example 1 after set-up, the trainer after training) */
PetscErrorCode GNNSaveWeightsFromOptions(GNN gnn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  if (gnn->saveWeights[0]) PetscCall(GNNSaveWeights(gnn, gnn->saveWeights));
  PetscFunctionReturn(0);
}

/*@C
  GNNLoadWeights - Reads weights saved by GNNSaveWeights() or by Python as
  torch.save(dict(model.state_dict()), file). The names and shapes must be exactly the model's.
  (LibTorch 1.13 cannot read the OrderedDict that model.state_dict() returns: convert it with dict().)
@*/
PetscErrorCode GNNLoadWeights(GNN gnn, const char file[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidCharPointer(file, 2);
  PetscCheck(gnn->setupcalled, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ORDER, "Call GNNSetUp() first");
  PetscCall(GNNLoadWeights_Private(gnn, file));
  PetscFunctionReturn(0);
}

/* A weights file as a dict (read on one rank, broadcast): the zip structure checked before
   LibTorch's zip reader, which trusts the offsets; "" in err when it worked */
static PetscErrorCode ReadDict(MPI_Comm comm, const char file[], c10::IValue &iv, std::string &err)
{
  std::vector<char> bytes;
  PetscBool         found;

  PetscFunctionBegin;
  PetscCall(GNNReadFileEverywhere_Private(comm, file, bytes, &found));
  PetscCheck(found, comm, PETSC_ERR_FILE_OPEN, "Cannot open the weights file %s", file);
  err = GNNZipInvalid_Private(bytes);
  if (err.empty()) {
    try {
      iv = torch::pickle_load(bytes);
    } catch (const std::exception &e) {
      err = GNNExceptionMessage_Private(e);
      /* LibTorch 1.13 cannot unpickle a top-level collections.OrderedDict (what model.state_dict()
         returns; tensors mention OrderedDict too, so only a failed load is explained this way) */
      static const std::string od = "OrderedDict";
      if (std::search(bytes.begin(), bytes.end(), od.begin(), od.end()) != bytes.end()) err += " (if it holds an OrderedDict, which LibTorch cannot read, save dict(model.state_dict()) in Python)";
    }
  }
  if (err.empty() && !iv.isGenericDict()) err = "it does not hold a dict of tensors";
  PetscFunctionReturn(0);
}

/* The loading itself: also called by GNNSetUp() (-gnn_load_weights) before the model counts as set up */
PetscErrorCode GNNLoadWeights_Private(GNN gnn, const char file[])
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)gnn);
  std::string err;
  c10::IValue iv;

  PetscFunctionBegin;
  PetscCall(ReadDict(comm, file, iv, err));
  if (err.empty()) {
    try {
      GNNStateFromDict_Private(gnn, iv.toGenericDict(), "");
    } catch (const std::exception &e) {
      err = GNNExceptionMessage_Private(e);
    }
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FILE_UNEXPECTED, "Weights file %s cannot be used: %s", file, err.c_str());
  PetscFunctionReturn(0);
}

/*@C
  GNNSetMetadata - Records name = value (an option name without the dash, e.g. "gnn_ts_every") to be
  written into the weights file by GNNSaveWeights() as the float64 entry "meta.<name>". A file
  with metadata also records the model's architecture options and -gnn_residual.
@*/
PetscErrorCode GNNSetMetadata(GNN gnn, const char name[], PetscReal value)
{
  PetscInt i;
  size_t   len;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscValidCharPointer(name, 2);
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < sizeof(gnn->metaName[0]), PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "Metadata name '%s' must have 1 to %d characters", name, (int)sizeof(gnn->metaName[0]) - 1);
  for (i = 0; i < gnn->nmeta; i++) {
    PetscBool same;
    PetscCall(PetscStrcmp(gnn->metaName[i], name, &same));
    if (same) break;
  }
  PetscCheck(i < GNN_MAX_METADATA, PetscObjectComm((PetscObject)gnn), PETSC_ERR_ARG_OUTOFRANGE, "At most %d metadata entries", GNN_MAX_METADATA);
  if (i == gnn->nmeta) {
    PetscCall(PetscStrncpy(gnn->metaName[i], name, sizeof(gnn->metaName[i])));
    gnn->nmeta++;
  }
  gnn->metaValue[i] = value;
  PetscFunctionReturn(0);
}

/*@C
  GNNReadWeightsMetadata - The metadata of a weights file (GNNSetMetadata()) as a new options
  database holding "-<name> <value>" for each entry; empty for a file without metadata (older
  files, files written by Python). Destroy it with PetscOptionsDestroy(). Collective.
@*/
PetscErrorCode GNNReadWeightsMetadata(MPI_Comm comm, const char file[], PetscOptions *meta)
{
  std::string                                     err;
  c10::IValue                                     iv;
  std::vector<std::pair<std::string, double>>     entries;

  PetscFunctionBegin;
  PetscValidCharPointer(file, 2);
  PetscValidPointer(meta, 3);
  PetscCall(ReadDict(comm, file, iv, err));
  if (err.empty()) {
    try {
      for (auto &item : iv.toGenericDict()) {
        if (!item.key().isString()) continue;
        const std::string &key = item.key().toStringRef();
        if (key.compare(0, kMeta.size(), kMeta) != 0) continue;
        if (!item.value().isTensor() || item.value().toTensor().numel() != 1) throw std::runtime_error("metadata entry " + key + " is not a number");
        entries.emplace_back(key.substr(kMeta.size()), item.value().toTensor().to(torch::kFloat64).item<double>());
      }
    } catch (const std::exception &e) {
      err = GNNExceptionMessage_Private(e);
    }
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FILE_UNEXPECTED, "Weights file %s cannot be used: %s", file, err.c_str());
  PetscCall(PetscOptionsCreate(meta));
  for (auto &e : entries) {
    char value[64];
    PetscCheck(std::isfinite(e.second), comm, PETSC_ERR_FILE_UNEXPECTED, "Weights file %s: metadata entry %s is not finite", file, e.first.c_str());
    PetscCall(PetscSNPrintf(value, sizeof(value), "%.17g", e.second));
    PetscCall(PetscOptionsSetValue(*meta, ("-" + e.first).c_str(), value));
  }
  PetscFunctionReturn(0);
}
