/* Halo exchange on LibTorch tensors through the graph's own exchange (GNNGraphHaloUpdate and its
   adjoint GNNGraphHaloReverse: the library's one halo). CPU tensors: zero-copy, the SF reads and
   writes the tensors' own storage. GPU tensors: through host buffers holding the border rows (a
   PETSc built with CUDA/HIP could give the SF device pointers instead: PetscSFBcastWithMemTypeBegin). */
#include "halo/halo.hpp"
#include "gnntorch.hpp"
#include <cstdint>

namespace {

MPI_Datatype MPITypeOf(const torch::Tensor &t)
{
  if (t.scalar_type() == torch::kFloat64) return MPI_DOUBLE;
  if (t.scalar_type() == torch::kFloat32) return MPI_FLOAT;
  throw std::runtime_error("halo exchange: only float32 and float64 tensors");
}

/* the address `bytes` before `ghosts` (the SF indexes leaves from the owned rows' start; only
   the ghost rows are ever touched) */
void *LeafBase(void *ghosts, int64_t bytes) { return (void *)((uintptr_t)ghosts - (uintptr_t)bytes); }

torch::Tensor BorderCPU(const GNNHaloPlan &p) { return torch::from_blob((void *)p.border.data(), {(int64_t)p.border.size()}, torch::kInt64); }

/* A host [nOwned, F] array whose border rows hold `rows` (a device tensor [nBorder, F]): the only
   rows the SF reads */
torch::Tensor HostOwned(const GNNHaloPlan &p, const torch::Tensor &rows)
{
  auto host = torch::empty({p.nOwned, rows.size(1)}, rows.options().device(torch::kCPU));
  if (!p.border.empty()) host.index_copy_(0, BorderCPU(p), rows.to(torch::kCPU));
  return host;
}

class HaloFunction : public torch::autograd::Function<HaloFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor owned, int64_t planptr)
  {
    const GNNHaloPlan &p = *reinterpret_cast<const GNNHaloPlan *>(planptr);
    ctx->saved_data["plan"] = planptr;
    owned                   = owned.contiguous();
    const bool gpu          = owned.is_cuda();
    /* the SF's root and leaf arrays, on the host */
    auto       roots = gpu ? HostOwned(p, owned.index_select(0, p.borderDev)) : owned;
    auto       ghosts = torch::empty({p.nGhost, owned.size(1)}, roots.options());
    /* leaves are numbered nOwned + k: shift the leaf array so that ghost k lands in ghosts[k]
       (in integers: with no ghost the array is null, and pointer arithmetic on null is undefined) */
    void *leafbase = LeafBase(ghosts.data_ptr(), p.nOwned * owned.size(1) * owned.element_size());
    GNNCallThrow(GNNGraphHaloUpdate(p.graph, owned.size(1), MPITypeOf(owned), roots.data_ptr(), leafbase));
    return torch::cat({owned, gpu ? ghosts.to(owned.device()) : ghosts}, 0);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    const GNNHaloPlan &p     = *reinterpret_cast<const GNNHaloPlan *>(ctx->saved_data["plan"].toInt());
    /* PETSc 3.18's SF has no local reduce kernel for rows of floats (MPI_ERR_OP): add in double */
    auto               dtype = grads[0].scalar_type();
    auto               gall  = grads[0].to(torch::kFloat64).contiguous();
    const bool         gpu   = gall.is_cuda();
    auto               gown  = gall.narrow(0, 0, p.nOwned).clone();
    auto               roots = gpu ? HostOwned(p, gown.index_select(0, p.borderDev)) : gown;
    auto               leaves = gpu ? gall.narrow(0, p.nOwned, p.nGhost).to(torch::kCPU) : gall.narrow(0, p.nOwned, p.nGhost);
    const double      *leafbase = (const double *)LeafBase(leaves.data_ptr(), p.nOwned * gall.size(1) * (int64_t)sizeof(double));
    GNNCallThrow(GNNGraphHaloReverse(p.graph, gall.size(1), leafbase, roots.data_ptr<double>()));
    if (gpu && !p.border.empty()) gown.index_copy_(0, p.borderDev, roots.index_select(0, BorderCPU(p)).to(gown.device()));
    return {gown.to(dtype), torch::Tensor()};
  }
};

} // namespace

std::shared_ptr<GNNHaloPlan> GNNHaloPlanCreate(GNNGraph graph, const torch::Device &device)
{
  auto p = std::make_shared<GNNHaloPlan>();
  PetscSF         sf;
  const PetscInt *degree;
  p->graph = graph;
  GNNCallThrow(GNNGraphGetSizes(graph, &p->nOwned, &p->nGhost, NULL, NULL));
  if (device.is_cpu()) return p;
  GNNCallThrow(GNNGraphGetHaloSF(graph, &sf));
  GNNCallThrow(PetscSFComputeDegreeBegin(sf, &degree));
  GNNCallThrow(PetscSFComputeDegreeEnd(sf, &degree));
  for (PetscInt i = 0; i < p->nOwned; i++)
    if (degree[i] > 0) p->border.push_back(i);
  p->borderDev = torch::tensor(p->border, torch::kInt64).to(device);
  return p;
}

torch::Tensor GNNHaloExchange(const GNNHaloPlan &plan, const torch::Tensor &owned)
{
  return HaloFunction::apply(owned, reinterpret_cast<int64_t>(&plan));
}
