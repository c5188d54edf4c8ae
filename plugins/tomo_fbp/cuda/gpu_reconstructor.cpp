// See gpu_reconstructor.hpp. Ordering between the three streams is carried
// by events only; a slot is reused (batch k+2 after batch k) only after the
// host has waited for its download, which implies its upload and compute
// have finished, so no buffer is ever written while a stream reads it. The
// FFT rows and the float4 layout are shared by both slots: only the compute
// stream touches them, in order.
#include "gpu_reconstructor.hpp"

#include "angle_weights.hpp"
#include "batch_plan.hpp"
#include "cuda_error.hpp"
#include "cuda_resources.hpp"
#include "filter_response.hpp"
#include "kernels.hpp"

#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstring>
#include <string>

namespace h5io::fbp::gpu {
namespace {

static_assert(sizeof(std::complex<float>) == sizeof(float2));

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string mib(int64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

// One of the two alternating sets of per-batch buffers and their events.
struct Slot {
  PinnedArray<unsigned char> values;
  PinnedArray<float> dark, inverse;
  PinnedArray<float2> kernels;
  PinnedArray<float> images;
  std::vector<double> shifts;
  DeviceArray<unsigned char> device_values;
  DeviceArray<float> device_dark, device_inverse;
  DeviceArray<float2> device_kernels;
  DeviceArray<float> device_images;
  Event upload_start, uploaded, compute_start, backproject_start, computed, download_start,
      downloaded;
  int64_t first = 0, count = 0;
  bool busy = false; // enqueued, images not yet handed on
};

struct Buffers {
  int64_t slices = 0;
  int64_t value_bytes = 0;
  bool memory_bound = false; // fewer slices than wanted because of GPU memory
  std::array<Slot, 2> slots;
  DeviceArray<float> fft_rows;
  DeviceArray<float4> block;
  DeviceArray<unsigned char> fft_work;
  FftPlan forward, backward;
};

float elapsed_seconds(const Event& start, const Event& end) {
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, start.get(), end.get()), "reading a stage's GPU time");
  return ms * 1e-3f;
}

} // namespace

struct GpuReconstructor::State {
  GpuGeometry geometry;
  GpuTuning tuning;
  int64_t angles = 0, cols = 0, padded = 0, half = 0, row_stride = 0;
  std::vector<double> response;
  DeviceArray<float2> cos_sin;
  DeviceArray<float> factors;
  DeviceArray<float2> fixed_kernel;
  Stream upload, compute, download;
  std::unique_ptr<Buffers> buffers; // destroyed before the streams
  GpuStats stats;

  ~State() { wait_all(); }

  void wait_all() noexcept {
    for (const Stream* s : {&upload, &compute, &download})
      if (*s) (void)cudaStreamSynchronize(s->get());
  }

  // After a failure: let queued work drain and forget the batches in flight.
  void abandon() noexcept {
    wait_all();
    (void)cudaGetLastError();
    if (buffers)
      for (Slot& slot : buffers->slots) slot.busy = false;
  }

  FftPlan make_plan(int64_t rows, bool forward, size_t& work) const {
    FftPlan plan("creating a cuFFT plan");
    // Our own work area: its allocation is then ours to size and retry.
    check_cufft(cufftSetAutoAllocation(plan.get(), 0), "configuring a cuFFT plan");
    long long n[1] = {padded};
    long long real_embed[1] = {row_stride};
    long long complex_embed[1] = {half};
    const std::string what = std::string("planning the ") + (forward ? "forward" : "inverse") +
                             " FFTs of " + std::to_string(rows) + " rows of " +
                             std::to_string(padded);
    if (forward)
      check_cufft(cufftMakePlanMany64(plan.get(), 1, n, real_embed, 1, row_stride, complex_embed, 1,
                                      half, CUFFT_R2C, rows, &work),
                  what);
    else
      check_cufft(cufftMakePlanMany64(plan.get(), 1, n, complex_embed, 1, half, real_embed, 1,
                                      row_stride, CUFFT_C2R, rows, &work),
                  what);
    check_cufft(cufftSetStream(plan.get(), compute.get()), "binding a cuFFT plan to its stream");
    return plan;
  }

