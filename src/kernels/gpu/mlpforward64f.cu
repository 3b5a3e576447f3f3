/* The fused MLP forward's kernels for widths 33 to 64 in float (src/kernels/gpu/mlpkernel.h): a
   source of their own, compiled in parallel with the others */
#include "kernels/gpu/mlpkernel.h"

namespace gnngpu {
GNN_MLP_KERNEL_WIDEST(, float)
}
