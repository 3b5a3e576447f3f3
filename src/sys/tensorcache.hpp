/* A caching allocator for LibTorch's CPU tensors (-gnn_tensor_cache) */
#ifndef GNNTENSORCACHE_HPP
#define GNNTENSORCACHE_HPP

/* Installs it as LibTorch's CPU allocator, once per process (later calls do nothing).
   Why: PETSc as Debian builds it loads SuperLU_DIST, whose load-time constructor calls
   mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, -1): glibc then serves every tensor from the
   heap and never returns freed memory, and a training step, which frees and allocates tensors of a
   few sizes in a different order each phase, leaves the heap fragmented. Measured on the 32^3
   benchmark: resident memory 1.5x the live tensors. Letting glibc map large blocks again fixes the
   memory but makes the step 2x slower (fresh zeroed pages on every allocation). This allocator
   keeps freed blocks of 1 MiB and more by size and hands them out again, as PyTorch's CUDA
   allocator does: a training step repeats the same sizes, so after the first step nothing is
   allocated and the memory held stays near the peak of the live tensors. It never holds more
   free bytes than the largest amount in use so far. Smaller tensors go to LibTorch's default. */
void GNNTensorCacheInstall();

#endif
