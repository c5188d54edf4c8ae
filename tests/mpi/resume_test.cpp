// A job dropped part way (release) keeps its partial output, and a new
// pipeline resumes it: the result equals a one-shot run's bit for bit.
#include "common/hdf5/hdf5_handle.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"

#include "list_schedule.hpp"
#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace h5io;
using test::ListSchedule;

namespace {

// 96 rows sliced in units of 16: six units; the output's growing dimension
// is its last, so every write is gathered.
JobSpec job(const test::SharedScratchDir& dir, const std::string& output,
            std::vector<std::string> params = {}) {
  if (params.empty()) params.push_back("output_shape=3,-1");
  JobSpec spec =
      test::configurable_job(dir.path(), "/entry/data/data:1", std::move(params), output);
  spec.plan.unit_slices = 16;
  return spec;
}

std::vector<Unit> units(const UnitPlan& plan, size_t begin, size_t end) {
  return {plan.units.begin() + static_cast<std::ptrdiff_t>(begin),
          plan.units.begin() + static_cast<std::ptrdiff_t>(end)};
}

// The bytes of a finished output's dataset, read serially.
std::vector<std::byte> dataset_bytes(const std::filesystem::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  hdf5::Dataset dataset(H5Dopen2(file.get(), "/result/out0", H5P_DEFAULT));
  hdf5::Dataspace space(H5Dget_space(dataset.get()));
  std::vector<std::byte> bytes(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())) *
                               sizeof(double));
  EXPECT_GE(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
            0);
  return bytes;
}

using test::error_of;

class Resume : public ::testing::Test {
protected:
  void SetUp() override {
    if (group.is_root()) write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
    group.barrier();
  }
  // Processes units [begin, end) of a fresh or resumed job, then releases it.
  void run_part(JobSpec spec, size_t begin, size_t end) {
    Pipeline pipeline(group, std::move(spec));
    ListSchedule schedule(units(pipeline.plan(), begin, end), group);
    pipeline.run(schedule);
    EXPECT_EQ(schedule.rounds_written, schedule.rounds_handed_out());
    pipeline.release();
  }
  bool exists(const std::string& name) {
    group.barrier();
    return std::filesystem::exists(dir / name);
  }
  Group group;
  test::SharedScratchDir dir{group};
};

} // namespace

TEST_F(Resume, ReleasedThenResumedEqualsOneShot) {
  {
    Pipeline pipeline(group, job(dir, "one_shot.h5"));
    StaticSchedule schedule(pipeline.plan(), group);
    pipeline.run(schedule);
    pipeline.finish();
  }
  run_part(job(dir, "resumed.h5"), 0, 2);
  EXPECT_TRUE(exists("resumed.h5.partial"));
  EXPECT_FALSE(exists("resumed.h5"));
  JobSpec again = job(dir, "resumed.h5");
  again.resume = true;
  run_part(again, 2, 4);
  EXPECT_TRUE(exists("resumed.h5.partial"));
  {
    Pipeline pipeline(group, again);
    ListSchedule schedule(units(pipeline.plan(), 4, 6), group);
    pipeline.run(schedule);
    EXPECT_EQ(schedule.last_calls, 1u);
    pipeline.finish();
  }
  EXPECT_FALSE(exists("resumed.h5.partial"));
  if (group.is_root()) {
    EXPECT_EQ(dataset_bytes(dir / "resumed.h5"), dataset_bytes(dir / "one_shot.h5"));
  }
}

TEST_F(Resume, ReleaseAfterAFailedRunKeepsThePartialOutput) {
  // Slice 40 lies in the third unit; what was written before stays.
  Pipeline pipeline(
      group, job(dir, "out.h5",
                 {"fail_in=process", "fail_at=40", "output_shape=3,-1", "message=beam lost"}));
  ListSchedule schedule(pipeline.plan().units, group);
  EXPECT_EQ(error_of([&] { pipeline.run(schedule); }),
            "library 'configurable' failed in process (slice 40): beam lost (code 7)");
  pipeline.release();
  EXPECT_TRUE(exists("out.h5.partial"));
  EXPECT_FALSE(exists("out.h5"));
}

TEST_F(Resume, ResumeRefusesAPartialOutputOfAnotherShape) {
  run_part(job(dir, "out.h5"), 0, 1);
  JobSpec other = job(dir, "out.h5", {"output_shape=4,-1"});
  other.resume = true;
  const std::string message = error_of([&] { Pipeline pipeline(group, other); });
  EXPECT_NE(message.find("cannot resume: the partial output"), std::string::npos) << message;
  EXPECT_NE(message.find("holds '/result/out0' as [3, 96] float64, but the job now writes [4, "
                         "96] float64"),
            std::string::npos)
      << message;
  EXPECT_TRUE(exists("out.h5.partial")) << "a resumed job never deletes its partial output";
}

TEST_F(Resume, ResumeRefusesAMissingPartialOutput) {
  JobSpec spec = job(dir, "out.h5");
  spec.resume = true;
  const std::string message = error_of([&] { Pipeline pipeline(group, spec); });
  EXPECT_NE(message.find("cannot resume: the partial output"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST_F(Resume, AResumedJobKeepsItsPartialOutputWhenSetupFails) {
  run_part(job(dir, "out.h5"), 0, 1);
  JobSpec failing = job(dir, "out.h5", {"fail_in=request_output", "output_shape=3,-1"});
  failing.resume = true;
  EXPECT_NE(error_of([&] { Pipeline pipeline(group, failing); }), "");
  EXPECT_TRUE(exists("out.h5.partial"));
}

TEST_F(Resume, AFreshJobStillRemovesItsPartialOutputOnFailure) {
  {
    Pipeline pipeline(group, job(dir, "out.h5"));
    // Destroyed without finish or release: abandoned.
  }
  EXPECT_FALSE(exists("out.h5.partial"));
}
