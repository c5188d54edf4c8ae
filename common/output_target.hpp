#pragma once
// Where a job's output goes: it is written under a temporary name next to the
// final one and renamed only when complete, so a file under the final name is
// always a whole result; an existing output is replaced only on request.

#include <filesystem>

namespace h5io {

class OutputTarget {
public:
  // Checks (throwing Error with the reason): the directory exists and is
  // writable, the path is not a directory, and no file exists there unless
  // `overwrite`. `input` is refused as an output.
  OutputTarget(const std::filesystem::path& output, bool overwrite,
               const std::filesystem::path& input);

  // Where the output of `final_path` is written until it is complete (the
  // master removes it for jobs that fail or are cancelled).
  static std::filesystem::path partial_path_for(const std::filesystem::path& final_path);

  const std::filesystem::path& final_path() const { return final_; }
  const std::filesystem::path& partial_path() const { return partial_; }

  // Atomically gives the finished file its final name (replacing any old
  // output in one step).
  void commit() const;
  // Removes the temporary file; never throws.
  void discard() const noexcept;

private:
  std::filesystem::path final_;
  std::filesystem::path partial_;
};

} // namespace h5io
