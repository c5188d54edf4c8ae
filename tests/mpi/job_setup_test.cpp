// The optional scan-wide step (job_setup_slices, job_setup, apply_job_setup
// in h5io_plugin.h), with the `job_setup` test library (configurable.c built
// with JOB_SETUP): rank 0 runs it once on the slices the library asks for,
// every rank applies exactly its results whatever the units and ranks, a
// resumed job applies the stored results without running it again, the
// results reach /entry/process/job_setup, and bad answers are refused with
// clear messages.
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"

#include "list_schedule.hpp"
#include "mpi_test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace h5io;
using test::ListSchedule;

namespace {

// [24 frames, 96 rows, 32 columns] sliced by rows: 96 slices, units of 16.
constexpr ExampleScanShape kShape{24, 96, 32, 8, 16};

JobSpec job(const test::SharedScratchDir& dir, std::vector<std::string> params,
            const std::string& output = "out.h5") {
  JobSpec spec =
      test::configurable_job(dir.path(), "/entry/data/data:1", std::move(params), output);
  spec.plugin = "job_setup";
  spec.plan.unit_slices = 16;
  return spec;
}

// The mean of every value in the given rows, as the library computes it.
double mean_of_rows(const std::vector<int64_t>& rows) {
  double total = 0;
  for (const int64_t r : rows) {
    double slice = 0;
    for (int64_t f = 0; f < kShape.frames; ++f)
      for (int64_t c = 0; c < kShape.columns; ++c) slice += example_scan_value(f, r, c);
    total += slice;
  }
  return total / static_cast<double>(kShape.frames * kShape.columns * std::ssize(rows));
}

std::vector<double> output_values(const std::filesystem::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  hdf5::Dataset dataset(H5Dopen2(file.get(), "/result/out0", H5P_DEFAULT));
  std::vector<double> values(static_cast<size_t>(kShape.rows));
  EXPECT_GE(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            0);
  return values;
}

nlohmann::json provenance_record(const std::filesystem::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  const std::optional<std::string> text =
      read_string_dataset(file.get(), "/entry/process/job_setup");
  return text ? nlohmann::json::parse(*text) : nlohmann::json();
}

class JobSetup : public ::testing::Test {
protected:
  void SetUp() override {
    if (group.is_root()) write_example_scan(dir / "scan.h5", kShape);
    group.barrier();
  }
  Group group;
  test::SharedScratchDir dir{group};
};

} // namespace

TEST_F(JobSetup, EveryRankAppliesRankZerosResults) {
  // Units of 16 rows on 1, 2 or 4 ranks: whichever rank computes a slice,
  // it holds the mean of the rows the library asked for (every 8th).
  ASSERT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1"})), "completed");
  if (!group.is_root()) return;
  const std::vector<int64_t> asked{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88};
  const double expected = mean_of_rows(asked);
  const std::vector<double> values = output_values(dir / "out.h5");
  for (const double v : values) EXPECT_EQ(v, values.front());
  EXPECT_NEAR(values.front(), expected, 1e-9 * expected);
  // The results as the library gave them, in /entry/process/job_setup.
  const nlohmann::json record = provenance_record(dir / "out.h5");
  EXPECT_EQ(record["mean"].get<double>(), values.front());
  EXPECT_EQ(record["slices"], 12);
  EXPECT_EQ(record["first"], "0");
  EXPECT_EQ(record["exact"], true);
  EXPECT_FALSE(record.contains("warning"));
}

TEST_F(JobSetup, TheLibraryChoosesTheSlices) {
  ASSERT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_slices=5,50,95"})),
            "completed");
  if (!group.is_root()) return;
  EXPECT_NEAR(output_values(dir / "out.h5").front(), mean_of_rows({5, 50, 95}), 1e-9);
  EXPECT_EQ(provenance_record(dir / "out.h5")["first"], "5");
  EXPECT_EQ(provenance_record(dir / "out.h5")["slices"], 3);
}

