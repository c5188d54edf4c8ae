// normalise: flat/dark-field normalisation of projections, one projection
// per slice: (I - dark) / (flat - dark), clamped, or with minus_log=true its
// -log, by exactly the rules tomo_fbp and paganin apply
// (plugins/numerics/flat_field.hpp). The entry points of the h5io ABI
// around it: they check what the host delivers and turn every failure into
// a message.
//
// Inputs, by role: 0 "scan:projections" [P, rows, cols] any ABI type,
// sliced by projection; 1 "scan:darks" [D, rows, cols] (D may be 0: dark
// level 0) and 2 "scan:flats" [F, rows, cols] (F >= 1), whole.
// Output 0 <output> (default /entry/normalised/data), [rows, cols] float32
// per projection: the transmission, or the line integrals (minus_log).
#include "h5io_plugin.h"

#include "error_codes.hpp"

#include "options.hpp"
#include "output_attributes.hpp"
#include "plugin_error.hpp"
#include "projection_frames.hpp"
#include "thread_pool.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <string>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

using namespace h5io;
using numerics::ProjectionFrames;

using enum h5io::plugin::Code;

struct Context {
  normalise::Options options;
  ProjectionFrames frames{"normalise", "data that already hold the transmission need no "
                                       "normalise step"};
  std::unique_ptr<numerics::ThreadPool> pool;
  plugin::OutputAttributes attributes;
  std::string error;
};

int fail(Context* ctx, h5io::plugin::Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

void normalise_batch(Context* ctx, int64_t count, const h5io_buffer_t* inputs,
                     h5io_buffer_t* output) {
  ctx->frames.take_means(inputs);
  const int64_t pixels = ctx->frames.rows() * ctx->frames.cols();
  const auto* raw = static_cast<const std::byte*>(inputs[0].data);
  auto* out = static_cast<float*>(output->data);
  const auto kind = ctx->options.minus_log ? numerics::FlatFieldOutput::line_integrals
                                           : numerics::FlatFieldOutput::transmission;
  ctx->pool->parallel_for(count, [&](int64_t k) {
    ctx->frames.normalise(raw + static_cast<size_t>(k) * inputs[0].slice_bytes,
                          inputs[0].space.dtype, kind, out + k * pixels);
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
    ctx->options = normalise::parse_options(*params);
    ctx->pool = std::make_unique<numerics::ThreadPool>(
        numerics::thread_count(ctx->options.threads, params->local_ranks));
  } catch (const plugin::Error& e) {
    return ctx ? fail(ctx, kBadParameter, e.what()) : kBadParameter;
  } catch (const std::bad_alloc&) {
    return ctx ? fail(ctx, kNoMemory, "out of memory") : kNoMemory;
  }
  *num_inputs = 3;
  *num_outputs = 1;
  return kOk;
}

H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index < 0 || input_index >= 3)
    return fail(ctx, kBadIndex, "no input " + std::to_string(input_index));
  *dataset_location = ProjectionFrames::kRoles[input_index];
  return kOk;
}

H5IO_EXPORT int set_input_slice(void* context, int input_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index < 0 || input_index >= 3)
    return fail(ctx, kBadIndex, "no input " + std::to_string(input_index));
  try {
    ctx->frames.describe(input_index, *input_dataspace, ProjectionFrames::kNames[input_index]);
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
  plugin::OutputAttributes& a = ctx->attributes;
  a.clear();
  a.add_text("long_name", ctx->options.minus_log
                              ? "-log of the transmission (I - dark) / (flat - dark)"
                              : "transmission (I - dark) / (flat - dark)");
  a.add_text("nexus:axis0:name", "projection");
  a.add_text("nexus:axis1:name", "y");
  a.add_text("nexus:axis2:name", "x");
  a.hand_out(num_attributes, attributes);
  return kOk;
}

H5IO_EXPORT int process_batch(void* context, int64_t, int64_t slice_count, int num_inputs,
                              const h5io_buffer_t* inputs, int num_outputs,
                              h5io_buffer_t* outputs) {
  auto* ctx = static_cast<Context*>(context);
  if (num_inputs != 3 || num_outputs != 1 || !ctx->frames.space(0) || !ctx->frames.space(1) ||
      !ctx->frames.space(2))
    return fail(ctx, kBadInput, "the host delivered an unexpected set of buffers");
  try {
    normalise_batch(ctx, slice_count, inputs, &outputs[0]);
  } catch (const plugin::Error& e) {
    return fail(ctx, kBadInput, e.what());
  } catch (const std::bad_alloc&) {
    return fail(ctx, kNoMemory, "out of memory while normalising projections");
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
                                  "normalise failed");
}

} // extern "C"
