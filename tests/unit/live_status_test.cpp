// The live view of `h5io status --follow`: its frames (progress bars, rates,
// ETAs that count down between events, finished jobs, groups) and the
// terminal screen that draws them in place and restores the cursor.
#include "job_table.hpp"
#include "live_status.hpp"
#include "terminal.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

using h5io::cli::fit_to_width;
using h5io::cli::format_eta;
using h5io::cli::JobTable;
using h5io::cli::LiveStatus;
using h5io::cli::progress_bar;
using h5io::cli::TerminalScreen;
using nlohmann::json;
using namespace std::chrono_literals;
namespace proto = h5io::proto;

namespace {

proto::Event event(const char* topic, json fields, double time = 100.0) {
  fields.update({{"seq", 1}, {"time", time}, {"epoch", "m-1"}});
  return proto::parse_event(topic, fields.dump());
}

proto::Snapshot snapshot(uint64_t seq, double time, json jobs, json workers) {
  return proto::parse_snapshot(json{
      {"type", "snapshot"},
      {"seq", seq},
      {"time", time},
      {"epoch", "m-1"},
      {"jobs", std::move(jobs)},
      {"workers",
       std::move(workers)}}.dump());
}

JobTable two_jobs() {
  JobTable table;
  table.load(snapshot(
      5, 99.0,
      json::array({{{"job", "j000001"},
                    {"state", "queued"},
                    {"plugin", "tomo_fbp"},
                    {"done", 0},
                    {"total", 256}},
                   {{"job", "j000002"},
                    {"state", "queued"},
                    {"plugin", "benchmark"},
                    {"done", 0},
                    {"total", 64}}}),
      json::array({{{"group", "g1"}, {"host", "node7"}, {"ranks", 2}, {"job", nullptr}}})));
  return table;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

std::string line_of(const std::vector<std::string>& lines, const std::string& job) {
  for (const auto& line : lines)
    if (line.rfind(job, 0) == 0) return line;
  return {};
}

} // namespace

TEST(LiveStatus, ProgressBarAndEta) {
  EXPECT_EQ(progress_bar(0, 8, 8), "[--------]");
  EXPECT_EQ(progress_bar(4, 8, 8), "[####----]");
  EXPECT_EQ(progress_bar(9, 8, 8), "[########]"); // never past full
  EXPECT_EQ(progress_bar(3, 0, 4), "[----]");     // total unknown
  EXPECT_EQ(format_eta(std::nullopt), "-");
  EXPECT_EQ(format_eta(42.4), "0:42");
  EXPECT_EQ(format_eta(725.0), "12:05");
  EXPECT_EQ(format_eta(3723.0), "1:02:03");
  EXPECT_EQ(format_eta(-3.0), "0:00");
}

TEST(LiveStatus, RunningJobShowsBarRateEtaAndGroup) {
  JobTable table = two_jobs();
  LiveStatus view("tcp://m:5555");
  const auto t0 = LiveStatus::Clock::time_point{} + 1000s;
  std::vector<proto::Event> events{
      event("job.started", {{"job", "j000001"}, {"group", "g1"}}),
      event("job.progress",
            {{"job", "j000001"}, {"done", 128}, {"total", 256}, {"rate", 12.5}, {"eta", 30.0}})};
  for (const auto& e : events) table.apply(e);
  view.heard(events, t0);
  auto lines = view.frame(table, "m-1", t0);
  EXPECT_NE(lines[0].find("tcp://m:5555"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("epoch m-1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("1 queued, 1 running"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("groups: 1"), std::string::npos) << lines[0];
  const std::string job = line_of(lines, "j000001");
  EXPECT_NE(job.find("running"), std::string::npos) << job;
  EXPECT_NE(job.find("[##########----------]  50%    128/256 slices"), std::string::npos) << job;
  EXPECT_NE(job.find("12.5 slices/s"), std::string::npos) << job;
  EXPECT_NE(job.find("ETA 0:30"), std::string::npos) << job;
  EXPECT_NE(job.find("on g1"), std::string::npos) << job;
  EXPECT_TRUE(contains(lines, "group g1  2 ranks on node7  job j000001"));

  // No event for 10 s: the ETA counts down by itself, and the header says so.
  lines = view.frame(table, "m-1", t0 + 10s);
  EXPECT_NE(line_of(lines, "j000001").find("ETA 0:20"), std::string::npos);
  EXPECT_NE(lines[0].find("(10.0 s ago)"), std::string::npos) << lines[0];
  // A snapshot has no ETA: unknown, not a stale number.
  table.load(snapshot(9, 120.0,
                      json::array({{{"job", "j000001"},
                                    {"state", "running"},
                                    {"done", 130},
                                    {"total", 256},
                                    {"group", "g1"}}}),
                      json::array()));
  view.heard({}, t0 + 11s);
  lines = view.frame(table, "m-1", t0 + 11s);
  EXPECT_NE(line_of(lines, "j000001").find("ETA -"), std::string::npos);
  EXPECT_TRUE(contains(lines, "no worker groups"));
}

TEST(LiveStatus, FinishedJobsMostRecentFirstAndLimited) {
  JobTable table;
  json jobs = json::array();
  for (int i = 1; i <= 14; ++i)
    jobs.push_back({{"job", fmt::format("j{:06}", i)},
                    {"state", "completed"},
                    {"done", 8},
                    {"total", 8},
                    {"finished", 1000.0 + i},
                    {"wall", 2.0}});
  jobs.push_back({{"job", "j000015"}, {"state", "running"}, {"done", 1}, {"total", 8}});
  table.load(snapshot(5, 99.0, jobs, json::array()));
  table.apply(
      event("job.failed",
            {{"job", "j000016"}, {"error", std::string(200, 'x') + "\n\x1b[2Jthe library's words"}},
            2000.0));
  LiveStatus view("tcp://m:5555", 10);
  const auto lines = view.frame(table, "m-1", LiveStatus::Clock::now());
  EXPECT_TRUE(contains(lines, "finished (most recent 10 of 15):"));
  size_t active = 0, failed = 0, first_finished = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("j000015", 0) == 0) active = i;
    if (lines[i].rfind("j000016", 0) == 0) failed = i;
    if (first_finished == 0 && lines[i].find("finished") != std::string::npos) first_finished = i;
  }
  EXPECT_LT(active, first_finished) << "active jobs come first";
  EXPECT_EQ(failed, first_finished + 1) << "the job that finished last is listed first";
  EXPECT_NE(lines[failed].find("error: xxx"), std::string::npos);
  EXPECT_NE(lines[failed].find("xxx...xxx"), std::string::npos) << "a long error is shortened";
  EXPECT_NE(lines[failed].find("xx  [2Jthe library's words"), std::string::npos)
      << "keeping its end, with control characters made spaces: " << lines[failed];
  EXPECT_LT(lines[failed].size(), 160u);
  EXPECT_FALSE(contains(lines, "j000005 ")) << "the oldest finished jobs are only counted";
  EXPECT_NE(line_of(lines, "j000014").find("completed"), std::string::npos);
  EXPECT_NE(line_of(lines, "j000014").find("in 2.0 s"), std::string::npos);
}

TEST(JobTable, FinishingEventsRecordWhenTheJobFinished) {
  JobTable table = two_jobs();
  table.apply(
      event("job.completed", {{"job", "j000001"}, {"output", "/o.h5"}, {"wall", 3.0}}, 123.5));
  EXPECT_DOUBLE_EQ(table.find_job("j000001")->finished.value_or(0.0), 123.5);
  table.apply(event(
      "job.progress",
      {{"job", "j000002"}, {"done", 1}, {"total", 64}, {"rate", 0.0}, {"eta", nullptr}}, 130.0));
  EXPECT_FALSE(table.find_job("j000002")->finished.has_value());
}

TEST(Terminal, FitToWidthCountsCharactersAndDropsControls) {
  EXPECT_EQ(fit_to_width("abcdef", 4), "abcd");
  EXPECT_EQ(fit_to_width("ab", 4), "ab");
  EXPECT_EQ(fit_to_width("\xc3\xa9t\xc3\xa9s", 3), "\xc3\xa9t\xc3\xa9"); // "été": 3 characters
  EXPECT_EQ(fit_to_width("a\x1b[2Jb\n", 10), "a [2Jb ");
}

namespace {
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  return text;
}
} // namespace

TEST(Terminal, ScreenRedrawsInPlaceAndShowsTheCursorAgain) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_TRUE(file);
  {
    // Not a terminal: the fallback size applies (10 columns, 4 rows).
    TerminalScreen screen(file.get(), {10, 4});
    screen.draw({"one", "two"});
    screen.draw({"a line longer than ten", "2", "3", "4", "5"});
  }
  const std::string out = contents(file.get());
  EXPECT_EQ(out.rfind("\x1b[?25l", 0), 0u) << "the cursor is hidden first";
  EXPECT_NE(out.find("one\x1b[K\ntwo\x1b[K\n"), std::string::npos);
  // The second frame goes up over the two lines of the first, cuts lines to
  // 9 columns and the frame to 3 rows.
  EXPECT_NE(out.find("\r\x1b[2Aa line lo\x1b[K\n2\x1b[K\n... 3 mor\x1b[K\n\x1b[J"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.substr(out.size() - 6), "\x1b[?25h") << "the cursor is shown at the end";
}
