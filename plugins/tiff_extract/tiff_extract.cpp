// tiff_extract: writes each slice of a 3-D input (a reconstructed slice, a
// sinogram, a projection) as one TIFF file, so tools that know nothing of
// HDF5 (ImageJ, tifffile, a colleague's script) can use it.
//
// Input 0: `dataset` (default /entry/reconstruction/data; a scan: role such
//   as scan:projections works too), cut along `axis` (default 0).
// Files: DIRECTORY/PREFIX<slice, zero-padded>.tif, one page, written under a
//   temporary name and renamed; the element type kept, or converted
//   (value*scale+offset, clamped, rounded) with dtype=.
// Outputs, one record per slice under `output` (default /tiff_extract):
//   0 file_name  uint8 [64]  the file's name, NUL-padded
//   1 min        float64     smallest value of the slice as read (NaN ignored)
//   2 max        float64     largest value of the slice as read
//   3 clipped    uint64      values clamped (or NaN) in the conversion
// Parameters: see options.hpp.
#include "h5io_plugin.h"

#include "error_codes.hpp"

#include "atomic_tiff.hpp"
#include "dtype_names.hpp"
#include "options.hpp"
#include "output_attributes.hpp"
#include "output_directory.hpp"
#include "plugin_error.hpp"
#include "slice_naming.hpp"
#include "value_conversion.hpp"

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

using namespace h5io;
using namespace h5io::extract;

using enum h5io::plugin::Code;
constexpr int kOutputs = 4;
constexpr const char* kOutputNames[kOutputs] = {"file_name", "min", "max", "clipped"};

struct Context {
  Options options;
  std::optional<plugin::ImageShape> slice;   // one slice of the input
  std::optional<SliceNaming> naming;         // known once the slice count is
  std::vector<std::string> output_locations; // per output
  std::vector<std::byte> converted;          // one slice in the target type
  plugin::OutputAttributes attributes;
  std::string error;
};

int fail(Context* ctx, h5io::plugin::Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

h5io_dtype_t file_dtype(const Context& ctx) {
  return ctx.options.dtype.value_or(ctx.slice->dtype);
}

std::string conversion_text(const Options& o) {
  if (!o.dtype) return "none: the input's values and element type";
  return "value * " + std::to_string(o.scale) + " + " + std::to_string(o.offset) + ", clamped to " +
         std::string(plugin::dtype_name(*o.dtype)) +
         (*o.dtype == H5IO_FLOAT32 ? "" : ", rounded half away from zero, NaN as 0");
}

void describe(Context* ctx, int index) {
  const Options& o = ctx->options;
  plugin::OutputAttributes& a = ctx->attributes;
  a.clear();
  a.add_text("directory", o.directory.string());
  a.add_text("file_pattern", ctx->naming->pattern());
  a.add_text("source", o.input.dataset + " cut along axis " + std::to_string(o.input.axis));
  switch (index) {
  case 0:
    a.add_text("meaning", "name of the TIFF file holding each slice, NUL-padded");
    a.add_text("file_dtype", std::string(plugin::dtype_name(file_dtype(*ctx))));
    a.add_text("conversion", conversion_text(o));
    a.add_text("compression", std::string(tiff::compression_name(o.compression)));
    break;
  case 1: a.add_text("meaning", "smallest value of the slice as read, NaN ignored"); break;
  case 2:
    a.add_text("meaning", "largest value of the slice as read, NaN ignored");
    // The entry's default plot: the file names are no picture, and the
    // largest value per slice shows where the volume holds something.
    a.add_int("nexus:default", 1);
    break;
  default:
    a.add_text("meaning", "values clamped to the file's type (or NaN made 0) in the conversion");
    break;
  }
}

} // namespace

