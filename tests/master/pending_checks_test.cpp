// Checks in child processes, run concurrently: real forks, real pipes. No
// timing assertions: a slow check is only shown to be still pending.
#include "master/pending_checks.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>

namespace h5io::master {
namespace {

using namespace std::chrono_literals;

// Polls the checks' pipes until `count` checks ended (or a minute passed).
std::vector<PendingChecks::Ended> wait_for(PendingChecks& checks, size_t count) {
  std::vector<PendingChecks::Ended> ended;
  const auto give_up = PendingChecks::Clock::now() + 60s;
  while (ended.size() < count && PendingChecks::Clock::now() < give_up) {
    std::vector<zmq::pollitem_t> items;
    checks.add_poll_items(items);
    if (!items.empty())
      zmq::poll(items, 50ms);
    else
      std::this_thread::sleep_for(10ms);
    for (auto& e : checks.collect(PendingChecks::Clock::now())) ended.push_back(std::move(e));
  }
  return ended;
}

TEST(PendingChecks, AnswersComeBackFromTheChild) {
  PendingChecks checks(4);
  const uint64_t id = checks.start([] { return std::string(200000, 'x'); }, 30s, "library 'x'");
  const auto ended = wait_for(checks, 1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].id, id);
  ASSERT_TRUE(ended[0].answer) << ended[0].error; // larger than a pipe's buffer
  EXPECT_EQ(ended[0].answer->size(), 200000u);
  EXPECT_EQ(checks.size(), 0u);
}

TEST(PendingChecks, ErrorsAndCrashesNameTheLibrary) {
  PendingChecks checks(4);
  checks.start([]() -> std::string { throw std::runtime_error("bad shape"); }, 30s, "library 'a'");
  checks.start(
      []() -> std::string {
        std::raise(SIGSEGV);
        return "";
      },
      30s, "library 'b'");
  const auto ended = wait_for(checks, 2);
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& e : ended) EXPECT_FALSE(e.answer);
  const std::string all = ended[0].error + "|" + ended[1].error;
  EXPECT_NE(all.find("bad shape"), std::string::npos) << all;
  EXPECT_NE(all.find("library 'b' crashed while the master checked the job"), std::string::npos)
      << all;
}

TEST(PendingChecks, ASlowCheckDoesNotHoldUpOthersAndALateOneIsStopped) {
  PendingChecks checks(2);
  checks.start(
      [] {
        std::this_thread::sleep_for(3600s);
        return std::string("never");
      },
      1000ms, "library 'slow'");
  checks.start([] { return std::string("quick"); }, 30s, "library 'quick'");
  EXPECT_TRUE(checks.full());
  // The quick one ends first, while the slow one is still running.
  auto ended = wait_for(checks, 1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].answer.value_or(""), "quick");
  EXPECT_EQ(checks.size(), 1u);
  EXPECT_FALSE(checks.full());
  // The slow one is killed at its own deadline, without waiting for it.
  ended = wait_for(checks, 1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_FALSE(ended[0].answer);
  EXPECT_NE(ended[0].error.find("took longer than 1 s: library 'slow' did not finish"),
            std::string::npos)
      << ended[0].error;
  EXPECT_EQ(checks.size(), 0u);
}

} // namespace
} // namespace h5io::master
