#include "master/scan_watcher.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fnmatch.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

bool matches(const WatchRule& rule, const std::string& name) {
  return ::fnmatch(rule.pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
}

// "scan.nxs.done" -> "scan.nxs" when the rule's marker is ".done".
std::optional<std::string> marked_name(const WatchRule& rule, const std::string& name) {
  if (rule.finished.kind != FinishedRule::Kind::marker) return std::nullopt;
  const std::string& marker = rule.finished.marker;
  if (name.size() <= marker.size() || !name.ends_with(marker)) return std::nullopt;
  return name.substr(0, name.size() - marker.size());
}

} // namespace

ScanWatcher::ScanWatcher(const std::vector<WatchRule>& rules, std::chrono::milliseconds rescan)
    : rules_(rules), rescan_(rescan), inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!inotify_.valid())
    throw Error(fmt::format("cannot start watching directories: {}", std::strerror(errno)));
  for (const WatchRule& rule : rules_) {
    std::error_code ec;
    if (!fs::is_directory(rule.dir, ec))
      throw Error(fmt::format("watched directory '{}' does not exist", rule.dir.string()));
    const int wd = ::inotify_add_watch(inotify_.get(), rule.dir.c_str(),
                                       IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);
    if (wd < 0)
      throw Error(fmt::format("cannot watch '{}': {}", rule.dir.string(), std::strerror(errno)));
    watches_[wd] = &rule;
    spdlog::info("watching {} for {} (finished when {}) -> {} into {}", rule.dir.string(),
                 rule.pattern,
                 rule.finished.kind == FinishedRule::Kind::renamed ? "renamed in"
                 : rule.finished.kind == FinishedRule::Kind::marker
                     ? "'<scan>" + rule.finished.marker + "' appears"
                     : fmt::format("unchanged for {} ms", rule.finished.quiet.count()),
                 rule.steps.empty() ? rule.plugin : "pipeline " + rule.pipeline.string(),
                 rule.output_dir.string());
  }
}

void ScanWatcher::hand_over(const WatchRule& rule, const fs::path& path,
                            std::vector<FinishedScan>& finished) {
  candidates_.erase(path);
  if (!handed_.insert(path).second) return;
  finished.push_back(FinishedScan{&rule, path});
}

void ScanWatcher::consider(const WatchRule& rule, const fs::path& path, Clock::time_point now,
                           std::vector<FinishedScan>& finished) {
  const std::string name = path.filename().string();
  if (const auto scan = marked_name(rule, name)) {
    if (matches(rule, *scan) && fs::exists(rule.dir / *scan))
      hand_over(rule, rule.dir / *scan, finished);
    return;
  }
  if (!matches(rule, name) || handed_.contains(path)) return;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  switch (rule.finished.kind) {
  case FinishedRule::Kind::renamed:
    // Everything in a renamed-in directory arrived whole; a rescan that
    // finds a file inotify did not report hands it over too.
    hand_over(rule, path, finished);
    break;
  case FinishedRule::Kind::marker: {
    fs::path marker = path;
    marker += rule.finished.marker;
    if (fs::exists(marker, ec)) hand_over(rule, path, finished);
    break;
  }
  case FinishedRule::Kind::quiet: {
    const uintmax_t size = fs::file_size(path, ec);
    const auto modified = fs::last_write_time(path, ec);
    if (ec) return;
    auto [it, fresh] = candidates_.try_emplace(path, Candidate{&rule, size, modified, now});
    Candidate& candidate = it->second;
    if (!fresh && (candidate.size != size || candidate.modified != modified))
      candidate = Candidate{&rule, size, modified, now};
    if (now - candidate.stable_since >= rule.finished.quiet) hand_over(rule, path, finished);
    break;
  }
  }
}

std::vector<FinishedScan> ScanWatcher::on_events(Clock::time_point now) {
  std::vector<FinishedScan> finished;
  alignas(inotify_event) char buffer[16384];
  for (;;) {
    const ssize_t length = ::read(inotify_.get(), buffer, sizeof(buffer));
    if (length <= 0) break;
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        spdlog::warn("watcher: inotify queue overflowed; rescanning");
        next_rescan_ = now;
        continue;
      }
      const auto rule = watches_.find(event->wd);
      if (rule == watches_.end() || event->len == 0) continue;
      // In a renamed-in directory only a rename says "finished": a file
      // created or closed there may still be written.
      if (rule->second->finished.kind == FinishedRule::Kind::renamed &&
          !(event->mask & IN_MOVED_TO))
        continue;
      consider(*rule->second, rule->second->dir / event->name, now, finished);
    }
  }
  return finished;
}

bool ScanWatcher::rescan_part(Clock::time_point now, std::vector<FinishedScan>& finished) {
  const auto until = Clock::now() + kRescanBudget;
  size_t listed = 0;
  while (rescan_position_->rule < rules_.size()) {
    RescanPosition& at = *rescan_position_;
    const WatchRule& rule = rules_[at.rule];
    std::error_code ec;
    for (; at.entry != fs::directory_iterator(); at.entry.increment(ec)) {
      if (listed == kRescanEntries || (listed % 64 == 63 && Clock::now() >= until)) return false;
      consider(rule, at.entry->path(), now, finished);
      ++listed;
    }
    if (ec) spdlog::warn("watcher: cannot list '{}': {}", rule.dir.string(), ec.message());
    if (++at.rule < rules_.size()) {
      at.entry = fs::directory_iterator(rules_[at.rule].dir, ec);
      if (ec)
        spdlog::warn("watcher: cannot list '{}': {}", rules_[at.rule].dir.string(), ec.message());
    }
  }
  return true;
}

std::vector<FinishedScan> ScanWatcher::check(Clock::time_point now) {
  std::vector<FinishedScan> finished;
  if (!rescan_position_ && now >= next_rescan_ && !rules_.empty()) {
    next_rescan_ = now + rescan_;
    std::error_code ec;
    rescan_position_ = RescanPosition{0, fs::directory_iterator(rules_.front().dir, ec)};
    if (ec)
      spdlog::warn("watcher: cannot list '{}': {}", rules_.front().dir.string(), ec.message());
  }
  if (rescan_position_ && rescan_part(now, finished)) rescan_position_.reset();
  // Quiet-rule candidates whose time has come.
  std::vector<std::pair<const WatchRule*, fs::path>> due;
  for (const auto& [path, candidate] : candidates_)
    if (now - candidate.stable_since >= candidate.rule->finished.quiet)
      due.emplace_back(candidate.rule, path);
  for (const auto& [rule, path] : due) consider(*rule, path, now, finished);
  return finished;
}

Clock::time_point ScanWatcher::next_check() const {
  if (rescan_position_) return Clock::time_point{}; // long past, without overflow in `next - now`
  Clock::time_point next = next_rescan_;
  for (const auto& [path, candidate] : candidates_)
    next = std::min(next, candidate.stable_since + candidate.rule->finished.quiet);
  return next;
}

} // namespace h5io::master
