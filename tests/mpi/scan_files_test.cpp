// Darks and flats in files of their own (scan.darks=FILE:/path), on 1, 2
// and 4 ranks: every rank opens the other files collectively, in the same
// order, reads its rows of them, and a file that cannot be used stops every
// rank with the same message (no rank left in a collective open).
#include "common/pipeline/pipeline.hpp"
#include "common/util/error.hpp"
#include "configurable_job.hpp"
#include "fixtures.hpp"

#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

using namespace h5io;

namespace {

constexpr int64_t kRows = 32;
constexpr int64_t kCols = 8;

// Frame f, row r holds base + 10 f + r in every column.
void write_stack(const std::filesystem::path& path, const std::string& dataset, int64_t frames,
                 uint16_t base) {
  auto file = test::create_file(path);
  std::vector<uint16_t> values;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t r = 0; r < kRows; ++r)
      values.insert(values.end(), kCols, static_cast<uint16_t>(base + 10 * f + r));
  test::write_dataset(file.get(), dataset, H5T_NATIVE_UINT16, {frames, kRows, kCols}, values,
                      {2, 8, kCols});
}

class ScanFilesMpi : public ::testing::Test {
protected:
  void SetUp() override {
    if (group.is_root()) {
      write_stack(dir / "scan.h5", "/a/frames", 6, 1000);
      std::filesystem::create_directory(dir / "refs");
      write_stack(dir / "refs/dark_field.h5", "/entry/data/data", 3, 0);
      write_stack(dir / "flat_field.h5", "/entry/data/data", 2, 5000);
    }
    group.barrier();
  }

  // The sum of the darks' row (input 0) per row, as the library wrote it.
  std::string run(std::vector<std::string> params, std::vector<double>* sums = nullptr) {
    params.push_back("scan.data=/a/frames"); // no angles: evenly spaced, with a warning
    JobSpec spec = test::configurable_job(
        dir.path(), "scan:darks:1,scan:flats:1,scan:projections:1", std::move(params));
    spec.plan.unit_slices = 8;
    const std::string outcome = test::run_whole_job(group, std::move(spec));
    if (outcome != "completed") return outcome;
    group.barrier();
    if (sums != nullptr && group.is_root()) {
      hdf5::File file(H5Fopen((dir / "out.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
      hdf5::Dataset dataset(H5Dopen2(file.get(), "/result/out0", H5P_DEFAULT));
      sums->resize(kRows);
      H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sums->data());
    }
    return "completed";
  }

  Group group;
  test::SharedScratchDir dir{group};
};

} // namespace

TEST_F(ScanFilesMpi, EveryRankReadsItsRowsOfTheOtherFiles) {
  std::vector<double> sums;
  ASSERT_EQ(run({"scan.darks=refs/dark_field.h5:/entry/data/data",
                 "scan.flats=" + (dir / "flat_field.h5").string() + ":/entry/data/data"},
                &sums),
            "completed");
  if (!group.is_root()) return;
  // Row r: 8 columns of (10 f + r) over the darks f = 0, 1, 2.
  for (int64_t r = 0; r < kRows; ++r)
    EXPECT_EQ(sums[static_cast<size_t>(r)], static_cast<double>(kCols * (30 + 3 * r)))
        << "row " << r;
}

TEST_F(ScanFilesMpi, AMissingFileStopsEveryRankWithItsName) {
  const std::string message = run({"scan.darks=refs/dark.h5:/entry/data/data"});
  EXPECT_EQ(message, "scan.darks file '" + (dir / "refs/dark.h5").string() + "' does not exist");
  group.barrier();
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
}

TEST_F(ScanFilesMpi, AMissingDatasetStopsEveryRank) {
  const std::string message = run(
      {"scan.darks=refs/dark_field.h5:/entry/data/data", "scan.flats=flat_field.h5:/entry/flat"});
  EXPECT_EQ(message, "scan.flats: dataset '/entry/flat' not found in '" +
                         (dir / "flat_field.h5").string() +
                         "'; its 3-D datasets are /entry/data/data [2, 32, 8] uint16");
}
