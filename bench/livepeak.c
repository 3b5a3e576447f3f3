/* Peak of the live bytes held in large aligned blocks (posix_memalign, >= 64 KiB): the tensors of
   LibTorch and PyTorch (c10's CPU allocator) and PETSc's large arrays. Loaded with LD_PRELOAD into
   the benchmark driver and into the Python reference alike (bench/run_bench.py), it measures what
   the two codes hold at their peak, independently of how the C library and the kernel account
   resident pages (VmHWM moved between runs of the same program by up to 20 KiB per node here).
   gnn_livepeak_reset() starts a new peak from the bytes live now; gnn_livepeak_get() returns it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LARGE  (64 * 1024)
#define NSLOTS (1 << 16) /* live large blocks at once: a few thousand at most */

static struct {
  void  *p;
  size_t n;
} slot[NSLOTS];
static atomic_flag lock = ATOMIC_FLAG_INIT;
static long        live, peak;
static int (*real_memalign)(void **, size_t, size_t);
static void (*real_free)(void *);

static size_t Hash(void *p) { return (size_t)(((uintptr_t)p >> 6) * 0x9E3779B97F4A7C15ull) & (NSLOTS - 1); }
static void   Lock(void) { while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)); }
static void   Unlock(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

int posix_memalign(void **ptr, size_t align, size_t n)
{
  if (!real_memalign) real_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
  int err = real_memalign(ptr, align, n);
  if (!err && n >= LARGE) {
    Lock();
    for (size_t h = Hash(*ptr), k = 0; k < NSLOTS; k++, h = (h + 1) & (NSLOTS - 1))
      if (!slot[h].p) {
        slot[h].p = *ptr;
        slot[h].n = n;
        live += (long)n;
        if (live > peak) peak = live;
        break;
      }
    Unlock();
  }
  return err;
}

void free(void *p)
{
  if (!real_free) real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
  if (p && live) {
    Lock();
    for (size_t h = Hash(p), k = 0; k < NSLOTS && slot[h].p; k++, h = (h + 1) & (NSLOTS - 1))
      if (slot[h].p == p) {
        live -= (long)slot[h].n;
        /* backward-shift deletion keeps the probe chains intact */
        size_t i = h, j = h;
        for (;;) {
          slot[i].p = NULL;
          for (;;) {
            j = (j + 1) & (NSLOTS - 1);
            if (!slot[j].p) goto done;
            size_t home = Hash(slot[j].p);
            if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) break;
          }
          slot[i] = slot[j];
          i       = j;
        }
      done:
        break;
      }
    Unlock();
  }
  real_free(p);
}

void gnn_livepeak_reset(void)
{
  Lock();
  peak = live;
  Unlock();
}

long gnn_livepeak_get(void) { return peak; }
