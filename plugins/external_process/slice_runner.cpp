#include "slice_runner.hpp"

#include "child_process.hpp"
#include "plugin_error.hpp"
#include "tiff_reader.hpp"
#include "tiff_writer.hpp"

#include <system_error>

namespace h5io::external {

namespace fs = std::filesystem;
using plugin::Error;

namespace {

constexpr size_t kTailBytes = 2048;

} // namespace

std::string output_tail_text(const fs::path& log_file) {
  const std::string tail = file_tail(log_file, kTailBytes);
  if (tail.empty()) return "; it printed nothing";
  std::string text = "; the end of its output (stdout and stderr):";
  size_t start = 0;
  while (start <= tail.size()) {
    size_t end = tail.find('\n', start);
    if (end == std::string::npos) end = tail.size();
    text += "\n    ";
    text.append(tail, start, end - start);
    start = end + 1;
  }
  return text;
}

fs::path SliceRunner::directory() const {
  return job_directory_ ? job_directory_->path() : fs::path();
}

double SliceRunner::run(int64_t slice, const plugin::ImageShape& input_shape, const void* input,
                        const plugin::ImageShape& output_shape, void* output) {
  const std::string where = "slice " + std::to_string(slice) + ": ";
  if (!job_directory_) {
    try {
      job_directory_.emplace(settings_.tmpdir, settings_.directory_prefix);
    } catch (const Error& e) {
      throw Error(where + e.what());
    }
    if (settings_.keep_temporaries) job_directory_->keep();
  }
  TempDirectory slice_directory(job_directory_->path(), "slice_" + std::to_string(slice) + "_");
  if (settings_.keep_temporaries) slice_directory.keep();
  const fs::path in = slice_directory.path() / "in.tif";
  const fs::path out = slice_directory.path() / "out.tif";
  const fs::path log = slice_directory.path() / "output.log";
  try {
    tiff::write_tiff(in.string(), input_shape, input);
  } catch (const Error& e) {
    throw Error(where + "cannot hand the slice to the program: " + e.what());
  }

  const std::vector<std::string> argv = settings_.command.expand(in.string(), out.string(), slice);
  const std::string kept = settings_.keep_temporaries
                               ? "; its files are kept in " + slice_directory.path().string()
                               : std::string();
  const auto failure = [&](const std::string& what) {
    return Error(where + "the command `" + command_line(argv) + "` " + what + kept +
                 output_tail_text(log));
  };
  const ProcessResult result = run_process(
      {argv, slice_directory.path(), log, std::chrono::duration<double>(settings_.timeout)});
  if (!result.succeeded()) throw failure(result.describe());
  std::error_code ec;
  if (!fs::exists(out, ec))
    throw failure("exited with status 0 but wrote no result: no file at {out} (" + out.string() +
                  ")");
  std::optional<tiff::TiffReader> reader;
  try {
    reader.emplace(out.string());
  } catch (const Error& e) {
    throw failure(std::string("wrote a result h5io cannot read: ") + e.what());
  }
  if (reader->shape() != output_shape)
    throw failure("wrote an image of " + plugin::describe(reader->shape()) + " but " +
                  plugin::describe(output_shape) +
                  " was expected (output_shape or output_like_input, and output_dtype)");
  try {
    reader->read(output);
  } catch (const Error& e) {
    throw failure(std::string("wrote a result h5io cannot read: ") + e.what());
  }
  return result.seconds;
}

} // namespace h5io::external
