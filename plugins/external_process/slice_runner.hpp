#pragma once
// One slice through the user's program: the slice written as IN.tif in a
// private directory, the command run there, OUT.tif checked against the
// shape and type the host was promised and read back, the directory removed.
// Every failure becomes one Error that names the slice, the command line,
// what went wrong and the end of the program's output, so a scientist can
// see why without finding log files.

#include "command_template.hpp"
#include "image_shape.hpp"
#include "temp_directory.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace h5io::external {

struct RunnerSettings {
  CommandTemplate command;
  double timeout = 600; // seconds per slice
  bool keep_temporaries = false;
  std::filesystem::path tmpdir;
  std::string directory_prefix = "h5io-external-"; // of the private directory in tmpdir
};

class SliceRunner {
public:
  explicit SliceRunner(RunnerSettings settings) : settings_(std::move(settings)) {}

  // Runs the program on one slice; `output` receives output_shape.bytes().
  // Returns the program's run time in seconds. Throws plugin::Error.
  double run(int64_t slice, const plugin::ImageShape& input_shape, const void* input,
             const plugin::ImageShape& output_shape, void* output);

  // The private directory (empty until the first slice).
  std::filesystem::path directory() const;

private:
  RunnerSettings settings_;
  // Made at the first slice, removed (with anything left in it) when the
  // runner goes: at processing_complete, after success or failure alike.
  std::optional<TempDirectory> job_directory_;
};

// The last ~2 KB the program printed, as the end of an error message.
std::string output_tail_text(const std::filesystem::path& log_file);

} // namespace h5io::external
