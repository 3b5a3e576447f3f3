#include "sys/tensorcache.hpp"
#include <c10/core/CPUAllocator.h>
#include <torch/version.h>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

/* LibTorch 2.3 made Allocator::allocate non-const and added the pure virtual copy_data */
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  #define GNN_ALLOCATE_CONST
  #define GNN_ALLOCATOR_COPY_DATA 1
#else
  #define GNN_ALLOCATE_CONST const
#endif

namespace {

class TensorCache final : public c10::Allocator {
public:
  static constexpr size_t kMin = 1 << 20; /* smaller blocks: LibTorch's default allocator */

  c10::DataPtr allocate(size_t n) GNN_ALLOCATE_CONST override
  {
    if (n < kMin) return fallback_->allocate(n);
    const size_t size = (n + 4095) & ~size_t(4095); /* page multiples: one bin for near sizes */
    void                        *p = nullptr;
    std::unique_lock<std::mutex> lock(m_);
    auto                         bin = free_.find(size);
    if (bin != free_.end() && !bin->second.empty()) {
      p = bin->second.back();
      bin->second.pop_back();
      cached_ -= size;
    } else {
      lock.unlock(); /* the C library allocates outside our lock */
      if (posix_memalign(&p, 64, size)) throw std::bad_alloc();
      lock.lock();
      size_[p] = size;
    }
    live_ += size;
    if (live_ > peak_) peak_ = live_;
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
#ifdef GNN_ALLOCATOR_COPY_DATA
  void copy_data(void *dest, const void *src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif

  static TensorCache &Instance()
  {
    static TensorCache *cache = new TensorCache; /* never destroyed: tensors may outlive main */
    return *cache;
  }

private:
  TensorCache() : fallback_(c10::GetDefaultCPUAllocator()) { }

  static void Release(void *p)
  {
    TensorCache &c    = Instance();
    size_t       size = 0;
    {
      std::lock_guard<std::mutex> lock(c.m_);
      auto                        it = c.size_.find(p);
      if (it != c.size_.end()) {
        size = it->second;
        c.live_ -= size;
        if (c.cached_ + size <= c.peak_) { /* keep at most the peak in use as free blocks */
          c.free_[size].push_back(p);
          c.cached_ += size;
          return;
        }
        c.size_.erase(it);
      }
    }
    if (size) std::free(p);
    else c.fallback_->raw_deleter()(p); /* a small block from the default allocator */
  }

  c10::Allocator                                            *fallback_;
  mutable std::mutex                                         m_;
  mutable std::unordered_map<size_t, std::vector<void *>>   free_;
  mutable std::unordered_map<void *, size_t>                 size_;
  mutable size_t                                             live_ = 0, cached_ = 0, peak_ = 0;
};

} // namespace

void GNNTensorCacheInstall()
{
  static std::once_flag once;
  std::call_once(once, [] { c10::SetCPUAllocator(&TensorCache::Instance(), /* above the default's 0 */ 1); });
}
