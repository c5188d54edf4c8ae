#pragma once
// The job id on every log line about a job. A pattern set with
// log::set_pattern may use the flag %J: it prints "[jNNNNNN] " while a
// JobLogScope is alive and nothing otherwise, so lines logged deep inside the
// pipeline ("scan: ...") carry the job id without knowing it.
//
// The job is process-wide, not per thread: a worker process runs one job at
// a time, and lines from its helper threads belong to that job too.

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace h5io::log {

class JobLogScope {
public:
  explicit JobLogScope(std::string job);
  ~JobLogScope();
  JobLogScope(const JobLogScope&) = delete;
  JobLogScope& operator=(const JobLogScope&) = delete;

private:
  std::string previous_; // restored on exit: scopes nest
};

// The job of the innermost live scope; empty outside every scope.
[[nodiscard]] std::string current_job();

// A formatter for `pattern` that knows %J (for a logger or sink of one's own).
[[nodiscard]] std::unique_ptr<spdlog::formatter> make_formatter(const std::string& pattern);

// spdlog::set_pattern for every registered logger, with %J.
void set_pattern(const std::string& pattern);

} // namespace h5io::log
