/* The halo exchange of node tensors of either device, in two phases so that the model can compute
   while it is in flight (src/nn/edgelinear) */
#ifndef GNNHALO_HPP
#define GNNHALO_HPP

#include <petscgnngraph.h>
#include <torch/torch.h>
#include <memory>
#include <vector>

/* What an exchange needs, read once from the graph's public interface: the graph (whose
   GNNGraphHaloUpdate/Reverse Begin/End exchange), its sizes and the owned rows that other ranks
   read (the halo SF's roots with leaves): for tensors on a GPU only those cross to the host and
   back, and the reverse adds only into them. */
struct GNNHaloPlan {
  GNNGraph             graph = nullptr;
  PetscInt             nOwned = 0, nGhost = 0;
  std::vector<int64_t> border;    /* owned rows read by other ranks, increasing */
  torch::Tensor        borderCPU; /* the same as an int64 tensor on the host */
  torch::Tensor        borderDev; /* and on the model's device */
  bool                 overlap = true; /* the layers compute the edges while the exchange is in
                                          flight (-gnn_halo_overlap); the results are the same bit
                                          for bit either way */
};
std::shared_ptr<GNNHaloPlan> GNNHaloPlanCreate(GNNGraph graph, const torch::Device &device);

/* The ghost update of owned ([nOwned, F], float32 or float64) in flight from construction to
   Finish(), which returns the ghost rows [nGhost, F] on owned's device (PetscSF broadcast; not
   differentiable: src/nn/edgelinear is its autograd). owned must not change in between. PETSc
   here is not GPU-aware: a GPU tensor's border rows go through host copies. */
class GNNHaloUpdate {
public:
  GNNHaloUpdate(const GNNHaloPlan &plan, const torch::Tensor &owned);
  torch::Tensor Finish();
  ~GNNHaloUpdate(); /* ends an exchange not finished (an exception in between): the graph is left with none in flight */

private:
  const GNNHaloPlan &plan_;
  torch::Tensor      owned_, roots_, ghosts_;
  void              *leafbase_ = nullptr;
  bool               done_     = false;
};

/* The adjoint: the ghost rows' gradients ([nGhost, F], any floating type and device) added into
   their owners' rows (PetscSF reduce with ADD, in double), in flight from construction to
   AddInto(gown), which adds the sums received into gown ([nOwned, F], float64, on the device). Each
   owned row gets one addition: gown + (the contributions summed in the SF's order). */
class GNNHaloReverse {
public:
  GNNHaloReverse(const GNNHaloPlan &plan, const torch::Tensor &ghostGrads);
  void AddInto(torch::Tensor &gown);
  ~GNNHaloReverse();

private:
  const GNNHaloPlan &plan_;
  torch::Tensor      leaves_, sums_;
  const double      *leafbase_ = nullptr;
  bool               done_     = false;
};

#endif
