// See gpu_device.hpp.
#include "gpu_device.hpp"

#include "cuda_error.hpp"

#include <cuda_runtime_api.h>

namespace h5io::fbp::gpu {

int visible_device_count(std::string& why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    why = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0) why = "no CUDA devices";
  return count;
}

std::string current_device_description() {
  int device = 0, count = 0;
  check_cuda(cudaGetDevice(&device), "asking for the current GPU");
  check_cuda(cudaGetDeviceCount(&count), "counting GPUs");
  cudaDeviceProp properties{};
  check_cuda(cudaGetDeviceProperties(&properties, device), "reading the GPU's properties");
  return std::string(properties.name) + " (device " + std::to_string(device) + " of " +
         std::to_string(count) + ")";
}

std::string bind_device(int local_rank) {
  std::string why;
  const int count = visible_device_count(why);
  if (count == 0) throw Error("no CUDA GPU is visible (cudaGetDeviceCount: " + why + ")");
  const int device = (local_rank < 0 ? 0 : local_rank) % count;
  check_cuda(cudaSetDevice(device), "selecting GPU " + std::to_string(device) + " of " +
                                        std::to_string(count) + " for node-local rank " +
                                        std::to_string(local_rank));
  // Creates the context now, so a broken device fails the job at start.
  check_cuda(cudaFree(nullptr), "starting the CUDA context on GPU " + std::to_string(device));
  return current_device_description();
}

} // namespace h5io::fbp::gpu
