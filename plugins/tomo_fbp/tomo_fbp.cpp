// tomo_fbp: filtered back-projection of parallel-beam tomography scans, on
// the CPU or a GPU (parameter device), or direct Fourier inversion by
// gridding on the CPU (method=fourier; method=auto, the default, picks by
// size). The entry points of the h5io ABI
// around the core library: they check what the host delivers and turn every
// failure into a message.
//
// Inputs, by role (the host finds them in the NXtomo or DXchange scan, so a
// user names no paths), each sliced along detector rows:
//   0 "scan:projections" [P, rows, cols] any ABI type -> [P][cols] per slice
//   1 "scan:darks"       [D, rows, cols]; D may be 0: dark level 0
//   2 "scan:flats"       [F, rows, cols]; F >= 1
//   3 "scan:angles"      [P] radians, float64 (or float32), delivered whole
//   4 "scan:pixel_size"  [2] metres (a detector pixel's width, height), or [0]
//     when the scan does not say; delivered whole, read in the scan-wide step
// With normalise=false (the data are line integrals already) only
// projections, angles and pixel size are asked for (inputs 0, 1, 2 of the
// ABI), so the host reads no darks or flats; inside, inputs keep the slots
// above.
// Outputs, one slice per detector row:
//   0 <output> (default /entry/reconstruction/data) [N, N] float32, N = cols:
//     linear attenuation coefficient in 1/pixel (ARCHITECTURE.md, "Tomography geometry")
//   1 <parent of output>/center  float64: the rotation centre (detector
//     column) each slice was reconstructed with
// Parameters: see options.hpp (method, filter, center, center_search, padding, mask,
// mask_ratio, rings, ring_size, normalise, threads, output, device).
// With center=auto (the default) the scan-wide step (job_setup_slices,
// job_setup, apply_job_setup) fits one rotation axis to the scan
// (axis_fit.hpp) before any slice is reconstructed; every slice then uses
// it, and the fit is described on the centre output. The step also passes
// the pixel size on to every instance (it reaches libraries only with the
// data), so the outputs' NeXus axes are in micrometres when it is known.
#include "h5io_plugin.h"

#include "error_codes.hpp"

#include "axis_fit.hpp"
#include "axis_results.hpp"
#include "device.hpp"
#include "error.hpp"
#include "fourier_reconstructor.hpp"
#include "gpu_job.hpp"
#include "options.hpp"
#include "param_list.hpp"
#include "reconstructor.hpp"
#include "slice_input.hpp"
#include "thread_pool.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

using namespace h5io::fbp;

using enum h5io::plugin::Code;

constexpr int kInputs = 5;
constexpr const char* kInputRoles[kInputs] = {"scan:projections", "scan:darks", "scan:flats",
                                              "scan:angles", "scan:pixel_size"};
constexpr const char* kInputNames[kInputs] = {"projections", "dark-field frames",
                                              "flat-field frames", "rotation angles", "pixel size"};
// Results of the scan-wide step that carry the pixel size (metres).
constexpr const char* kPixelX = "pixel_size_x";
constexpr const char* kPixelY = "pixel_size_y";

struct Context {
  Options options;
  std::unique_ptr<h5io::numerics::ThreadPool> pool;
  // The inputs the library asks the host for, as slots of kInputRoles: with
  // normalise=false the data are line integrals already, so the darks and
  // flats are not asked for, and the host reads none.
  std::vector<int> slots;
  std::optional<h5io_dataspace_t> inputs[kInputs]; // by slot
  std::string center_output;
  DeviceChoice device; // where this rank reconstructs
  std::unique_ptr<Reconstructor> recon;
  std::unique_ptr<FourierReconstructor> fourier; // method=fourier (or auto resolved to it)
  std::unique_ptr<GpuJob> gpu_job;
  ParamList attributes;    // describe_output's answer
  ParamList setup_results; // job_setup's answer
  ParamList axis_record;   // the applied fit, described on the centre output
  std::optional<std::pair<double, double>> pixel_size; // metres (x, y), from the scan-wide step
  std::string error;
};

