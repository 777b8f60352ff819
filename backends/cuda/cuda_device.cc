#include "backends/cuda/cuda_device.h"

#include <cuda_runtime.h>

namespace mobiq::cuda {

std::vector<CudaDeviceInfo> list_devices() {
  std::vector<CudaDeviceInfo> devices;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the error, report none
    return devices;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    int integrated = 0;
    if (cudaDeviceGetAttribute(&integrated, cudaDevAttrIntegrated, i) != cudaSuccess) integrated = 0;
    devices.push_back({i, prop.name, prop.major, prop.minor, integrated != 0, prop.multiProcessorCount,
                       static_cast<uint64_t>(prop.totalGlobalMem)});
  }
  return devices;
}

}  // namespace mobiq::cuda
