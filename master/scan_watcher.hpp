#pragma once
// Notices finished scans in watched directories. A scan is finished when it
// appears by rename (the acquisition writes elsewhere, then moves it in),
// when a marker file appears beside it, or when it has stayed unchanged for
// a while. inotify gives prompt notice; a periodic rescan catches what
// inotify cannot see (writes from other nodes of a network file system) and
// what happened while the master was down. Each scan is handed over once per
// master run; the master's client_ref makes it once across restarts. A
// rescan of a large directory is spread over loop turns (kRescanEntries
// entries or kRescanBudget at a time), so the event loop never waits for it.

#include "common/util/file_descriptor.hpp"
#include "master/config.hpp"
#include "master/job.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace h5io::master {

struct FinishedScan {
  const WatchRule* rule = nullptr;
  std::filesystem::path path;
};

class ScanWatcher {
public:
  static constexpr size_t kRescanEntries = 1000;
  static constexpr auto kRescanBudget = std::chrono::milliseconds(2);

  // Throws Error if a watched directory does not exist.
  ScanWatcher(const std::vector<WatchRule>& rules, std::chrono::milliseconds rescan);

  int fd() const { return inotify_.get(); }
  // Reads pending inotify events.
  std::vector<FinishedScan> on_events(Clock::time_point now);
  // Due when now >= next_check(): quiet-rule deadlines and the next part of
  // the rescan.
  std::vector<FinishedScan> check(Clock::time_point now);
  // Now while a rescan is part-way through.
  Clock::time_point next_check() const;
  bool rescanning() const { return rescan_position_.has_value(); }

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
  // Where a rescan spread over turns stands: the rule and its directory's
  // next entry.
  struct RescanPosition {
    size_t rule = 0;
    std::filesystem::directory_iterator entry;
  };
  std::optional<RescanPosition> rescan_position_;
  // Lists the next part of a rescan: false while some is left.
  bool rescan_part(Clock::time_point now, std::vector<FinishedScan>& finished);
};

} // namespace h5io::master