int fail(Context* ctx, h5io::plugin::Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

std::string number_text(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

// The checks that need two inputs run once both are known, whatever the
// order of the host's set_input_slice calls.
int check_inputs(Context* ctx) {
  const auto& proj = ctx->inputs[0];
  if (!proj) return kOk;
  const int64_t p = proj->shape[0], rows = proj->shape[1], cols = proj->shape[2];
  for (int i = 1; i <= 2; ++i) {
    const auto& frames = ctx->inputs[i];
    if (!frames) continue;
    if (frames->shape[1] != rows || frames->shape[2] != cols)
      return fail(ctx, kBadInput,
                  std::string("the ") + kInputNames[i] + " have shape " +
                      h5io::plugin::shape_text(*frames) + " but the projections " +
                      h5io::plugin::shape_text(*proj) + ": rows and columns must match");
  }
  if (ctx->inputs[3] && ctx->inputs[3]->shape[0] != p)
    return fail(ctx, kBadInput,
                "the scan has " + std::to_string(p) + " projections but " +
                    std::to_string(ctx->inputs[3]->shape[0]) + " rotation angles");
  return kOk;
}

int check_frames(Context* ctx, int index, const h5io_dataspace_t& space, int* slicing_map) {
  if (space.rank != 3)
    return fail(ctx, kBadInput,
                std::string("the ") + kInputNames[index] +
                    " must be a 3-D stack [frames, rows, columns], but have shape " +
                    h5io::plugin::shape_text(space));
  if (!h5io_dtype_size(space.dtype))
    return fail(ctx, kBadInput,
                std::string("the ") + kInputNames[index] +
                    " have an element type tomo_fbp cannot read");
  if (index == 0) {
    if (space.shape[0] < 1 || space.shape[1] < 1 || space.shape[2] < 2)
      return fail(ctx, kBadInput,
                  "the projections " + h5io::plugin::shape_text(space) +
                      " need at least 1 frame, 1 row and 2 detector columns");
    const double last = static_cast<double>(space.shape[2] - 1);
    if (const auto& c = ctx->options.center; c && (*c < 0 || *c > last))
      return fail(ctx, kBadParameter,
                  "centre " + number_text(*c) + " is outside the detector (0 .. " +
                      number_text(last) + "): the projections have " +
                      std::to_string(space.shape[2]) + " columns");
  }
  if (index == 0 && !ctx->options.normalise) {
    // No darks or flats are asked for: none, of the projections' shape.
    h5io_dataspace_t none = space;
    none.shape[0] = 0;
    ctx->inputs[1] = ctx->inputs[2] = none;
  }
  if (index == 2 && space.shape[0] == 0 && ctx->options.normalise)
    return fail(ctx, kBadInput,
                "the scan has no flat-field frames (image_key 1 / data_white); normalisation "
                "needs them; pass normalise=false if the data are already -log normalised");
  ctx->inputs[index] = space;
  slicing_map[1] = 1; // one detector row = one sinogram = one slice
  return check_inputs(ctx);
}

// Validates the inputs of a batch of `count` slices against what
// set_input_slice saw.
int check_batch_inputs(Context* ctx, int64_t count, int num_inputs, const h5io_buffer_t* inputs) {
  if (num_inputs != kInputs) return fail(ctx, kBadIndex, "expected 5 inputs by slot");
  for (int i = 0; i < kInputs; ++i)
    if (!ctx->inputs[i])
      return fail(ctx, kBadInput, std::string("the host never described the ") + kInputNames[i]);
  const int64_t p = ctx->inputs[0]->shape[0], cols = ctx->inputs[0]->shape[2];
  for (int i = 0; i < 3; ++i) {
    const size_t expected = static_cast<size_t>(ctx->inputs[i]->shape[0] * cols) *
                            h5io_dtype_size(ctx->inputs[i]->dtype);
    if (inputs[i].slice_bytes != expected || (inputs[i].count != count && expected != 0))
      return fail(ctx, kBadInput,
                  std::string("the host delivered ") + kInputNames[i] + " slices of " +
                      std::to_string(inputs[i].slice_bytes) + " bytes, expected " +
                      std::to_string(expected));
  }
  if (inputs[3].slice_bytes != static_cast<size_t>(p) * h5io_dtype_size(ctx->inputs[3]->dtype))
    return fail(ctx, kBadInput, "the host delivered the rotation angles with the wrong size");
  if (inputs[4].slice_bytes != static_cast<size_t>(ctx->inputs[4]->shape[0]) * sizeof(double))
    return fail(ctx, kBadInput, "the host delivered the pixel size with the wrong size");
  return kOk;
}

// ... and the outputs of a batch.
int check_batch(Context* ctx, int64_t count, int num_inputs, const h5io_buffer_t* inputs,
                int num_outputs, const h5io_buffer_t* outputs) {
  if (num_outputs != 2) return fail(ctx, kBadIndex, "expected 2 outputs");
  if (int code = check_batch_inputs(ctx, count, num_inputs, inputs)) return code;
  const int64_t cols = ctx->inputs[0]->shape[2];
  if (outputs[0].count != count || outputs[1].count != count ||
      outputs[0].slice_bytes != static_cast<size_t>(cols * cols) * sizeof(float) ||
      outputs[1].slice_bytes != sizeof(double))
    return fail(ctx, kBadInput, "the host's output buffers do not match the requested shapes");
  return kOk;
}

std::vector<double> angles_of(const Context* ctx, const h5io_buffer_t& buffer) {
  const int64_t p = ctx->inputs[0]->shape[0];
  std::vector<double> angles(static_cast<size_t>(p));
  if (ctx->inputs[3]->dtype == H5IO_FLOAT64) {
    const auto* a = static_cast<const double*>(buffer.data);
    angles.assign(a, a + p);
  } else {
    const auto* a = static_cast<const float*>(buffer.data);
    for (int64_t i = 0; i < p; ++i) angles[static_cast<size_t>(i)] = a[i];
  }
  return angles;
}

ScanShape shape_of(const Context* ctx) {
  return {ctx->inputs[0]->shape[0], ctx->inputs[0]->shape[2], ctx->inputs[1]->shape[0],
          ctx->inputs[2]->shape[0]};
}

// The method that runs (method=auto resolved for the scan's size and this
// rank's device); before the projections are known, the one asked for.
Method method_of(const Context* ctx) {
  if (!ctx->inputs[0]) return ctx->options.method;
  return resolve_method(ctx->options, ctx->inputs[0]->shape[2], ctx->inputs[0]->shape[0],
                        ctx->device.gpu);
}

// The host's buffers (one per input asked for) by slot; a slot not asked
// for is an empty buffer of no frames.
std::array<h5io_buffer_t, kInputs> by_slot(const Context* ctx, int num_inputs,
                                           const h5io_buffer_t* inputs) {
  std::array<h5io_buffer_t, kInputs> slots{};
  if (num_inputs != static_cast<int>(ctx->slots.size())) return slots;
  for (size_t i = 0; i < ctx->slots.size(); ++i)
    slots[static_cast<size_t>(ctx->slots[i])] = inputs[i];
  return slots;
}

RawSlices raw_of(const Context* ctx, const h5io_buffer_t* inputs, int i) {
  return {inputs[i].data, ctx->inputs[i]->dtype, inputs[i].slice_bytes};
}

int out_of_memory(Context* ctx) {
  const int64_t cols = ctx->inputs[0]->shape[2], p = ctx->inputs[0]->shape[0];
  int64_t bytes = 2 * kLanes * p * cols * 4;
  if (method_of(ctx) == Method::fourier) { // the grid, the samples, 2 sinograms
    const int64_t g = FourierGrid::grid_size(cols);
    const auto k = static_cast<int64_t>(FourierReconstructor::kBand *
                                        static_cast<double>(FourierReconstructor::crop_length(
                                            cols, static_cast<double>(cols / 2))));
    bytes = g * g * 8 + p * (2 * k + 3) * 8 + 2 * p * cols * 4;
  }
  return fail(ctx, kNoMemory,
              "out of memory: reconstructing needs about " + std::to_string(bytes >> 20) +
                  " MiB besides the host's buffers; use fewer ranks per node");
}

const char* center_text(const Options& o) {
  switch (o.center_mode) {
  case CenterMode::scan: return "auto";
  case CenterMode::per_slice: return "auto-per-slice";
  case CenterMode::given: break;
  }
  return "given";
}

// center=auto's fit, into ctx->setup_results (job_setup's answer).
int fit_axis(Context* ctx, int num_slices, const int64_t* slices, const h5io_buffer_t* inputs) {
  const std::vector<double> angles = angles_of(ctx, inputs[3]);
  for (const double a : angles)
    if (!std::isfinite(a)) return fail(ctx, kBadInput, "a rotation angle is not a finite number");
  const ScanShape shape = shape_of(ctx);
  const AxisEstimates estimates = measure_axis(
      ctx->options, shape, angles, {slices, static_cast<size_t>(num_slices)},
      raw_of(ctx, inputs, 0), raw_of(ctx, inputs, 1), raw_of(ctx, inputs, 2), *ctx->pool);
  const AxisDecision decision = decide_axis(estimates, ctx->inputs[0]->shape[1], shape.cols);
  ctx->setup_results = axis_results(estimates, decision);
  return kOk;
}

// The outputs' NeXus axes (h5io_plugin.h, "NeXus"): z along the detector's
// rows (the slices), y and x across the reconstruction grid from the
// rotation axis (pixel floor(N/2)); micrometres when the scan gave a pixel
// size, detector pixels otherwise.
void describe_axes(const Context* ctx, int output_index, ParamList& a) {
  const bool known = ctx->pixel_size.has_value();
  const double across = known ? ctx->pixel_size->first * 1e6 : 1.0;
  const double along = known ? ctx->pixel_size->second * 1e6 : 1.0;
  const std::string units = known ? "um" : "pixel";
  const auto axis = [&](int dimension, const char* name, double scale, double offset) {
    const std::string key = "nexus:axis" + std::to_string(dimension) + ":";
    a.text(key + "name", name);
    a.text(key + "units", units);
    a.text(key + "long_name", std::string(name) + " (" + units + ")");
    a.number(key + "scale", scale);
    a.number(key + "offset", offset);
  };
  axis(0, "z", along, 0.0);
  if (output_index != 0) return;
  const double middle = ctx->inputs[0] ? static_cast<double>(ctx->inputs[0]->shape[2] / 2) : 0.0;
  axis(1, "y", across, -middle * across);
  axis(2, "x", across, -middle * across);
  a.text("nexus:definition", "NXtomoproc");
}

// The pixel size the scan-wide step passed on, if it found one.
std::optional<std::pair<double, double>> pixel_size_of(std::span<const h5io_param_t> results) {
  std::optional<double> x, y;
  for (const h5io_param_t& r : results) {
    if (r.type != H5IO_PARAM_FLOAT || !std::isfinite(r.float_value) || r.float_value <= 0) continue;
    if (std::string_view(r.key) == kPixelX) x = r.float_value;
    if (std::string_view(r.key) == kPixelY) y = r.float_value;
  }
  if (!x || !y) return std::nullopt;
  return std::pair{*x, *y};
}

} // namespace

extern "C" {

H5IO_EXPORT int h5io_init(void** context, const h5io_global_params_t* params, int* num_inputs,
                          int* num_outputs) {
  Context* ctx = nullptr;
  try {
    auto owned = std::make_unique<Context>();
    ctx = owned.get();
    *context = owned.release();
    ctx->options = parse_options(*params);
    ctx->center_output = center_location(ctx->options.output);
    ctx->pool = std::make_unique<h5io::numerics::ThreadPool>(
        h5io::numerics::thread_count(ctx->options.threads, params->local_ranks));
    // Here, on the thread every later call comes from: CUDA binds devices
    // per thread.
    ctx->device = choose_device(ctx->options.device, params->local_rank);
  } catch (const Error& e) {
    return fail(ctx, kBadParameter, e.what());
  } catch (const std::bad_alloc&) {
    if (ctx == nullptr) return kNoMemory;
    return fail(ctx, kNoMemory, "out of memory while starting tomo_fbp");
  } catch (const std::exception& e) {
    if (ctx == nullptr) return kFailed;
    return fail(ctx, kFailed, std::string("could not start tomo_fbp: ") + e.what());
  }
  ctx->slots = ctx->options.normalise ? std::vector<int>{0, 1, 2, 3, 4} : std::vector<int>{0, 3, 4};
  *num_inputs = static_cast<int>(ctx->slots.size());
  *num_outputs = 2;
  return kOk;
}

H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index < 0 || input_index >= static_cast<int>(ctx->slots.size()))
    return fail(ctx, kBadIndex, "there are " + std::to_string(ctx->slots.size()) + " inputs");
  *dataset_location = kInputRoles[ctx->slots[static_cast<size_t>(input_index)]];
  return kOk;
}

