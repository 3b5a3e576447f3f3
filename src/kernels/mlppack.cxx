/* The packed MLP parameters' cache (GNNKernelMLPPack). An entry is found by what the tensors are
   (storage, offset, sizes, strides, dtype) and is valid while their version counters have not moved.
   The entry holds weak references to the storages: it keeps no parameter alive, and as long as it
   exists no other storage can take a referenced one's address (the weak reference keeps the
   StorageImpl object, not its memory), so an address match is an identity match. */
#include "kernels/mlppack.hpp"
#include <algorithm>
#include <mutex>

namespace {

/* one tensor of the key: an undefined tensor has a null storage */
struct TensorKey {
  c10::weak_intrusive_ptr<c10::StorageImpl> storage{c10::intrusive_ptr<c10::StorageImpl>()};
  int64_t                                   offset = 0, version = 0;
  std::vector<int64_t>                      sizes, strides;
  c10::ScalarType                           dtype = c10::ScalarType::Undefined;
  c10::Device                               device = c10::Device(c10::kCPU);

  explicit TensorKey(const torch::Tensor &t)
  {
    if (!t.defined()) return;
    storage = t.storage().getWeakStorageImpl();
    offset  = t.storage_offset();
    version = t._version();
    sizes   = t.sizes().vec();
    strides = t.strides().vec();
    dtype   = t.scalar_type();
    device  = t.device();
  }
  /* the same tensor, written or not since */
  bool Same(const TensorKey &o) const { return storage._unsafe_get_target() == o.storage._unsafe_get_target() && offset == o.offset && sizes == o.sizes && strides == o.strides && dtype == o.dtype && device == o.device; }
  bool Dead() const { return storage._unsafe_get_target() && storage.expired(); }
};

struct Entry {
  std::vector<TensorKey>            key;
  std::shared_ptr<const GNNMLPPack> pack;
  torch::Tensor                     index; /* GatherIndex's, when the tensors share one storage */
  uint64_t                          used = 0; /* the clock at its last use: the least recent goes first */
};

/* a model has a dozen MLPs: room for a few models at once */
constexpr size_t kMaxEntries = 48;

std::mutex       gMutex;
uint64_t         gClock = 0;
GNNMLPPackCounts gCounts;
/* never destroyed: the packs may be device memory, which must not be freed after the device
   runtime has shut down at exit */
std::vector<Entry> &Entries()
{
  static auto *entries = new std::vector<Entry>;
  return *entries;
}

/* the tensors of a pack, in the key's order: each layer's W and b, then gamma and beta */
std::vector<const torch::Tensor *> AllTensors(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta)
{
  std::vector<const torch::Tensor *> all;
  for (size_t l = 0; l < W.size(); l++) all.insert(all.end(), {&W[l], &b[l]});
  all.insert(all.end(), {&gamma, &beta});
  return all;
}

/* the pack's layout from the shapes alone: the offsets of every layer's weights and bias and of
   the LayerNorm's parameters; returns the length of P (and of Pw) */
int64_t Layout(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, GNNMLPPack &p)
{
  int64_t nP = 0, nb = 0;
  for (size_t l = 0; l < W.size(); l++) {
    p.woff.push_back(nP);
    nP += W[l].numel();
    p.boff.push_back(b[l].defined() ? nb : -1);
    if (b[l].defined()) nb += b[l].numel();
  }
  if (gamma.defined()) p.lnoff = nb;
  return nP;
}

/* When every tensor lies in one storage, as the model's parameters do (views of GNNTorch's flat
   tensor), a pack is one gather from it: the storage offsets of P's, Pw's and bias's entries in
   that order, on the tensors' device. They depend only on what the tensors are, so an entry keeps
   them and packs again after a write with one device operation instead of about ten. Undefined when
   the tensors are in several storages. */
torch::Tensor GatherIndex(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta)
{
  const c10::StorageImpl *storage = W[0].storage().unsafeGetStorageImpl();
  for (auto *t : AllTensors(W, b, gamma, beta))
    if (t->defined() && (t->storage().unsafeGetStorageImpl() != storage || t->scalar_type() != W[0].scalar_type() || t->device() != W[0].device())) return torch::Tensor();
  for (auto &w : W)
    if (w.dim() != 2) return torch::Tensor();
  std::vector<int64_t> idx;
  for (bool transposed : {true, false})
    for (auto &w : W) {
      const int64_t N = w.size(0), K = w.size(1), o = w.storage_offset(), sn = w.stride(0), sk = w.stride(1);
      if (transposed)
        for (int64_t k = 0; k < K; k++)
          for (int64_t n = 0; n < N; n++) idx.push_back(o + n * sn + k * sk);
      else
        for (int64_t n = 0; n < N; n++)
          for (int64_t k = 0; k < K; k++) idx.push_back(o + n * sn + k * sk);
    }
  const size_t nW  = idx.size();
  auto         vec = [&](const torch::Tensor &t) {
    for (int64_t j = 0; j < t.numel(); j++) idx.push_back(t.storage_offset() + j * t.stride(0));
  };
  for (auto &bl : b)
    if (bl.defined()) vec(bl);
  if (gamma.defined()) {
    vec(gamma);
    vec(beta);
  }
  if (idx.size() == nW) idx.push_back(W[0].storage_offset()); /* no bias: one unread entry, as Pack's other path */
  return torch::from_blob(idx.data(), {(int64_t)idx.size()}, torch::kInt64).to(W[0].device(), /*non_blocking=*/false, /*copy=*/true);
}

std::shared_ptr<const GNNMLPPack> Pack(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta, const torch::Tensor &index)
{
  torch::NoGradGuard nograd; /* the pack outlives the call: it must not hold a graph */
  auto               p = std::make_shared<GNNMLPPack>();
  const int64_t      nP = Layout(W, b, gamma, *p);
  if (index.defined()) {
    const auto &w0   = W[0];
    auto        base = w0.as_strided({(int64_t)(w0.storage().nbytes() / w0.element_size())}, {1}, 0); /* the whole storage */
    auto        all  = base.index_select(0, index);
    p->P             = all.narrow(0, 0, nP);
    p->Pw            = all.narrow(0, nP, nP);
    p->bias          = all.narrow(0, 2 * nP, all.size(0) - 2 * nP);
    return p;
  }
  std::vector<torch::Tensor> Pt, Pn, bt;
  for (size_t l = 0; l < W.size(); l++) {
    Pt.push_back(W[l].t().contiguous().view({-1}));
    Pn.push_back(W[l].reshape({-1}));
    if (b[l].defined()) bt.push_back(b[l].reshape({-1}));
  }
  if (gamma.defined()) {
    bt.push_back(gamma.reshape({-1}));
    bt.push_back(beta.reshape({-1}));
  }
  p->P    = torch::cat(Pt);
  p->Pw   = torch::cat(Pn);
  p->bias = bt.empty() ? torch::zeros({1}, W[0].options()) : torch::cat(bt);
  return p;
}

} // namespace

