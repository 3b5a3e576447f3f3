/* Weights in PyTorch's state_dict format: a dict name -> tensor written with torch::pickle_save,
   which Python's torch.load reads; torch::pickle_load reads a plain dict saved by torch.save. */
#include "gnn/gnntorchstate.hpp"
#include <fstream>
#include <iterator>
#include <sstream>

/*@C
  GNNSaveWeights - Writes the weights (rank 0 writes; every rank holds the same ones) as a
  PyTorch state_dict: names node_encoder.linear.K.weight, ..., processor.L.edge_mlp.norm.bias, ...,
  decoder.linear.K.bias; Linear weights are [out, in] as in PyTorch.
@*/
PetscErrorCode GNNSaveWeights(GNN gnn, const char file[])
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)gnn);
  PetscMPIInt rank;
  int         ok = 1;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNSetUp() first");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    try {
      c10::Dict<std::string, at::Tensor> dict;
      for (auto &kv : gnn->torch->params) dict.insert(kv.first, kv.second.detach().clone());
      std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
      std::string       tmp   = std::string(file) + ".tmp";
      std::ofstream     out(tmp, std::ios::binary);
      out.write(bytes.data(), (std::streamsize)bytes.size());
      out.close();
      ok = out.good() && std::rename(tmp.c_str(), file) == 0;
    } catch (const std::exception &) {
      ok = 0;
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "Cannot write the weights file %s", file);
  PetscFunctionReturn(0);
}

/* Reads the whole file on rank 0 and gives every rank the bytes, so that every rank sees the same
   errors and none waits for another */
static PetscErrorCode ReadFileEverywhere(MPI_Comm comm, const char file[], std::vector<char> &bytes)
{
  PetscMPIInt rank;
  long long   n = -1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::ifstream in(file, std::ios::binary);
    if (in) {
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      n = (long long)bytes.size();
    }
  }
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  PetscCheck(n >= 0, comm, PETSC_ERR_FILE_OPEN, "Cannot open the weights file %s", file);
  bytes.resize(n);
  PetscCallMPI(MPI_Bcast(bytes.data(), (int)n, MPI_CHAR, 0, comm));
  PetscFunctionReturn(0);
}

/*@C
  GNNLoadWeights - Reads weights saved by GNNSaveWeights() or by Python as
  torch.save(dict(model.state_dict()), file). The names and shapes must be exactly the model's.
  (LibTorch 1.13 cannot read the OrderedDict that model.state_dict() returns: convert it with dict().)
@*/
PetscErrorCode GNNLoadWeights(GNN gnn, const char file[])
{
  MPI_Comm          comm = PetscObjectComm((PetscObject)gnn);
  std::vector<char> bytes;
  std::string       err;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(gnn, GNN_CLASSID, 1);
  PetscCheck(gnn->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNSetUp() first");
  PetscCall(ReadFileEverywhere(comm, file, bytes));
  try {
    c10::IValue iv = torch::pickle_load(bytes);
    if (!iv.isGenericDict()) throw std::runtime_error("it does not hold a dict of tensors");
    auto                                 dict = iv.toGenericDict();
    std::map<std::string, torch::Tensor> byName;
    for (auto &item : dict) {
      if (!item.key().isString() || !item.value().isTensor()) throw std::runtime_error("it holds an entry that is not name -> tensor");
      byName[item.key().toStringRef()] = item.value().toTensor();
    }
    for (auto &kv : gnn->torch->params) {
      auto it = byName.find(kv.first);
      if (it == byName.end()) throw std::runtime_error("the model's parameter " + kv.first + " is missing");
      if (it->second.sizes() != kv.second.sizes()) {
        std::ostringstream s;
        s << "parameter " << kv.first << " has shape " << it->second.sizes() << ", the model's is " << kv.second.sizes();
        throw std::runtime_error(s.str());
      }
    }
    for (auto &kv : byName) {
      bool found = false;
      for (auto &p : gnn->torch->params) found = found || p.first == kv.first;
      if (!found) throw std::runtime_error("it has a parameter " + kv.first + " that the model does not have");
    }
    torch::NoGradGuard nograd;
    for (auto &kv : gnn->torch->params) kv.second.copy_(byName[kv.first]);
  } catch (const std::exception &e) {
    err = e.what();
    size_t nl = err.find('\n');
    if (nl != std::string::npos) err = err.substr(0, nl);
  }
  PetscCheck(err.empty(), comm, PETSC_ERR_FILE_UNEXPECTED, "Weights file %s does not match the model: %s", file, err.c_str());
  PetscFunctionReturn(0);
}
