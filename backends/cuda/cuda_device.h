// The CUDA devices this process sees (none without a driver or a GPU: never an error).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mobiq::cuda {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int major = 0;  // compute capability
  int minor = 0;
  bool integrated = false;  // cudaDevAttrIntegrated: shares DRAM with the CPU (Jetson)
  int multiprocessors = 0;
  uint64_t memory_bytes = 0;
};

std::vector<CudaDeviceInfo> list_devices();

}  // namespace mobiq::cuda
