// tiff_extract's parts: file names, the directory checks and the value
// conversion.
#include "output_directory.hpp"
#include "plugin_error.hpp"
#include "slice_naming.hpp"
#include "value_conversion.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

namespace {

using namespace h5io::extract;

TEST(SliceNaming, ZeroPaddedInSliceOrder) {
  EXPECT_EQ(SliceNaming::digits_for(1), 5);
  EXPECT_EQ(SliceNaming::digits_for(100000), 5);
  EXPECT_EQ(SliceNaming::digits_for(100001), 6);
  const SliceNaming naming("slice_", 5);
  EXPECT_EQ(naming.file_name(42), "slice_00042.tif");
  EXPECT_EQ(naming.pattern(), "slice_NNNNN.tif");
  EXPECT_TRUE(naming.matches("slice_99999.tif"));
  EXPECT_FALSE(naming.matches("slice_9999.tif"));
  EXPECT_FALSE(naming.matches("slice_0000a.tif"));
  EXPECT_FALSE(naming.matches("other_00001.tif"));
}

TEST(OutputDirectory, MadeWhenMissingRefusedWhenAFile) {
  h5io::test::ScratchDir dir;
  prepare_directory(dir / "a" / "b");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a" / "b"));
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(prepare_directory(dir / "file"), h5io::plugin::Error);
  std::ofstream(dir / "a" / "b" / "slice_00003.tif") << "x";
  std::ofstream(dir / "a" / "b" / "notes.txt") << "x";
  EXPECT_EQ(existing_slice_files(dir / "a" / "b", SliceNaming("slice_", 5)),
            std::vector<std::string>{"slice_00003.tif"});
}

TEST(ValueConversion, RangeIgnoresNaN) {
  const float values[] = {NAN, 2.5f, -1.0f, NAN};
  const ValueRange r = value_range(values, H5IO_FLOAT32, 4);
  EXPECT_EQ(r.min, -1.0);
  EXPECT_EQ(r.max, 2.5);
  const float nans[] = {NAN, NAN};
  EXPECT_TRUE(std::isnan(value_range(nans, H5IO_FLOAT32, 2).min));
  const int64_t big[] = {-5, int64_t{1} << 40};
  EXPECT_EQ(value_range(big, H5IO_INT64, 2).max, std::ldexp(1.0, 40));
}

TEST(ValueConversion, ScaledRoundedAndClamped) {
  const double values[] = {-3.0, 0.25, 0.5, 1.5, 2.49, 300.0, NAN, 1e300};
  uint8_t out[8];
  const uint64_t clipped = convert_values(values, H5IO_FLOAT64, 8, {H5IO_UINT8, 1.0, 0.0}, out);
  EXPECT_EQ(std::vector<int>(out, out + 8), (std::vector<int>{0, 0, 1, 2, 2, 255, 0, 255}));
  EXPECT_EQ(clipped, 4u);
  int16_t signed_out[3];
  const double more[] = {-0.5, 10.0, -1e6};
  convert_values(more, H5IO_FLOAT64, 3, {H5IO_INT16, 2.0, 1.0}, signed_out);
  EXPECT_EQ(std::vector<int>(signed_out, signed_out + 3), (std::vector<int>{0, 21, -32768}));
  const uint16_t raw[] = {0, 1000, 65535};
  float scaled[3];
  EXPECT_EQ(convert_values(raw, H5IO_UINT16, 3, {H5IO_FLOAT32, 0.001, -1.0}, scaled), 0u);
  EXPECT_FLOAT_EQ(scaled[1], 0.0f);
  EXPECT_FLOAT_EQ(scaled[2], 64.535f);
  const double huge[] = {1e300, -1e300, INFINITY};
  float clamped[3];
  EXPECT_EQ(convert_values(huge, H5IO_FLOAT64, 3, {H5IO_FLOAT32, 1.0, 0.0}, clamped), 2u);
  EXPECT_EQ(clamped[0], std::numeric_limits<float>::max());
  EXPECT_EQ(clamped[1], -std::numeric_limits<float>::max());
  EXPECT_TRUE(std::isinf(clamped[2]));
}

} // namespace