H5IO_EXPORT int set_input_slice(void* context, int slot_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map) {
  auto* ctx = static_cast<Context*>(context);
  if (slot_index < 0 || slot_index >= static_cast<int>(ctx->slots.size()))
    return fail(ctx, kBadIndex, "there are " + std::to_string(ctx->slots.size()) + " inputs");
  const int input_index = ctx->slots[static_cast<size_t>(slot_index)];
  const h5io_dataspace_t& space = *input_dataspace;
  if (input_index < 3) return check_frames(ctx, input_index, space, slicing_map);
  if (input_index == 4) {
    if (space.rank != 1 || (space.shape[0] != 0 && space.shape[0] != 2) ||
        space.dtype != H5IO_FLOAT64)
      return fail(ctx, kBadInput,
                  "the pixel size must be float64 [2] (width, height in metres) or [0], but is " +
                      h5io::plugin::shape_text(space));
    ctx->inputs[4] = space; // whole
    return kOk;
  }
  if (space.rank != 1)
    return fail(ctx, kBadInput,
                "the rotation angles must be a 1-D list, one per projection, but have shape " +
                    h5io::plugin::shape_text(space));
  if (space.dtype != H5IO_FLOAT64 && space.dtype != H5IO_FLOAT32)
    return fail(ctx, kBadInput, "the rotation angles must be floating-point numbers (radians)");
  ctx->inputs[3] = space; // slicing_map stays all zeros: the whole list every time
  return check_inputs(ctx);
}

