// Files in no layout h5io knows: the datasets behind external links are
// listed, and the scan.* parameters that describe the file are proposed
// (frames, image key by name and by values, angles by name and by monotonic
// values, degrees or radians by magnitude, darks and flats in files beside
// the scan), and named when discover_scan refuses the file.
#include "common/hdf5/dataset_info.hpp"
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/scan/scan_layout.hpp"
#include "common/scan/scan_proposal.hpp"
#include "common/util/error.hpp"

#include "fixtures.hpp"
#include "scratch_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <numbers>
#include <numeric>

using namespace h5io;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kCols = 3;
// Darks, flats, projections, flats, darks, as Diamond takes them.
const std::vector<int32_t> kKeys = {2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2};

hdf5::PropertyList intermediate_groups() {
  hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return lcpl;
}

void external_link(hid_t file, const std::string& path, const std::string& target_file,
                   const std::string& target_path) {
  ASSERT_GE(H5Lcreate_external(target_file.c_str(), target_path.c_str(), file, path.c_str(),
                               intermediate_groups().get(), H5P_DEFAULT),
            0);
}

template <class T>
void write_vector(hid_t file, const std::string& path, hid_t type, const std::vector<T>& values) {
  test::write_dataset(file, path, type, {static_cast<int64_t>(values.size())}, values);
}

void write_frames(hid_t file, const std::string& path, int64_t frames,
                  hid_t type = H5T_NATIVE_UINT16, int64_t cols = kCols) {
  // Zeros of whatever size `type` has.
  const std::vector<std::byte> zeros(static_cast<size_t>(frames * kRows * cols) *
                                     H5Tget_size(type));
  test::write_dataset(file, path, type, {frames, kRows, cols},
                      static_cast<const void*>(zeros.data()));
}

void write_scalar(hid_t file, const std::string& path, double value) {
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(H5Dcreate2(file, path.c_str(), H5T_NATIVE_DOUBLE, scalar.get(),
                                   intermediate_groups().get(), H5P_DEFAULT, H5P_DEFAULT));
  H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
}

// Per frame, the motor's readback in degrees with no units: darks and flats
// at the angle of the projection next to them.
std::vector<double> motor_values() {
  return {90, 90, 90, 90, 90, 120, 150, 180, 210, 240, 240, 240};
}

// A newer Diamond file: frames behind an external link in an NXdata group,
// int32 image_key with the detector, the rotation in another NXdata, and
// decoys a proposal must not pick.
void write_nxdata_scan(const test::ScratchDir& dir) {
  {
    auto detector = test::create_file(dir / "scan_pco1.h5");
    write_frames(detector.get(), "/entry/data/data", static_cast<int64_t>(kKeys.size()));
  }
  auto file = test::create_file(dir / "scan.nxs");
  external_link(file.get(), "/entry/pco1/data", "scan_pco1.h5", "/entry/data/data");
  write_vector(file.get(), "/entry/instrument/pco1/image_key", H5T_NATIVE_INT32, kKeys);
  write_vector(file.get(), "/entry/smaract_zrot/smaract_zrot_value", H5T_NATIVE_DOUBLE,
               motor_values());
  // A frame counter: rises too, but integers are not a motor's positions.
  std::vector<int32_t> ids(kKeys.size());
  std::iota(ids.begin(), ids.end(), 1);
  write_vector(file.get(), "/entry/instrument/pco1/unique_id", H5T_NATIVE_INT32, ids);
  write_scalar(file.get(), "/entry/instrument/pco1/count_time", 0.05);
  write_string_dataset(file.get(), "/entry/start_time", "2024-05-14T10:21:07");
  write_frames(file.get(), "/entry/snapshot/data", 2, H5T_NATIVE_INT16);   // smaller: second
  write_frames(file.get(), "/entry/processed/data", 40, H5T_NATIVE_FLOAT); // not integers
}

ScanProposal propose(const fs::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  return propose_scan(file.get(), path.string());
}

