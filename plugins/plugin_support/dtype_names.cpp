#include "dtype_names.hpp"

#include "param_values.hpp"

#include <string>

namespace h5io::plugin {
namespace {

struct Named {
  h5io_dtype_t dtype;
  std::string_view name;
};
constexpr Named kNames[] = {{H5IO_INT8, "int8"},       {H5IO_UINT8, "uint8"},
                            {H5IO_INT16, "int16"},     {H5IO_UINT16, "uint16"},
                            {H5IO_INT32, "int32"},     {H5IO_UINT32, "uint32"},
                            {H5IO_INT64, "int64"},     {H5IO_UINT64, "uint64"},
                            {H5IO_FLOAT32, "float32"}, {H5IO_FLOAT64, "float64"}};

} // namespace

std::string_view dtype_name(h5io_dtype_t dtype) {
  for (const Named& n : kNames)
    if (n.dtype == dtype) return n.name;
  return "invalid";
}

std::optional<h5io_dtype_t> parse_dtype(std::string_view name) {
  const std::string wanted = lower(name);
  for (const Named& n : kNames)
    if (n.name == wanted) return n.dtype;
  return std::nullopt;
}

std::string_view dtype_name_list() {
  return "int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64";
}

} // namespace h5io::plugin
