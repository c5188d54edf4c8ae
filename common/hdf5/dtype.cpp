#include "common/hdf5/dtype.hpp"

#include <fmt/format.h>

namespace h5io {

std::string_view dtype_name(h5io_dtype_t dtype) {
  switch (dtype) {
  case H5IO_INT8: return "int8";
  case H5IO_UINT8: return "uint8";
  case H5IO_INT16: return "int16";
  case H5IO_UINT16: return "uint16";
  case H5IO_INT32: return "int32";
  case H5IO_UINT32: return "uint32";
  case H5IO_INT64: return "int64";
  case H5IO_UINT64: return "uint64";
  case H5IO_FLOAT32: return "float32";
  case H5IO_FLOAT64: return "float64";
  default: return "invalid";
  }
}

hid_t native_hdf5_type(h5io_dtype_t dtype) {
  switch (dtype) {
  case H5IO_INT8: return H5T_NATIVE_INT8;
  case H5IO_UINT8: return H5T_NATIVE_UINT8;
  case H5IO_INT16: return H5T_NATIVE_INT16;
  case H5IO_UINT16: return H5T_NATIVE_UINT16;
  case H5IO_INT32: return H5T_NATIVE_INT32;
  case H5IO_UINT32: return H5T_NATIVE_UINT32;
  case H5IO_INT64: return H5T_NATIVE_INT64;
  case H5IO_UINT64: return H5T_NATIVE_UINT64;
  case H5IO_FLOAT32: return H5T_NATIVE_FLOAT;
  case H5IO_FLOAT64: return H5T_NATIVE_DOUBLE;
  default: return H5I_INVALID_HID;
  }
}

hid_t file_hdf5_type(h5io_dtype_t dtype) {
  switch (dtype) {
  case H5IO_INT8: return H5T_STD_I8LE;
  case H5IO_UINT8: return H5T_STD_U8LE;
  case H5IO_INT16: return H5T_STD_I16LE;
  case H5IO_UINT16: return H5T_STD_U16LE;
  case H5IO_INT32: return H5T_STD_I32LE;
  case H5IO_UINT32: return H5T_STD_U32LE;
  case H5IO_INT64: return H5T_STD_I64LE;
  case H5IO_UINT64: return H5T_STD_U64LE;
  case H5IO_FLOAT32: return H5T_IEEE_F32LE;
  case H5IO_FLOAT64: return H5T_IEEE_F64LE;
  default: return H5I_INVALID_HID;
  }
}

h5io_dtype_t dtype_of_hdf5_type(hid_t type) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
  case H5T_INTEGER: {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
    case 1: return is_signed ? H5IO_INT8 : H5IO_UINT8;
    case 2: return is_signed ? H5IO_INT16 : H5IO_UINT16;
    case 4: return is_signed ? H5IO_INT32 : H5IO_UINT32;
    case 8: return is_signed ? H5IO_INT64 : H5IO_UINT64;
    default: return H5IO_DTYPE_INVALID;
    }
  }
  case H5T_FLOAT:
    // Only IEEE single and double: a custom float layout of the same size
    // would be silently converted otherwise.
    if (size == 4 && H5Tget_precision(type) == 32) return H5IO_FLOAT32;
    if (size == 8 && H5Tget_precision(type) == 64) return H5IO_FLOAT64;
    return H5IO_DTYPE_INVALID;
  default: return H5IO_DTYPE_INVALID;
  }
}

std::string describe_hdf5_type(hid_t type) {
  const size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
  case H5T_INTEGER: return fmt::format("{}-bit integer", bits);
  case H5T_FLOAT: return fmt::format("{}-bit float", bits);
  case H5T_STRING: return "string";
  case H5T_COMPOUND: return "compound";
  case H5T_ENUM: return "enum";
  case H5T_BITFIELD: return "bitfield";
  case H5T_OPAQUE: return "opaque";
  case H5T_REFERENCE: return "reference";
  case H5T_VLEN: return "variable-length";
  case H5T_ARRAY: return "array";
  case H5T_TIME: return "time";
  default: return "unknown";
  }
}

std::string supported_dtype_names() {
  std::string names;
  for (int t = H5IO_INT8; t <= H5IO_FLOAT64; ++t) {
    if (!names.empty()) names += ", ";
    names += dtype_name(static_cast<h5io_dtype_t>(t));
  }
  return names;
}

} // namespace h5io
