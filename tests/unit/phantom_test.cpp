// The phantom's analytic projections against numeric integration of its
// density, and `h5io phantom`'s files: layouts, types, attributes, chunking,
// frame order, option checks.
#include "common/hdf5/hdf5_handle.hpp"
#include "common/synthetic/phantom.hpp"
#include "common/synthetic/phantom_scan.hpp"
#include "common/util/error.hpp"

#include "scratch_dir.hpp"
#include "subprocess.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

using namespace h5io;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = std::numbers::pi;

// The integral of section.density along x cos(theta) + y sin(theta) = t by
// the midpoint rule with steps of `step` pixels.
double numeric_line_integral(const phantom::Section& section, double theta, double t,
                             double half_length, double step) {
  const double c = std::cos(theta);
  const double s = std::sin(theta);
  double sum = 0;
  for (double along = -half_length + step / 2; along < half_length; along += step)
    sum += section.density(t * c - along * s, t * s + along * c);
  return sum * step;
}

// ---- reading the files back ------------------------------------------------

hdf5::File open_file(const fs::path& path) {
  return hdf5::File(hdf5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                                "cannot open " + path.string()));
}

bool exists(hid_t file, const char* path) {
  return H5Lexists(file, path, H5P_DEFAULT) > 0;
}

hdf5::Dataset open_dataset(hid_t file, const std::string& path) {
  return hdf5::Dataset(hdf5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "no " + path));
}

std::vector<hsize_t> shape_of(hid_t dataset) {
  hdf5::Dataspace space(H5Dget_space(dataset));
  std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::vector<hsize_t> chunks_of(hid_t dataset) {
  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset));
  std::vector<hsize_t> chunk(3);
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return {};
  H5Pget_chunk(dcpl.get(), 3, chunk.data());
  return chunk;
}

// True when the dataset's stored type equals `type` (e.g. H5T_STD_U16LE).
bool stored_as(hid_t dataset, hid_t type) {
  hdf5::Datatype stored(H5Dget_type(dataset));
  return H5Tequal(stored.get(), type) > 0;
}

std::vector<double> read_values(hid_t file, const std::string& path) {
  const hdf5::Dataset dataset = open_dataset(file, path);
  hsize_t count = 1;
  for (const hsize_t d : shape_of(dataset.get())) count *= d;
  std::vector<double> values(count);
  hdf5::check_status(
      H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      "cannot read " + path);
  return values;
}

struct StringValue {
  std::string text;
  bool variable_length = false;
};

StringValue read_string(hid_t object, bool attribute, const char* name) {
  hdf5::Attribute attr;
  hdf5::Dataset dataset;
  if (attribute)
    attr = hdf5::Attribute(hdf5::check(H5Aopen(object, name, H5P_DEFAULT), name));
  else
    dataset = open_dataset(object, name);
  hdf5::Datatype type(attribute ? H5Aget_type(attr.get()) : H5Dget_type(dataset.get()));
  StringValue value;
  value.variable_length = H5Tis_variable_str(type.get()) > 0;
  auto read = [&](void* buffer) {
    return attribute ? H5Aread(attr.get(), type.get(), buffer)
                     : H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  };
  if (value.variable_length) {
    char* text = nullptr;
    hdf5::check_status(read(&text), name);
    value.text = text;
    H5free_memory(text);
  } else {
    std::string buffer(H5Tget_size(type.get()), '\0');
    hdf5::check_status(read(buffer.data()), name);
    value.text = buffer.substr(0, buffer.find('\0'));
  }
  return value;
}

StringValue string_attribute(hid_t file, const char* object_path, const char* name) {
  const hdf5::Handle<H5Oclose> object(
      hdf5::check(H5Oopen(file, object_path, H5P_DEFAULT), object_path));
  return read_string(object.get(), true, name);
}

PhantomScanOptions small_scan(const fs::path& output, PhantomLayout layout) {
  PhantomScanOptions options;
  options.output = output;
  options.layout = layout;
  options.size = 32;
  options.rows = 4;
  options.angles = 12;
  options.darks = 3;
  options.flats = 4;
  return options;
}

