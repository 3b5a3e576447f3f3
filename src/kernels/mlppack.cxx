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

std::shared_ptr<const GNNMLPPack> Pack(const std::vector<torch::Tensor> &W, const std::vector<torch::Tensor> &b, const torch::Tensor &gamma, const torch::Tensor &beta)
{
  torch::NoGradGuard         nograd; /* the pack outlives the call: it must not hold a graph */
  auto                       p = std::make_shared<GNNMLPPack>();
  std::vector<torch::Tensor> Pt, Pn, bt;
  int64_t                    o = 0, nb = 0;
  for (size_t l = 0; l < W.size(); l++) {
    p->woff.push_back(o);
    o += W[l].numel();
    Pt.push_back(W[l].t().contiguous().view({-1}));
    Pn.push_back(W[l].reshape({-1}));
    p->boff.push_back(b[l].defined() ? nb : -1);
    if (b[l].defined()) {
      bt.push_back(b[l].reshape({-1}));
      nb += b[l].numel();
    }
  }
  if (gamma.defined()) {
    p->lnoff = nb;
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
  std::vector<const torch::Tensor *> all;
  for (size_t l = 0; l < W.size(); l++) all.insert(all.end(), {&W[l], &b[l]});
  all.insert(all.end(), {&gamma, &beta});
  /* an inference tensor has no version counter: what it holds cannot be told from what it held */
  for (auto *t : all)
    if (t->defined() && t->is_inference()) return Pack(W, b, gamma, beta);
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
    hit = &entries.back();
  }
  gCounts.made++;
  hit->key  = std::move(key);
  hit->pack = Pack(W, b, gamma, beta);
  hit->used = ++gClock;
  return hit->pack;
}

GNNMLPPackCounts GNNKernelMLPPackCounts()
{
  std::lock_guard<std::mutex> lock(gMutex);
  return gCounts;
}
