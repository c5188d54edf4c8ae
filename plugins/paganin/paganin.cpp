// paganin: single-material phase retrieval of projections (Paganin et al.
// 2002), one projection per slice; paganin_filter.hpp has the method and
// README.md the parameters and how they relate to TomoPy's. The entry
// points of the h5io ABI around it: they check what the host delivers and
// turn every failure into a message.
//
// Inputs, with input=scan (the default), by role:
//   0 "scan:projections" [P, rows, cols] any ABI type, sliced by projection
//   1 "scan:darks"       [D, rows, cols]; D may be 0: dark level 0; whole
//   2 "scan:flats"       [F, rows, cols]; F >= 1; whole
// or, with input=/path, that dataset alone: frames [P, rows, cols] that
// already hold the transmission (a normalise step's output).
// Output 0 <output> (default /entry/paganin/data), [rows, cols] float32 per
// projection: -log(T_f), the line integrals tomo_fbp takes with
// normalise=false.
#include "h5io_plugin.h"

#include "error_codes.hpp"

#include "flat_field.hpp"
#include "options.hpp"
#include "output_attributes.hpp"
#include "paganin_filter.hpp"
#include "plugin_error.hpp"
#include "projection_frames.hpp"
#include "thread_pool.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

using namespace h5io;
using namespace h5io::paganin;

using enum h5io::plugin::Code;

using numerics::ProjectionFrames;

struct Context {
  Options options;
  int local_ranks = 1;
  ProjectionFrames frames{"paganin",
                          "give input=PATH for frames that already hold the transmission"};
  std::unique_ptr<numerics::ThreadPool> pool;
  std::unique_ptr<PaganinFilter> filter;
  plugin::OutputAttributes attributes;
  std::string error;
};

int fail(Context* ctx, h5io::plugin::Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

int input_count(const Context& ctx) {
  return ctx.options.from_scan() ? 3 : 1;
}

void retrieve(Context* ctx, int64_t count, const h5io_buffer_t* inputs, h5io_buffer_t* output) {
  const int64_t rows = ctx->frames.rows(), cols = ctx->frames.cols(), pixels = rows * cols;
  if (!ctx->filter) ctx->filter = std::make_unique<PaganinFilter>(rows, cols, ctx->options.physics);
  if (ctx->options.from_scan()) ctx->frames.take_means(inputs);
  const auto* raw = static_cast<const std::byte*>(inputs[0].data);
  auto* out = static_cast<float*>(output->data);
  const h5io_dtype_t dtype = inputs[0].space.dtype;
  const size_t slice_bytes = inputs[0].slice_bytes;
  ctx->pool->parallel_for(count, [&](int64_t k) {
    std::vector<float> transmission(static_cast<size_t>(pixels));
    const std::byte* frame = raw + static_cast<size_t>(k) * slice_bytes;
    if (ctx->options.from_scan())
      ctx->frames.normalise(frame, dtype, numerics::FlatFieldOutput::transmission,
                            transmission.data());
    else
      numerics::clamp_transmission({frame, dtype, 1}, pixels, transmission.data());
    PaganinFilter::Workspace work = ctx->filter->workspace();
    ctx->filter->apply(transmission.data(), out + k * pixels, work);
  });
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
    ctx->local_ranks = params->local_ranks;
    ctx->pool = std::make_unique<numerics::ThreadPool>(
        numerics::thread_count(ctx->options.threads, ctx->local_ranks));
  } catch (const plugin::Error& e) {
    return ctx ? fail(ctx, kBadParameter, e.what()) : kBadParameter;
  } catch (const std::bad_alloc&) {
    return ctx ? fail(ctx, kNoMemory, "out of memory") : kNoMemory;
  }
  *num_inputs = input_count(*ctx);
  *num_outputs = 1;
  return kOk;
}

H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index < 0 || input_index >= input_count(*ctx))
    return fail(ctx, kBadIndex, "no input " + std::to_string(input_index));
  *dataset_location =
      ctx->options.from_scan() ? ProjectionFrames::kRoles[input_index] : ctx->options.input.c_str();
  return kOk;
}

