// The scan watcher on a directory of thousands of finished scans: its rescan
// is spread over calls (the event loop's turns), so no call lists more than
// kRescanEntries entries, and every scan is still handed over exactly once.

#include "master/scan_watcher.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "scratch_dir.hpp"

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

TEST(ScanWatcher, ARescanOfALargeDirectoryIsSpreadOverTurns) {
  const test::ScratchDir dir;
  constexpr int kScans = 2500;
  for (int i = 0; i < kScans; ++i) std::ofstream(dir / fmt::format("scan{:05d}.nxs", i));
  std::ofstream(dir / "notes.txt");
  WatchRule rule;
  rule.dir = dir.path();
  rule.plugin = "benchmark";
  rule.output_dir = dir.path();
  const std::vector<WatchRule> rules = {rule};
  ScanWatcher watcher(rules, std::chrono::milliseconds(10000));

  auto now = Clock::now();
  std::set<std::filesystem::path> handed;
  int calls = 0;
  do {
    ASSERT_LE(watcher.next_check(), now) << "due at once while a rescan is part-way";
    const std::vector<FinishedScan> part = watcher.check(now);
    EXPECT_LE(part.size(), ScanWatcher::kRescanEntries);
    for (const FinishedScan& scan : part)
      EXPECT_TRUE(handed.insert(scan.path).second) << "handed over twice: " << scan.path;
    ++calls;
  } while (watcher.rescanning() && calls < 100);
  EXPECT_EQ(handed.size(), static_cast<size_t>(kScans));
  EXPECT_GE(calls, 3) << "2500 entries take at least three parts";
  EXPECT_GT(watcher.next_check(), now) << "the next rescan waits for rescan_ms";

  // The next rescan finds nothing new; a scan renamed in meanwhile is found.
  std::ofstream(dir / "late.nxs");
  now += 10s;
  std::vector<FinishedScan> found;
  for (calls = 0; calls < 100 && (calls == 0 || watcher.rescanning()); ++calls)
    for (FinishedScan& scan : watcher.check(now)) found.push_back(std::move(scan));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, dir / "late.nxs");
}

} // namespace
} // namespace h5io::master