  std::unique_ptr<Buffers> allocate(int64_t slices, int64_t value_bytes) const {
    auto b = std::make_unique<Buffers>();
    b->slices = slices;
    b->value_bytes = value_bytes;
    const size_t rows = static_cast<size_t>(slices * angles);
    const size_t values = rows * static_cast<size_t>(cols * value_bytes);
    const size_t per_column = static_cast<size_t>(slices * cols);
    const size_t kernels = static_cast<size_t>(slices * half);
    const size_t images = static_cast<size_t>(slices * cols * cols);
    for (Slot& s : b->slots) {
      s.values =
          pinned_array<unsigned char>(values, "allocating page-locked memory for projections");
      s.dark = pinned_array<float>(per_column, "allocating page-locked memory for dark levels");
      s.inverse = pinned_array<float>(per_column, "allocating page-locked memory for flat fields");
      s.kernels = pinned_array<float2>(kernels, "allocating page-locked memory for filters");
      s.images = pinned_array<float>(images, "allocating page-locked memory for images");
      s.shifts.assign(static_cast<size_t>(slices), 0.0);
      s.device_values =
          device_array<unsigned char>(values, "allocating GPU memory for projections");
      s.device_dark = device_array<float>(per_column, "allocating GPU memory for dark levels");
      s.device_inverse = device_array<float>(per_column, "allocating GPU memory for flat fields");
      s.device_kernels = device_array<float2>(kernels, "allocating GPU memory for filters");
      s.device_images = device_array<float>(images, "allocating GPU memory for images");
      for (Event* e : {&s.upload_start, &s.uploaded, &s.compute_start, &s.backproject_start,
                       &s.computed, &s.download_start, &s.downloaded})
        *e = make_event("creating a CUDA event");
    }
    const size_t fft_floats = rows * static_cast<size_t>(row_stride);
    b->fft_rows = device_array<float>(fft_floats, "allocating GPU memory for the FFT rows");
    const size_t cells = static_cast<size_t>((slices + 3) / 4 * angles * (cols + 1));
    b->block = device_array<float4>(cells, "allocating GPU memory for the filtered projections");
    // The zero cells of the layout are never written again; the FFT rows
    // are cleared so rows past a short batch never hold stale non-numbers.
    check_cuda(cudaMemsetAsync(b->block.get(), 0, cells * sizeof(float4), compute.get()),
               "clearing the filtered projections");
    check_cuda(cudaMemsetAsync(b->fft_rows.get(), 0, fft_floats * sizeof(float), compute.get()),
               "clearing the FFT rows");
    size_t forward_work = 0, backward_work = 0;
    b->forward = make_plan(static_cast<int64_t>(rows), true, forward_work);
    b->backward = make_plan(static_cast<int64_t>(rows), false, backward_work);
    b->fft_work = device_array<unsigned char>(std::max(forward_work, backward_work),
                                              "allocating cuFFT's work area");
    check_cufft(cufftSetWorkArea(b->forward.get(), b->fft_work.get()),
                "giving cuFFT its work area");
    check_cufft(cufftSetWorkArea(b->backward.get(), b->fft_work.get()),
                "giving cuFFT its work area");
    check_cuda(cudaStreamSynchronize(compute.get()), "preparing the GPU buffers");
    return b;
  }

