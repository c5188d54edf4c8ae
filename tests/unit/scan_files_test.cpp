// Darks and flats in files of their own (scan.darks=FILE:/path, as I12
// writes dark_field.h5 and flat_field.h5): how the parameter is read, where
// a relative FILE is looked for, what the roles then read, and the message
// for each way it can be wrong.
#include "common/mpi/mpi_group.hpp"
#include "common/scan/scan_files.hpp"
#include "common/scan/scan_inputs.hpp"
#include "common/scan/scan_layout.hpp"
#include "common/util/error.hpp"

#include "fixtures.hpp"
#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <tuple>

using namespace h5io;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kCols = 3;

// Frame f holds value base + f everywhere.
void write_stack(const fs::path& file_path, const std::string& path, int64_t frames, uint16_t base,
                 int64_t cols = kCols) {
  auto file = fs::exists(file_path)
                  ? hdf5::File(H5Fopen(file_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT))
                  : test::create_file(file_path);
  std::vector<uint16_t> values;
  for (int64_t f = 0; f < frames; ++f)
    values.insert(values.end(), static_cast<size_t>(kRows * cols), static_cast<uint16_t>(base + f));
  test::write_dataset(file.get(), path, H5T_NATIVE_UINT16, {frames, kRows, cols}, values);
}

