#pragma once
// Loads processing libraries by name and calls them through the C ABI
// (plugins/api/h5io_plugin.h), turning every non-zero return into an Error
// that carries the library's own text.

#define H5IO_HOST
#include "h5io_plugin.h"

#include "common/plugin_host/job_setup.hpp"
#include "common/plugin_host/shared_library.hpp"
#include "common/util/attribute_value.hpp"
#include "common/util/error.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace h5io {

struct PluginApi {
  h5io_abi_version_fn abi_version = nullptr;
  h5io_plugin_version_fn plugin_version = nullptr; // optional
  h5io_init_fn init = nullptr;
  h5io_request_input_fn request_input = nullptr;
  h5io_set_input_slice_fn set_input_slice = nullptr;
  h5io_request_output_fn request_output = nullptr;
  h5io_process_fn process = nullptr;
  h5io_process_batch_fn process_batch = nullptr;     // optional
  h5io_describe_output_fn describe_output = nullptr; // optional
  // Optional, all three or none: the scan-wide step (see h5io_plugin.h).
  h5io_job_setup_slices_fn job_setup_slices = nullptr;
  h5io_job_setup_fn job_setup = nullptr;
  h5io_apply_job_setup_fn apply_job_setup = nullptr;
  h5io_processing_complete_fn processing_complete = nullptr;
  h5io_get_error_code_fn get_error_code = nullptr;
};

// Throws Error unless `name` is a plain library name ([a-z0-9_]+): a job
// names a library, never a path.
void check_plugin_name(std::string_view name);

// Where libraries are looked up, in order: `extra_dirs` (--plugin-dir), the
// directories in $H5IO_PLUGIN_PATH, then <bin>/../lib/h5io/plugins.
std::vector<std::filesystem::path>
plugin_search_path(const std::vector<std::filesystem::path>& extra_dirs);

class PluginLibrary {
public:
  // Finds libh5io_NAME.so (or NAME.so) in the first directory of `dirs` that
  // has one, loads it, and checks its ABI version and required symbols.
  static PluginLibrary load(const std::string& name,
                            const std::vector<std::filesystem::path>& dirs);

  const std::string& name() const { return name_; }
  const std::filesystem::path& path() const { return library_.path(); }
  const std::string& version() const { return version_; }
  const PluginApi& api() const { return api_; }

private:
  PluginLibrary(std::string name, SharedLibrary library);

  std::string name_;
  SharedLibrary library_;
  PluginApi api_;
  std::string version_;
};

struct OutputRequest {
  std::string location;
  h5io_dataspace_t space; // per-slice shape, -1 at the growing dimension
};

// One initialised library context. Not thread-safe by design: the pipeline
// makes every call from one WorkerThread.
class PluginInstance {
public:
  PluginInstance(const PluginLibrary& library, const h5io_global_params_t& params);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }
  bool has_batch() const { return library_.api().process_batch != nullptr; }
  bool has_job_setup() const { return library_.api().job_setup != nullptr; }

  std::string request_input(int index);
  // Returns the library's slicing map (one 0/1 entry per dimension).
  std::vector<int> set_input_slice(int index, const h5io_dataspace_t& space);
  OutputRequest request_output(int index);
  // The library's attributes for output `index` (none if it does not
  // export describe_output); throws Error for malformed ones.
  std::vector<AttributeValue> describe_output(int index);
  // The scan-wide step: the slices it wants of `slice_count` (checked:
  // distinct, ascending, in range, at most H5IO_MAX_SETUP_SLICES), then the
  // step on those slices, then its results applied to this instance.
  std::vector<int64_t> job_setup_slices(int64_t slice_count);
  JobSetupResults job_setup(std::span<const int64_t> slices, std::span<const h5io_buffer_t> inputs);
  void apply_job_setup(const JobSetupResults& results);
  void process(int64_t slice, std::span<const h5io_buffer_t> inputs,
               std::span<h5io_buffer_t> outputs);
  void process_batch(int64_t first, int64_t count, std::span<const h5io_buffer_t> inputs,
                     std::span<h5io_buffer_t> outputs);
  // processing_complete, reporting its error; the destructor calls it
  // silently if this was never reached.
  void complete();

private:
  // The Error for a non-zero return, with the library's own text.
  Error failure(std::string_view entry_point, int code, const std::string& where = {}) const;

  const PluginLibrary& library_;
  void* context_ = nullptr;
  bool completed_ = false;
  int num_inputs_ = 0;
  int num_outputs_ = 0;
};

} // namespace h5io
