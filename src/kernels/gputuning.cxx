/* The GPU kernels' tuning (GNNGpuTuning): one process-wide setting, read by the GPU kernels'
   launchers and kept (shown by -help and GNNView) in a build without them */
#include "kernels/gpu/gpukernels.h"

static GNNGpuTuning gTuning;

GNNGpuTuning GNNGpuGetTuning() { return gTuning; }

GNNGpuTuning GNNGpuSetTuning(const GNNGpuTuning &t)
{
  const GNNGpuTuning old = gTuning, def;
  gTuning                = t;
  if (t.tile != 1 && t.tile != 2 && t.tile != 4) gTuning.tile = def.tile;
  if (t.blocks != 2 && t.blocks != 3) gTuning.blocks = def.blocks;
  if (t.sharedKiB < 1 || t.sharedKiB > 1024) gTuning.sharedKiB = def.sharedKiB;
  if (t.forwardRows != 1 && t.forwardRows != 2) gTuning.forwardRows = def.forwardRows;
  return old;
}