std::shared_ptr<const GNNMLPPack> GNNKernelMLPPack(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta)
{
  if (W.empty() || W.size() != b.size()) throw std::invalid_argument("GNNKernelMLPPack: one bias (defined or not) per layer");
  const auto all = AllTensors(W, b, gamma, beta);
  /* an inference tensor has no version counter: what it holds cannot be told from what it held */
  for (auto *t : all)
    if (t->defined() && t->is_inference()) return Pack(W, b, gamma, beta, torch::Tensor());
  std::vector<TensorKey> key;
  for (auto *t : all) key.emplace_back(*t);

  std::lock_guard<std::mutex> lock(gMutex);
  auto                       &entries = Entries();
  /* drop the entries of parameters that are gone */
  entries.erase(std::remove_if(entries.begin(), entries.end(), [](const Entry &e) { return std::any_of(e.key.begin(), e.key.end(), [](const TensorKey &k) { return k.Dead(); }); }), entries.end());
  Entry *hit = nullptr;
  for (auto &e : entries)
    if (e.key.size() == key.size() && std::equal(key.begin(), key.end(), e.key.begin(), [](const TensorKey &a, const TensorKey &c) { return a.Same(c); })) hit = &e;
  if (hit && std::equal(key.begin(), key.end(), hit->key.begin(), [](const TensorKey &a, const TensorKey &c) { return a.version == c.version; })) {
    gCounts.reused++;
    hit->used = ++gClock;
    return hit->pack;
  }
  if (!hit) {
    if (entries.size() >= kMaxEntries) entries.erase(std::min_element(entries.begin(), entries.end(), [](const Entry &a, const Entry &c) { return a.used < c.used; }));
    entries.emplace_back();
    hit        = &entries.back();
    hit->index = GatherIndex(W, b, gamma, beta);
  }
  gCounts.made++;
  if (hit->index.defined()) gCounts.gathered++;
  hit->key  = std::move(key);
  hit->pack = Pack(W, b, gamma, beta, hit->index);
  hit->used = ++gClock;
  return hit->pack;
}

GNNMLPPackCounts GNNKernelMLPPackCounts()
{
  std::lock_guard<std::mutex> lock(gMutex);
  return gCounts;
}
