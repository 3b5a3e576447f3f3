/* The model's state (parameters and normalisation buffers) as a dict of host tensors: what weights
   files (src/gnn/interface/gnnweights.cxx) and training checkpoints (src/train/checkpoint.cxx)
   hold. The layer above the model reads it through this header, never through gnnimpl.h. */
#ifndef GNNSTATEDICT_HPP
#define GNNSTATEDICT_HPP

#include <petscgnn.h>
#include <torch/torch.h>
#include <string>

/* "" if every entry of the tensor is finite, else the first one that is not, in words */
std::string GNNTensorNonFinite_Private(const torch::Tensor &);
/* The state into a dict, names prefixed (host copies); throws if a value is not finite or a
   standard deviation not positive: nothing of the kind is ever written */
void GNNStateToDict_Private(GNN, c10::Dict<std::string, at::Tensor> &, const std::string &);
/* ... and back: the dict must hold exactly the model's names (with the prefix) and shapes, finite
   values and positive standard deviations; entries without the prefix are ignored. Throws with a
   message otherwise, before the model is changed. */
void GNNStateFromDict_Private(GNN, const c10::impl::GenericDict &, const std::string &);
/* The first line of an exception's message (LibTorch appends stack traces) */
std::string GNNExceptionMessage_Private(const std::exception &);

#endif
