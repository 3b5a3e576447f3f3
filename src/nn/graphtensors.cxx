#include "nn/graphtensors.hpp"
#include "gnntorch.hpp"
#include <algorithm>
#include <cmath>
#include <vector>

namespace {

/* Edge inputs [x_j - x_i, |x_j - x_i|] of the local edges, in double precision: the edge vectors
   come from the graph (minimum image on periodic axes) */
torch::Tensor EdgeFeatures(GNNGraph graph, PetscInt E)
{
  PetscInt dim;
  GNNCallThrow(GNNGraphGetDimension(graph, &dim));
  auto    ef = torch::empty({E, dim + 1}, torch::kFloat64);
  double *f  = ef.data_ptr<double>();
  for (PetscInt q = 0; q < E; q++) {
    PetscReal v[3];
    double    r2 = 0;
    GNNCallThrow(GNNGraphGetEdgeVector(graph, q, v));
    for (PetscInt d = 0; d < dim; d++) {
      f[q * (dim + 1) + d] = v[d];
      r2 += v[d] * v[d];
    }
    f[q * (dim + 1) + dim] = std::sqrt(r2);
  }
  return ef;
}

} // namespace

GraphTensors GNNGraphTensorsCreate(GNNGraph graph, const torch::Device &device, torch::Dtype dtype)
{
  GraphTensors    g;
  PetscInt        nOwned, nGhost, E;
  const PetscInt *rowptr, *senders;
  GNNCallThrow(GNNGraphGetSizes(graph, &nOwned, &nGhost, &E, NULL));
  GNNCallThrow(GNNGraphGetEdges(graph, &rowptr, &senders));
  const PetscInt nAll = nOwned + nGhost;
  auto           i64  = torch::TensorOptions().dtype(torch::kInt64);
  g.graph             = graph;
  g.senders           = torch::empty({E}, i64);
  g.receivers         = torch::empty({E}, i64);
  g.rowptr            = torch::empty({nOwned + 1}, i64);
  int64_t *s = g.senders.data_ptr<int64_t>(), *r = g.receivers.data_ptr<int64_t>(), *rp = g.rowptr.data_ptr<int64_t>();
  for (PetscInt i = 0; i <= nOwned; i++) rp[i] = rowptr[i];
  for (PetscInt i = 0; i < nOwned; i++)
    for (PetscInt q = rowptr[i]; q < rowptr[i + 1]; q++) r[q] = i;
  for (PetscInt q = 0; q < E; q++) s[q] = senders[q];
  /* the transposed CSR: edges grouped by sender, in edge order within a sender */
  g.sendptr  = torch::zeros({nAll + 1}, i64);
  g.sendperm = torch::empty({E}, i64);
  int64_t *sp = g.sendptr.data_ptr<int64_t>(), *perm = g.sendperm.data_ptr<int64_t>();
  for (PetscInt q = 0; q < E; q++) sp[senders[q] + 1]++;
  for (PetscInt j = 0; j < nAll; j++) sp[j + 1] += sp[j];
  std::vector<int64_t> next(sp, sp + nAll);
  for (PetscInt q = 0; q < E; q++) perm[next[senders[q]]++] = q;
  {
    /* each node's edges as a sender over all ranks: the ghosts' counts added into their owners'
       (rows of 2: the SF's reduce of a one-double row type fails with MPI_ERR_OP in PETSc 3.18) */
    std::vector<double> cnt(2 * nAll, 0.0), own(2 * nOwned, 0.0);
    double              mx = 0, gmx;
    for (PetscInt j = 0; j < nAll; j++) cnt[2 * j] = (double)(sp[j + 1] - sp[j]);
    for (PetscInt i = 0; i < nOwned; i++) own[2 * i] = cnt[2 * i];
    GNNCallThrow(GNNGraphHaloReverse(graph, 2, cnt.data(), own.data()));
    for (PetscInt i = 0; i < nOwned; i++) mx = std::max(mx, own[2 * i]);
    GNNCallThrow(MPI_Allreduce(&mx, &gmx, 1, MPI_DOUBLE, MPI_MAX, PetscObjectComm((PetscObject)graph)) ? PETSC_ERR_MPI : 0);
    while (g.sendBits < 62 && (double)(int64_t(1) << g.sendBits) <= gmx) g.sendBits++;
  }
  std::vector<int64_t> byGhost;
  for (PetscInt q = 0; q < E; q++)
    if (senders[q] >= nOwned) byGhost.push_back(q);
  g.ghostSenderEdges         = torch::tensor(byGhost, i64);
  g.ghostSenderEdgeReceivers = g.receivers.index_select(0, g.ghostSenderEdges);
  g.ghostSenderEdgeSenders   = g.senders.index_select(0, g.ghostSenderEdges);
  g.edgeFeatures             = EdgeFeatures(graph, E).to(device, dtype);
  for (auto *t : {&g.senders, &g.receivers, &g.rowptr, &g.sendptr, &g.sendperm, &g.ghostSenderEdges, &g.ghostSenderEdgeReceivers, &g.ghostSenderEdgeSenders}) *t = t->to(device);
  g.halo = GNNHaloPlanCreate(graph, device);
  return g;
}
