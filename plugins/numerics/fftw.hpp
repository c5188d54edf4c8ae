#pragma once
// RAII for FFTW single-precision arrays and plans. FFTW's planner is not
// thread-safe (executing a plan on new arrays is), so every plan is made and
// destroyed under one process-wide lock, on the library's own thread; the
// pool's threads only execute. Plans use FFTW_ESTIMATE: its choice of
// algorithm is the same on every run and every rank, so the numbers are too
// (FFTW_MEASURE picks by timing, which could differ between ranks).

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>

namespace h5io::numerics {

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

// An array from fftwf_malloc: aligned as FFTW's SIMD code wants, so every
// such array may be passed to a plan made on another one.
template <class T> using FftwArray = std::unique_ptr<T[], FftwFree>;

template <class T> FftwArray<T> fftw_array(size_t n) {
  static_assert(std::is_trivial_v<T> || std::is_same_v<T, std::complex<float>>);
  void* p = fftwf_malloc(sizeof(T) * (n == 0 ? 1 : n));
  if (p == nullptr) throw std::bad_alloc();
  return FftwArray<T>(static_cast<T*>(p));
}

inline fftwf_complex* as_fftw(std::complex<float>* p) {
  return reinterpret_cast<fftwf_complex*>(p);
}

struct FftwPlanDestroy {
  void operator()(fftwf_plan plan) const;
};
using FftwPlan = std::unique_ptr<std::remove_pointer_t<fftwf_plan>, FftwPlanDestroy>;

// Runs `make` (which calls an fftwf_plan_* function) under the planner lock;
// throws Error if FFTW returns no plan.
FftwPlan make_fftw_plan(const std::function<fftwf_plan()>& make);

} // namespace h5io::numerics
