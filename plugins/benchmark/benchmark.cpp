// benchmark: the processing library that measures h5io itself. It reads every
// value of every slice and writes two numbers per slice, so a run's speed is
// the pipeline's (read, hand over, write) with no real compute in the way,
// and its output proves each slice arrived intact:
//   /benchmark/sum       float64  sum of the slice's values
//   /benchmark/checksum  uint64   sum over i of raw_bits(value[i]) * (i + 1),
//                                 modulo 2^64 (position-sensitive)
// Parameters: dataset (default /entry/data/data), axis (the sliced dimension;
// default 1 for rank >= 2, i.e. sinograms of a [frames, rows, columns] stack).
#include "h5io_plugin.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

H5IO_DECLARE_PLUGIN("1.0.0")

namespace {

struct Context {
  std::string dataset = "/entry/data/data";
  int64_t axis = -1; // -1: choose by rank
  std::string error;
};

enum Code { kOk = 0, kBadParameter = 1, kBadInput = 2, kBadIndex = 3 };

int fail(Context* ctx, Code code, std::string text) {
  ctx->error = std::move(text);
  return code;
}

// The unsigned integer as wide as a value: its raw bits, zero-extended.
template <size_t Bytes> struct RawBits;
template <> struct RawBits<1> { using type = uint8_t; };
template <> struct RawBits<2> { using type = uint16_t; };
template <> struct RawBits<4> { using type = uint32_t; };
template <> struct RawBits<8> { using type = uint64_t; };

// Integers sum exactly in 64 bits; floats in double with four partial sums,
// so that the add latency does not serialise the loop.
template <class T> void sum_slice(const void* data, int64_t n, double& sum, uint64_t& checksum) {
  const T* values = static_cast<const T*>(data);
  uint64_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    typename RawBits<sizeof(T)>::type bits;
    std::memcpy(&bits, &values[i], sizeof(T));
    c += static_cast<uint64_t>(bits) * static_cast<uint64_t>(i + 1);
  }
  checksum = c;
  if constexpr (std::is_integral_v<T>) {
    std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t> s = 0;
    for (int64_t i = 0; i < n; ++i) s += values[i];
    sum = static_cast<double>(s);
  } else {
    double partial[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (int k = 0; k < 4; ++k) partial[k] += static_cast<double>(values[i + k]);
    for (; i < n; ++i) partial[0] += static_cast<double>(values[i]);
    sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
  }
}

void measure(const h5io_buffer_t& slice, const void* data, double& sum, uint64_t& checksum) {
  int64_t n = 1;
  for (int32_t d = 0; d < slice.space.rank; ++d) n *= slice.space.shape[d];
  switch (slice.space.dtype) {
  case H5IO_INT8: sum_slice<int8_t>(data, n, sum, checksum); break;
  case H5IO_UINT8: sum_slice<uint8_t>(data, n, sum, checksum); break;
  case H5IO_INT16: sum_slice<int16_t>(data, n, sum, checksum); break;
  case H5IO_UINT16: sum_slice<uint16_t>(data, n, sum, checksum); break;
  case H5IO_INT32: sum_slice<int32_t>(data, n, sum, checksum); break;
  case H5IO_UINT32: sum_slice<uint32_t>(data, n, sum, checksum); break;
  case H5IO_INT64: sum_slice<int64_t>(data, n, sum, checksum); break;
  case H5IO_UINT64: sum_slice<uint64_t>(data, n, sum, checksum); break;
  case H5IO_FLOAT32: sum_slice<float>(data, n, sum, checksum); break;
  case H5IO_FLOAT64: sum_slice<double>(data, n, sum, checksum); break;
  default:
    sum = 0;
    checksum = 0;
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
  static const char* const known[] = {"dataset", "axis"};
  if (const h5io_param_t* unknown = h5io_first_unknown_param(params, known, 2))
    return fail(raw, kBadParameter,
                std::string("unknown parameter '") + unknown->key + "' (known: dataset, axis)");
  if (const h5io_param_t* p = h5io_find_param(params, "dataset")) raw->dataset = p->text;
  if (const h5io_param_t* p = h5io_find_param(params, "axis")) {
    if (p->type != H5IO_PARAM_INT || p->int_value < 0)
      return fail(raw, kBadParameter,
                  std::string("parameter axis='") + p->text + "' must be a whole number >= 0");
    raw->axis = p->int_value;
  }
  *num_inputs = 1;
  *num_outputs = 2;
  return kOk;
}

H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index != 0) return fail(ctx, kBadIndex, "there is only input 0");
  *dataset_location = ctx->dataset.c_str();
  return kOk;
}

H5IO_EXPORT int set_input_slice(void* context, int input_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map) {
  auto* ctx = static_cast<Context*>(context);
  if (input_index != 0) return fail(ctx, kBadIndex, "there is only input 0");
  if (ctx->axis < 0) ctx->axis = input_dataspace->rank >= 2 ? 1 : 0;
  if (ctx->axis >= input_dataspace->rank)
    return fail(ctx, kBadInput,
                "axis=" + std::to_string(ctx->axis) + " but the dataset has only " +
                    std::to_string(input_dataspace->rank) + " dimensions");
  slicing_map[ctx->axis] = 1;
  return kOk;
}

H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace) {
  auto* ctx = static_cast<Context*>(context);
  if (output_index < 0 || output_index > 1) return fail(ctx, kBadIndex, "there are 2 outputs");
  *dataset_location = output_index == 0 ? "/benchmark/sum" : "/benchmark/checksum";
  output_dataspace->rank = 1;
  output_dataspace->shape[0] = -1;
  output_dataspace->dtype = output_index == 0 ? H5IO_FLOAT64 : H5IO_UINT64;
  return kOk;
}

H5IO_EXPORT int process_batch(void*, int64_t, int64_t slice_count, int, const h5io_buffer_t* inputs,
                              int, h5io_buffer_t* outputs) {
  auto* sums = static_cast<double*>(outputs[0].data);
  auto* checksums = static_cast<uint64_t*>(outputs[1].data);
  const auto* base = static_cast<const std::byte*>(inputs[0].data);
  for (int64_t k = 0; k < slice_count; ++k)
    measure(inputs[0], base + k * static_cast<int64_t>(inputs[0].slice_bytes), sums[k],
            checksums[k]);
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
  auto* ctx = static_cast<Context*>(context);
  if (ctx != nullptr && !ctx->error.empty()) return ctx->error.c_str();
  switch (error_code) {
  case kBadParameter: return "bad parameter";
  case kBadInput: return "unsuitable input";
  case kBadIndex: return "no such input or output";
  default: return "unknown error";
  }
}

} // extern "C"
