#include "live_status.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

namespace h5io::cli {

namespace {

// Errors can be long (the master's "units ... failed 3 times ...; last
// error: " and then the library's own text): a job line keeps the start and
// the end, which is what the library said; `h5io status` shows all of it.
constexpr size_t kErrorHead = 24;
constexpr size_t kErrorTail = 56;

bool finished(const std::string& state) {
  return state == proto::state::completed || state == proto::state::failed ||
         state == proto::state::cancelled;
}

std::string shortened(std::string text) {
  std::replace_if(
      text.begin(), text.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }, ' ');
  if (text.size() <= kErrorHead + kErrorTail + 3) return text;
  return text.substr(0, kErrorHead) + "..." + text.substr(text.size() - kErrorTail);
}

std::string clock_time(double seconds) {
  if (seconds <= 0) return "-";
  return fmt::format("{:%H:%M:%S}", fmt::localtime(static_cast<std::time_t>(seconds)));
}

double seconds_between(LiveStatus::Clock::time_point from, LiveStatus::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

} // namespace

std::string progress_bar(int64_t done, int64_t total, int width) {
  const int64_t filled = total > 0 ? std::clamp<int64_t>(width * done / total, 0, width) : 0;
  std::string bar = "[";
  bar.append(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '-');
  return bar + ']';
}

std::string format_eta(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds)) return "-";
  const auto total = static_cast<int64_t>(std::max(0.0, std::round(*seconds)));
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

LiveStatus::LiveStatus(std::string endpoint, size_t finished_shown)
    : endpoint_(std::move(endpoint)), finished_shown_(finished_shown) {}

void LiveStatus::heard(const std::vector<proto::Event>& events, Clock::time_point now) {
  last_heard_ = now;
  for (const proto::Event& event : events)
    if (std::holds_alternative<proto::JobProgress>(event.body))
      progress_heard_[proto::job_of(event.body)] = now;
}

std::optional<double> LiveStatus::eta_now(const std::string& id, const JobRate* rate,
                                          Clock::time_point now) const {
  // The master's ETA was right when its job.progress came; between events it
  // counts down by itself so the view does not look stuck. A snapshot has no
  // ETA: unknown until the next job.progress.
  const auto heard = progress_heard_.find(id);
  if (rate == nullptr || !rate->eta || heard == progress_heard_.end()) return std::nullopt;
  return std::max(0.0, *rate->eta - seconds_between(heard->second, now));
}

std::string LiveStatus::job_line(const proto::JobRow& job, const JobRate* rate,
                                 Clock::time_point now) const {
  const std::string& id = job.job;
  const std::string state = job.state.empty() ? "?" : job.state;
  const int64_t done = job.done;
  const int64_t total = job.total;
  const int64_t percent = total > 0 ? 100 * done / total : 0;
  std::string line = fmt::format("{:<8} {:<9} {} {:>3}% {:>6}/{} slices", id, state,
                                 progress_bar(done, total), percent, done, total);
  const int64_t resliced = job.reslice_done;
  const int64_t reslicing = job.reslice_units;
  if (state == proto::state::running && resliced < reslicing) {
    line = fmt::format("{:<8} {:<9} {} {:>3}% {:>6}/{} units resliced  on {}", id, state,
                       progress_bar(resliced, reslicing), 100 * resliced / reslicing, resliced,
                       reslicing, job.group.value_or("?"));
  } else if (state == proto::state::running) {
    line += rate != nullptr && rate->rate >= 0 ? fmt::format("  {:.1f} slices/s", rate->rate)
                                               : "  - slices/s";
    line += "  ETA " + format_eta(eta_now(id, rate, now));
    line += "  on " + job.group.value_or("?");
  } else if (state == proto::state::failed) {
    line += "  error: " + shortened(job.error.value_or("?"));
  } else if (state == proto::state::completed && job.wall) {
    line += fmt::format("  in {:.1f} s", *job.wall);
  }
  line += "  " + job.plugin;
  return line;
}

std::vector<std::string> LiveStatus::frame(const JobTable& table, const std::string& epoch,
                                           Clock::time_point now) const {
  std::vector<const proto::JobRow*> active;
  std::vector<const proto::JobRow*> done;
  int queued = 0;
  int running = 0;
  for (const auto& [id, job] : table.jobs()) {
    queued += job.state == proto::state::queued;
    running += job.state == proto::state::running;
    (finished(job.state) ? done : active).push_back(&job);
  }
  // Most recent first: by when they finished, then by id (submission order).
  std::sort(done.begin(), done.end(), [](const proto::JobRow* a, const proto::JobRow* b) {
    const double fa = a->finished.value_or(0.0);
    const double fb = b->finished.value_or(0.0);
    return fa != fb ? fa > fb : a->job > b->job;
  });

  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "h5io master {}  epoch {}  jobs: {} queued, {} running  groups: {}  last event {}{}",
      endpoint_, epoch.empty() ? "-" : epoch, queued, running, table.workers().size(),
      clock_time(table.time()),
      last_heard_ ? fmt::format(" ({:.1f} s ago)", seconds_between(*last_heard_, now)) : ""));
  lines.emplace_back();
  if (active.empty()) lines.emplace_back("no active jobs");
  for (const proto::JobRow* job : active)
    lines.push_back(job_line(*job, table.rate_of(job->job), now));
  if (!done.empty()) {
    lines.emplace_back();
    const size_t shown = std::min(done.size(), finished_shown_);
    lines.push_back(shown < done.size()
                        ? fmt::format("finished (most recent {} of {}):", shown, done.size())
                        : "finished:");
    for (size_t i = 0; i < shown; ++i)
      lines.push_back(job_line(*done[i], table.rate_of(done[i]->job), now));
  }
  lines.emplace_back();
  if (table.workers().empty()) lines.emplace_back("no worker groups");
  for (const auto& [group, worker] : table.workers()) {
    lines.push_back(fmt::format("group {}  {} ranks on {}  {}", group, worker.ranks,
                                worker.host.empty() ? "?" : worker.host,
                                worker.job ? "job " + *worker.job : "idle"));
  }
  lines.emplace_back("Ctrl-C to stop");
  return lines;
}

} // namespace h5io::cli
