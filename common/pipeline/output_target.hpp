#pragma once
// Where a job's output goes: it is written under a temporary name next to the
// final one and renamed only when complete, so a file under the final name is
// always a whole result; an existing output is replaced only on request.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <utility>

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
  // Where a job that reslices its input keeps the copy it reads sinograms
  // from (also removed by the master for jobs that fail or are cancelled).
  static std::filesystem::path scratch_path_for(const std::filesystem::path& final_path);

  const std::filesystem::path& final_path() const { return final_; }
  const std::filesystem::path& partial_path() const { return partial_; }
  const std::filesystem::path& scratch_path() const { return scratch_; }

  // Removes a partial output an earlier lease left, so that the one about to
  // be created is a new file: a stale writer (a group that was stopped and
  // lost its lease) still holding the old one writes into the old one, which
  // no name leads to any more, never into ours.
  void clear_partial() const;
  // Notes which file the partial path names now (the one just created), so
  // that discard() removes it only while the path still leads to it.
  void claim_partial();
  // Atomically gives the finished file its final name (replacing any old
  // output in one step).
  void commit() const;
  // Removes the claimed partial file, unless the path now names another file
  // (a newer lease's); never throws.
  void discard() const noexcept;

  // The same three for the scratch file, and its removal once the job has
  // completed (whoever created it: nobody needs it any more).
  void clear_scratch() const;
  void claim_scratch();
  void discard_scratch() const noexcept;
  void remove_scratch() const noexcept;

private:
  using Identity = std::optional<std::pair<dev_t, ino_t>>;
  static void clear(const std::filesystem::path& path, const char* what);
  static void discard(const std::filesystem::path& path, const Identity& claimed) noexcept;

  std::filesystem::path final_;
  std::filesystem::path partial_;
  std::filesystem::path scratch_;
  Identity claimed_;         // the partial file we created
  Identity claimed_scratch_; // the scratch file we created
};

} // namespace h5io