extern "C" {

H5IO_EXPORT int h5io_init(void** context, const h5io_global_params_t* params, int* num_inputs,
                          int* num_outputs) {
  auto ctx = std::make_unique<Context>();
  Context* raw = ctx.get();
  *context = ctx.release();
  try {
    raw->options = parse_options(*params);
    prepare_directory(raw->options.directory);
  } catch (const std::exception& e) {
    return fail(raw, kBadParameter, e.what());
  }
  for (const char* name : kOutputNames)
    raw->output_locations.push_back(raw->options.output + "/" + name);
  *num_inputs = 1;
  *num_outputs = kOutputs;
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
    ctx->slice = plugin::slice_image(o.input, *input_dataspace);
    const int64_t slices = input_dataspace->shape[o.input.axis];
    ctx->naming.emplace(o.prefix, o.digits > 0 ? o.digits : SliceNaming::digits_for(slices));
    if (std::to_string(slices - 1).size() > static_cast<size_t>(ctx->naming->digits()))
      return fail(ctx, kBadParameter,
                  "digits=" + std::to_string(o.digits) + " is too few for " +
                      std::to_string(slices) + " slices");
    if (ctx->naming->name_length() >= kNameBytes)
      return fail(ctx, kBadParameter,
                  "file names such as " + ctx->naming->file_name(slices - 1) + " are longer than " +
                      std::to_string(kNameBytes - 1) + " characters; choose a shorter prefix");
    if (!o.overwrite) {
      const std::vector<std::string> existing = existing_slice_files(o.directory, *ctx->naming);
      if (!existing.empty())
        return fail(ctx, kBadInput,
                    o.directory.string() + " already holds " + existing.front() +
                        (existing.size() > 1
                             ? " and " + std::to_string(existing.size() - 1) + " more such files"
                             : std::string()) +
                        "; pass overwrite=true to replace them, or choose another directory "
                        "or prefix");
    }
    if (o.dtype)
      ctx->converted.resize(static_cast<size_t>(ctx->slice->pixels()) * h5io_dtype_size(*o.dtype));
  } catch (const std::bad_alloc&) {
    return fail(ctx, kFailed, "out of memory for one converted slice");
  } catch (const std::exception& e) {
    return fail(ctx, kBadInput, e.what());
  }
  slicing_map[o.input.axis] = 1;
  return kOk;
}

H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index >= kOutputs)
    return fail(ctx, kBadIndex, "there are 4 outputs");
  *dataset_location = ctx->output_locations[static_cast<size_t>(output_index)].c_str();
  output_dataspace->shape[0] = -1;
  if (output_index == 0) {
    output_dataspace->rank = 2;
    output_dataspace->shape[1] = kNameBytes;
    output_dataspace->dtype = H5IO_UINT8;
  } else {
    output_dataspace->rank = 1;
    output_dataspace->dtype = output_index == 3 ? H5IO_UINT64 : H5IO_FLOAT64;
  }
  return kOk;
}

H5IO_EXPORT int describe_output(void* context, int output_index, int* num_attributes,
                                const h5io_param_t** attributes) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index >= kOutputs)
    return fail(ctx, kBadIndex, "there are 4 outputs");
  if (!ctx->naming) return fail(ctx, kBadInput, "the host never described the input");
  describe(ctx, output_index);
  ctx->attributes.hand_out(num_attributes, attributes);
  return kOk;
}

H5IO_EXPORT int process(void* context, int64_t slice_number, int num_inputs,
                        const h5io_buffer_t* inputs, int num_outputs, h5io_buffer_t* outputs) {
  auto* ctx = static_cast<Context*>(context);
  if (num_inputs != 1 || num_outputs != kOutputs || !ctx->slice)
    return fail(ctx, kBadIndex, "expected 1 described input and 4 outputs");
  const plugin::ImageShape& slice = *ctx->slice;
  if (inputs[0].slice_bytes != slice.bytes() || outputs[0].slice_bytes != kNameBytes)
    return fail(ctx, kBadInput,
                "the host delivered " + std::to_string(inputs[0].slice_bytes) +
                    " bytes for a slice of " + plugin::describe(slice));
  const Options& o = ctx->options;
  const std::string name = ctx->naming->file_name(slice_number);
  try {
    const ValueRange range = value_range(inputs[0].data, slice.dtype, slice.pixels());
    uint64_t clipped = 0;
    const void* pixels = inputs[0].data;
    if (o.dtype) {
      clipped = convert_values(inputs[0].data, slice.dtype, slice.pixels(),
                               {*o.dtype, o.scale, o.offset}, ctx->converted.data());
      pixels = ctx->converted.data();
    }
    write_tiff_atomically(o.directory, name, {slice.rows, slice.cols, file_dtype(*ctx)}, pixels,
                          o.compression);
    std::memcpy(outputs[0].data, name.data(), name.size()); // the rest arrives zero-filled
    *static_cast<double*>(outputs[1].data) = range.min;
    *static_cast<double*>(outputs[2].data) = range.max;
    *static_cast<uint64_t*>(outputs[3].data) = clipped;
  } catch (const std::exception& e) {
    return fail(ctx, kFailed, "slice " + std::to_string(slice_number) + ": " + e.what());
  }
  return kOk;
}

H5IO_EXPORT int processing_complete(void* context) {
  std::unique_ptr<Context> owned(static_cast<Context*>(context));
  return kOk;
}

H5IO_EXPORT const char* get_error_code(void* context, int error_code) {
  const auto* ctx = static_cast<const Context*>(context);
  return h5io::plugin::error_text(ctx != nullptr ? &ctx->error : nullptr, error_code,
                                  "tiff_extract failed");
}

} // extern "C"
