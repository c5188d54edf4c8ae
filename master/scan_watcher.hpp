#pragma once
// Notices finished scans in watched directories. A scan is finished when it
// appears by rename (the acquisition writes elsewhere, then moves it in),
// when a marker file appears beside it, or when it has stayed unchanged for
// a while. inotify gives prompt notice; a periodic rescan catches what
// inotify cannot see (writes from other nodes of a network file system) and
// what happened while the master was down. Each scan is handed over once per
// master run; the master's client_ref makes it once across restarts.

#include "common/file_descriptor.hpp"
#include "master/config.hpp"
#include "master/job.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <vector>

namespace h5io::master {

struct FinishedScan {
  const WatchRule* rule = nullptr;
  std::filesystem::path path;
};

class ScanWatcher {
public:
  // Throws Error if a watched directory does not exist.
  ScanWatcher(const std::vector<WatchRule>& rules, std::chrono::milliseconds rescan);

  int fd() const { return inotify_.get(); }
  // Reads pending inotify events.
  std::vector<FinishedScan> on_events(Clock::time_point now);
  // Due when now >= next_check(): quiet-rule deadlines and the full rescan.
  std::vector<FinishedScan> check(Clock::time_point now);
  Clock::time_point next_check() const;

private:
  struct Candidate { // a file of a quiet rule that is still changing
    const WatchRule* rule = nullptr;
    uintmax_t size = 0;
    std::filesystem::file_time_type modified{};
    Clock::time_point stable_since{};
  };

  void consider(const WatchRule& rule, const std::filesystem::path& path, Clock::time_point now,
                std::vector<FinishedScan>& finished);
  void hand_over(const WatchRule& rule, const std::filesystem::path& path,
                 std::vector<FinishedScan>& finished);

  const std::vector<WatchRule>& rules_;
  std::chrono::milliseconds rescan_;
  FileDescriptor inotify_;
  std::map<int, const WatchRule*> watches_; // inotify watch descriptor -> rule
  std::map<std::filesystem::path, Candidate> candidates_;
  std::set<std::filesystem::path> handed_;
  Clock::time_point next_rescan_{};
};

} // namespace h5io::master
