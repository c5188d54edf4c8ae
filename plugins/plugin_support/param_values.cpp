#include "param_values.hpp"

#include "plugin_error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace h5io::plugin {

std::string quoted(const h5io_param_t& p) {
  return std::string(p.key) + "='" + p.text + "'";
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<double> number_of(const h5io_param_t& p) {
  if (p.type == H5IO_PARAM_INT || p.type == H5IO_PARAM_FLOAT)
    return std::isfinite(p.float_value) ? std::optional<double>(p.float_value) : std::nullopt;
  if (p.type != H5IO_PARAM_STRING || p.text[0] == '\0') return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(p.text, &end);
  if (*end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool bool_of(const h5io_param_t& p) {
  if (p.type == H5IO_PARAM_BOOL) return p.int_value != 0;
  if (p.type == H5IO_PARAM_INT && (p.int_value == 0 || p.int_value == 1)) return p.int_value != 0;
  const std::string t = lower(p.text);
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  throw Error("parameter " + quoted(p) + " must be true or false");
}

int threads_of(const h5io_param_t& p) {
  const int64_t n = whole_number_of(p, "a whole number >= 0 (0: share this node's cores)");
  if (n < 0 || n > 4096)
    throw Error("parameter " + quoted(p) +
                " must be a whole number from 0 (share this node's cores) to 4096");
  return static_cast<int>(n);
}

int64_t whole_number_of(const h5io_param_t& p, const std::string& what) {
  const std::optional<double> value = number_of(p);
  if (!value || *value != std::floor(*value) || std::fabs(*value) > 1e15)
    throw Error("parameter " + quoted(p) + " must be " + what);
  return static_cast<int64_t>(*value);
}

void refuse_unknown_params(const h5io_global_params_t& params, std::span<const char* const> known,
                           std::string_view library) {
  const h5io_param_t* unknown =
      h5io_first_unknown_param(&params, known.data(), static_cast<int>(known.size()));
  if (unknown == nullptr) return;
  std::string list;
  for (const char* key : known) list += (list.empty() ? "" : ", ") + std::string(key);
  throw Error(std::string(library) + " has no parameter '" + unknown->key +
              "'; its parameters are: " + list);
}

std::string dataset_path_of(const h5io_param_t& p) {
  const std::string path = p.text;
  if (path.size() < 2 || path[0] != '/' || path.back() == '/' ||
      path.find("//") != std::string::npos)
    throw Error("parameter " + quoted(p) + " must be an absolute HDF5 path such as /entry/data");
  return path;
}

} // namespace h5io::plugin