std::string refusal(const fs::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  try {
    discover_scan(file.get(), path.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "found";
}

std::vector<std::string> paths_of(const std::vector<ScanCandidate>& candidates) {
  std::vector<std::string> paths;
  for (const ScanCandidate& c : candidates) paths.push_back(c.path);
  return paths;
}

} // namespace

TEST(ListDatasets, FollowsExternalLinksAndReportsBrokenOnes) {
  test::ScratchDir dir;
  write_nxdata_scan(dir);
  {
    hdf5::File file(H5Fopen((dir / "scan.nxs").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    external_link(file.get(), "/entry/whole", "scan_pco1.h5", "/entry"); // a group elsewhere
    external_link(file.get(), "/entry/lost", "gone.h5", "/entry/data/data");
    H5Lcreate_hard(file.get(), "/entry/smaract_zrot/smaract_zrot_value", file.get(),
                   "/entry/zz_again", H5P_DEFAULT, H5P_DEFAULT);
  }
  hdf5::File file(H5Fopen((dir / "scan.nxs").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  std::vector<std::string> broken;
  const std::vector<DatasetInfo> found = list_datasets(file.get(), "scan.nxs", &broken);
  std::vector<std::string> paths;
  for (const DatasetInfo& info : found) paths.push_back(info.path + " " + info.link);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "/entry/instrument/pco1/count_time ",
                       "/entry/instrument/pco1/image_key ",
                       "/entry/instrument/pco1/unique_id ",
                       "/entry/pco1/data scan_pco1.h5:/entry/data/data",
                       "/entry/processed/data ",
                       "/entry/smaract_zrot/smaract_zrot_value ",
                       "/entry/snapshot/data ",
                       "/entry/start_time ",
                   }))
      << "each object once (the group behind /entry/whole holds /entry/pco1/data's dataset, "
         "and /entry/zz_again is a second name of the angles)";
  EXPECT_EQ(broken, (std::vector<std::string>{"/entry/lost -> gone.h5:/entry/data/data"}));
}

TEST(ListDatasets, NamesDatasetsInsideAnExternallyLinkedGroup) {
  test::ScratchDir dir;
  {
    auto other = test::create_file(dir / "other.h5");
    write_frames(other.get(), "/g/sub/frames", 3);
  }
  auto file = test::create_file(dir / "main.h5");
  external_link(file.get(), "/linked", "other.h5", "/g");
  const std::vector<DatasetInfo> found = list_datasets(file.get(), "main.h5");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, "/linked/sub/frames");
  EXPECT_EQ(found[0].link, "other.h5:/g/sub/frames");
}

TEST(ScanProposal, ProposesTheNewerDiamondLayout) {
  test::ScratchDir dir;
  write_nxdata_scan(dir);
  const ScanProposal proposal = propose(dir / "scan.nxs");
  EXPECT_EQ(paths_of(proposal.frames),
            (std::vector<std::string>{"/entry/pco1/data", "/entry/snapshot/data"}))
      << "3-D integer datasets, largest first; float32 is no detector's raw data";
  EXPECT_EQ(proposal.frames[0].link, "scan_pco1.h5:/entry/data/data");
  EXPECT_EQ(paths_of(proposal.image_keys),
            (std::vector<std::string>{"/entry/instrument/pco1/image_key"}));
  EXPECT_EQ(proposal.image_keys[0].why,
            "named image_key; values in {0, 1, 2, 3}: 6 projections, 3 flats, 3 darks");
  EXPECT_EQ(paths_of(proposal.angles),
            (std::vector<std::string>{"/entry/smaract_zrot/smaract_zrot_value",
                                      "/entry/instrument/pco1/unique_id"}))
      << "a motor's floating-point readback before an integer counter";
  EXPECT_EQ(proposal.angles[0].why, "values rise monotonically from 90 to 240, one per frame");
  EXPECT_EQ(proposal.angle_units, "degree");
  EXPECT_EQ(proposal.angle_units_why, "the angles have no units attribute; they reach 240, "
                                      "beyond 2π, so they are taken as degrees");
  EXPECT_TRUE(proposal.darks.path.empty()) << "the image key has darks";
  EXPECT_TRUE(proposal.notes.empty()) << proposal.notes.front();
  const std::string line =
      "--param scan.data=/entry/pco1/data --param scan.image_key=/entry/instrument/pco1/image_key "
      "--param scan.angles=/entry/smaract_zrot/smaract_zrot_value --param scan.angle_units=degree";
  EXPECT_EQ(proposal.command_line(), line);

  const nlohmann::json json = proposal_json(proposal);
  EXPECT_EQ(json["command_line"], line);
  EXPECT_EQ(json["params"],
            nlohmann::json::array(
                {"scan.data=/entry/pco1/data", "scan.image_key=/entry/instrument/pco1/image_key",
                 "scan.angles=/entry/smaract_zrot/smaract_zrot_value", "scan.angle_units=degree"}));
  EXPECT_TRUE(json["darks"].is_null());
}

TEST(ScanProposal, DiscoverScanRefusesTheFileNamingTheProposal) {
  test::ScratchDir dir;
  write_nxdata_scan(dir);
  const std::string file = (dir / "scan.nxs").string();
  EXPECT_EQ(refusal(dir / "scan.nxs"),
            "'" + file +
                "' is not a tomography scan h5io recognises: it has no NXtomo entry (a group with "
                "NX_class NXentry or NXsubentry holding definition='NXtomo') and no DXchange "
                "/exchange/data; it looks like a scan: try --param scan.data=/entry/pco1/data "
                "--param scan.image_key=/entry/instrument/pco1/image_key --param "
                "scan.angles=/entry/smaract_zrot/smaract_zrot_value --param "
                "scan.angle_units=degree (h5io inspect " +
                file +
                " shows why; the angles have no units attribute; they reach 240, beyond 2π, so "
                "they are taken as degrees)");

  // ... and the proposal, passed back, describes the scan.
  hdf5::File handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  const ScanLayout scan =
      discover_scan(handle.get(), file,
                    ScanOverrides::from(JobParams::parse(propose(dir / "scan.nxs").params())));
  EXPECT_EQ(scan.projections.count(), 6);
  EXPECT_EQ(scan.darks.count(), 3);
  EXPECT_EQ(scan.flats.count(), 3);
  ASSERT_EQ(scan.angles.size(), 6u);
  EXPECT_NEAR(scan.angles.front(), std::numbers::pi / 2, 1e-12);
}

TEST(ScanProposal, AnglesNamedSoWinAndSmallOnesAreRadians) {
  test::ScratchDir dir;
  auto file = test::create_file(dir / "scan.h5");
  write_frames(file.get(), "/a/frames", 5);
  write_vector(file.get(), "/a/encoder", H5T_NATIVE_DOUBLE, std::vector<double>{0, 1, 2, 3, 4});
  write_vector(file.get(), "/a/Theta", H5T_NATIVE_FLOAT, std::vector<float>{0, 0.5, 1, 1.5, 2});
  const ScanProposal proposal = propose(dir / "scan.h5");
  EXPECT_EQ(paths_of(proposal.angles), (std::vector<std::string>{"/a/Theta", "/a/encoder"}));
  EXPECT_EQ(proposal.angles[0].why,
            "named like angles; values rise monotonically from 0 to 2, one per frame");
  EXPECT_EQ(proposal.angle_units, "rad");
  EXPECT_NE(proposal.angle_units_why.find("within 2π, so they are taken as radians"),
            std::string::npos);
}

TEST(ScanProposal, AnglesWithUnitsNeedNoUnitsParameter) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "scan.h5");
    write_frames(file.get(), "/a/frames", 5);
    write_vector(file.get(), "/a/rotation_angle", H5T_NATIVE_DOUBLE,
                 std::vector<double>{0, 45, 90, 135, 180});
    hdf5::Dataset angles(H5Dopen2(file.get(), "/a/rotation_angle", H5P_DEFAULT));
    write_string_attribute(angles.get(), "units", "deg");
  }
  const ScanProposal proposal = propose(dir / "scan.h5");
  EXPECT_EQ(proposal.angle_units, "");
  EXPECT_EQ(proposal.angle_units_why, "the angles say their units: 'deg'");
  EXPECT_EQ(proposal.params(),
            (std::vector<std::string>{"scan.data=/a/frames", "scan.angles=/a/rotation_angle"}));
}

