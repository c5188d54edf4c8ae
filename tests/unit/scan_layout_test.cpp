// Finding a scan's parts in files laid out as beamlines write them (NXtomo
// with float image keys and external links, DXchange, parameters), and the
// messages when they cannot be found or do not fit together.
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/scan/scan_layout.hpp"
#include "common/util/error.hpp"

#include "fixtures.hpp"
#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <numbers>
#include <tuple>

using namespace h5io;

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kCols = 3;

void make_group(hid_t file, const std::string& path, const std::string& nx_class) {
  hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  hdf5::Group group(H5Gcreate2(file, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  write_string_attribute(group.get(), "NX_class", nx_class);
}

void write_frames(hid_t file, const std::string& path, int64_t frames) {
  test::write_dataset(file, path, H5T_NATIVE_UINT16, {frames, kRows, kCols},
                      test::iota_values<uint16_t>(static_cast<size_t>(frames * kRows * kCols)),
                      {2, 2, kCols});
}

void write_units(hid_t file, const std::string& path, const std::string& units) {
  hdf5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  write_string_attribute(dataset.get(), "units", units);
}

ScanLayout discover(const std::filesystem::path& path, const ScanOverrides& overrides = {}) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  return discover_scan(file.get(), path.string(), overrides);
}

std::string error_of(const std::filesystem::path& path, const ScanOverrides& overrides = {}) {
  try {
    discover(path, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "found";
}

// Diamond's layout: /entry1/tomo_entry, data/data an external link to the
// detector's file, image_key as float with darks and flats at both ends (and
// one invalid frame), angles in degrees for every frame.
const std::vector<double> kDiamondKeys = {2, 2, 1, 1, 0, 0, 0, 3, 0, 0, 1, 2};

void write_diamond(const test::ScratchDir& dir, const std::string& units = "degree") {
  {
    auto detector = test::create_file(dir / "scan_detector.h5");
    write_frames(detector.get(), "/entry/instrument/detector/data",
                 static_cast<int64_t>(kDiamondKeys.size()));
  }
  auto file = test::create_file(dir / "scan.nxs");
  make_group(file.get(), "/entry1", "NXentry");
  make_group(file.get(), "/entry1/tomo_entry", "NXsubentry");
  write_string_dataset(file.get(), "/entry1/tomo_entry/definition", "NXtomo");
  make_group(file.get(), "/entry1/tomo_entry/data", "NXdata");
  H5Lcreate_external("scan_detector.h5", "/entry/instrument/detector/data", file.get(),
                     "/entry1/tomo_entry/data/data", H5P_DEFAULT, H5P_DEFAULT);
  test::write_dataset(file.get(), "/entry1/tomo_entry/instrument/detector/image_key",
                      H5T_NATIVE_DOUBLE, {static_cast<int64_t>(kDiamondKeys.size())}, kDiamondKeys);
  std::vector<double> degrees;
  for (size_t i = 0; i < kDiamondKeys.size(); ++i) degrees.push_back(10.0 * static_cast<double>(i));
  test::write_dataset(file.get(), "/entry1/tomo_entry/data/rotation_angle", H5T_NATIVE_DOUBLE,
                      {static_cast<int64_t>(degrees.size())}, degrees);
  if (!units.empty()) write_units(file.get(), "/entry1/tomo_entry/data/rotation_angle", units);
}

void write_dxchange(const test::ScratchDir& dir, bool with_theta = true, int64_t theta_count = 5) {
  auto file = test::create_file(dir / "scan.h5");
  write_frames(file.get(), "/exchange/data", 5);
  write_frames(file.get(), "/exchange/data_white", 2);
  write_frames(file.get(), "/exchange/data_dark", 3);
  if (!with_theta) return;
  std::vector<double> theta;
  for (int64_t k = 0; k < theta_count; ++k) theta.push_back(0.5 * static_cast<double>(k));
  test::write_dataset(file.get(), "/exchange/theta", H5T_NATIVE_FLOAT, {theta_count},
                      std::vector<float>(theta.begin(), theta.end()));
}

} // namespace

TEST(ScanLayout, FindsDiamondNXtomoThroughExternalLinkAndFloatImageKey) {
  test::ScratchDir dir;
  write_diamond(dir);
  const ScanLayout scan = discover(dir / "scan.nxs");
  EXPECT_EQ(scan.kind, "NXtomo");
  EXPECT_EQ(scan.entry, "/entry1/tomo_entry");
  EXPECT_EQ(scan.data_path, "/entry1/tomo_entry/data/data");
  EXPECT_EQ(scan.data_link, "scan_detector.h5:/entry/instrument/detector/data");
  EXPECT_EQ(scan.data_shape, (std::vector<int64_t>{12, kRows, kCols}));
  EXPECT_EQ(scan.dtype, "uint16");
  EXPECT_EQ(scan.projections.frames, (std::vector<FrameRange>{{4, 3}, {8, 2}}));
  EXPECT_EQ(scan.darks.frames, (std::vector<FrameRange>{{0, 2}, {11, 1}}));
  EXPECT_EQ(scan.flats.frames, (std::vector<FrameRange>{{2, 2}, {10, 1}}));
  EXPECT_EQ(scan.invalid_frames, 1);
  EXPECT_EQ(scan.angle_units, "degree");
  // Only the projections' angles (frames 4, 5, 6, 8, 9), in radians.
  ASSERT_EQ(scan.angles.size(), 5u);
  const double frames_of_angles[] = {4, 5, 6, 8, 9};
  for (size_t k = 0; k < 5; ++k)
    EXPECT_NEAR(scan.angles[k], frames_of_angles[k] * 10.0 * std::numbers::pi / 180.0, 1e-12);
  EXPECT_TRUE(scan.warnings.empty());
}

TEST(ScanLayout, FindsDXchangeWithSeparateDarksAndFlats) {
  test::ScratchDir dir;
  write_dxchange(dir);
  const ScanLayout scan = discover(dir / "scan.h5");
  EXPECT_EQ(scan.kind, "DXchange");
  EXPECT_EQ(scan.projections.path, "/exchange/data");
  EXPECT_EQ(scan.projections.count(), 5);
  EXPECT_EQ(scan.flats.path, "/exchange/data_white");
  EXPECT_EQ(scan.flats.count(), 2);
  EXPECT_EQ(scan.darks.path, "/exchange/data_dark");
  EXPECT_EQ(scan.darks.count(), 3);
  // theta without units, within one turn: taken as radians, with a warning.
  EXPECT_EQ(scan.angle_units, "assumed: rad");
  ASSERT_EQ(scan.angles.size(), 5u);
  EXPECT_NEAR(scan.angles[4], 2.0, 1e-6);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_NE(scan.warnings[0].find("no units"), std::string::npos) << scan.warnings[0];
}

TEST(ScanLayout, MissingAnglesWarnAndFallBackToEvenlySpaced) {
  test::ScratchDir dir;
  write_dxchange(dir, false);
  const ScanLayout scan = discover(dir / "scan.h5");
  ASSERT_EQ(scan.angles.size(), 5u);
  EXPECT_NEAR(scan.angles[1], std::numbers::pi / 5, 1e-12);
  ASSERT_FALSE(scan.warnings.empty());
  EXPECT_NE(scan.warnings[0].find("evenly spaced over 180 degrees"), std::string::npos);
}

TEST(ScanLayout, AngleCountMismatchIsRejected) {
  test::ScratchDir dir;
  write_dxchange(dir, true, 7);
  const std::string error = error_of(dir / "scan.h5");
  EXPECT_NE(error.find("angle count mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find("7 angles"), std::string::npos) << error;
  EXPECT_NE(error.find("5 are projections"), std::string::npos) << error;
}

TEST(ScanLayout, UnknownAngleUnitsAreRejectedAndCanBeOverridden) {
  test::ScratchDir dir;
  write_diamond(dir, "furlongs");
  const std::string error = error_of(dir / "scan.nxs");
  EXPECT_NE(error.find("units 'furlongs'"), std::string::npos) << error;
  ScanOverrides overrides;
  overrides.angle_units = "rad";
  const ScanLayout scan = discover(dir / "scan.nxs", overrides);
  EXPECT_EQ(scan.angle_units, "rad");
  EXPECT_NEAR(scan.angles[0], 40.0, 1e-12);
  overrides.angle_units = "gradians";
  EXPECT_NE(error_of(dir / "scan.nxs", overrides).find("not an angle unit"), std::string::npos);
}

TEST(ScanLayout, ImageKeyOutsideNXtomoValuesIsRejected) {
  test::ScratchDir dir;
  write_diamond(dir);
  {
    hdf5::File file(H5Fopen((dir / "scan.nxs").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    std::vector<double> keys = kDiamondKeys;
    keys[5] = 0.5;
    hdf5::Dataset key(
        H5Dopen2(file.get(), "/entry1/tomo_entry/instrument/detector/image_key", H5P_DEFAULT));
    H5Dwrite(key.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, keys.data());
  }
  const std::string error = error_of(dir / "scan.nxs");
  EXPECT_NE(error.find("value 0.5 at frame 5"), std::string::npos) << error;
}

TEST(ScanLayout, AFileThatIsNoScanSaysWhatWasLookedFor) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "other.h5");
    write_frames(file.get(), "/a/frames", 6);
  }
  const std::string error = error_of(dir / "other.h5");
  EXPECT_NE(error.find("no NXtomo entry"), std::string::npos) << error;
  // Its only 3-D stack of integers is proposed (scan_proposal_test.cpp).
  EXPECT_NE(error.find("its frames may be '/a/frames': try --param scan.data=/a/frames"),
            std::string::npos)
      << error;
}

TEST(ScanLayout, ParametersNameThePartsOfAnyFile) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "other.h5");
    write_frames(file.get(), "/a/frames", 6);
    write_frames(file.get(), "/a/white", 2);
    test::write_dataset(file.get(), "/a/angles", H5T_NATIVE_DOUBLE, {6},
                        std::vector<double>{0, 30, 60, 90, 120, 150});
  }
  const auto params =
      JobParams::parse({"scan.data=/a/frames", "scan.flats=/a/white", "scan.angles=/a/angles",
                        "scan.angle_units=degree", "filter=hann"});
  const ScanLayout scan = discover(dir / "other.h5", ScanOverrides::from(params));
  EXPECT_EQ(scan.kind, "parameters");
  EXPECT_EQ(scan.projections.count(), 6);
  EXPECT_EQ(scan.flats.path, "/a/white");
  EXPECT_EQ(scan.darks.count(), 0);
  EXPECT_NEAR(scan.angles[3], std::numbers::pi / 2, 1e-12);

  const std::string missing =
      error_of(dir / "other.h5", ScanOverrides::from(JobParams::parse({"scan.data=/a/nope"})));
  EXPECT_NE(missing.find("'/a/nope' not found"), std::string::npos) << missing;
  try {
    ScanOverrides::from(JobParams::parse({"scan.dark=/a/white"}));
    FAIL() << "a misspelt scan parameter was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scan.darks"), std::string::npos) << e.what();
  }
}

