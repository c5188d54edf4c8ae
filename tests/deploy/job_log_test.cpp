// The %J flag of common/util/job_log.hpp: "[jNNNNNN] " inside a JobLogScope,
// nothing outside, the outer job again after a nested scope ends, and from
// every thread (a worker process runs one job at a time).
#include "common/util/job_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <string>
#include <thread>

namespace {

struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger;

  explicit CapturedLog(const std::string& pattern) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(text);
    sink->set_formatter(h5io::log::make_formatter(pattern));
    logger = std::make_shared<spdlog::logger>("job_log_test", sink);
  }
  std::string take() {
    std::string all = text.str();
    text.str("");
    return all;
  }
};

TEST(JobLog, NoScopeNoPrefix) {
  CapturedLog log("w[%l]: %J%v");
  log.logger->info("idle");
  EXPECT_EQ(log.take(), "w[info]: idle\n");
  EXPECT_EQ(h5io::log::current_job(), "");
}

TEST(JobLog, ScopeAddsTheJobAndEndsWithIt) {
  CapturedLog log("w[%l]: %J%v");
  {
    const h5io::log::JobLogScope scope("j000042");
    log.logger->info("scan: 3 inputs");
    EXPECT_EQ(log.take(), "w[info]: [j000042] scan: 3 inputs\n");
  }
  log.logger->warn("after");
  EXPECT_EQ(log.take(), "w[warning]: after\n");
}

TEST(JobLog, NestedScopesRestoreTheOuterJob) {
  CapturedLog log("%J%v");
  const h5io::log::JobLogScope outer("j000001");
  {
    const h5io::log::JobLogScope inner("j000002");
    log.logger->info("x");
  }
  log.logger->info("y");
  EXPECT_EQ(log.take(), "[j000002] x\n[j000001] y\n");
}

TEST(JobLog, OtherThreadsSeeTheJob) {
  CapturedLog log("%J%v");
  const h5io::log::JobLogScope scope("j000007");
  std::thread([&] { log.logger->info("from a helper"); }).join();
  EXPECT_EQ(log.take(), "[j000007] from a helper\n");
}

TEST(JobLog, PatternWithoutTheFlagIsUnchanged) {
  CapturedLog log("%v");
  const h5io::log::JobLogScope scope("j000003");
  log.logger->info("plain");
  EXPECT_EQ(log.take(), "plain\n");
}

} // namespace
