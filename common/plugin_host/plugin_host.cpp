#include "common/plugin_host/plugin_host.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <system_error>

#ifndef H5IO_PLUGIN_SUBDIR
#define H5IO_PLUGIN_SUBDIR "lib/h5io/plugins"
#endif

namespace fs = std::filesystem;

namespace h5io {

void check_plugin_name(std::string_view name) {
  const bool plain =
      !name.empty() && name.size() <= 64 &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
  if (!plain)
    throw Error(fmt::format("invalid library name '{}': a library is named by lower-case letters, "
                            "digits and '_' only (e.g. 'benchmark'), never by a path",
                            name));
}

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& extra_dirs) {
  std::vector<fs::path> dirs(extra_dirs);
  if (const char* env = std::getenv("H5IO_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / H5IO_PLUGIN_SUBDIR);
  // The same directory named twice is searched (and reported) once.
  std::vector<fs::path> unique;
  for (const fs::path& dir : dirs) {
    const fs::path normal = dir.lexically_normal();
    if (std::find(unique.begin(), unique.end(), normal) == unique.end()) unique.push_back(normal);
  }
  return unique;
}

namespace {

template <class Fn> Fn symbol_as(const SharedLibrary& library, const char* name) {
  return reinterpret_cast<Fn>(library.symbol(name));
}

std::string dirs_text(const std::vector<fs::path>& dirs) {
  std::string text;
  for (const auto& dir : dirs) text += (text.empty() ? "" : ", ") + dir.string();
  return text.empty() ? "(none configured)" : text;
}

} // namespace

PluginLibrary PluginLibrary::load(const std::string& name, const std::vector<fs::path>& dirs) {
  check_plugin_name(name);
  for (const auto& dir : dirs) {
    for (const fs::path& candidate : {dir / ("libh5io_" + name + ".so"), dir / (name + ".so")}) {
      std::error_code ec;
      if (!fs::is_regular_file(candidate, ec)) continue;
      try {
        return PluginLibrary(name, SharedLibrary(candidate));
      } catch (const Error& e) {
        // dlerror() starts with the path, which the message already names.
        std::string_view why = e.what();
        const std::string prefix = candidate.string() + ": ";
        if (why.starts_with(prefix)) why.remove_prefix(prefix.size());
        throw Error(fmt::format("library '{}' ({}) could not be loaded: {}", name,
                                candidate.string(), why));
      }
    }
  }
  throw Error(fmt::format("library '{}' not found: looked for libh5io_{}.so in {}", name, name,
                          dirs_text(dirs)));
}

PluginLibrary::PluginLibrary(std::string name, SharedLibrary library)
    : name_(std::move(name)), library_(std::move(library)) {
  api_.abi_version = symbol_as<h5io_abi_version_fn>(library_, "h5io_abi_version");
  api_.plugin_version = symbol_as<h5io_plugin_version_fn>(library_, "h5io_plugin_version");
  api_.init = symbol_as<h5io_init_fn>(library_, "h5io_init");
  api_.request_input = symbol_as<h5io_request_input_fn>(library_, "request_input");
  api_.set_input_slice = symbol_as<h5io_set_input_slice_fn>(library_, "set_input_slice");
  api_.request_output = symbol_as<h5io_request_output_fn>(library_, "request_output");
  api_.process = symbol_as<h5io_process_fn>(library_, "process");
  api_.process_batch = symbol_as<h5io_process_batch_fn>(library_, "process_batch");
  api_.describe_output = symbol_as<h5io_describe_output_fn>(library_, "describe_output");
  api_.job_setup_slices = symbol_as<h5io_job_setup_slices_fn>(library_, "job_setup_slices");
  api_.job_setup = symbol_as<h5io_job_setup_fn>(library_, "job_setup");
  api_.apply_job_setup = symbol_as<h5io_apply_job_setup_fn>(library_, "apply_job_setup");
  api_.processing_complete =
      symbol_as<h5io_processing_complete_fn>(library_, "processing_complete");
  api_.get_error_code = symbol_as<h5io_get_error_code_fn>(library_, "get_error_code");

  const std::pair<const char*, bool> required[] = {
      {"h5io_abi_version", api_.abi_version != nullptr},
      {"h5io_init", api_.init != nullptr},
      {"request_input", api_.request_input != nullptr},
      {"set_input_slice", api_.set_input_slice != nullptr},
      {"request_output", api_.request_output != nullptr},
      {"process", api_.process != nullptr || api_.process_batch != nullptr},
      {"processing_complete", api_.processing_complete != nullptr},
      {"get_error_code", api_.get_error_code != nullptr},
  };
  for (const auto& [symbol, present] : required)
    if (!present)
      throw Error(fmt::format("library '{}' ({}) does not export '{}', which every h5io processing "
                              "library must (see h5io_plugin.h)",
                              name_, path().string(), symbol));

  const int setup_parts = (api_.job_setup_slices != nullptr) + (api_.job_setup != nullptr) +
                          (api_.apply_job_setup != nullptr);
  if (setup_parts != 0 && setup_parts != 3)
    throw Error(fmt::format("library '{}' ({}) exports only some of job_setup_slices, job_setup "
                            "and apply_job_setup; the scan-wide step needs all three (see "
                            "h5io_plugin.h)",
                            name_, path().string()));

  const int abi = api_.abi_version();
  if (abi != H5IO_ABI_VERSION)
    throw Error(fmt::format("library '{}' ({}) was built for h5io ABI version {}, but this h5io "
                            "speaks version {}: rebuild it against this h5io's h5io_plugin.h",
                            name_, path().string(), abi, H5IO_ABI_VERSION));
  const char* version = api_.plugin_version != nullptr ? api_.plugin_version() : nullptr;
  version_ = version != nullptr ? version : "unknown";
}

PluginInstance::PluginInstance(const PluginLibrary& library, const h5io_global_params_t& params)
    : library_(library) {
  const int code = library_.api().init(&context_, &params, &num_inputs_, &num_outputs_);
  std::optional<Error> error;
  if (code != 0)
    error = failure("h5io_init", code);
  else if (num_inputs_ < 1 || num_inputs_ > 64 || num_outputs_ < 0 || num_outputs_ > 64)
    error = Error(fmt::format("library '{}' declared {} inputs and {} outputs; h5io supports 1 to "
                              "64 inputs and 0 to 64 outputs",
                              library_.name(), num_inputs_, num_outputs_));
  if (error) {
    // No destructor runs for a constructor that throws: release here.
    library_.api().processing_complete(context_);
    throw *error;
  }
}

PluginInstance::~PluginInstance() {
  if (!completed_) library_.api().processing_complete(context_);
}

Error PluginInstance::failure(std::string_view entry_point, int code,
                              const std::string& where) const {
  const char* text = library_.api().get_error_code(context_, code);
  return Error(fmt::format("library '{}' failed in {}{}: {} (code {})", library_.name(),
                           entry_point, where, text != nullptr ? text : "(it gave no error text)",
                           code));
}

std::string PluginInstance::request_input(int index) {
  const char* location = nullptr;
  const int code = library_.api().request_input(context_, index, &location);
  if (code != 0) throw failure("request_input", code, fmt::format(" (input {})", index));
  if (location == nullptr || location[0] == '\0')
    throw Error(
        fmt::format("library '{}' gave no dataset location for input {}", library_.name(), index));
  return location;
}

std::vector<int> PluginInstance::set_input_slice(int index, const h5io_dataspace_t& space) {
  std::vector<int> map(H5IO_MAX_RANK, 0);
  const int code = library_.api().set_input_slice(context_, index, &space, map.data());
  if (code != 0) throw failure("set_input_slice", code, fmt::format(" (input {})", index));
  map.resize(static_cast<size_t>(space.rank));
  return map;
}

OutputRequest PluginInstance::request_output(int index) {
  const char* location = nullptr;
  OutputRequest request{};
  const int code = library_.api().request_output(context_, index, &location, &request.space);
  if (code != 0) throw failure("request_output", code, fmt::format(" (output {})", index));
  if (location == nullptr || location[0] == '\0')
    throw Error(
        fmt::format("library '{}' gave no dataset location for output {}", library_.name(), index));
  request.location = location;
  return request;
}

std::vector<AttributeValue> PluginInstance::describe_output(int index) {
  std::vector<AttributeValue> attributes;
  if (library_.api().describe_output == nullptr) return attributes;
  int count = 0;
  const h5io_param_t* entries = nullptr;
  const int code = library_.api().describe_output(context_, index, &count, &entries);
  if (code != 0) throw failure("describe_output", code, fmt::format(" (output {})", index));
  if (count < 0 || count > 256 || (count > 0 && entries == nullptr))
    throw Error(fmt::format("library '{}' described output {} with {} attributes; h5io takes 0 "
                            "to 256",
                            library_.name(), index, count));
  for (int a = 0; a < count; ++a) {
    const h5io_param_t& entry = entries[a];
    const std::string name = entry.key != nullptr ? entry.key : "";
    if (name.empty() || name.size() > 255 ||
        std::any_of(attributes.begin(), attributes.end(),
                    [&](const AttributeValue& seen) { return seen.name == name; }))
      throw Error(fmt::format("library '{}' gave output {} an attribute with an empty, overlong "
                              "or repeated name ('{}')",
                              library_.name(), index, name));
    switch (entry.type) {
    case H5IO_PARAM_INT:
    case H5IO_PARAM_BOOL: attributes.push_back({name, entry.int_value}); break;
    case H5IO_PARAM_FLOAT: attributes.push_back({name, entry.float_value}); break;
    default:
      attributes.push_back({name, std::string(entry.text != nullptr ? entry.text : "")});
      break;
    }
  }
  return attributes;
}

std::vector<int64_t> PluginInstance::job_setup_slices(int64_t slice_count) {
  std::vector<int64_t> slices(H5IO_MAX_SETUP_SLICES, -1);
  int count = 0;
  const int code = library_.api().job_setup_slices(context_, slice_count, &count, slices.data());
  if (code != 0) throw failure("job_setup_slices", code);
  if (count < 0 || count > H5IO_MAX_SETUP_SLICES)
    throw Error(fmt::format("library '{}' asked for {} slices for its scan-wide step; h5io "
                            "gives 0 to {}",
                            library_.name(), count, H5IO_MAX_SETUP_SLICES));
  slices.resize(static_cast<size_t>(count));
  for (size_t k = 0; k < slices.size(); ++k)
    if (slices[k] < 0 || slices[k] >= slice_count || (k > 0 && slices[k] <= slices[k - 1]))
      throw Error(fmt::format("library '{}' asked for slices {} for its scan-wide step; they must "
                              "be distinct, ascending and within 0 to {}",
                              library_.name(), fmt::join(slices, ", "), slice_count - 1));
  return slices;
}

JobSetupResults PluginInstance::job_setup(std::span<const int64_t> slices,
                                          std::span<const h5io_buffer_t> inputs) {
  int count = 0;
  const h5io_param_t* results = nullptr;
  const int code =
      library_.api().job_setup(context_, static_cast<int>(slices.size()), slices.data(),
                               static_cast<int>(inputs.size()), inputs.data(), &count, &results);
  if (code != 0) throw failure("job_setup", code);
  const std::string what = fmt::format("library '{}' returned from job_setup", library_.name());
  if (count < 0 || count > 256 || (count > 0 && results == nullptr))
    throw Error(fmt::format("{} {} results; h5io takes 0 to 256", what, count));
  return JobSetupResults::copy_of({results, static_cast<size_t>(count)}, what);
}

void PluginInstance::apply_job_setup(const JobSetupResults& results) {
  const std::vector<h5io_param_t> view = results.view();
  const int code = library_.api().apply_job_setup(context_, static_cast<int>(view.size()),
                                                  view.empty() ? nullptr : view.data());
  if (code != 0) throw failure("apply_job_setup", code);
}

void PluginInstance::process(int64_t slice, std::span<const h5io_buffer_t> inputs,
                             std::span<h5io_buffer_t> outputs) {
  const int code =
      library_.api().process(context_, slice, static_cast<int>(inputs.size()), inputs.data(),
                             static_cast<int>(outputs.size()), outputs.data());
  if (code != 0) throw failure("process", code, fmt::format(" (slice {})", slice));
}

void PluginInstance::process_batch(int64_t first, int64_t count,
                                   std::span<const h5io_buffer_t> inputs,
                                   std::span<h5io_buffer_t> outputs) {
  const int code =
      library_.api().process_batch(context_, first, count, static_cast<int>(inputs.size()),
                                   inputs.data(), static_cast<int>(outputs.size()), outputs.data());
  if (code != 0)
    throw failure("process_batch", code,
                  fmt::format(" (slices {} to {})", first, first + count - 1));
}

void PluginInstance::complete() {
  completed_ = true;
  const int code = library_.api().processing_complete(context_);
  // The context is gone even on failure; the ABI says get_error_code then
  // gets NULL.
  context_ = nullptr;
  if (code != 0) throw failure("processing_complete", code);
}

} // namespace h5io
