#pragma once
// The frame `h5io status --follow` redraws on a terminal: a header (master,
// epoch, job and group counts, last event), one line per active job with a
// progress bar, rate and ETA, the most recent finished jobs, and the worker
// groups. Rendering is separate from drawing (TerminalScreen) and takes the
// time as an argument, so the tests can check frames without a terminal.

#include "job_table.hpp"
#include "proto/messages.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace h5io::cli {

class LiveStatus {
public:
  using Clock = std::chrono::steady_clock;

  // `endpoint`: the master's, for the header. `finished_shown`: how many
  // finished jobs to list (the most recent); older ones are only counted.
  LiveStatus(std::string endpoint, size_t finished_shown = 10);

  // Notes what the follower applied (or that it took a snapshot: no
  // events), received at `now`: a job's ETA counts down from its last
  // job.progress, and the header says how long ago the master was heard.
  void heard(const std::vector<proto::Event>& events, Clock::time_point now);

  std::vector<std::string> frame(const JobTable& table, const std::string& epoch,
                                 Clock::time_point now) const;

private:
  std::string job_line(const proto::JobRow& job, const JobRate* rate, Clock::time_point now) const;
  std::optional<double> eta_now(const std::string& id, const JobRate* rate,
                                Clock::time_point now) const;

  std::string endpoint_;
  size_t finished_shown_;
  std::map<std::string, Clock::time_point> progress_heard_;
  std::optional<Clock::time_point> last_heard_;
};

// "[#######-------------]": `width` cells, filled in proportion to done/total.
std::string progress_bar(int64_t done, int64_t total, int width = 20);

// "0:42", "12:05", "1:02:03"; "-" when unknown.
std::string format_eta(std::optional<double> seconds);

} // namespace h5io::cli