std::string rejection(const PhantomScanOptions& options) {
  try {
    validate_phantom_scan_options(options);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

// ---- the phantom -------------------------------------------------------------

TEST(PhantomGeometry, EllipseLineIntegralEqualsNumericIntegrationOfDensity) {
  const phantom::Section ellipse({{0.3, 20.0, 9.0, 4.0, -6.0, 0.4}});
  for (const double theta : {0.0, 0.3, kPi / 2, 2.0, 3.0, 4.5})
    for (const double t : {-18.0, -7.5, 0.0, 3.2, 11.0, 19.5}) {
      const double analytic = ellipse.line_integral(theta, t);
      const double numeric = numeric_line_integral(ellipse, theta, t, 40.0, 1e-3);
      EXPECT_NEAR(analytic, numeric, 1e-3) << "theta " << theta << " t " << t;
    }
  // Far outside the shadow: nothing.
  EXPECT_EQ(ellipse.line_integral(0.0, 40.0), 0.0);
}

TEST(PhantomGeometry, PhantomRowLineIntegralsEqualNumericIntegration) {
  const phantom::SheppLogan phantom(128, 2.0);
  for (const double z : {phantom::SheppLogan::row_height(0, 64), 0.0, 15.7, -30.0}) {
    const phantom::Section section = phantom.section(z);
    for (const double theta : {0.1, 1.2, 2.9})
      for (const double t : {-50.0, -20.0, 0.5, 33.0}) {
        EXPECT_NEAR(section.line_integral(theta, t),
                    numeric_line_integral(section, theta, t, 70.0, 2e-3), 2e-4)
            << "z " << z << " theta " << theta << " t " << t;
        EXPECT_DOUBLE_EQ(phantom.line_integral(theta, t, z), section.line_integral(theta, t));
      }
  }
}

TEST(PhantomGeometry, DetectorRowEqualsPointwiseIntegrals) {
  const phantom::Section section = phantom::SheppLogan(64, 2.0).section(0.5);
  std::vector<double> row(64);
  const double theta = 0.7;
  const double center = 33.25;
  section.line_integrals(theta, -center, row);
  for (size_t u = 0; u < row.size(); ++u)
    EXPECT_NEAR(row[u], section.line_integral(theta, static_cast<double>(u) - center), 1e-12);
}

TEST(PhantomGeometry, DensityIsTheTableScaledPerPixel) {
  const phantom::SheppLogan phantom(256, 2.0);
  EXPECT_EQ(phantom.pixels_per_unit(), 128.0);
  // The middle lies in the skull (1) and the brain (-0.8).
  EXPECT_NEAR(phantom.density(0, 0, 0), 0.2 * 2.0 / 256, 1e-15);
  // The skull rim at x = 0.68 units; outside the head at 0.7 (a = 0.69).
  EXPECT_NEAR(phantom.density(0.68 * 128, 0, 0), 2.0 / 256, 1e-15);
  EXPECT_EQ(phantom.density(0.70 * 128, 0, 0), 0.0);
  // Y is up: the small ellipse 5 sits at y = +0.35, z = -0.15.
  EXPECT_NEAR(phantom.density(0, 0.35 * 128, -0.15 * 128), 0.3 * 2.0 / 256, 1e-15);
  // Above the top of the head (c = 0.81) there is nothing.
  EXPECT_EQ(phantom.density(0, 0, 0.82 * 128), 0.0);
  EXPECT_EQ(phantom::SheppLogan::row_height(0, 16), -7.5);
  EXPECT_EQ(phantom::SheppLogan::row_height(15, 16), 7.5);
}

TEST(PhantomGeometry, RenderedSliceHoldsTheEllipseArea) {
  const double rho = 0.01;
  const phantom::Section ellipse({{rho, 20.3, 11.6, 2.25, -3.5, 0.6}});
  const int64_t n = 64;
  std::vector<float> image(static_cast<size_t>(n * n));
  ellipse.render_rows(n, 0, 3, image);
  double mass = 0;
  for (const float v : image) mass += v;
  EXPECT_NEAR(mass, rho * kPi * 20.3 * 11.6, 0.002 * rho * kPi * 20.3 * 11.6);
  // Pixel (iy, ix) is centred at X = ix - 32, Y = 32 - iy.
  EXPECT_FLOAT_EQ(image[static_cast<size_t>((32 + 3) * n + 32 + 2)], static_cast<float>(rho));
  EXPECT_EQ(image[0], 0.0f);
}

// ---- the scan files ----------------------------------------------------------

TEST(PhantomScan, NxtomoLayout) {
  test::ScratchDir dir;
  const PhantomScanFiles files =
      write_phantom_scan(small_scan(dir / "scan.nxs", PhantomLayout::nxtomo));
  EXPECT_EQ(files.truth, dir / "scan_truth.h5");
  EXPECT_TRUE(files.detector.empty());
  EXPECT_FALSE(fs::exists(dir / "scan.nxs.partial"));
  const hdf5::File file = open_file(files.scan);
  const hid_t f = file.get();
  EXPECT_EQ(string_attribute(f, "/entry", "NX_class").text, "NXentry");
  EXPECT_TRUE(string_attribute(f, "/entry", "NX_class").variable_length);
  EXPECT_EQ(read_string(f, false, "/entry/definition").text, "NXtomo");
  EXPECT_EQ(string_attribute(f, "/entry/instrument/detector", "NX_class").text, "NXdetector");
  EXPECT_EQ(string_attribute(f, "/entry/data", "NX_class").text, "NXdata");

  const hdf5::Dataset data = open_dataset(f, "/entry/instrument/detector/data");
  EXPECT_TRUE(stored_as(data.get(), H5T_STD_U16LE));
  EXPECT_EQ(shape_of(data.get()), (std::vector<hsize_t>{19, 4, 32}));
  EXPECT_EQ(chunks_of(data.get()), (std::vector<hsize_t>{8, 4, 32}));
  EXPECT_TRUE(
      stored_as(open_dataset(f, "/entry/instrument/detector/image_key").get(), H5T_STD_U8LE));
  EXPECT_EQ(read_values(f, "/entry/instrument/detector/image_key"),
            (std::vector<double>{2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  const std::vector<double> angles = read_values(f, "/entry/sample/rotation_angle");
  EXPECT_EQ(string_attribute(f, "/entry/sample/rotation_angle", "units").text, "degree");
  ASSERT_EQ(angles.size(), 19u);
  EXPECT_EQ(angles[0], 0.0);
  EXPECT_DOUBLE_EQ(angles[7 + 5], 5 * 15.0);
  // NXdata's members are the same objects.
  EXPECT_EQ(read_values(f, "/entry/data/rotation_angle"), angles);
  EXPECT_EQ(read_values(f, "/entry/data/image_key"),
            read_values(f, "/entry/instrument/detector/image_key"));

  const std::vector<double> frames = read_values(f, "/entry/instrument/detector/data");
  const size_t frame = 4 * 32;
  auto mean_of = [&](size_t first, size_t count) {
    double sum = 0;
    for (size_t i = first * frame; i < (first + count) * frame; ++i) sum += frames[i];
    return sum / static_cast<double>(count * frame);
  };
  EXPECT_NEAR(mean_of(0, 3), 100.0, 0.5) << "darks at the dark level";
  EXPECT_NEAR(mean_of(3, 4), 20100.0, 0.5) << "flats at dark + flat level";
  EXPECT_LT(mean_of(7, 12), 19000.0) << "the phantom absorbs";

  const StringValue record = string_attribute(f, "/", "h5io_phantom");
  const auto json = nlohmann::json::parse(record.text);
  EXPECT_EQ(json.at("center").get<double>(), 16.0);
  EXPECT_EQ(json.at("layout").get<std::string>(), "nxtomo");
}

TEST(PhantomScan, DiamondLayout) {
  test::ScratchDir dir;
  PhantomScanOptions options = small_scan(dir / "scan.nxs", PhantomLayout::diamond);
  options.frame_chunks = true;
  const PhantomScanFiles files = write_phantom_scan(options);
  EXPECT_EQ(files.detector, dir / "scan_detector.h5");
  const hdf5::File file = open_file(files.scan);
  const hid_t f = file.get();
  const StringValue entry_class = string_attribute(f, "/entry1", "NX_class");
  EXPECT_EQ(entry_class.text, "NXentry");
  EXPECT_FALSE(entry_class.variable_length) << "Diamond's writers use fixed-length strings";
  EXPECT_EQ(string_attribute(f, "/entry1/tomo_entry", "NX_class").text, "NXsubentry");
  EXPECT_EQ(read_string(f, false, "/entry1/tomo_entry/definition").text, "NXtomo");

  H5L_info_t link;
  ASSERT_GE(H5Lget_info(f, "/entry1/tomo_entry/data/data", &link, H5P_DEFAULT), 0);
  ASSERT_EQ(link.type, H5L_TYPE_EXTERNAL);
  std::string value(link.u.val_size, '\0');
  H5Lget_val(f, "/entry1/tomo_entry/data/data", value.data(), value.size(), H5P_DEFAULT);
  const char* target_file = nullptr;
  const char* target_path = nullptr;
  H5Lunpack_elink_val(value.data(), value.size(), nullptr, &target_file, &target_path);
  EXPECT_STREQ(target_file, "scan_detector.h5") << "relative: the pair can be moved together";
  EXPECT_STREQ(target_path, "/entry/instrument/detector/data");

  const hdf5::Dataset data = open_dataset(f, "/entry1/tomo_entry/data/data");
  EXPECT_TRUE(stored_as(data.get(), H5T_STD_U16LE));
  EXPECT_EQ(chunks_of(data.get()), (std::vector<hsize_t>{1, 4, 32}));
  EXPECT_TRUE(stored_as(open_dataset(f, "/entry1/tomo_entry/instrument/detector/image_key").get(),
                        H5T_IEEE_F64LE));
  // Odd counts put the extra dark first: 2 darks, 2 flats, 12, 2 flats, 1 dark.
  EXPECT_EQ(read_values(f, "/entry1/tomo_entry/instrument/detector/image_key"),
            (std::vector<double>{2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2}));
  const std::vector<double> angles = read_values(f, "/entry1/tomo_entry/data/rotation_angle");
  EXPECT_EQ(string_attribute(f, "/entry1/tomo_entry/data/rotation_angle", "units").text, "degree");
  EXPECT_EQ(angles.front(), 0.0);
  EXPECT_DOUBLE_EQ(angles.back(), 11 * 15.0) << "trailing references: the last projection's angle";
  EXPECT_EQ(read_values(f, "/entry1/tomo_entry/sample/rotation_angle"), angles);
}

// Newer Diamond files with no NXtomo entry: the parts sit where GDA writes
// them and nothing says which is which.
TEST(PhantomScan, NxdataLayout) {
  test::ScratchDir dir;
  PhantomScanOptions options = small_scan(dir / "scan.nxs", PhantomLayout::nxdata);
  options.start_degrees = 90;
  const PhantomScanFiles files = write_phantom_scan(options);
  EXPECT_EQ(files.detector, dir / "scan_pco1.h5");
  EXPECT_TRUE(files.darks.empty());
  EXPECT_TRUE(files.flats.empty());
  const hdf5::File file = open_file(files.scan);
  const hid_t f = file.get();
  EXPECT_EQ(string_attribute(f, "/entry", "NX_class").text, "NXentry");
  EXPECT_FALSE(exists(f, "/entry/definition")) << "no NXtomo definition";
  EXPECT_EQ(string_attribute(f, "/entry/pco1", "NX_class").text, "NXdata");
  EXPECT_EQ(string_attribute(f, "/entry/smaract_zrot", "NX_class").text, "NXdata");
  EXPECT_EQ(string_attribute(f, "/entry/instrument/pco1", "NX_class").text, "NXdetector");

  H5L_info_t link;
  ASSERT_GE(H5Lget_info(f, "/entry/pco1/data", &link, H5P_DEFAULT), 0);
  ASSERT_EQ(link.type, H5L_TYPE_EXTERNAL);
  std::string value(link.u.val_size, '\0');
  H5Lget_val(f, "/entry/pco1/data", value.data(), value.size(), H5P_DEFAULT);
  const char* target_file = nullptr;
  const char* target_path = nullptr;
  H5Lunpack_elink_val(value.data(), value.size(), nullptr, &target_file, &target_path);
  EXPECT_STREQ(target_file, "scan_pco1.h5");
  EXPECT_STREQ(target_path, "/entry/data/data");
  EXPECT_EQ(shape_of(open_dataset(f, "/entry/pco1/data").get()), (std::vector<hsize_t>{19, 4, 32}));

  const hdf5::Dataset key = open_dataset(f, "/entry/instrument/pco1/image_key");
  EXPECT_TRUE(stored_as(key.get(), H5T_STD_I32LE)) << "int32, as GDA writes it";
  EXPECT_EQ(read_values(f, "/entry/instrument/pco1/image_key"),
            (std::vector<double>{2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2}));
  const hdf5::Dataset angles_dataset = open_dataset(f, "/entry/smaract_zrot/smaract_zrot_value");
  EXPECT_EQ(H5Aexists(angles_dataset.get(), "units"), 0) << "no units attribute";
  const std::vector<double> angles = read_values(f, "/entry/smaract_zrot/smaract_zrot_value");
  ASSERT_EQ(angles.size(), 19u);
  EXPECT_EQ(angles.front(), 90.0) << "leading references at the first projection's angle";
  EXPECT_EQ(angles[4], 90.0);
  EXPECT_DOUBLE_EQ(angles[4 + 11], 90 + 11 * 15.0);
  EXPECT_DOUBLE_EQ(angles.back(), 90 + 11 * 15.0);
  // Scalar metadata, as a real file has plenty of.
  EXPECT_EQ(shape_of(open_dataset(f, "/entry/instrument/pco1/count_time").get()),
            std::vector<hsize_t>{});
  EXPECT_EQ(read_string(f, false, "/entry/instrument/name").text, "i12");
  const auto json = nlohmann::json::parse(string_attribute(f, "/", "h5io_phantom").text);
  EXPECT_EQ(json.at("layout"), "nxdata");
  EXPECT_EQ(json.at("start_degrees"), 90.0);
  EXPECT_EQ(json.at("detector_file"), "scan_pco1.h5");
}

// The same object whatever the layout: with the same angles, the frames of
// the nxdata layout are those of the diamond layout, value for value.
TEST(PhantomScan, NxdataFramesAreTheDiamondFrames) {
  test::ScratchDir dir;
  write_phantom_scan(small_scan(dir / "nxdata.nxs", PhantomLayout::nxdata));
  write_phantom_scan(small_scan(dir / "diamond.nxs", PhantomLayout::diamond));
  const hdf5::File nxdata = open_file(dir / "nxdata.nxs");
  const hdf5::File diamond = open_file(dir / "diamond.nxs");
  EXPECT_EQ(read_values(nxdata.get(), "/entry/pco1/data"),
            read_values(diamond.get(), "/entry1/tomo_entry/data/data"));
  EXPECT_EQ(read_values(nxdata.get(), "/entry/smaract_zrot/smaract_zrot_value"),
            read_values(diamond.get(), "/entry1/tomo_entry/data/rotation_angle"));
}

// I12 writes darks and flats as files of their own beside the scan.
TEST(PhantomScan, NxdataWithDarkAndFlatFiles) {
  test::ScratchDir dir;
  PhantomScanOptions options = small_scan(dir / "scan.nxs", PhantomLayout::nxdata);
  options.reference_files = true;
  const PhantomScanFiles files = write_phantom_scan(options);
  EXPECT_EQ(files.darks, dir / "dark_field.h5");
  EXPECT_EQ(files.flats, dir / "flat_field.h5");
  const hdf5::File file = open_file(files.scan);
  EXPECT_EQ(shape_of(open_dataset(file.get(), "/entry/pco1/data").get()),
            (std::vector<hsize_t>{12, 4, 32}))
      << "projections only";
  EXPECT_EQ(read_values(file.get(), "/entry/instrument/pco1/image_key"),
            std::vector<double>(12, 0.0));
  EXPECT_EQ(read_values(file.get(), "/entry/smaract_zrot/smaract_zrot_value").size(), 12u);
  const hdf5::File darks = open_file(files.darks);
  const hdf5::File flats = open_file(files.flats);
  EXPECT_EQ(string_attribute(darks.get(), "/entry/data", "NX_class").text, "NXdata");
  EXPECT_EQ(shape_of(open_dataset(darks.get(), "/entry/data/data").get()),
            (std::vector<hsize_t>{3, 4, 32}));
  EXPECT_EQ(shape_of(open_dataset(flats.get(), "/entry/data/data").get()),
            (std::vector<hsize_t>{4, 4, 32}));
  // The very frames the nxdata layout keeps in its frames file.
  fs::create_directory(dir / "inline");
  write_phantom_scan(small_scan(dir / "inline" / "scan.nxs", PhantomLayout::nxdata));
  const hdf5::File inline_file = open_file(dir / "inline" / "scan.nxs");
  const std::vector<double> all = read_values(inline_file.get(), "/entry/pco1/data");
  const std::vector<double> dark_values = read_values(darks.get(), "/entry/data/data");
  const size_t frame = 4 * 32;
  // Inline order: darks 0, 1; flats 0, 1; 12 projections; flats 2, 3; dark 2.
  EXPECT_TRUE(std::equal(dark_values.begin(), dark_values.begin() + 2 * frame, all.begin()));
  EXPECT_TRUE(
      std::equal(dark_values.begin() + 2 * frame, dark_values.end(), all.begin() + 18 * frame));

  fs::remove(dir / "dark_field.h5");
  options.darks = 0;
  options.overwrite = true;
  EXPECT_TRUE(write_phantom_scan(options).darks.empty());
  EXPECT_FALSE(fs::exists(dir / "dark_field.h5")) << "no darks, no dark file";
}

TEST(PhantomScan, DxchangeLayoutAndMissingReferences) {
  test::ScratchDir dir;
  PhantomScanOptions options = small_scan(dir / "scan.h5", PhantomLayout::dxchange);
  options.range_degrees = 360;
  options.flats = 0;
  options.flat_level = 30000;
  write_phantom_scan(options);
  const hdf5::File file = open_file(dir / "scan.h5");
  const hid_t f = file.get();
  EXPECT_EQ(shape_of(open_dataset(f, "/exchange/data").get()), (std::vector<hsize_t>{12, 4, 32}));
  EXPECT_FALSE(exists(f, "/exchange/data_white")) << "--flats 0 leaves the flats out";
  EXPECT_EQ(shape_of(open_dataset(f, "/exchange/data_dark").get()),
            (std::vector<hsize_t>{3, 4, 32}));
  const std::vector<double> theta = read_values(f, "/exchange/theta");
  EXPECT_EQ(string_attribute(f, "/exchange/theta", "units").text, "rad");
  ASSERT_EQ(theta.size(), 12u);
  EXPECT_NEAR(theta[3], 3 * 2 * kPi / 12, 1e-12) << "360 degrees in 12 steps, in radians";
}

TEST(PhantomScan, TruthVolume) {
  test::ScratchDir dir;
  PhantomScanOptions options = small_scan(dir / "scan.nxs", PhantomLayout::nxtomo);
  options.center_offset = -2.5;
  options.truth = dir / "elsewhere.h5";
  write_phantom_scan(options);
  EXPECT_FALSE(fs::exists(dir / "scan_truth.h5"));
  const hdf5::File file = open_file(dir / "elsewhere.h5");
  const hdf5::Dataset volume = open_dataset(file.get(), "/volume");
  EXPECT_TRUE(stored_as(volume.get(), H5T_IEEE_F32LE));
  EXPECT_EQ(shape_of(volume.get()), (std::vector<hsize_t>{4, 32, 32}));
  EXPECT_EQ(read_string(volume.get(), true, "units").text, "1/pixel");
  double center = 0;
  hdf5::Attribute attr(H5Aopen(volume.get(), "center", H5P_DEFAULT));
  H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &center);
  EXPECT_EQ(center, 13.5);
  const std::vector<double> values = read_values(file.get(), "/volume");
  // The middle pixel of slice 2: inside skull and brain, 0.2 * attenuation / 32.
  EXPECT_NEAR(values[(2 * 32 + 16) * 32 + 16], 0.2 * options.attenuation / 32, 1e-6);
}

TEST(PhantomScan, RefusesAnExistingOutputAndLeavesNoPartialFiles) {
  test::ScratchDir dir;
  std::ofstream(dir / "scan_truth.h5") << "someone's file";
  const PhantomScanOptions options = small_scan(dir / "scan.nxs", PhantomLayout::diamond);
  try {
    write_phantom_scan(options);
    FAIL() << "an existing truth file was replaced without --overwrite";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists; pass --overwrite"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1)
      << "nothing else written";
  PhantomScanOptions replace = options;
  replace.overwrite = true;
  write_phantom_scan(replace);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++files;
    EXPECT_NE(entry.path().extension(), ".partial") << entry.path();
  }
  EXPECT_EQ(files, 3u) << "scan, detector and truth files";
}

TEST(PhantomScan, RejectsBadOptionsWithClearMessages) {
  const PhantomScanOptions good = small_scan("/tmp/scan.nxs", PhantomLayout::nxtomo);
  EXPECT_EQ(rejection(good), "accepted");
  auto with = [&](auto change) {
    PhantomScanOptions options = good;
    change(options);
    return rejection(options);
  };
  EXPECT_EQ(with([](auto& o) { o.size = 4; }),
            "--size must be at least 8 detector columns (got 4)");
  EXPECT_EQ(with([](auto& o) { o.rows = 0; }), "--rows must be at least 1 (got 0)");
  EXPECT_EQ(with([](auto& o) { o.angles = 1; }), "--angles must be at least 2 projections (got 1)");
  EXPECT_EQ(with([](auto& o) { o.range_degrees = 90; }),
            "--range must be 180 or 360 degrees (got 90)");
  EXPECT_EQ(with([](auto& o) { o.darks = -1; }), "--darks must be 0 or more (got -1)");
  EXPECT_EQ(with([](auto& o) { o.start_degrees = 400; }),
            "--start-angle must be between -360 and 360 degrees (got 400)");
  EXPECT_EQ(with([](auto& o) { o.reference_files = true; }),
            "--dark-flat-files writes darks and flats beside an nxdata scan; it does not apply "
            "to --layout nxtomo");
  EXPECT_EQ(with([](auto& o) { o.flats = -2; }), "--flats must be 0 or more (got -2)");
  EXPECT_EQ(with([](auto& o) { o.dark_level = -5; }),
            "--dark-level must be between 0 and 65535 counts (got -5)");
  EXPECT_EQ(with([](auto& o) { o.flat_level = 0; }),
            "--flat-level must be between 1 and 65535 counts (got 0)");
  EXPECT_EQ(with([](auto& o) { o.flat_level = 65500; }),
            "--flat-level 65500 plus --dark-level 100 is 65600, above 65535 (the largest uint16 "
            "count): the open beam would saturate the detector");
  EXPECT_EQ(with([](auto& o) { o.read_noise = -1; }),
            "--read-noise must be 0 or more counts (got -1)");
  EXPECT_EQ(with([](auto& o) { o.center_offset = 16; }),
            "--center-offset 16 puts the rotation axis at column 32, off the detector "
            "(columns 0 to 31)");
  EXPECT_EQ(with([](auto& o) { o.center_offset = 15; }), "accepted");
  EXPECT_EQ(with([](auto& o) { o.center_offset = -16.5; }),
            "--center-offset -16.5 puts the rotation axis at column -0.5, off the detector "
            "(columns 0 to 31)");
  EXPECT_THROW(parse_phantom_layout("tiff"), Error);
  EXPECT_EQ(parse_phantom_layout("diamond"), PhantomLayout::diamond);
  EXPECT_EQ(parse_phantom_layout("nxdata"), PhantomLayout::nxdata);
}

TEST(PhantomScan, KnowsWhenThePhantomLeavesTheDetector) {
  // Size 32: the head's 0.92-unit half-height reaches 14.72 pixels from the axis.
  PhantomScanOptions options = small_scan("/tmp/scan.nxs", PhantomLayout::nxtomo);
  EXPECT_TRUE(phantom_fits_detector(options));
  options.center_offset = 1; // axis at 17: reaches column 31.72
  EXPECT_FALSE(phantom_fits_detector(options));
  options.center_offset = -1.2; // axis at 14.8: from 0.08 to 29.52
  EXPECT_TRUE(phantom_fits_detector(options));
}

TEST(PhantomScan, TiltedAxisMovesRowByRow) {
  PhantomScanOptions options = small_scan("/tmp/scan.nxs", PhantomLayout::nxtomo);
  options.center_offset = 0.25;
  options.tilt = -1.5; // rows 0..3: 16.25 + 0.75, +0.25, -0.25, -0.75
  EXPECT_DOUBLE_EQ(phantom_row_center(options, 0), 17.0);
  EXPECT_DOUBLE_EQ(phantom_row_center(options, 1), 16.5);
  EXPECT_DOUBLE_EQ(phantom_row_center(options, 3), 15.5);
  options.rows = 1;
  EXPECT_DOUBLE_EQ(phantom_row_center(options, 0), 16.25);

  // The frames follow each row's axis, and the truth records them.
  test::ScratchDir dir;
  options = small_scan(dir / "tilt.nxs", PhantomLayout::dxchange);
  options.read_noise = 0;
  options.tilt = 2;
  const PhantomScanFiles files = write_phantom_scan(options);
  const hdf5::File truth = open_file(files.truth);
  const std::vector<double> centers = read_values(truth.get(), "/center");
  ASSERT_EQ(centers.size(), 4u);
  for (int64_t r = 0; r < 4; ++r)
    EXPECT_DOUBLE_EQ(centers[static_cast<size_t>(r)], phantom_row_center(options, r));
  EXPECT_DOUBLE_EQ(centers[0], 15.0);
  EXPECT_DOUBLE_EQ(centers[3], 17.0);
  const hdf5::File scan = open_file(files.scan);
  const std::vector<double> frames = read_values(scan.get(), "/exchange/data");
  const phantom::SheppLogan head(options.size, options.attenuation);
  for (int64_t r = 0; r < 4; ++r) {
    const phantom::Section section = head.section(phantom::SheppLogan::row_height(r, 4));
    for (int64_t u = 0; u < 32; ++u) {
      const double p = section.line_integral(0.0, static_cast<double>(u) - centers[r]);
      EXPECT_EQ(frames[static_cast<size_t>(r * 32 + u)],
                std::round(options.dark_level + options.flat_level * std::exp(-p)))
          << "row " << r << " column " << u;
    }
  }
  const auto record = nlohmann::json::parse(string_attribute(scan.get(), "/", "h5io_phantom").text);
  EXPECT_EQ(record["tilt"], 2.0);
  EXPECT_EQ(record["center_first_row"], 15.0);
  EXPECT_EQ(record["center_last_row"], 17.0);
}

TEST(PhantomScan, ObjectScaleTruncatesAndIsChecked) {
  PhantomScanOptions options = small_scan("/tmp/scan.nxs", PhantomLayout::nxtomo);
  EXPECT_TRUE(phantom_fits_detector(options));
  options.object_scale = 1.5;
  EXPECT_FALSE(phantom_fits_detector(options));
  EXPECT_EQ(rejection(options), "accepted");
  options.object_scale = 0.5;
  EXPECT_EQ(rejection(options),
            "--object-scale must be from 1 (the phantom spans the detector) to 16 (got 0.5)");
  options.object_scale = 1;
  options.tilt = 40;
  EXPECT_EQ(rejection(options), "--tilt 40 puts the rotation axis at column -4 on row 0, off the "
                                "detector (columns 0 to 31)");
  // Scaled up, the same shapes reach further out with proportionally lower
  // density: a line through the middle integrates to the same value.
  const phantom::SheppLogan small(64, 6.0), large(64, 6.0, 2.0);
  EXPECT_NEAR(small.section(0).line_integral(0.0, 0.0), large.section(0).line_integral(0.0, 0.0),
              1e-9);
  EXPECT_EQ(small.section(0).line_integral(0.0, 30.0), 0.0);
  EXPECT_GT(large.section(0).line_integral(0.0, 30.0), 0.0);
}

TEST(PhantomScan, CommandLineReportsErrorsAndWrites) {
  test::ScratchDir dir;
  const std::string output = (dir / "scan.nxs").string();
  const test::CommandResult bad =
      test::run_command({H5IO_BIN, "phantom", "--output", output, "--angles", "1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "h5io: error: --angles must be at least 2 projections (got 1)\n");
  EXPECT_FALSE(fs::exists(output));

  const test::CommandResult good = test::run_command(
      {H5IO_BIN, "phantom", "--output", output, "--layout", "diamond", "--size", "16"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_TRUE(fs::exists(dir / "scan_detector.h5"));
  const test::CommandResult again = test::run_command({H5IO_BIN, "phantom", "--output", output});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists; pass --overwrite to replace it"), std::string::npos)
      << again.err;
}
