// external_process's parts: the command template (splitting, placeholders,
// finding the program), the process runner (exit codes, signals, timeouts
// that kill the whole group, the output's tail) and one slice end to end.
#include "child_process.hpp"
#include "command_template.hpp"
#include "plugin_error.hpp"
#include "slice_runner.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

namespace {

using namespace h5io::external;
using h5io::plugin::Error;
using h5io::plugin::ImageShape;
using Words = std::vector<std::string>;
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CommandTemplate, SplitsOnBlanksHonouringQuotes) {
  EXPECT_EQ(split_command("  a  b\tc "), (Words{"a", "b", "c"}));
  EXPECT_EQ(split_command("prog 'two words' \"x \\\"y\\\" z\" a\\ b"),
            (Words{"prog", "two words", "x \"y\" z", "a b"}));
  EXPECT_EQ(split_command("p '' x''y \"$HOME\" *"), (Words{"p", "", "xy", "$HOME", "*"}));
  EXPECT_EQ(split_command(""), Words{});
  EXPECT_TRUE(contains(error_of([] { split_command("p 'open"); }), "unterminated ' quote"));
  EXPECT_TRUE(contains(error_of([] { split_command("p \"open"); }), "unterminated \" quote"));
}

TEST(CommandTemplate, SubstitutesPlaceholdersInEveryWord) {
  const CommandTemplate command("cp --from={in} '{out}' -n {slice}{slice}", "/usr/bin:/bin");
  EXPECT_TRUE(command.program() == "/usr/bin/cp" || command.program() == "/bin/cp");
  const Words argv = command.expand("/t/in.tif", "/t/my out.tif", 7);
  EXPECT_EQ(argv, (Words{command.program(), "--from=/t/in.tif", "/t/my out.tif", "-n", "77"}));
  EXPECT_EQ(command_line(argv).substr(command.program().size()),
            " --from=/t/in.tif '/t/my out.tif' -n 77");
}

TEST(CommandTemplate, RefusesWhatCannotWork) {
  EXPECT_TRUE(contains(error_of([] { CommandTemplate("", "/bin"); }), "command is empty"));
  EXPECT_TRUE(contains(error_of([] { CommandTemplate("cp {input} {out}", "/bin"); }),
                       "unknown placeholder {input}"));
  EXPECT_TRUE(contains(error_of([] { CommandTemplate("cp {in}", "/bin"); }), "must name {in}"));
  EXPECT_TRUE(contains(error_of([] { CommandTemplate("no_such_program_h5io {in} {out}", "/bin"); }),
                       "not an executable found on PATH"));
  EXPECT_TRUE(
      contains(error_of([] { CommandTemplate("/no/such {in} {out}", "/bin"); }), "does not exist"));
  h5io::test::ScratchDir dir;
  const std::string not_executable = (dir / "data.txt").string();
  std::ofstream(not_executable) << "x";
  EXPECT_TRUE(contains(error_of([&] { CommandTemplate(not_executable + " {in} {out}", "/bin"); }),
                       "not an executable file"));
  EXPECT_TRUE(
      contains(error_of([&] { CommandTemplate(dir.path().string() + " {in} {out}", "/bin"); }),
               "not an executable file"));
  // Braces that are not placeholders reach the program as they are.
  EXPECT_NO_THROW(CommandTemplate("cp {in} {out} {} {A} {1}", "/bin"));
}

class ProcessRunner : public testing::Test {
protected:
  ProcessResult run(Words argv, double timeout = 10, double grace = 2) {
    return run_process({std::move(argv), dir.path(), dir / "log",
                        std::chrono::duration<double>(timeout),
                        std::chrono::duration<double>(grace)});
  }
  std::string log() { return file_tail(dir / "log", 2048); }
  h5io::test::ScratchDir dir;
};

TEST_F(ProcessRunner, ReportsExitStatusAndOutput) {
  ProcessResult r = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.end, ProcessResult::End::exited);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.describe(), "exited with status 3");
  EXPECT_EQ(log(), "out\nerr");
  EXPECT_TRUE(run({"/bin/sh", "-c", "cat; pwd"}).succeeded()); // stdin is /dev/null
  EXPECT_EQ(fs::path(log()), dir.path());                      // runs in its directory
}

