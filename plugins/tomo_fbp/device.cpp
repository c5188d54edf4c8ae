// See device.hpp. The only file of the plugin that asks whether CUDA was
// built in.
#include "device.hpp"

#include "error.hpp"

#if H5IO_TOMO_FBP_CUDA
#include "gpu_device.hpp"
#endif

namespace h5io::fbp {

DeviceChoice choose_device(Device requested, int local_rank) {
  if (requested == Device::cpu) return {};
#if H5IO_TOMO_FBP_CUDA
  std::string why;
  if (gpu::visible_device_count(why) == 0) {
    if (requested == Device::gpu)
      throw Error("device=gpu but no CUDA GPU is visible (cudaGetDeviceCount: " + why +
                  "); use device=cpu or device=auto");
    return {};
  }
  return {true, "gpu: " + gpu::bind_device(local_rank)};
#else
  (void)local_rank;
  if (requested == Device::gpu)
    throw Error("device=gpu but this tomo_fbp was built without CUDA (CMake found no CUDA "
                "compiler); use device=cpu or device=auto, or rebuild with the CUDA toolkit");
  return {};
#endif
}

} // namespace h5io::fbp