H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index > 1) return fail(ctx, kBadIndex, "there are 2 outputs");
  if (!ctx->inputs[0])
    return fail(ctx, kBadInput, "the output shape needs the projections' shape first");
  if (output_index == 0) {
    const int64_t n = ctx->inputs[0]->shape[2];
    *dataset_location = ctx->options.output.c_str();
    output_dataspace->rank = 3;
    output_dataspace->shape[0] = -1;
    output_dataspace->shape[1] = n;
    output_dataspace->shape[2] = n;
    output_dataspace->dtype = H5IO_FLOAT32;
  } else {
    *dataset_location = ctx->center_output.c_str();
    output_dataspace->rank = 1;
    output_dataspace->shape[0] = -1;
    output_dataspace->dtype = H5IO_FLOAT64;
  }
  return kOk;
}

H5IO_EXPORT int describe_output(void* context, int output_index, int* num_attributes,
                                const h5io_param_t** attributes) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index > 1) return fail(ctx, kBadIndex, "there are 2 outputs");
  const Options& o = ctx->options;
  ParamList& a = ctx->attributes;
  a.clear();
  if (output_index == 0) {
    a.text("quantity", "linear attenuation coefficient");
    a.text("units", "1/pixel");
    a.text("long_name", "linear attenuation coefficient (1/pixel)");
    // The method that ran, and the one asked for (auto: chosen by size).
    const Method method = method_of(ctx);
    a.text("method", std::string(method_name(method)));
    a.text("method_requested", std::string(method_name(o.method)));
    a.text("algorithm", method == Method::fourier
                            ? "direct Fourier inversion by gridding (Kaiser-Bessel, 1.5x grid, "
                              "FBP's linear-interpolation response)"
                            : "filtered back-projection");
    a.text("filter", std::string(filter_name(o.filter)));
    a.text("padding", o.padding == Padding::edge ? "edge" : "zero");
    if (o.center)
      a.number("center", *o.center);
    else
      a.text("center", center_text(o));
    if (!o.center) a.number("center_search", o.center_search);
    a.text("rings", o.rings == Rings::sort ? "sort" : "none");
    if (o.rings == Rings::sort) a.integer("ring_size", o.ring_size);
    a.integer("normalise", o.normalise ? 1 : 0, H5IO_PARAM_BOOL);
    a.integer("mask", o.mask ? 1 : 0, H5IO_PARAM_BOOL);
    if (o.mask) a.number("mask_ratio", o.mask_ratio);
    a.text("device", ctx->device.description);
    describe_axes(ctx, 0, a);
  } else {
    a.text("units", "pixel");
    a.text("long_name", "rotation centre");
    a.text("meaning", "detector column of the rotation axis");
    switch (o.center_mode) {
    case CenterMode::given: a.text("method", "given (parameter center)"); break;
    case CenterMode::per_slice:
      a.text("method", "found in each slice on its own (center=auto-per-slice; Vo et al. 2014, "
                       "Fourier method)");
      break;
    case CenterMode::scan:
      a.text("method", "one rotation axis fitted to the whole scan (center=auto): Vo's method "
                       "and matching opposite projections on sample rows, robust fit, "
                       "center(row) = axis_intercept + axis_slope * row");
      a.append(ctx->axis_record); // empty until apply_job_setup
      break;
    }
    describe_axes(ctx, 1, a);
  }
  *num_attributes = a.size();
  *attributes = a.view();
  return kOk;
}