  // Buffers for GPU batches of a host batch of `wanted` slices, reused
  // while they suit; sized from the free memory, halved on out-of-memory.
  Buffers& ensure_buffers(int64_t wanted, int64_t value_bytes) {
    const BatchShape shape{angles, cols, padded, value_bytes};
    BatchLimits limits{int64_t{1} << 62, tuning.memory_fraction, tuning.pinned_bytes,
                       tuning.max_batch};
    const int64_t desired = plan_batch_slices(shape, limits, wanted);
    if (buffers && buffers->value_bytes >= value_bytes &&
        (buffers->slices >= desired || buffers->memory_bound))
      return *buffers;
    wait_all();
    buffers.reset();
    size_t free_bytes = 0, total_bytes = 0;
    check_cuda(cudaMemGetInfo(&free_bytes, &total_bytes), "asking how much GPU memory is free");
    limits.free_device_bytes = static_cast<int64_t>(free_bytes);
    int64_t slices = plan_batch_slices(shape, limits, wanted);
    const bool memory_bound = slices < desired;
    for (;;) {
      try {
        buffers = allocate(slices, value_bytes);
        buffers->memory_bound = memory_bound || slices < desired;
        return *buffers;
      } catch (const DeviceOutOfMemory& e) {
        buffers.reset();
        if (slices == 1)
          throw Error("the GPU has too little free memory for even one slice (" + mib(free_bytes) +
                      " of " + mib(static_cast<int64_t>(total_bytes)) + " free; one slice needs ~" +
                      mib(device_bytes_per_slice(shape)) + "): " + e.what() +
                      "; use fewer ranks per GPU, or device=cpu");
        slices = std::max<int64_t>(1, slices / 2);
        if (slices >= kSlicesPerPass) slices = slices / kSlicesPerPass * kSlicesPerPass;
      }
    }
  }

  void record(const Event& e, const Stream& s) const {
    check_cuda(cudaEventRecord(e.get(), s.get()), "recording a CUDA event");
  }
  void settle(const Stream& s, const char* stage) const {
    if (tuning.serial)
      check_cuda(cudaStreamSynchronize(s.get()), std::string("waiting for the ") + stage);
  }

  void enqueue(Slot& slot, InputKind kind, h5io_dtype_t dtype, bool shifted) {
    Buffers& b = *buffers;
    const int64_t n = slot.count, rows = n * angles;
    const bool counts = kind == InputKind::counts;
    const auto h2d = [&](void* to, const void* from, size_t bytes, const char* what) {
      check_cuda(cudaMemcpyAsync(to, from, bytes, cudaMemcpyHostToDevice, upload.get()),
                 std::string("copying ") + what + " to the GPU");
    };
    record(slot.upload_start, upload);
    h2d(slot.device_values.get(), slot.values.get(),
        static_cast<size_t>(rows * cols * b.value_bytes), "projections");
    if (counts) {
      h2d(slot.device_dark.get(), slot.dark.get(), static_cast<size_t>(n * cols) * sizeof(float),
          "dark levels");
      h2d(slot.device_inverse.get(), slot.inverse.get(),
          static_cast<size_t>(n * cols) * sizeof(float), "flat fields");
    }
    if (shifted)
      h2d(slot.device_kernels.get(), slot.kernels.get(),
          static_cast<size_t>(n * half) * sizeof(float2), "filters");
    record(slot.uploaded, upload);
    settle(upload, "upload");

    check_cuda(cudaStreamWaitEvent(compute.get(), slot.uploaded.get(), 0),
               "ordering compute after upload");
    record(slot.compute_start, compute);
    LineIntegralLaunch li;
    li.values = slot.device_values.get();
    li.dtype = dtype;
    li.counts = counts;
    li.dark = slot.device_dark.get();
    li.inverse = slot.device_inverse.get();
    li.rows = rows;
    li.angles = angles;
    li.cols = cols;
    li.padded = padded;
    li.row_stride = row_stride;
    li.edge_padding = geometry.padding == Padding::edge;
    li.fft_rows = b.fft_rows.get();
    launch_line_integrals(li, compute.get());
    auto* spectra = reinterpret_cast<cufftComplex*>(b.fft_rows.get());
    check_cufft(cufftExecR2C(b.forward.get(), b.fft_rows.get(), spectra),
                "transforming projections");
    launch_apply_filter(spectra, rows, angles, half,
                        shifted ? slot.device_kernels.get() : fixed_kernel.get(),
                        shifted ? half : 0, compute.get());
    check_cufft(cufftExecC2R(b.backward.get(), spectra, b.fft_rows.get()),
                "transforming filtered projections back");
    launch_weigh_and_interleave(b.fft_rows.get(), row_stride, n, angles, cols, factors.get(),
                                b.block.get(), compute.get());
    record(slot.backproject_start, compute);
    BackprojectLaunch bp;
    bp.block = b.block.get();
    bp.angles = angles;
    bp.cols = cols;
    bp.cos_sin = cos_sin.get();
    bp.center = static_cast<float>(geometry.center);
    bp.slices = n;
    bp.masked = geometry.mask_radius.has_value();
    bp.mask_radius_squared = bp.masked ? *geometry.mask_radius * *geometry.mask_radius : 0.0;
    bp.images = slot.device_images.get();
    launch_backproject(bp, compute.get());
    record(slot.computed, compute);
    settle(compute, "compute");

    check_cuda(cudaStreamWaitEvent(download.get(), slot.computed.get(), 0),
               "ordering download after compute");
    record(slot.download_start, download);
    check_cuda(cudaMemcpyAsync(slot.images.get(), slot.device_images.get(),
                               static_cast<size_t>(n * cols * cols) * sizeof(float),
                               cudaMemcpyDeviceToHost, download.get()),
               "copying images from the GPU");
    record(slot.downloaded, download);
    settle(download, "download");
    slot.busy = true;
  }