TEST_F(JobSetup, BadSliceListsAreRefused) {
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_slices=50,5"})),
            "library 'job_setup' asked for slices 50, 5 for its scan-wide step; they must be "
            "distinct, ascending and within 0 to 95");
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_slices=3,3"})),
            "library 'job_setup' asked for slices 3, 3 for its scan-wide step; they must be "
            "distinct, ascending and within 0 to 95");
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_slices=7,96"})),
            "library 'job_setup' asked for slices 7, 96 for its scan-wide step; they must be "
            "distinct, ascending and within 0 to 95");
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_slices=all"})),
            "library 'job_setup' asked for 96 slices for its scan-wide step; h5io gives 0 to 64");
  group.barrier();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
}

TEST_F(JobSetup, BadResultsAndFailuresStopEveryRank) {
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "setup_results=repeat"})),
            "library 'job_setup' returned from job_setup a result with an empty, overlong or "
            "repeated key ('mean')");
  EXPECT_EQ(test::run_whole_job(group, job(dir, {"output_shape=-1", "fail_in=job_setup",
                                                 "message=no structure to fit"})),
            "library 'job_setup' failed in job_setup: no structure to fit (code 7)");
  // apply_job_setup fails on one rank only: every rank stops with its text.
  const std::string last = std::to_string(group.size() - 1);
  EXPECT_EQ(
      test::run_whole_job(group, job(dir, {"output_shape=-1", "fail_in=apply_job_setup",
                                           "fail_rank=" + last, "message=cannot use the fit"})),
      "library 'job_setup' failed in apply_job_setup: cannot use the fit (code 7)");
  group.barrier();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
}

TEST_F(JobSetup, AResumedJobAppliesTheStoredResults) {
  // First group: two units, then released. The resumed job asks for other
  // slices (a changed parameter stands for a library that would now find
  // something else), yet applies what the first group found: every slice
  // of the finished output holds the first mean.
  {
    Pipeline pipeline(group, job(dir, {"output_shape=-1"}, "resumed.h5"));
    ListSchedule schedule({pipeline.plan().units.begin(), pipeline.plan().units.begin() + 2},
                          group);
    pipeline.run(schedule);
    pipeline.release();
  }
  JobSpec again = job(dir, {"output_shape=-1", "setup_slices=1"}, "resumed.h5");
  again.resume = true;
  {
    Pipeline pipeline(group, again);
    ListSchedule schedule({pipeline.plan().units.begin() + 2, pipeline.plan().units.end()}, group);
    pipeline.run(schedule);
    pipeline.finish();
  }
  if (!group.is_root()) return;
  const std::vector<double> values = output_values(dir / "resumed.h5");
  const double first = mean_of_rows({0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88});
  for (const double v : values) EXPECT_NEAR(v, first, 1e-9 * first);
  EXPECT_EQ(provenance_record(dir / "resumed.h5")["first"], "0");
  // The stored copy is not left in the finished file.
  hdf5::File file(H5Fopen((dir / "resumed.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  EXPECT_LE(H5Lexists(file.get(), "/.h5io_job_setup", H5P_DEFAULT), 0);
}

TEST_F(JobSetup, AGroupThatOnlyFinishesAppliesTheStoredResults) {
  // Every unit written by the first group; the second is given none, just
  // the job to finish (as the master does when the holder was lost after
  // the last unit): it applies the stored results before the library
  // describes its outputs and the NXprocess records them.
  {
    Pipeline pipeline(group, job(dir, {"output_shape=-1"}, "finished.h5"));
    ListSchedule schedule(pipeline.plan().units, group);
    pipeline.run(schedule);
    pipeline.release();
  }
  JobSpec again = job(dir, {"output_shape=-1", "setup_slices=1"}, "finished.h5");
  again.resume = true;
  {
    Pipeline pipeline(group, again);
    ListSchedule schedule({}, group);
    pipeline.run(schedule);
    pipeline.finish();
  }
  if (!group.is_root()) return;
  EXPECT_EQ(provenance_record(dir / "finished.h5")["first"], "0");
}
