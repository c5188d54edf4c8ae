#pragma once
// RAII owners of every CUDA resource tomo_fbp's GPU back end holds: device
// and page-locked host arrays, streams, events and cuFFT plans. Each is
// released exactly once, also when an exception unwinds; release failures
// are ignored (a destructor cannot report them, and the process may be
// tearing down a failed device).

#include "cuda_error.hpp"

#include <cuda_runtime_api.h>
#include <cufft.h>

#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

namespace h5io::fbp::gpu {

struct DeviceFree {
  void operator()(void* p) const { (void)cudaFree(p); }
};
struct PinnedFree {
  void operator()(void* p) const { (void)cudaFreeHost(p); }
};

template <class T> using DeviceArray = std::unique_ptr<T[], DeviceFree>;
template <class T> using PinnedArray = std::unique_ptr<T[], PinnedFree>;

// `n` elements of GPU memory (uninitialised). Throws DeviceOutOfMemory.
template <class T> DeviceArray<T> device_array(size_t n, std::string_view what) {
  static_assert(std::is_trivially_copyable_v<T>);
  void* p = nullptr;
  check_cuda(cudaMalloc(&p, sizeof(T) * (n == 0 ? 1 : n)), what);
  return DeviceArray<T>(static_cast<T*>(p));
}

// `n` elements of page-locked host memory: the only host memory the copy
// engines read or write while kernels run (pageable copies serialise).
template <class T> PinnedArray<T> pinned_array(size_t n, std::string_view what) {
  static_assert(std::is_trivially_copyable_v<T>);
  void* p = nullptr;
  check_cuda(cudaHostAlloc(&p, sizeof(T) * (n == 0 ? 1 : n), cudaHostAllocDefault), what);
  return PinnedArray<T>(static_cast<T*>(p));
}

struct StreamDestroy {
  void operator()(cudaStream_t s) const { (void)cudaStreamDestroy(s); }
};
using Stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, StreamDestroy>;

inline Stream make_stream(std::string_view what) {
  cudaStream_t s = nullptr;
  check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), what);
  return Stream(s);
}

struct EventDestroy {
  void operator()(cudaEvent_t e) const { (void)cudaEventDestroy(e); }
};
using Event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, EventDestroy>;

// Events with timing: each stage's GPU time is read from them afterwards.
inline Event make_event(std::string_view what) {
  cudaEvent_t e = nullptr;
  check_cuda(cudaEventCreate(&e), what);
  return Event(e);
}

// A cuFFT plan handle: an int whose every value may be valid, so ownership
// is a flag of its own rather than a unique_ptr.
class FftPlan {
public:
  FftPlan() = default;
  explicit FftPlan(std::string_view what) {
    check_cufft(cufftCreate(&handle_), what);
    owned_ = true;
  }
  ~FftPlan() { release(); }
  FftPlan(FftPlan&& other) noexcept
      : handle_(other.handle_), owned_(std::exchange(other.owned_, false)) {}
  FftPlan& operator=(FftPlan&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = other.handle_;
      owned_ = std::exchange(other.owned_, false);
    }
    return *this;
  }
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  cufftHandle get() const { return handle_; }

private:
  void release() {
    if (owned_) (void)cufftDestroy(handle_);
    owned_ = false;
  }
  cufftHandle handle_ = 0;
  bool owned_ = false;
};

} // namespace h5io::fbp::gpu
