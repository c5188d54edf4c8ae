// GpuJob in a build without CUDA: choose_device never picks the GPU there,
// so these only keep tomo_fbp.cpp free of conditional compilation.
#include "gpu_job.hpp"

#include "error.hpp"

namespace h5io::fbp {

struct GpuJob::State {};

GpuJob::GpuJob(const Options&, const ScanShape&, std::span<const double>, numerics::ThreadPool&) {
  throw Error("this tomo_fbp was built without CUDA");
}

GpuJob::~GpuJob() = default;

bool GpuJob::angles_match(std::span<const double>) const {
  return false;
}

void GpuJob::run(const RawSlices&, const RawSlices&, const RawSlices&, int64_t, float*, double*,
                 int64_t) {
  throw Error("this tomo_fbp was built without CUDA");
}

} // namespace h5io::fbp
