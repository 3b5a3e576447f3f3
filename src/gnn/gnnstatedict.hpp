/* The model's state (parameters and normalisation buffers) as a dict of host tensors: what weights
   files (src/gnn/interface/gnnweights.cxx) and training checkpoints (src/train/checkpoint.cxx)
   hold. The layer above the model reads it through this header, never through gnnimpl.h. */
#ifndef GNNSTATEDICT_HPP
#define GNNSTATEDICT_HPP

#include <petscgnn.h>
#include <torch/torch.h>
#include <string>

/* The state into a dict, names prefixed (host copies) */
void GNNStateToDict_Private(GNN, c10::Dict<std::string, at::Tensor> &, const std::string &);
/* ... and back: the dict must hold exactly the model's names (with the prefix) and shapes; entries
   without the prefix are ignored. Throws with a message on mismatch. */
void GNNStateFromDict_Private(GNN, const c10::impl::GenericDict &, const std::string &);
/* The first line of an exception's message (LibTorch appends stack traces) */
std::string GNNExceptionMessage_Private(const std::exception &);

#endif
