// The TIFF files tiff_extract and external_process exchange: every ABI type
// written and read back bitwise, odd sizes, compression, and files that are
// not what they should be refused with a message naming the file.
#include "plugin_error.hpp"
#include "tiff_reader.hpp"
#include "tiff_writer.hpp"

#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <tiffio.h>

namespace {

using h5io::plugin::Error;
using h5io::plugin::ImageShape;
using namespace h5io::tiff;

std::vector<std::byte> random_bytes(size_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::vector<std::byte> bytes(n);
  for (auto& b : bytes) b = static_cast<std::byte>(generator() & 0xff);
  return bytes;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class TiffRoundTrip : public testing::TestWithParam<h5io_dtype_t> {};

TEST_P(TiffRoundTrip, EveryTypeAndOddSizesComeBackBitwise) {
  h5io::test::ScratchDir dir;
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {3, 1000}, {1000, 3}, {257, 129}})
    for (Compression compression : {Compression::none, Compression::deflate, Compression::lzw}) {
      const ImageShape shape{rows, cols, GetParam()};
      // Random bits, NaN patterns included: nothing may be normalised away.
      const std::vector<std::byte> pixels = random_bytes(shape.bytes(), 7);
      const std::string path = (dir / "image.tif").string();
      write_tiff(path, shape, pixels.data(), compression);
      const Image image = read_tiff(path);
      EXPECT_EQ(image.shape, shape) << describe(image.shape);
      EXPECT_TRUE(image.pixels == pixels)
          << describe(shape) << " " << compression_name(compression);
    }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, TiffRoundTrip,
                         testing::Values(H5IO_INT8, H5IO_UINT8, H5IO_INT16, H5IO_UINT16, H5IO_INT32,
                                         H5IO_UINT32, H5IO_INT64, H5IO_UINT64, H5IO_FLOAT32,
                                         H5IO_FLOAT64));

TEST(TiffFiles, TiledFilesAreRead) {
  h5io::test::ScratchDir dir;
  const std::string path = (dir / "tiled.tif").string();
  const ImageShape shape{40, 50, H5IO_UINT16};
  std::vector<uint16_t> values(static_cast<size_t>(shape.pixels()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint16_t>(i * 7);
  {
    TIFF* t = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(t, nullptr);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 50u);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 40u);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_TILEWIDTH, 16u);
    TIFFSetField(t, TIFFTAG_TILELENGTH, 16u);
    std::vector<uint16_t> tile(256);
    for (uint32_t y = 0; y < 40; y += 16)
      for (uint32_t x = 0; x < 50; x += 16) {
        for (uint32_t r = 0; r < 16; ++r)
          for (uint32_t c = 0; c < 16; ++c)
            tile[r * 16 + c] = (y + r < 40 && x + c < 50) ? values[(y + r) * 50 + x + c] : 0;
        ASSERT_GE(TIFFWriteTile(t, tile.data(), x, y, 0, 0), 0);
      }
    TIFFClose(t);
  }
  const Image image = read_tiff(path);
  ASSERT_EQ(image.shape, shape);
  EXPECT_EQ(std::memcmp(image.pixels.data(), values.data(), shape.bytes()), 0);
}

TEST(TiffFiles, GarbageIsRefusedNamingTheFile) {
  h5io::test::ScratchDir dir;
  const std::string path = (dir / "garbage.tif").string();
  std::ofstream(path) << "this is not a TIFF file\n";
  const std::string message = error_of([&] { read_tiff(path); });
  EXPECT_NE(message.find("cannot read the TIFF file " + path), std::string::npos) << message;
  EXPECT_NE(message.find("magic"), std::string::npos) << message; // libtiff's reason
  EXPECT_NE(error_of([&] { read_tiff((dir / "missing.tif").string()); }).find("missing.tif"),
            std::string::npos);
}

TEST(TiffFiles, TruncatedDataIsRefused) {
  h5io::test::ScratchDir dir;
  const std::string path = (dir / "cut.tif").string();
  const ImageShape shape{64, 64, H5IO_FLOAT32};
  write_tiff(path, shape, random_bytes(shape.bytes(), 3).data());
  std::filesystem::resize_file(path, 2000);
  const std::string message = error_of([&] { read_tiff(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST(TiffFiles, ColourAndSeveralPagesAreRefused) {
  h5io::test::ScratchDir dir;
  const std::string path = (dir / "rgb.tif").string();
  {
    TIFF* t = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(t, nullptr);
    for (int page = 0; page < 2; ++page) {
      TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 2u);
      TIFFSetField(t, TIFFTAG_IMAGELENGTH, 2u);
      TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, page == 0 ? 3 : 1);
      TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
      TIFFSetField(t, TIFFTAG_PHOTOMETRIC, page == 0 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
      uint8_t row[6] = {};
      for (uint32_t r = 0; r < 2; ++r) TIFFWriteScanline(t, row, r, 0);
      TIFFWriteDirectory(t);
    }
    TIFFClose(t);
  }
  EXPECT_NE(error_of([&] { read_tiff(path); }).find("3 samples per pixel"), std::string::npos);
}

TEST(TiffFiles, ImpossibleShapesAreNotWritten) {
  h5io::test::ScratchDir dir;
  const std::byte pixel{};
  EXPECT_NE(error_of([&] {
              write_tiff((dir / "empty.tif").string(), {0, 5, H5IO_UINT8}, &pixel);
            }).find("cannot be [0, 5] uint8"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              write_tiff((dir / "no" / "such" / "dir.tif").string(), {1, 1, H5IO_UINT8}, &pixel);
            }).find("cannot create the TIFF file"),
            std::string::npos);
}

} // namespace