// A file in no known layout: frames, angles, and darks/flats elsewhere.
class ScanFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    write_stack(dir / "scan.h5", "/a/frames", 6, 1000);
    {
      hdf5::File file(H5Fopen((dir / "scan.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
      test::write_dataset(file.get(), "/a/angles", H5T_NATIVE_DOUBLE, {6},
                          std::vector<double>{0, 30, 60, 90, 120, 150});
    }
    write_stack(dir / "dark_field.h5", "/entry/data/data", 2, 100);
    fs::create_directories(dir / "refs");
    write_stack(dir / "refs" / "flat_field.h5", "/entry/data/data", 3, 5000);
  }

  ScanLayout discover(std::vector<std::string> params, ScanFiles* files = nullptr) const {
    for (const std::string given :
         {"scan.data=/a/frames", "scan.angles=/a/angles", "scan.angle_units=degree"}) {
      const std::string key = given.substr(0, given.find('=') + 1);
      if (std::none_of(params.begin(), params.end(),
                       [&](const std::string& p) { return p.starts_with(key); }))
        params.push_back(given);
    }
    hdf5::File file(H5Fopen((dir / "scan.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    return discover_scan(file.get(), (dir / "scan.h5").string(),
                         ScanOverrides::from(JobParams::parse(params)), files);
  }

  std::string error_of(std::vector<std::string> params) const {
    try {
      discover(std::move(params));
    } catch (const Error& e) {
      return e.what();
    }
    return "found";
  }

  test::ScratchDir dir;
};

} // namespace

TEST(DatasetRef, SplitsFileAndPathAtTheLastColonSlash) {
  const DatasetRef plain = parse_dataset_ref("scan.darks", "/exchange/data_dark");
  EXPECT_TRUE(plain.file.empty());
  EXPECT_EQ(plain.path, "/exchange/data_dark");
  const DatasetRef relative = parse_dataset_ref("scan.darks", "dark_field.h5:/entry/data/data");
  EXPECT_EQ(relative.file, "dark_field.h5");
  EXPECT_EQ(relative.path, "/entry/data/data");
  const DatasetRef absolute = parse_dataset_ref("scan.flats", "/data/a:b/flat.h5:/entry/data");
  EXPECT_EQ(absolute.file, "/data/a:b/flat.h5");
  EXPECT_EQ(absolute.path, "/entry/data");
  EXPECT_EQ(parse_dataset_ref("scan.darks", "entry/dark").path, "entry/dark")
      << "a relative HDF5 path stays a path in the scan file";
}

TEST(DatasetRef, AFileWithoutADatasetIsRefusedWithTheForm) {
  for (const std::string text : {"dark_field.h5", ":/entry/data"}) {
    try {
      parse_dataset_ref("scan.darks", text);
      FAIL() << text << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                "scan.darks='" + text +
                    "' names no dataset: write scan.darks=/path for a dataset in the scan file, "
                    "or scan.darks=FILE:/path for one in another file (FILE relative to the "
                    "scan's directory, or absolute)");
    }
  }
}

TEST(DatasetRef, RelativeFilesAreTakenFromTheScansDirectory) {
  EXPECT_EQ(resolve_beside("/data/visit/scan.nxs", "dark_field.h5"), "/data/visit/dark_field.h5");
  EXPECT_EQ(resolve_beside("/data/visit/scan.nxs", "../refs/./flat.h5"), "/data/refs/flat.h5");
  EXPECT_EQ(resolve_beside("/data/visit/scan.nxs", "/other/flat.h5"), "/other/flat.h5");
  EXPECT_EQ(resolve_beside("scan.nxs", "dark.h5"), fs::current_path() / "dark.h5")
      << "a scan named relative to the working directory";
}

TEST_F(ScanFilesTest, DarksAndFlatsComeFromTheirOwnFiles) {
  const Group solo{Group::Solo{}};
  ScanFiles files(solo, dir / "scan.h5");
  const ScanLayout scan =
      discover({"scan.darks=dark_field.h5:/entry/data/data",
                "scan.flats=" + (dir / "refs/flat_field.h5").string() + ":/entry/data/data"},
               &files);
  EXPECT_EQ(scan.projections.count(), 6);
  EXPECT_EQ(scan.darks.count(), 2);
  EXPECT_EQ(scan.darks.file, (dir / "dark_field.h5").string());
  EXPECT_EQ(scan.darks.path, "/entry/data/data");
  EXPECT_EQ(scan.flats.count(), 3);
  EXPECT_EQ(scan.flats.file, (dir / "refs/flat_field.h5").string());
  EXPECT_TRUE(scan.projections.file.empty());
  const std::string description = scan_description(scan);
  EXPECT_NE(description.find("darks '/entry/data/data' in '" + (dir / "dark_field.h5").string()),
            std::string::npos)
      << description;

  // The roles read those files.
  hdf5::File file(H5Fopen((dir / "scan.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  for (const auto& [role, frames, base] :
       {std::tuple{"scan:darks", 2, 100}, std::tuple{"scan:flats", 3, 5000},
        std::tuple{"scan:projections", 6, 1000}}) {
    const auto input = open_scan_role(file.get(), (dir / "scan.h5").string(), role, scan, files);
    ASSERT_EQ(input->shape(), (std::vector<int64_t>{frames, kRows, kCols})) << role;
    std::vector<uint16_t> values(static_cast<size_t>(frames * kRows * kCols));
    input->read_whole(reinterpret_cast<std::byte*>(values.data()));
    for (int f = 0; f < frames; ++f)
      EXPECT_EQ(values[static_cast<size_t>(f * kRows * kCols)], base + f) << role << " frame " << f;
  }
}

TEST_F(ScanFilesTest, APlainPathStillNamesADatasetOfTheScanFile) {
  write_stack(dir / "scan.h5", "/a/white", 2, 7);
  const ScanLayout scan = discover({"scan.flats=/a/white"});
  EXPECT_EQ(scan.flats.path, "/a/white");
  EXPECT_TRUE(scan.flats.file.empty());
  EXPECT_EQ(scan.flats.count(), 2);
}

TEST_F(ScanFilesTest, AMissingFileIsNamedWithWhereItWasLookedFor) {
  EXPECT_EQ(error_of({"scan.darks=nope.h5:/entry/data/data"}),
            "scan.darks file '" + (dir / "nope.h5").string() + "' does not exist");
}

TEST_F(ScanFilesTest, AFileThatIsNotHdf5IsRefused) {
  std::ofstream(dir / "notes.h5") << "dark frames were taken by hand\n";
  EXPECT_EQ(error_of({"scan.flats=notes.h5:/entry/data/data"}),
            "scan.flats file '" + (dir / "notes.h5").string() +
                "' is not an HDF5 file (no HDF5 signature found)");
  fs::create_directories(dir / "adir.h5");
  EXPECT_NE(error_of({"scan.darks=adir.h5:/x"}).find("is a directory, not an HDF5 file"),
            std::string::npos);
}

TEST_F(ScanFilesTest, AMissingDatasetListsWhatTheFileHolds) {
  EXPECT_EQ(error_of({"scan.darks=dark_field.h5:/entry/data/dark"}),
            "scan.darks: dataset '/entry/data/dark' not found in '" +
                (dir / "dark_field.h5").string() +
                "'; its 3-D datasets are /entry/data/data [2, 4, 3] uint16");
  EXPECT_NE(error_of({"scan.darks=dark_field.h5:/entry/data"}).find("(it is not a dataset)"),
            std::string::npos);
}

TEST_F(ScanFilesTest, DarksOfAnotherFrameSizeNameTheirFile) {
  write_stack(dir / "wide.h5", "/d", 2, 1, 7);
  EXPECT_EQ(error_of({"scan.darks=wide.h5:/d"}),
            "the darks '/d' in '" + (dir / "wide.h5").string() +
                "' are uint16 of shape [2, 4, 7], but the projections are [frames, 4, 3]: they "
                "must be numbers of the same frame size");
}

TEST_F(ScanFilesTest, OnlyDarksAndFlatsMayLiveElsewhere) {
  for (const std::string key : {"scan.image_key", "scan.angles"}) {
    const std::string error = error_of({key + "=dark_field.h5:/entry/data/data"});
    EXPECT_NE(error.find(key + "='dark_field.h5:/entry/data/data' names a dataset in another "
                               "file; only scan.darks and scan.flats may"),
              std::string::npos)
        << error;
  }
}