H5IO_EXPORT int set_input_slice(void* context, int input_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index < 0 || input_index >= input_count(*ctx))
    return fail(ctx, kBadIndex, "no input " + std::to_string(input_index));
  const std::string name =
      ctx->options.from_scan() ? ProjectionFrames::kNames[input_index] : ctx->options.input;
  try {
    ctx->frames.describe(input_index, *input_dataspace, name);
  } catch (const plugin::Error& e) {
    return fail(ctx, kBadInput, e.what());
  }
  if (input_index == 0) slicing_map[0] = 1; // one projection per slice; darks, flats whole
  return kOk;
}

H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index != 0) return fail(ctx, kBadIndex, "there is only output 0");
  if (!ctx->frames.space(0)) return fail(ctx, kBadInput, "the projections' shape is not known yet");
  *dataset_location = ctx->options.output.c_str();
  output_dataspace->rank = 3;
  output_dataspace->shape[0] = -1;
  output_dataspace->shape[1] = ctx->frames.rows();
  output_dataspace->shape[2] = ctx->frames.cols();
  output_dataspace->dtype = H5IO_FLOAT32;
  return kOk;
}

H5IO_EXPORT int describe_output(void* context, int output_index, int* num_attributes,
                                const h5io_param_t** attributes) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index != 0) return fail(ctx, kBadIndex, "there is only output 0");
  const Physics& physics = ctx->options.physics;
  plugin::OutputAttributes& a = ctx->attributes;
  a.clear();
  a.add_text("long_name", "-log of the phase-retrieved transmission (Paganin), mu * thickness");
  a.add_number("energy_kev", physics.energy_kev);
  a.add_number("distance_m", physics.distance_m);
  a.add_number("pixel_size_m", physics.pixel_m);
  a.add_number("delta_over_beta", physics.delta_over_beta);
  a.add_text("nexus:axis0:name", "projection");
  const char* names[] = {"y", "x"};
  for (int d = 1; d <= 2; ++d) {
    const std::string axis = "nexus:axis" + std::to_string(d) + ":";
    a.add_text(axis + "name", names[d - 1]);
    a.add_text(axis + "units", "um");
    a.add_number(axis + "scale", physics.pixel_m * 1e6);
  }
  a.hand_out(num_attributes, attributes);
  return kOk;
}

H5IO_EXPORT int process_batch(void* context, int64_t, int64_t slice_count, int num_inputs,
                              const h5io_buffer_t* inputs, int num_outputs,
                              h5io_buffer_t* outputs) {
  auto* ctx = static_cast<Context*>(context);
  if (num_inputs != input_count(*ctx) || num_outputs != 1 || !ctx->frames.space(0))
    return fail(ctx, kBadInput, "the host delivered an unexpected set of buffers");
  try {
    retrieve(ctx, slice_count, inputs, &outputs[0]);
  } catch (const plugin::Error& e) {
    return fail(ctx, kFailed, e.what());
  } catch (const std::bad_alloc&) {
    return fail(ctx, kNoMemory, "out of memory while filtering projections");
  }
  return kOk;
}

H5IO_EXPORT int process(void* context, int64_t slice_number, int num_inputs,
                        const h5io_buffer_t* inputs, int num_outputs, h5io_buffer_t* outputs) {
  return process_batch(context, slice_number, 1, num_inputs, inputs, num_outputs, outputs);
}

H5IO_EXPORT int processing_complete(void* context) {
  std::unique_ptr<Context> owned(static_cast<Context*>(context));
  return kOk;
}

H5IO_EXPORT const char* get_error_code(void* context, int error_code) {
  const auto* ctx = static_cast<const Context*>(context);
  return h5io::plugin::error_text(ctx != nullptr ? &ctx->error : nullptr, error_code,
                                  "paganin failed");
}

} // extern "C"
