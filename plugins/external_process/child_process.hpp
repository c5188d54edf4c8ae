#pragma once
// Running one external program to completion, or to its deadline, without a
// shell: posix_spawn (no copy of the host's address space, which holds
// large unit buffers and MPI state), its own process group, stdin from
// /dev/null, stdout and stderr into one log file (a file rather than a pipe:
// nothing to drain while waiting, and children that outlive the leader
// cannot block us). Whatever way the call ends, every process of the group
// is gone: a timeout sends SIGTERM to the group, then SIGKILL after a grace
// period, and processes left behind by a leader that exited are killed too.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace h5io::external {

struct ProcessSpec {
  std::vector<std::string> argv; // argv[0]: the program's absolute path
  std::filesystem::path working_directory;
  std::filesystem::path log_file; // created (truncated): stdout and stderr
  std::chrono::duration<double> timeout{600};
  std::chrono::duration<double> grace{2}; // between SIGTERM and SIGKILL
};

struct ProcessResult {
  enum class End { exited, signalled, timed_out, not_started };
  End end = End::not_started;
  int code = 0;       // exit status, signal number, or errno when not started
  double seconds = 0; // from start to the leader's end
  double timeout = 0; // the limit, for messages

  bool succeeded() const { return end == End::exited && code == 0; }
  // "exited with status 1", "was killed by signal 11 (Segmentation fault)",
  // "timed out after 2 s and was killed", "could not be started: ...".
  std::string describe() const;
};

ProcessResult run_process(const ProcessSpec& spec);

// The last `max_bytes` of a file, from the start of a line, trailing blank
// lines dropped; "" when it is missing or empty.
std::string file_tail(const std::filesystem::path& path, size_t max_bytes);

} // namespace h5io::external