TEST(ScanLayout, DarksOfAnotherFrameSizeAreRejected) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "scan.h5");
    write_frames(file.get(), "/exchange/data", 5);
    test::write_dataset(file.get(), "/exchange/data_dark", H5T_NATIVE_UINT16, {2, kRows, 7},
                        std::vector<uint16_t>(static_cast<size_t>(2 * kRows * 7)));
  }
  const std::string error = error_of(dir / "scan.h5");
  EXPECT_NE(error.find("the darks '/exchange/data_dark'"), std::string::npos) << error;
  EXPECT_NE(error.find("same frame size"), std::string::npos) << error;
}

TEST(ScanLayout, AnExternalLinkToAMissingFileIsNamed) {
  test::ScratchDir dir;
  write_diamond(dir);
  std::filesystem::remove(dir / "scan_detector.h5");
  const std::string error = error_of(dir / "scan.nxs");
  EXPECT_NE(error.find("external link to a missing file"), std::string::npos) << error;
}

// The detector's pixel size, which gives a reconstruction's axes lengths.
TEST(ScanLayout, ReadsThePixelSizeOfTheNXtomoDetector) {
  EXPECT_EQ(metres_per_unit("um"), 1e-6);
  EXPECT_EQ(metres_per_unit("\xc2\xb5m"), 1e-6);
  EXPECT_EQ(metres_per_unit(" Microns"), 1e-6);
  EXPECT_EQ(metres_per_unit("millimetre"), 1e-3);
  EXPECT_EQ(metres_per_unit("m"), 1.0);
  EXPECT_FALSE(metres_per_unit("pixel"));
  EXPECT_FALSE(metres_per_unit(""));

  const std::string detector = "/entry1/tomo_entry/instrument/detector";
  const auto scan_with = [&](const test::ScratchDir& dir,
                             const std::vector<std::pair<std::string, std::string>>& sizes,
                             const std::vector<double>& x_values = {6.5}) {
    write_diamond(dir);
    hdf5::File file(H5Fopen((dir / "scan.nxs").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    {
      hdf5::Group group(H5Gopen2(file.get(), detector.c_str(), H5P_DEFAULT));
      write_string_attribute(group.get(), "NX_class", "NXdetector");
    }
    for (const auto& [name, units] : sizes) {
      const std::string path = detector + "/" + name;
      const std::vector<double> values = name == "x_pixel_size" ? x_values : std::vector{3.25e-3};
      test::write_dataset(file.get(), path, H5T_NATIVE_DOUBLE,
                          {static_cast<int64_t>(values.size())}, values);
      if (!units.empty()) write_units(file.get(), path, units);
    }
  };
  {
    test::ScratchDir dir;
    scan_with(dir, {{"x_pixel_size", "um"}});
    const ScanLayout scan = discover(dir / "scan.nxs");
    ASSERT_TRUE(scan.pixel_size);
    EXPECT_DOUBLE_EQ(scan.pixel_size->x_metres, 6.5e-6);
    EXPECT_DOUBLE_EQ(scan.pixel_size->y_metres, 6.5e-6); // square without y_pixel_size
    EXPECT_EQ(scan.pixel_size->path, detector + "/x_pixel_size");
    EXPECT_TRUE(scan.warnings.empty());
  }
  {
    test::ScratchDir dir;
    scan_with(dir, {{"x_pixel_size", "um"}, {"y_pixel_size", "mm"}}, {6.5, 6.5, 6.5});
    const ScanLayout scan = discover(dir / "scan.nxs");
    ASSERT_TRUE(scan.pixel_size);
    EXPECT_DOUBLE_EQ(scan.pixel_size->y_metres, 3.25e-6);
  }
  for (const auto& [units, x_values, expected] :
       {std::tuple<std::string, std::vector<double>, std::string>{"", {6.5}, "no units"},
        {"furlong", {6.5}, "units 'furlong', not a length"},
        {"um", {6.5, 7.0}, "is not one positive number"},
        {"um", {0.0}, "is not one positive number"}}) {
    test::ScratchDir dir;
    scan_with(dir, {{"x_pixel_size", units}}, x_values);
    const ScanLayout scan = discover(dir / "scan.nxs");
    EXPECT_FALSE(scan.pixel_size) << expected;
    ASSERT_EQ(scan.warnings.size(), 1u) << expected;
    EXPECT_NE(scan.warnings[0].find(expected), std::string::npos) << scan.warnings[0];
    EXPECT_NE(scan.warnings[0].find("axes are in pixels"), std::string::npos);
  }
  { // DXchange says nothing of it
    test::ScratchDir dir;
    write_dxchange(dir);
    EXPECT_FALSE(discover(dir / "scan.h5").pixel_size);
  }
}
