// CUDA errors as Status values: every runtime call and every kernel launch of the backend goes through
// MOBIQ_CUDA_RETURN_IF_ERROR or check_launch, so a fault becomes an error the caller sees, never an abort.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "runtime/core/status.h"

namespace mobiq::cuda {

// "cuda: cudaMalloc(&p, bytes) failed: out of memory (cudaErrorMemoryAllocation)"; allocation
// failures map to kOutOfMemory, the rest to kInternal.
inline Status cuda_status(cudaError_t error, const char* call) {
  const ErrorCode code = error == cudaErrorMemoryAllocation ? ErrorCode::kOutOfMemory : ErrorCode::kInternal;
  return Status(code, std::string("cuda: ") + call + " failed: " + cudaGetErrorString(error) + " (" +
                          cudaGetErrorName(error) + ")");
}

// After a kernel launch: a bad configuration shows at once; faults inside the kernel show at the next
// synchronizing call (the executor keeps them as its sticky error).
inline Status check_launch(const char* kernel) {
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? Status::Ok() : cuda_status(error, kernel);
}

}  // namespace mobiq::cuda

#define MOBIQ_CUDA_RETURN_IF_ERROR(call)                                         \
  do {                                                                           \
    const cudaError_t mobiq_cuda_error_ = (call);                                \
    if (mobiq_cuda_error_ != cudaSuccess) return ::mobiq::cuda::cuda_status(mobiq_cuda_error_, #call); \
  } while (0)
