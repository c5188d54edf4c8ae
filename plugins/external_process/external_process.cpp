// external_process: runs a user's program on every slice, so any tool that
// reads and writes TIFF files (a reconstruction script, a denoiser, a
// vendor's binary) can be scaled over MPI ranks without changing it.
//
// Input 0: `dataset` (default /entry/data/data; a scan: role such as
//   scan:projections works too), cut along `axis` (default 1: sinograms).
// Per slice: the slice is written as IN.tif into a private directory, the
//   `command` is run there (no shell; {in}, {out}, {slice} replaced), and
//   OUT.tif is read back. See slice_runner.hpp and child_process.hpp.
// Outputs:
//   0 <output> (default /external/data) [rows, cols]: the program's result,
//     of output_shape (default type float32) or like the input slice (shape
//     and, by default, type)
//   1 <parent of output>/seconds  float64: the program's run time per slice
// Parameters: see options.hpp.
#include "h5io_plugin.h"

#include "error_codes.hpp"

#include "dtype_names.hpp"
#include "options.hpp"
#include "output_attributes.hpp"
#include "plugin_error.hpp"
#include "slice_runner.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

using namespace h5io;
using namespace h5io::external;

using enum h5io::plugin::Code;

struct Context {
  Options options;
  std::optional<plugin::ImageShape> input_slice;
  std::optional<plugin::ImageShape> output_slice;
  std::string seconds_output;
  std::unique_ptr<SliceRunner> runner;
  plugin::OutputAttributes attributes;
  std::string error;
};

int fail(Context* ctx, h5io::plugin::Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

} // namespace

extern "C" {

H5IO_EXPORT int h5io_init(void** context, const h5io_global_params_t* params, int* num_inputs,
                          int* num_outputs) {
  auto ctx = std::make_unique<Context>();
  Context* raw = ctx.get();
  *context = ctx.release();
  try {
    const char* path = std::getenv("PATH");
    raw->options = parse_options(*params, path != nullptr ? path : "/usr/bin:/bin");
    const Options& o = raw->options;
    raw->seconds_output = seconds_location(o.output);
    raw->runner = std::make_unique<SliceRunner>(
        RunnerSettings{o.command, o.timeout, o.keep_temporaries, o.tmpdir,
                       "h5io-external-r" + std::to_string(params->rank) + "-"});
  } catch (const std::exception& e) {
    return fail(raw, kBadParameter, e.what());
  }
  *num_inputs = 1;
  *num_outputs = 2;
  return kOk;
}

H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index != 0) return fail(ctx, kBadIndex, "there is only input 0");
  *dataset_location = ctx->options.input.dataset.c_str();
  return kOk;
}

H5IO_EXPORT int set_input_slice(void* context, int input_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index != 0) return fail(ctx, kBadIndex, "there is only input 0");
  const Options& o = ctx->options;
  try {
    ctx->input_slice = plugin::slice_image(o.input, *input_dataspace);
  } catch (const std::exception& e) {
    return fail(ctx, kBadInput, e.what());
  }
  if (o.output_like_input)
    ctx->output_slice = plugin::ImageShape{ctx->input_slice->rows, ctx->input_slice->cols,
                                           o.output_dtype.value_or(ctx->input_slice->dtype)};
  else
    ctx->output_slice = o.output_shape;
  slicing_map[o.input.axis] = 1;
  return kOk;
}

H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index > 1) return fail(ctx, kBadIndex, "there are 2 outputs");
  if (!ctx->output_slice) return fail(ctx, kBadInput, "the host never described the input");
  output_dataspace->shape[0] = -1;
  if (output_index == 0) {
    *dataset_location = ctx->options.output.c_str();
    output_dataspace->rank = 3;
    output_dataspace->shape[1] = ctx->output_slice->rows;
    output_dataspace->shape[2] = ctx->output_slice->cols;
    output_dataspace->dtype = ctx->output_slice->dtype;
  } else {
    *dataset_location = ctx->seconds_output.c_str();
    output_dataspace->rank = 1;
    output_dataspace->dtype = H5IO_FLOAT64;
  }
  return kOk;
}

H5IO_EXPORT int describe_output(void* context, int output_index, int* num_attributes,
                                const h5io_param_t** attributes) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index > 1) return fail(ctx, kBadIndex, "there are 2 outputs");
  const Options& o = ctx->options;
  plugin::OutputAttributes& a = ctx->attributes;
  a.clear();
  a.add_text("command", o.command.text());
  a.add_text("program", o.command.program());
  a.add_text("source", o.input.dataset + " cut along axis " + std::to_string(o.input.axis));
  if (output_index == 0) {
    a.add_text("meaning", "the image the command wrote to {out} for each slice");
  } else {
    a.add_text("meaning", "the command's run time for each slice");
    a.add_text("units", "s");
  }
  a.hand_out(num_attributes, attributes);
  return kOk;
}

H5IO_EXPORT int process(void* context, int64_t slice_number, int num_inputs,
                        const h5io_buffer_t* inputs, int num_outputs, h5io_buffer_t* outputs) {
  auto* ctx = static_cast<Context*>(context);
  if (num_inputs != 1 || num_outputs != 2 || !ctx->input_slice || !ctx->output_slice)
    return fail(ctx, kBadIndex, "expected 1 described input and 2 outputs");
  if (inputs[0].slice_bytes != ctx->input_slice->bytes() ||
      outputs[0].slice_bytes != ctx->output_slice->bytes())
    return fail(ctx, kBadInput, "the host's buffers do not match the shapes agreed");
  try {
    *static_cast<double*>(outputs[1].data) = ctx->runner->run(
        slice_number, *ctx->input_slice, inputs[0].data, *ctx->output_slice, outputs[0].data);
  } catch (const std::exception& e) {
    return fail(ctx, kFailed, e.what());
  }
  return kOk;
}

H5IO_EXPORT int processing_complete(void* context) {
  // The runner's private directory goes with it.
  std::unique_ptr<Context> owned(static_cast<Context*>(context));
  return kOk;
}

H5IO_EXPORT const char* get_error_code(void* context, int error_code) {
  const auto* ctx = static_cast<const Context*>(context);
  return h5io::plugin::error_text(ctx != nullptr ? &ctx->error : nullptr, error_code,
                                  "external_process failed");
}

} // extern "C"
