/* Plain arguments shared by the kernel bodies (gnnkernelbodies.h), the CPU kernels and the GPU
   kernels' entry points: no torch, no device code */
#ifndef GNNKERNELARGS_H
#define GNNKERNELARGS_H

#include <cstdint>

/* The gradient at an MLP's output as its fused backward reads it (GNNKernelMLPBackward): row i is
   g's row i (when g) plus ga's row ig[i] (when ga), both as wide as the output. An edge MLP's own
   output gradient and the gradient of the row its edge was summed into (the aggregation's
   backward, a gather by receiver) are so added as each tile is read, instead of in an [E, H]
   gather and an add. With residual (the MLP is the residual block x + MLP(x)), dX's first columns
   get it added too. */
template <typename T>
struct GNNOutGrad {
  const T       *g, *ga;
  const int64_t *ig;
  bool           residual;
};

#endif
