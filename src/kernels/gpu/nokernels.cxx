/* A build without GPU kernels (no -DGNN_GPU): the GPU interface exists and says so when called */
#include "kernels/gpu/gpukernels.h"
#include <stdexcept>

const char *GNNGpuBackend() { return nullptr; }
bool        GNNGpuMemoryInfo(int, int64_t *, int64_t *) { return false; }

namespace {
[[noreturn]] void NoGpu() { throw std::runtime_error("this build of petscgnn has no GPU kernels (configure with -DGNN_GPU=cuda or hip)"); }
} // namespace

template <typename T>
void GNNGpuLinearForward(const T *, int64_t, int64_t, const T *, const T *, int64_t, T *, bool, const T *, const T *, const int64_t *, const int64_t *) { NoGpu(); }
template <typename T>
bool GNNGpuMLPForward(const T *, int64_t, int, const int64_t *, const T *, const T *, const int64_t *, int64_t, double, T *, const T *, const T *, const int64_t *, const int64_t *, bool) { NoGpu(); }
int64_t GNNGpuMLPBackwardWorkspace(int64_t, int64_t) { return 1; }
template <typename T>
bool GNNGpuMLPBackward(const T *, GNNOutGrad<T>, int64_t, int, const int64_t *, const T *, const T *, const T *, const int64_t *, int64_t, double, T *, T *, T *, const T *, const T *, const int64_t *, const int64_t *, T *) { NoGpu(); }
template <typename T>
void GNNGpuLinearDx(const T *, int64_t, int64_t, const T *, int64_t, T *) { NoGpu(); }
template <typename T>
void GNNGpuEluBackward(const T *, const T *, int64_t, T *) { NoGpu(); }
int64_t GNNGpuOuterWorkspace(int64_t, int64_t, int64_t) { return 1; }
template <typename T>
void GNNGpuOuter(const T *, int64_t, int64_t, const T *, int64_t, T *, T *, T *) { NoGpu(); }
template <typename T>
void GNNGpuSegmentSum(const T *, const int64_t *, const int64_t *, int64_t, int64_t, T *) { NoGpu(); }

template <typename T>
void GNNGpuLayerNormForward(const T *, int64_t, int64_t, const T *, const T *, T, T *, T *, T *) { NoGpu(); }
template <typename T>
void GNNGpuLayerNormBackward(const T *, const T *, int64_t, int64_t, const T *, const T *, const T *, T *, T *, T *, T *) { NoGpu(); }
template <typename T>
void GNNGpuOuterBounds(const T *, int64_t, int64_t, const T *, int64_t, double *) { NoGpu(); }
template <typename T>
void GNNGpuFixedOuter(const T *, int64_t, int64_t, const T *, int64_t, const double *, int64_t *) { NoGpu(); }
template <typename T>
void GNNGpuLayerNormParamBounds(const T *, const T *, int64_t, int64_t, const T *, const T *, double *) { NoGpu(); }
template <typename T>
void GNNGpuLayerNormParamsFixed(const T *, const T *, int64_t, int64_t, const T *, const T *, const double *, int64_t *) { NoGpu(); }

GNN_GPU_INSTANTIATE(float)
GNN_GPU_INSTANTIATE(double)