  void finish(Slot& slot, const Unstager& unstage) {
    check_cuda(cudaEventSynchronize(slot.downloaded.get()),
               "reconstructing slices " + std::to_string(slot.first) + " to " +
                   std::to_string(slot.first + slot.count - 1) + " on the GPU");
    slot.busy = false;
    stats.upload_s += elapsed_seconds(slot.upload_start, slot.uploaded);
    stats.compute_s += elapsed_seconds(slot.compute_start, slot.computed);
    stats.backproject_s += elapsed_seconds(slot.backproject_start, slot.computed);
    stats.download_s += elapsed_seconds(slot.download_start, slot.downloaded);
    ++stats.batches;
    const double start = now();
    unstage(slot.first, slot.count, slot.images.get());
    stats.unstage_s += now() - start;
  }
};

GpuReconstructor::GpuReconstructor(const GpuGeometry& geometry, const GpuTuning& tuning)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.geometry = geometry;
  s.tuning = tuning;
  s.angles = static_cast<int64_t>(geometry.angles.size());
  s.cols = geometry.cols;
  if (s.angles < 1 || s.cols < 2)
    throw Error("the projections must have at least 1 angle and 2 detector columns");
  for (size_t i = 0; i < geometry.angles.size(); ++i)
    if (!std::isfinite(geometry.angles[i]))
      throw Error("rotation angle " + std::to_string(i) + " is not a finite number");
  s.padded = padded_length(s.cols);
  s.half = s.padded / 2 + 1;
  s.row_stride = 2 * s.half;
  s.response = filter_response(geometry.filter, s.padded);
  s.upload = make_stream("creating the upload stream");
  s.compute = make_stream("creating the compute stream");
  s.download = make_stream("creating the download stream");

  // The same float values the CPU kernel uses (BackprojectionGeometry,
  // Reconstructor's factors, ProjectionFilter's kernel).
  std::vector<float2> trig;
  for (const double theta : geometry.angles)
    trig.push_back(
        float2{static_cast<float>(std::cos(theta)), static_cast<float>(std::sin(theta))});
  std::vector<float> factors;
  for (const double f : backprojection_factors(geometry.angles))
    factors.push_back(static_cast<float>(f));
  const std::vector<std::complex<float>> kernel = filter_kernel(s.response, s.padded, 0.0);
  s.cos_sin = device_array<float2>(trig.size(), "allocating GPU memory for the angles");
  s.factors = device_array<float>(factors.size(), "allocating GPU memory for the weights");
  s.fixed_kernel = device_array<float2>(kernel.size(), "allocating GPU memory for the filter");
  check_cuda(cudaMemcpy(s.cos_sin.get(), trig.data(), trig.size() * sizeof(float2),
                        cudaMemcpyHostToDevice),
             "copying the angles to the GPU");
  check_cuda(cudaMemcpy(s.factors.get(), factors.data(), factors.size() * sizeof(float),
                        cudaMemcpyHostToDevice),
             "copying the weights to the GPU");
  check_cuda(cudaMemcpy(s.fixed_kernel.get(), kernel.data(), kernel.size() * sizeof(float2),
                        cudaMemcpyHostToDevice),
             "copying the filter to the GPU");
}

