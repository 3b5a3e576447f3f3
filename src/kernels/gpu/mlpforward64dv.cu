/* The fused MLP forward's kernel for widths 33 to 64 in double, its weights read in place four at a
   time (src/kernels/gpu/mlpkernel.h): a source of its own, compiled in parallel with the others */
#include "kernels/gpu/mlpkernel.h"

namespace gnngpu {
GNN_MLP_KERNEL_WIDEST(, double, true)
}
