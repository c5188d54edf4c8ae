// The master's serial preflight and a worker group's pipeline: the same
// plan of units for the same unit size on groups of any size, and the same
// refusals in the same words.
#include "common/pipeline/job_preflight.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"

#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace h5io;

namespace {

JobSpec job(const test::SharedScratchDir& dir, const std::string& inputs,
            std::vector<std::string> params = {}) {
  return test::configurable_job(dir.path(), inputs, std::move(params));
}

using test::error_of;

// The ranks below `size` as a group of their own (MPI_COMM_NULL elsewhere).
class SubCommunicator {
public:
  SubCommunicator(const Group& world, int size) {
    MPI_Comm_split(world.comm(), world.rank() < size ? 0 : MPI_UNDEFINED, world.rank(), &comm_);
  }
  ~SubCommunicator() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }
  SubCommunicator(const SubCommunicator&) = delete;
  SubCommunicator& operator=(const SubCommunicator&) = delete;
  MPI_Comm get() const { return comm_; }

private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

class Preflight : public ::testing::Test {
protected:
  void SetUp() override {
    if (group.is_root()) write_example_scan(dir / "scan.h5", ExampleScanShape{24, 96, 32, 8, 16});
    group.barrier();
  }
  Group group;
  test::SharedScratchDir dir{group};
};

} // namespace

TEST_F(Preflight, PlanIsTheWorkerGroupsPlanForEveryGroupSize) {
  // Rows (chunks of 16) and frames (chunks of 8); units from one chunk to
  // the whole input.
  for (const std::string inputs : {"/entry/data/data:1", "/entry/data/data:0"}) {
    for (const int64_t target : {int64_t{1}, int64_t{48 * 1536}, int64_t{64} << 20}) {
      JobSpec spec = job(dir, inputs);
      spec.plan.target_unit_bytes = target;
      const UnitPlan checked = preflight_job(spec).units;
      ASSERT_FALSE(checked.units.empty());
      for (int size = 1; size <= group.size(); ++size) {
        const SubCommunicator sub(group, size);
        if (sub.get() == MPI_COMM_NULL) continue;
        const Group workers(sub.get());
        JobSpec leased = job(dir, inputs);
        leased.plan.unit_slices = checked.slices_per_unit;
        const Pipeline pipeline(workers, leased); // abandoned: removes its partial output
        EXPECT_EQ(pipeline.plan().slices_per_unit, checked.slices_per_unit);
        EXPECT_EQ(pipeline.plan().units, checked.units)
            << inputs << ", target " << target << " bytes, " << size << " ranks";
      }
      group.barrier();
    }
  }
}

TEST_F(Preflight, RefusesWhatThePipelineRefusesInTheSameWords) {
  if (group.is_root()) std::ofstream(dir / "taken.h5") << "x";
  group.barrier();
  std::vector<JobSpec> bad;
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().input = dir / "missing.h5";
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().output = dir / "taken.h5";
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().output = dir / "no_such_dir" / "out.h5";
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().plugin = "wrong_abi";
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().plugin = "no_such_library";
  bad.push_back(job(dir, "/entry/data/missing:1"));
  bad.push_back(job(dir, "/entry/data/data:1", {"fail_in=request_output", "message=no output"}));
  bad.push_back(job(dir, "/entry/data/data:1", {"output_shape=3,4"}));
  bad.push_back(job(dir, "/entry/data/data:1", {"scan.projections=/entry/data/data"}));
  bad.push_back(job(dir, "/entry/data/data:1"));
  bad.back().plan.unit_slices = 10; // not a multiple of the 16-row chunks
  for (const JobSpec& spec : bad) {
    const std::string checked = error_of([&] { preflight_job(spec); });
    const std::string refused = error_of([&] { Pipeline pipeline(group, spec); });
    EXPECT_NE(checked, "");
    EXPECT_EQ(checked, refused);
  }
}

TEST_F(Preflight, WritesAndDeletesNothing) {
  // Someone's partial output (a job in progress) must survive a check of a
  // job with the same output.
  if (group.is_root()) std::ofstream(dir / "out.h5.partial") << "in progress";
  group.barrier();
  const auto files_before = std::distance(std::filesystem::directory_iterator(dir / ""), {});
  preflight_job(job(dir, "/entry/data/data:1"));
  EXPECT_EQ(error_of([&] { preflight_job(job(dir, "/entry/data/data:1", {"fail_in=h5io_init"})); }),
            "library 'configurable' failed in h5io_init: configured failure (code 7)");
  EXPECT_TRUE(std::filesystem::exists(dir / "out.h5.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / ""), {}), files_before);
  group.barrier();
}
