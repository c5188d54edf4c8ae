// The planner lock; see fftw.hpp.
#include "fftw.hpp"

#include "plugin_error.hpp"

#include <mutex>

namespace h5io::numerics {
namespace {

std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

} // namespace

void FftwPlanDestroy::operator()(fftwf_plan plan) const {
  std::lock_guard lock(planner_mutex());
  fftwf_destroy_plan(plan);
}

FftwPlan make_fftw_plan(const std::function<fftwf_plan()>& make) {
  std::lock_guard lock(planner_mutex());
  fftwf_plan plan = make();
  if (plan == nullptr) throw plugin::Error("FFTW could not plan a transform (out of memory?)");
  return FftwPlan(plan);
}

} // namespace h5io::numerics
