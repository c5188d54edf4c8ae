// Reading tiff_extract's parameters. A parameter that would have no effect
// (scale with dtype=keep) is an error: a silent no-op hides a mistake.
#include "options.hpp"

#include "dtype_names.hpp"
#include "param_values.hpp"
#include "plugin_error.hpp"

namespace h5io::extract {

using plugin::Error;
using plugin::quoted;

namespace {

constexpr const char* kKnown[] = {"dataset",   "axis",        "directory", "prefix",
                                  "digits",    "dtype",       "scale",     "offset",
                                  "overwrite", "compression", "output"};

double number_param(const h5io_param_t& p, const char* meaning) {
  const std::optional<double> value = plugin::number_of(p);
  if (!value) throw Error("parameter " + quoted(p) + " must be a number: " + meaning);
  return *value;
}

} // namespace

Options parse_options(const h5io_global_params_t& params) {
  plugin::refuse_unknown_params(params, kKnown, "tiff_extract");
  Options o;
  o.input = plugin::parse_slice_input(params, o.input);
  const h5io_param_t* directory = h5io_find_param(&params, "directory");
  if (directory == nullptr || directory->text[0] == '\0')
    throw Error("tiff_extract needs directory=PATH: where the TIFF files go (made if missing)");
  o.directory = std::filesystem::absolute(directory->text).lexically_normal();
  if (const h5io_param_t* p = h5io_find_param(&params, "prefix")) {
    const std::string prefix = p->text;
    if (prefix.find('/') != std::string::npos)
      throw Error("parameter " + quoted(*p) +
                  " must be a file name prefix without '/'; put the path in directory=");
    o.prefix = prefix;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "digits")) {
    const int64_t digits = plugin::whole_number_of(*p, "a whole number of digits from 1 to 18");
    if (digits < 1 || digits > 18)
      throw Error("parameter " + quoted(*p) + " must be a whole number of digits from 1 to 18");
    o.digits = static_cast<int>(digits);
  }
  if (o.prefix.size() + static_cast<size_t>(o.digits) + 4 >= kNameBytes)
    throw Error("file names of prefix '" + o.prefix + "' are longer than " +
                std::to_string(kNameBytes - 1) + " characters; choose a shorter prefix");
  if (const h5io_param_t* p = h5io_find_param(&params, "dtype")) {
    const std::string name = plugin::lower(p->text);
    if (name != "keep") {
      const std::optional<h5io_dtype_t> dtype = plugin::parse_dtype(name);
      if (!dtype || (*dtype != H5IO_UINT8 && *dtype != H5IO_INT16 && *dtype != H5IO_UINT16 &&
                     *dtype != H5IO_FLOAT32))
        throw Error("parameter " + quoted(*p) +
                    " must be keep (the input's type), uint8, int16, uint16 or float32");
      o.dtype = *dtype;
    }
  }
  for (const char* key : {"scale", "offset"})
    if (h5io_find_param(&params, key) != nullptr && !o.dtype)
      throw Error(std::string(key) +
                  " only applies when converting: give dtype=uint8|int16|uint16|float32 too");
  if (const h5io_param_t* p = h5io_find_param(&params, "scale"))
    o.scale = number_param(*p, "files hold value * scale + offset");
  if (const h5io_param_t* p = h5io_find_param(&params, "offset"))
    o.offset = number_param(*p, "files hold value * scale + offset");
  if (const h5io_param_t* p = h5io_find_param(&params, "overwrite"))
    o.overwrite = plugin::bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "compression")) {
    const std::optional<tiff::Compression> compression = tiff::parse_compression(p->text);
    if (!compression) throw Error("parameter " + quoted(*p) + " must be none, deflate or lzw");
    o.compression = *compression;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "output"))
    o.output = plugin::dataset_path_of(*p);
  return o;
}

} // namespace h5io::extract