H5IO_EXPORT int job_setup_slices(void* context, int64_t slice_count, int* num_slices,
                                 int64_t* slices) {
  auto* ctx = static_cast<Context*>(context);
  *num_slices = 0;
  if (ctx->options.center_mode != CenterMode::scan) return kOk; // nothing to fit
  const std::vector<int64_t> rows = axis_sample_rows(slice_count);
  for (size_t k = 0; k < rows.size(); ++k) slices[k] = rows[k];
  *num_slices = static_cast<int>(rows.size());
  return kOk;
}

H5IO_EXPORT int job_setup(void* context, int num_slices, const int64_t* slices, int num_inputs,
                          const h5io_buffer_t* host_inputs, int* num_results,
                          const h5io_param_t** results) {
  auto* ctx = static_cast<Context*>(context);
  ctx->setup_results.clear();
  *num_results = 0;
  *results = nullptr;
  if (num_inputs != static_cast<int>(ctx->slots.size()))
    return fail(ctx, kBadIndex, "expected " + std::to_string(ctx->slots.size()) + " inputs");
  const std::array<h5io_buffer_t, kInputs> slots = by_slot(ctx, num_inputs, host_inputs);
  const h5io_buffer_t* inputs = slots.data();
  if (int code = check_batch_inputs(ctx, num_slices, kInputs, inputs)) return code;
  try {
    if (ctx->options.center_mode == CenterMode::scan) {
      if (int code = fit_axis(ctx, num_slices, slices, inputs)) return code;
    }
    // Every instance needs the pixel size to describe the outputs' axes,
    // and only this one sees the data before they are described.
    if (ctx->inputs[4]->shape[0] == 2) {
      const auto* size = static_cast<const double*>(inputs[4].data);
      ctx->setup_results.number(kPixelX, size[0]);
      ctx->setup_results.number(kPixelY, size[1]);
    }
  } catch (const Error& e) {
    return fail(ctx, kBadInput, e.what());
  } catch (const std::bad_alloc&) {
    return out_of_memory(ctx);
  } catch (const std::exception& e) {
    return fail(ctx, kFailed, std::string("finding the rotation axis failed: ") + e.what());
  }
  *num_results = ctx->setup_results.size();
  *results = ctx->setup_results.view();
  return kOk;
}

