/* The few GPU runtime names the kernels use, for CUDA (nvcc) and HIP (hipcc). Debian's HIP
   headers for NVIDIA do not compile with CUDA 12/13, so one source reaches both vendors through
   this map instead. */
#ifndef GNNGPURUNTIME_H
#define GNNGPURUNTIME_H

#if defined(__HIPCC__)
  #include <hip/hip_runtime.h>
  #define GNN_GPU_BACKEND                       "hip"
  #define gnnGpuError_t                         hipError_t
  #define gnnGpuDeviceAttr_t                    hipDeviceAttribute_t
  #define gnnGpuSuccess                         hipSuccess
  #define gnnGpuGetLastError                    hipGetLastError
  #define gnnGpuGetErrorString                  hipGetErrorString
  #define gnnGpuGetDevice                       hipGetDevice
  #define gnnGpuSetDevice                       hipSetDevice
  #define gnnGpuMemGetInfo                      hipMemGetInfo
  #define gnnGpuDeviceGetAttribute              hipDeviceGetAttribute
  #define gnnGpuDevAttrMultiProcessorCount      hipDeviceAttributeMultiprocessorCount
  #define gnnGpuDevAttrSharedPerMultiprocessor  hipDeviceAttributeMaxSharedMemoryPerMultiprocessor
  #define gnnGpuFuncSetAttribute                hipFuncSetAttribute
  #define gnnGpuFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize
#elif defined(__CUDACC__)
  #include <cuda_runtime.h>
  #define GNN_GPU_BACKEND                       "cuda"
  #define gnnGpuError_t                         cudaError_t
  #define gnnGpuDeviceAttr_t                    cudaDeviceAttr
  #define gnnGpuSuccess                         cudaSuccess
  #define gnnGpuGetLastError                    cudaGetLastError
  #define gnnGpuGetErrorString                  cudaGetErrorString
  #define gnnGpuGetDevice                       cudaGetDevice
  #define gnnGpuSetDevice                       cudaSetDevice
  #define gnnGpuMemGetInfo                      cudaMemGetInfo
  #define gnnGpuDeviceGetAttribute              cudaDeviceGetAttribute
  #define gnnGpuDevAttrMultiProcessorCount      cudaDevAttrMultiProcessorCount
  #define gnnGpuDevAttrSharedPerMultiprocessor  cudaDevAttrMaxSharedMemoryPerMultiprocessor
  #define gnnGpuFuncSetAttribute                cudaFuncSetAttribute
  #define gnnGpuFuncAttributeMaxDynamicSharedMemorySize cudaFuncAttributeMaxDynamicSharedMemorySize
#else
  #error "gnngpuruntime.h is for nvcc or hipcc"
#endif

#endif