TEST(ScanProposal, ImageKeysAreRecognisedByTheirValues) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "scan.h5");
    write_frames(file.get(), "/a/frames", 6);
    write_vector(file.get(), "/a/kind", H5T_NATIVE_INT8, std::vector<int8_t>{2, 1, 0, 0, 0, 1});
    write_vector(file.get(), "/a/all_zero", H5T_NATIVE_INT8, std::vector<int8_t>(6, 0));
    write_vector(file.get(), "/b/image_key", H5T_NATIVE_INT8,
                 std::vector<int8_t>{0, 0, 5, 0, 0, 0});
  }
  const ScanProposal proposal = propose(dir / "scan.h5");
  EXPECT_EQ(paths_of(proposal.image_keys), (std::vector<std::string>{"/a/kind"}))
      << "one value, unnamed, says nothing; 5 is no image key";
  EXPECT_EQ(proposal.image_keys[0].why, "values in {0, 1, 2, 3}: 3 projections, 2 flats, 1 darks");
  ASSERT_FALSE(proposal.notes.empty());
  EXPECT_EQ(proposal.notes[0], "'/b/image_key' is named like an image key but holds values "
                               "other than 0, 1, 2 and 3");
}

TEST(ScanProposal, DarksAndFlatsInFilesBesideTheScan) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "scan.nxs");
    write_frames(file.get(), "/entry/pco1/data", 6);
  }
  {
    auto dark = test::create_file(dir / "dark_a.h5"); // first by name, but of another size
    write_frames(dark.get(), "/entry/data/data", 2, H5T_NATIVE_UINT16, 9);
  }
  {
    auto dark = test::create_file(dir / "dark_field.h5");
    write_frames(dark.get(), "/entry/data/data", 2);
  }
  {
    auto flat = test::create_file(dir / "flat_field.h5");
    write_frames(flat.get(), "/entry/data/data", 3);
  }
  const ScanProposal proposal = propose(dir / "scan.nxs");
  EXPECT_EQ(proposal.darks.path, "dark_field.h5:/entry/data/data");
  EXPECT_EQ(proposal.darks.why,
            "2 darks in 'dark_field.h5' beside the scan, frames of the same size");
  EXPECT_EQ(proposal.flats.path, "flat_field.h5:/entry/data/data");
  EXPECT_EQ(proposal.params(),
            (std::vector<std::string>{"scan.data=/entry/pco1/data",
                                      "scan.darks=dark_field.h5:/entry/data/data",
                                      "scan.flats=flat_field.h5:/entry/data/data"}));
  // Frames alone, nothing says they are a scan's: a softer wording.
  const std::string error = refusal(dir / "scan.nxs");
  EXPECT_NE(error.find("; its frames may be '/entry/pco1/data': try --param "
                       "scan.data=/entry/pco1/data --param "
                       "scan.darks=dark_field.h5:/entry/data/data"),
            std::string::npos)
      << error;
  ASSERT_EQ(proposal.notes.size(), 2u);
  EXPECT_NE(proposal.notes[0].find("no image_key found"), std::string::npos);
  EXPECT_NE(proposal.notes[1].find("no rotation angles found"), std::string::npos);
}

TEST(ScanProposal, NoFramesNoProposal) {
  test::ScratchDir dir;
  {
    auto file = test::create_file(dir / "volume.h5");
    write_frames(file.get(), "/recon", 5, H5T_NATIVE_FLOAT);
    write_vector(file.get(), "/theta", H5T_NATIVE_DOUBLE, std::vector<double>{0, 1, 2, 3, 4});
  }
  EXPECT_TRUE(propose(dir / "volume.h5").empty());
  const std::string error = refusal(dir / "volume.h5");
  EXPECT_NE(error.find("/exchange/data. Name the frames with --param scan.data=PATH"),
            std::string::npos)
      << error;
}

TEST(ScanProposal, WordsAreQuotedForTheShell) {
  EXPECT_EQ(shell_word("scan.data=/entry/pco1/data"), "scan.data=/entry/pco1/data");
  EXPECT_EQ(shell_word("scan.data=/entry/my scan/data"), "'scan.data=/entry/my scan/data'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word(""), "''");
}
