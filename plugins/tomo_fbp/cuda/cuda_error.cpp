// See cuda_error.hpp.
#include "cuda_error.hpp"

#include <string>

namespace h5io::fbp::gpu {
namespace {

const char* cufft_text(cufftResult status) {
  switch (status) {
  case CUFFT_INVALID_PLAN: return "invalid plan";
  case CUFFT_ALLOC_FAILED: return "out of GPU memory";
  case CUFFT_INVALID_VALUE: return "invalid value";
  case CUFFT_INTERNAL_ERROR: return "internal error";
  case CUFFT_EXEC_FAILED: return "execution failed";
  case CUFFT_SETUP_FAILED: return "setup failed (CUDA driver or runtime)";
  case CUFFT_INVALID_SIZE: return "invalid transform size";
  case CUFFT_NOT_SUPPORTED: return "not supported";
  default: return "cuFFT error";
  }
}

} // namespace

void check_cuda(cudaError_t status, std::string_view what) {
  if (status == cudaSuccess) return;
  // Clears the error when it is not sticky (allocation failures are not),
  // so a retry with a smaller batch starts clean.
  (void)cudaGetLastError();
  const std::string text = "CUDA error while " + std::string(what) + ": " +
                           cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")";
  if (status == cudaErrorMemoryAllocation) throw DeviceOutOfMemory(text);
  throw Error(text);
}

void check_cufft(cufftResult status, std::string_view what) {
  if (status == CUFFT_SUCCESS) return;
  (void)cudaGetLastError();
  const std::string text = "cuFFT error while " + std::string(what) + ": " + cufft_text(status) +
                           " (code " + std::to_string(static_cast<int>(status)) + ")";
  if (status == CUFFT_ALLOC_FAILED) throw DeviceOutOfMemory(text);
  throw Error(text);
}

void check_launch(std::string_view kernel) {
  check_cuda(cudaGetLastError(), "starting the " + std::string(kernel) + " kernel");
}

} // namespace h5io::fbp::gpu