GpuReconstructor::~GpuReconstructor() = default;

void GpuReconstructor::run(int64_t count, InputKind kind, h5io_dtype_t dtype, const Stager& stage,
                           const Unstager& unstage) {
  State& s = *state_;
  if (count <= 0) return;
  const int64_t value_bytes = static_cast<int64_t>(h5io_dtype_size(dtype));
  if (value_bytes == 0) throw Error("the GPU back end cannot read this element type");
  Buffers& b = s.ensure_buffers(count, value_bytes);
  try {
    int64_t k = 0;
    for (int64_t first = 0; first < count; first += b.slices, ++k) {
      Slot& slot = b.slots[static_cast<size_t>(k % 2)];
      if (slot.busy) s.finish(slot, unstage);
      slot.first = first;
      slot.count = std::min(b.slices, count - first);
      const double start = now();
      std::fill(slot.shifts.begin(), slot.shifts.end(), 0.0);
      stage(
          first, slot.count,
          StagingArea{slot.values.get(), slot.dark.get(), slot.inverse.get(), slot.shifts.data()});
      const auto shifts_end = slot.shifts.begin() + slot.count;
      const bool shifted =
          std::any_of(slot.shifts.begin(), shifts_end, [](double v) { return v != 0.0; });
      if (shifted)
        for (int64_t i = 0; i < slot.count; ++i) {
          const std::vector<std::complex<float>> kernel =
              filter_kernel(s.response, s.padded, slot.shifts[static_cast<size_t>(i)]);
          std::memcpy(slot.kernels.get() + i * s.half, kernel.data(),
                      kernel.size() * sizeof(float2));
        }
      s.stats.stage_s += now() - start;
      s.enqueue(slot, kind, dtype, shifted);
    }
    Slot& a = b.slots[0];
    Slot& c = b.slots[1];
    Slot& older = (a.busy && (!c.busy || a.first < c.first)) ? a : c;
    Slot& newer = &older == &a ? c : a;
    if (older.busy) s.finish(older, unstage);
    if (newer.busy) s.finish(newer, unstage);
  } catch (...) {
    s.abandon();
    throw;
  }
}

void GpuReconstructor::run(int64_t count, InputKind kind, h5io_dtype_t dtype, const Stager& stage,
                           float* images) {
  const int64_t image_floats = state_->cols * state_->cols;
  run(count, kind, dtype, stage, [&](int64_t first, int64_t n, const float* done) {
    std::memcpy(images + first * image_floats, done,
                static_cast<size_t>(n * image_floats) * sizeof(float));
  });
}

int64_t GpuReconstructor::batch_slices() const {
  return state_->buffers ? state_->buffers->slices : 0;
}

const GpuStats& GpuReconstructor::stats() const {
  return state_->stats;
}

void GpuReconstructor::reset_stats() {
  state_->stats = GpuStats{};
}

} // namespace h5io::fbp::gpu
