// The master checks jobs in a process that never initialises MPI, with the
// parallel HDF5 build: the preflight must work there (a solo group, HDF5's
// default driver) and leave MPI uninitialised.
#include "common/hdf5/hdf5_handle.hpp"
#include "common/pipeline/job_preflight.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

using namespace h5io;

namespace {

bool mpi_initialised() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  return initialised != 0;
}

JobSpec job(const test::ScratchDir& dir, std::vector<std::string> params = {}) {
  JobSpec spec = test::configurable_job(dir.path(), "/entry/data/data:1", std::move(params));
  // Two chunks of rows: 1536 bytes in and one float64 out per slice.
  spec.plan.target_unit_bytes = 32 * (1536 + 8);
  return spec;
}

} // namespace

TEST(PreflightWithoutMpi, PlansAJobWithoutInitialisingMpi) {
  hdf5::silence_error_printing();
  test::ScratchDir dir;
  write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
  ASSERT_FALSE(mpi_initialised());
  const UnitPlan plan = preflight_job(job(dir)).units;
  EXPECT_FALSE(mpi_initialised());
  EXPECT_EQ(plan.total_slices, 96);
  EXPECT_EQ(plan.alignment, 16);
  EXPECT_EQ(plan.slices_per_unit, 32);
  EXPECT_EQ(plan.units, (std::vector<Unit>{{0, 32}, {32, 32}, {64, 32}}));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
}

TEST(PreflightWithoutMpi, DescribesThePlanForPeople) {
  hdf5::silence_error_printing();
  test::ScratchDir dir;
  write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
  const PlanDescription plan = preflight_job(job(dir)).description;
  ASSERT_EQ(plan.steps.size(), 1U);
  EXPECT_EQ(plan.steps[0].plugin, "configurable");
  EXPECT_EQ(plan.steps[0].fed, "file");
  EXPECT_TRUE(plan.steps[0].saved);
  EXPECT_EQ(plan.steps[0].pattern, "sinograms");
  EXPECT_EQ(plan.reslice_step, 0);
  EXPECT_EQ(plan.units, 3);
  EXPECT_EQ(plan.slices_per_unit, 32);
  EXPECT_EQ(plan.total_slices, 96);
  EXPECT_GT(plan.memory_per_rank_bytes, 0);
  const std::vector<std::string> lines = plan_lines(plan);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].rfind("plan: 3 units of 32 slices (96 in all), about ", 0), 0U) << lines[0];
}

TEST(PreflightWithoutMpi, RefusesWithThePipelinesMessages) {
  hdf5::silence_error_printing();
  test::ScratchDir dir;
  write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
  JobSpec missing = job(dir);
  missing.input = dir / "missing.h5";
  EXPECT_THROW(
      {
        try {
          preflight_job(missing);
        } catch (const Error& e) {
          EXPECT_EQ(std::string(e.what()),
                    "input file '" + (dir / "missing.h5").string() + "' does not exist");
          throw;
        }
      },
      Error);
  EXPECT_THROW(preflight_job(job(dir, {"fail_in=set_input_slice"})), Error);
  EXPECT_FALSE(mpi_initialised());
}
