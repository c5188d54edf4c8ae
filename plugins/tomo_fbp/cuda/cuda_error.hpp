#pragma once
// CUDA and cuFFT status codes as exceptions. Every failing call becomes an
// Error whose text says what was being done and what CUDA answered, so the
// user sees e.g. "CUDA error while copying projections to the GPU: an
// illegal memory access was encountered" instead of an abort. Running out
// of device or page-locked memory is a DeviceOutOfMemory, which the batch
// sizing catches to retry with fewer slices.

#include "error.hpp"

#include <cuda_runtime_api.h>
#include <cufft.h>

#include <string_view>

namespace h5io::fbp::gpu {

struct DeviceOutOfMemory : Error {
  using Error::Error;
};

// Throws for anything but cudaSuccess.
void check_cuda(cudaError_t status, std::string_view what);

// Throws for anything but CUFFT_SUCCESS.
void check_cufft(cufftResult status, std::string_view what);

// The last launch's status (launch configuration errors show here at once;
// faults inside a kernel show at the next synchronising call).
void check_launch(std::string_view kernel);

} // namespace h5io::fbp::gpu