H5IO_EXPORT int apply_job_setup(void* context, int num_results, const h5io_param_t* results) {
  auto* ctx = static_cast<Context*>(context);
  const std::span<const h5io_param_t> list(results, static_cast<size_t>(num_results));
  ctx->pixel_size = pixel_size_of(list);
  if (ctx->options.center_mode != CenterMode::scan) return kOk;
  try {
    ctx->options.axis = axis_from_results(list);
    ctx->axis_record.clear();
    for (const h5io_param_t& r : list) {
      const std::string_view key = r.key;
      if (key == kPixelX || key == kPixelY) continue; // the axes say it
      if (r.type == H5IO_PARAM_STRING)
        ctx->axis_record.text(r.key, r.text);
      else if (r.type == H5IO_PARAM_FLOAT)
        ctx->axis_record.number(r.key, r.float_value);
      else
        ctx->axis_record.integer(r.key, r.int_value, r.type);
    }
  } catch (const Error& e) {
    return fail(ctx, kBadInput, e.what());
  } catch (const std::bad_alloc&) {
    return fail(ctx, kNoMemory, "out of memory");
  }
  // Made afresh with the axis (none was made yet: no slice came before).
  ctx->recon.reset();
  ctx->fourier.reset();
  ctx->gpu_job.reset();
  return kOk;
}

