/* Halo exchange on LibTorch tensors through the graph's own exchange (GNNGraphHaloUpdateBegin/End
   and its adjoint GNNGraphHaloReverseBegin/End: the library's one halo). CPU tensors: zero-copy for
   the update, the SF reads the tensor's own storage. GPU tensors: through host buffers holding the
   border rows (a PETSc built with CUDA/HIP could give the SF device pointers instead:
   PetscSFBcastWithMemTypeBegin). */
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

/* the address `bytes` before `ghosts`: the SF numbers leaves nOwned + k, so that ghost k lands in
   ghosts[k] (in integers: with no ghost the array is null, and pointer arithmetic on null is
   undefined; only the ghost rows are ever touched) */
void *LeafBase(const void *ghosts, int64_t bytes) { return (void *)((uintptr_t)ghosts - (uintptr_t)bytes); }

/* A host [nOwned, F] array whose border rows hold `rows` (a device tensor [nBorder, F]): the only
   rows the SF reads */
torch::Tensor HostOwned(const GNNHaloPlan &p, const torch::Tensor &rows)
{
  auto host = torch::empty({p.nOwned, rows.size(1)}, rows.options().device(torch::kCPU));
  if (!p.border.empty()) host.index_copy_(0, p.borderCPU, rows.to(torch::kCPU));
  return host;
}

} // namespace

GNNHaloUpdate::GNNHaloUpdate(const GNNHaloPlan &plan, const torch::Tensor &owned) : plan_(plan)
{
  owned_ = owned.contiguous();
  /* the SF's root and leaf arrays, on the host */
  roots_    = owned_.is_cuda() ? HostOwned(plan_, owned_.index_select(0, plan_.borderDev)) : owned_;
  ghosts_   = torch::empty({plan_.nGhost, owned_.size(1)}, roots_.options());
  leafbase_ = LeafBase(ghosts_.data_ptr(), plan_.nOwned * owned_.size(1) * owned_.element_size());
  GNNCallThrow(GNNGraphHaloUpdateBegin(plan_.graph, owned_.size(1), MPITypeOf(owned_), roots_.data_ptr(), leafbase_));
}

torch::Tensor GNNHaloUpdate::Finish()
{
  done_ = true;
  GNNCallThrow(GNNGraphHaloUpdateEnd(plan_.graph, roots_.data_ptr(), leafbase_));
  return owned_.is_cuda() ? ghosts_.to(owned_.device()) : ghosts_;
}

GNNHaloUpdate::~GNNHaloUpdate()
{
  if (!done_) (void)GNNGraphHaloUpdateEnd(plan_.graph, roots_.data_ptr(), leafbase_);
}

GNNHaloReverse::GNNHaloReverse(const GNNHaloPlan &plan, const torch::Tensor &ghostGrads) : plan_(plan)
{
  /* PETSc 3.18's SF has no local reduce kernel for rows of floats (MPI_ERR_OP): add in double */
  leaves_   = ghostGrads.to(torch::kCPU, torch::kFloat64).contiguous();
  sums_     = torch::zeros({plan_.nOwned, ghostGrads.size(1)}, leaves_.options());
  leafbase_ = (const double *)LeafBase(leaves_.data_ptr(), plan_.nOwned * leaves_.size(1) * (int64_t)sizeof(double));
  GNNCallThrow(GNNGraphHaloReverseBegin(plan_.graph, leaves_.size(1), leafbase_, sums_.data_ptr<double>()));
}

void GNNHaloReverse::AddInto(torch::Tensor &gown)
{
  done_ = true;
  GNNCallThrow(GNNGraphHaloReverseEnd(plan_.graph, leafbase_, sums_.data_ptr<double>()));
  /* only the border rows received anything: one addition each, the same on every device */
  if (!plan_.border.empty()) gown.index_add_(0, plan_.borderDev, sums_.index_select(0, plan_.borderCPU).to(gown.device()));
}

GNNHaloReverse::~GNNHaloReverse()
{
  if (!done_) (void)GNNGraphHaloReverseEnd(plan_.graph, leafbase_, sums_.data_ptr<double>());
}

std::shared_ptr<GNNHaloPlan> GNNHaloPlanCreate(GNNGraph graph, const torch::Device &device)
{
  auto            p = std::make_shared<GNNHaloPlan>();
  PetscSF         sf;
  const PetscInt *degree;
  p->graph = graph;
  GNNCallThrow(GNNGraphGetSizes(graph, &p->nOwned, &p->nGhost, NULL, NULL));
  GNNCallThrow(GNNGraphGetHaloSF(graph, &sf));
  GNNCallThrow(PetscSFComputeDegreeBegin(sf, &degree));
  GNNCallThrow(PetscSFComputeDegreeEnd(sf, &degree));
  for (PetscInt i = 0; i < p->nOwned; i++)
    if (degree[i] > 0) p->border.push_back(i);
  p->borderCPU = torch::tensor(p->border, torch::kInt64);
  p->borderDev = p->borderCPU.to(device);
  return p;
}