TEST_F(ProcessRunner, ReportsSignals) {
  const ProcessResult r = run({"/bin/sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(r.end, ProcessResult::End::signalled);
  EXPECT_EQ(r.code, SIGSEGV);
  EXPECT_TRUE(contains(r.describe(), "killed by signal 11")) << r.describe();
}

TEST_F(ProcessRunner, ReportsAProgramThatCannotStart) {
  const ProcessResult r = run({"/no/such/program"});
  EXPECT_EQ(r.end, ProcessResult::End::not_started);
  EXPECT_TRUE(contains(r.describe(), "No such file")) << r.describe();
}

bool process_gone(pid_t pid) {
  // A killed grandchild is reaped by init; until then it is a zombie.
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_text, name, state;
    if (!(stat >> pid_text >> name >> state) || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_F(ProcessRunner, TimeoutKillsTheWholeGroup) {
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = run({"/bin/sh", "-c", "sleep 30 & echo $! > child.pid; sleep 30"}, 0.5);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.end, ProcessResult::End::timed_out);
  EXPECT_EQ(r.describe(), "timed out after 0.5 s (timeout=0.5) and was killed");
  EXPECT_LT(elapsed, 3.0);
  pid_t child = 0;
  std::ifstream(dir / "child.pid") >> child;
  ASSERT_GT(child, 0);
  EXPECT_TRUE(process_gone(child));
}

TEST_F(ProcessRunner, SigtermIgnoredMeansSigkillAfterTheGrace) {
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r =
      run({"/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}, 0.3, 0.3);
  EXPECT_EQ(r.end, ProcessResult::End::timed_out);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 3.0);
}

TEST_F(ProcessRunner, ChildrenLeftBehindByALeaderThatExitedAreKilled) {
  EXPECT_TRUE(run({"/bin/sh", "-c", "sleep 30 & echo $! > child.pid"}).succeeded());
  pid_t child = 0;
  std::ifstream(dir / "child.pid") >> child;
  ASSERT_GT(child, 0);
  EXPECT_TRUE(process_gone(child));
}

TEST_F(ProcessRunner, TailKeepsTheLastLinesWhole) {
  run({"/bin/sh", "-c", "i=0; while [ $i -lt 1000 ]; do i=$((i+1)); echo line $i >&2; done"});
  const std::string tail = log();
  EXPECT_LE(tail.size(), 2048u);
  EXPECT_EQ(tail.substr(tail.size() - 9), "line 1000");
  EXPECT_EQ(tail.substr(0, 5), "line ");
  EXPECT_FALSE(contains(tail, "line 1\n"));
}

class SliceRunnerTest : public testing::Test {
protected:
  SliceRunner runner(const std::string& command, double timeout = 10) {
    return SliceRunner(
        {CommandTemplate(command, "/usr/bin:/bin"), timeout, false, dir.path(), "job-"});
  }
  size_t entries(const fs::path& path) {
    return static_cast<size_t>(std::distance(fs::directory_iterator(path), {}));
  }
  h5io::test::ScratchDir dir;
};

TEST_F(SliceRunnerTest, CopyGivesTheSliceBackAndCleansUp) {
  const ImageShape shape{3, 1000, H5IO_FLOAT32};
  std::vector<float> in(3000), out(3000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) * 0.5f - 7;
  {
    SliceRunner copy = runner("cp {in} {out}");
    EXPECT_GE(copy.run(4, shape, in.data(), shape, out.data()), 0.0);
    EXPECT_EQ(in, out);
    EXPECT_EQ(entries(copy.directory()), 0u); // the slice's directory is gone
  }
  EXPECT_EQ(entries(dir.path()), 0u); // and the runner's own
}

TEST_F(SliceRunnerTest, FailuresNameTheSliceAndQuoteTheOutput) {
  const ImageShape shape{2, 3, H5IO_UINT16};
  std::vector<uint16_t> in(6, 1), out(6);
  auto failure = [&](const std::string& command, const ImageShape& expected, double timeout = 10) {
    SliceRunner r = runner(command, timeout);
    const std::string message =
        error_of([&] { r.run(12, shape, in.data(), expected, out.data()); });
    EXPECT_EQ(entries(r.directory()), 0u) << command;
    return message;
  };
  std::string m = failure("sh -c 'echo bad input >&2; exit 1' sh {in} {out}", shape);
  EXPECT_TRUE(contains(m, "slice 12: the command `")) << m;
  EXPECT_TRUE(contains(m, "exited with status 1")) << m;
  EXPECT_TRUE(contains(m, "\n    bad input")) << m;
  m = failure("sh -c 'echo waiting; sleep 30' sh {in} {out}", shape, 0.3);
  EXPECT_TRUE(contains(m, "timed out after 0.3 s")) << m;
  EXPECT_TRUE(contains(m, "waiting")) << m;
  m = failure("sh -c 'echo done' sh {in} {out}", shape);
  EXPECT_TRUE(contains(m, "wrote no result")) << m;
  m = failure("sh -c 'echo junk > \"$2\"' sh {in} {out}", shape);
  EXPECT_TRUE(contains(m, "cannot read the TIFF file")) << m;
  EXPECT_TRUE(contains(m, "it printed nothing")) << m;
  m = failure("cp {in} {out}", {2, 3, H5IO_FLOAT32});
  EXPECT_TRUE(contains(m, "wrote an image of [2, 3] uint16 but [2, 3] float32 was expected")) << m;
  EXPECT_EQ(entries(dir.path()), 0u);
}

TEST_F(SliceRunnerTest, KeptTemporariesAreNamedInTheMessage) {
  const ImageShape shape{1, 1, H5IO_UINT8};
  const uint8_t in = 5;
  uint8_t out = 0;
  std::string message;
  fs::path job;
  {
    SliceRunner r({CommandTemplate("sh -c 'exit 2' sh {in} {out}", "/usr/bin:/bin"), 10, true,
                   dir.path(), "job-"});
    message = error_of([&] { r.run(3, shape, &in, shape, &out); });
    job = r.directory();
  }
  EXPECT_TRUE(contains(message, "; its files are kept in " + job.string() + "/slice_3_"))
      << message;
  ASSERT_EQ(entries(job), 1u); // the slice's directory, with the slice's TIFF in it
  EXPECT_TRUE(fs::exists(fs::directory_iterator(job)->path() / "in.tif"));
}

} // namespace