H5IO_EXPORT int process_batch(void* context, int64_t first_slice, int64_t slice_count,
                              int num_inputs, const h5io_buffer_t* host_inputs, int num_outputs,
                              h5io_buffer_t* outputs) {
  auto* ctx = static_cast<Context*>(context);
  if (num_inputs != static_cast<int>(ctx->slots.size()))
    return fail(ctx, kBadIndex, "expected " + std::to_string(ctx->slots.size()) + " inputs");
  const std::array<h5io_buffer_t, kInputs> slots = by_slot(ctx, num_inputs, host_inputs);
  const h5io_buffer_t* inputs = slots.data();
  if (int code = check_batch(ctx, slice_count, kInputs, inputs, num_outputs, outputs)) return code;
  if (ctx->options.center_mode == CenterMode::scan && !ctx->options.axis)
    return fail(ctx, kFailed,
                "center=auto fits one rotation axis to the whole scan in the scan-wide step "
                "(job_setup), which this host did not run; use an h5io that runs it, "
                "center=auto-per-slice, or center=COLUMN");
  try {
    const std::vector<double> angles = angles_of(ctx, inputs[3]);
    const ScanShape shape = shape_of(ctx);
    const RawSlices proj = raw_of(ctx, inputs, 0);
    const RawSlices darks = raw_of(ctx, inputs, 1);
    const RawSlices flats = raw_of(ctx, inputs, 2);
    auto* images = static_cast<float*>(outputs[0].data);
    auto* centres = static_cast<double*>(outputs[1].data);
    // first_slice matters only for a fitted axis: a slice's result depends
    // on its own data and row alone.
    if (ctx->device.gpu) {
      if (!ctx->gpu_job || !ctx->gpu_job->angles_match(angles)) {
        ctx->gpu_job.reset(); // free the old one's GPU memory first
        ctx->gpu_job = std::make_unique<GpuJob>(ctx->options, shape, angles, *ctx->pool);
      }
      ctx->gpu_job->run(proj, darks, flats, slice_count, images, centres, first_slice);
    } else if (method_of(ctx) == Method::fourier) {
      if (!ctx->fourier || !ctx->fourier->angles_match(angles)) {
        ctx->fourier.reset(); // free the old one's memory first
        ctx->fourier =
            std::make_unique<FourierReconstructor>(ctx->options, shape, angles, *ctx->pool);
      }
      ctx->fourier->run(proj, darks, flats, slice_count, images, centres, first_slice);
    } else {
      if (!ctx->recon || !ctx->recon->angles_match(angles)) {
        ctx->recon.reset(); // free the old one's memory first
        ctx->recon = std::make_unique<Reconstructor>(ctx->options, shape, angles, *ctx->pool);
      }
      ctx->recon->run(proj, darks, flats, slice_count, images, centres, first_slice);
    }
  } catch (const Error& e) {
    return fail(ctx, kBadInput, e.what());
  } catch (const std::bad_alloc&) {
    return out_of_memory(ctx);
  } catch (const std::exception& e) {
    return fail(ctx, kFailed, std::string("reconstruction failed: ") + e.what());
  }
  return kOk;
}

H5IO_EXPORT int process(void* context, int64_t slice_number, int num_inputs,
                        const h5io_buffer_t* inputs, int num_outputs, h5io_buffer_t* outputs) {
  return process_batch(context, slice_number, 1, num_inputs, inputs, num_outputs, outputs);
}

H5IO_EXPORT int processing_complete(void* context) {
  std::unique_ptr<Context> owned(static_cast<Context*>(context)); // joins the pool's threads
  return kOk;
}

H5IO_EXPORT const char* get_error_code(void* context, int error_code) {
  const auto* ctx = static_cast<const Context*>(context);
  return h5io::plugin::error_text(ctx != nullptr ? &ctx->error : nullptr, error_code,
                                  "tomo_fbp failed");
}

} // extern "C"
