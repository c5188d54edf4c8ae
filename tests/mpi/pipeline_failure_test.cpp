// A failure on one rank only must stop every rank with the same message, at
// once (no rank left waiting in a collective call), and leave no output file.
#include "common/pipeline/pipeline.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"

#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

using namespace h5io;

namespace {

JobSpec job(const test::SharedScratchDir& dir, std::vector<std::string> params) {
  JobSpec spec = test::configurable_job(dir.path(), "/entry/data/data:1", std::move(params));
  spec.plan.unit_slices = 16;
  return spec;
}

class PipelineFailure : public ::testing::Test {
protected:
  void SetUp() override {
    if (group.is_root()) write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
    group.barrier();
  }
  void expect_no_output() {
    group.barrier();
    EXPECT_FALSE(std::filesystem::exists(dir / "out.h5"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
  }
  Group group;
  test::SharedScratchDir dir{group};
};

} // namespace

TEST_F(PipelineFailure, ProcessFailingOnTheLastRankStopsEveryRank) {
  // 96 rows in units of 16 (6 units): the last rank's share always ends with row 95.
  const std::string last = std::to_string(group.size() - 1);
  const std::string message = test::run_whole_job(
      group,
      job(dir, {"fail_in=process", "fail_at=95", "fail_rank=" + last, "message=flats saturated"}));
  EXPECT_EQ(message, "library 'configurable' failed in process (slice 95): flats saturated "
                     "(code 7)");
  expect_no_output();
}

TEST_F(PipelineFailure, SetupFailingOnOneRankStopsEveryRank) {
  const std::string last = std::to_string(group.size() - 1);
  const std::string message = test::run_whole_job(
      group, job(dir, {"fail_in=request_output", "fail_rank=" + last, "message=no output"}));
  EXPECT_EQ(message,
            "library 'configurable' failed in request_output (output 0): no output (code 7)");
  expect_no_output();
}

TEST_F(PipelineFailure, CompleteFailingOnOneRankStopsEveryRank) {
  const std::string message =
      test::run_whole_job(group, job(dir, {"fail_in=processing_complete", "fail_rank=0"}));
  EXPECT_NE(message.find("failed in processing_complete"), std::string::npos) << message;
  expect_no_output();
}

TEST_F(PipelineFailure, SucceedsWhenNothingFails) {
  EXPECT_EQ(test::run_whole_job(group, job(dir, {})), "completed");
  group.barrier();
  EXPECT_TRUE(std::filesystem::exists(dir / "out.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
}
