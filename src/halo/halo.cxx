/* Halo exchange on LibTorch tensors through the graph's PetscSF, zero-copy: the SF reads and
   writes the tensors' own storage. */
#include "halo/halo.hpp"
#include "gnngraphimpl.h"
#include "gnntorch.hpp"

namespace {

MPI_Datatype MPITypeOf(const torch::Tensor &t)
{
  if (t.scalar_type() == torch::kFloat64) return MPI_DOUBLE;
  if (t.scalar_type() == torch::kFloat32) return MPI_FLOAT;
  throw std::runtime_error("halo exchange: only float32 and float64 tensors");
}

/* One row of F values of the tensor's type as an MPI datatype */
struct RowType {
  MPI_Datatype type;
  RowType(const torch::Tensor &t) { MPI_Type_contiguous((int)t.size(1), MPITypeOf(t), &type), MPI_Type_commit(&type); }
  ~RowType() { MPI_Type_free(&type); }
};

class HaloFunction : public torch::autograd::Function<HaloFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor owned, int64_t graphptr)
  {
    GNNGraph graph = reinterpret_cast<GNNGraph>(graphptr);
    ctx->saved_data["graph"] = graphptr;
    owned = owned.contiguous();
    auto    all = torch::empty({graph->nOwned + graph->nGhost, owned.size(1)}, owned.options());
    all.narrow(0, 0, graph->nOwned).copy_(owned);
    RowType row(owned);
    GNNCallThrow(PetscLogEventBegin(GNN_HaloBegin, graph, 0, 0, 0));
    GNNCallThrow(PetscSFBcastBegin(graph->haloSF, row.type, owned.data_ptr(), all.data_ptr(), MPI_REPLACE));
    GNNCallThrow(PetscSFBcastEnd(graph->haloSF, row.type, owned.data_ptr(), all.data_ptr(), MPI_REPLACE));
    GNNCallThrow(PetscLogEventEnd(GNN_HaloBegin, graph, 0, 0, 0));
    return all;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    GNNGraph graph = reinterpret_cast<GNNGraph>(ctx->saved_data["graph"].toInt());
    /* PETSc 3.18's SF has no local reduce kernel for rows of floats (MPI_ERR_OP): add in double */
    auto     dtype = grads[0].scalar_type();
    auto     gall  = grads[0].to(torch::kFloat64).contiguous();
    auto     gown  = gall.narrow(0, 0, graph->nOwned).clone();
    RowType  row(gall);
    GNNCallThrow(PetscLogEventBegin(GNN_HaloReverse, graph, 0, 0, 0));
    GNNCallThrow(PetscSFReduceBegin(graph->haloSF, row.type, gall.data_ptr(), gown.data_ptr(), MPI_SUM));
    GNNCallThrow(PetscSFReduceEnd(graph->haloSF, row.type, gall.data_ptr(), gown.data_ptr(), MPI_SUM));
    GNNCallThrow(PetscLogEventEnd(GNN_HaloReverse, graph, 0, 0, 0));
    gown = gown.to(dtype);
    return {gown, torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNHaloExchange(GNNGraph graph, const torch::Tensor &owned)
{
  return HaloFunction::apply(owned, reinterpret_cast<int64_t>(graph));
}
