// Reading external_process's parameters. A parameter that would have no
// effect, or two that contradict each other, are errors: a silent choice
// hides a mistake.
#include "options.hpp"

#include "dtype_names.hpp"
#include "param_values.hpp"
#include "plugin_error.hpp"

#include <cstdlib>
#include <unistd.h>

namespace h5io::external {

using plugin::Error;
using plugin::quoted;

namespace {

constexpr const char* kKnown[] = {
    "dataset",           "axis",         "command", "timeout",          "output_shape",
    "output_like_input", "output_dtype", "output",  "keep_temporaries", "tmpdir"};

std::optional<plugin::ImageShape> parse_shape(const h5io_param_t& p) {
  std::string text = p.text;
  for (char& c : text)
    if (c == 'x' || c == 'X' || c == ' ') c = ',';
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return std::nullopt;
  char* end = nullptr;
  const long long rows = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() + comma) return std::nullopt;
  const long long cols = std::strtoll(text.c_str() + comma + 1, &end, 10);
  if (*end != '\0' || end == text.c_str() + comma + 1 || rows < 1 || cols < 1 || rows > 1'000'000 ||
      cols > 1'000'000)
    return std::nullopt;
  return plugin::ImageShape{rows, cols, H5IO_FLOAT32};
}

} // namespace

std::string seconds_location(const std::string& output) {
  return output.substr(0, output.rfind('/') + 1) + "seconds";
}

Options parse_options(const h5io_global_params_t& params, std::string_view search_path) {
  plugin::refuse_unknown_params(params, kKnown, "external_process");
  Options o;
  o.input = plugin::parse_slice_input(params, o.input);
  const h5io_param_t* command = h5io_find_param(&params, "command");
  if (command == nullptr)
    throw Error("external_process needs command=\"PROGRAM ARGS...\" naming {in} and {out}, "
                "e.g. command=\"/usr/bin/myrecon {in} {out}\"");
  o.command = CommandTemplate(command->text, search_path);
  if (const h5io_param_t* p = h5io_find_param(&params, "timeout")) {
    const std::optional<double> seconds = plugin::number_of(*p);
    if (!seconds || *seconds <= 0 || *seconds > 1e7)
      throw Error("parameter " + quoted(*p) +
                  " must be a number of seconds > 0: how long the program may take per slice");
    o.timeout = *seconds;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "output_like_input"))
    o.output_like_input = plugin::bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "output_shape")) {
    if (o.output_like_input) throw Error("give output_shape or output_like_input=true, not both");
    o.output_shape = parse_shape(*p);
    if (!o.output_shape)
      throw Error("parameter " + quoted(*p) +
                  " must be ROWS,COLS (e.g. 256,256): the shape of the image the program "
                  "writes for each slice");
  }
  if (!o.output_shape && !o.output_like_input)
    throw Error("external_process needs the shape of the program's result before the first "
                "slice: give output_shape=ROWS,COLS, or output_like_input=true when it has the "
                "input slice's shape");
  if (const h5io_param_t* p = h5io_find_param(&params, "output_dtype")) {
    const std::optional<h5io_dtype_t> dtype = plugin::parse_dtype(p->text);
    if (!dtype)
      throw Error("parameter " + quoted(*p) + " must be one of " +
                  std::string(plugin::dtype_name_list()));
    o.output_dtype = *dtype;
  }
  if (o.output_shape) o.output_shape->dtype = o.output_dtype.value_or(H5IO_FLOAT32);
  if (const h5io_param_t* p = h5io_find_param(&params, "output")) {
    o.output = plugin::dataset_path_of(*p);
    if (seconds_location(o.output) == o.output)
      throw Error("parameter " + quoted(*p) + " would collide with the run times written as " +
                  seconds_location(o.output) + "; choose another dataset name");
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "keep_temporaries"))
    o.keep_temporaries = plugin::bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "tmpdir"))
    o.tmpdir = p->text;
  else if (const char* env = std::getenv("TMPDIR"); env != nullptr && env[0] != '\0')
    o.tmpdir = env;
  else
    o.tmpdir = "/tmp";
  o.tmpdir = std::filesystem::absolute(o.tmpdir).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_directory(o.tmpdir, ec) || access(o.tmpdir.c_str(), W_OK | X_OK) != 0)
    throw Error("tmpdir " + o.tmpdir.string() +
                " is not a directory this user can write; name one with tmpdir=PATH");
  return o;
}

} // namespace h5io::external
