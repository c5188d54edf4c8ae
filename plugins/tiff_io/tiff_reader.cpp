#include "tiff_reader.hpp"

#include "dtype_names.hpp"
#include "plugin_error.hpp"
#include "sample_format.hpp"
#include "tiff_handle.hpp"

#include <algorithm>
#include <cstring>

namespace h5io::tiff {
namespace {

// A damaged header can claim any size; nothing real is near a terabyte.
constexpr int64_t kMaxPixels = int64_t{1} << 37;

} // namespace

TiffReader::TiffReader(const std::string& path) : file_(std::make_unique<TiffHandle>(path, "r")) {
  TIFF* t = file_->get();
  uint32_t width = 0, length = 0;
  uint16_t samples = 1, bits = 0, format = SAMPLEFORMAT_UINT, photometric = PHOTOMETRIC_MINISBLACK;
  if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width) ||
      !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &length))
    file_->fail("no image size in the TIFF file");
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  const std::string where = "the TIFF file " + path;
  if (samples != 1)
    throw plugin::Error(where + " has " + std::to_string(samples) +
                        " samples per pixel (a colour image?); expected one grey value per pixel");
  if (photometric == PHOTOMETRIC_PALETTE)
    throw plugin::Error(where + " is a palette-colour image; expected grey values");
  const std::optional<h5io_dtype_t> dtype = dtype_of({format, bits});
  if (!dtype)
    throw plugin::Error(where + " has " + std::to_string(bits) + "-bit samples of format " +
                        std::to_string(format) + "; readable are " +
                        std::string(plugin::dtype_name_list()));
  if (width == 0 || length == 0 || int64_t{width} * int64_t{length} > kMaxPixels)
    throw plugin::Error(where + " claims an image of " + std::to_string(length) + " x " +
                        std::to_string(width) + " pixels");
  if (TIFFNumberOfDirectories(t) > 1)
    throw plugin::Error(where + " holds " + std::to_string(TIFFNumberOfDirectories(t)) +
                        " images (pages); expected one");
  shape_ = {int64_t{length}, int64_t{width}, *dtype};
}

TiffReader::~TiffReader() = default;

void TiffReader::read(void* pixels) {
  auto* out = static_cast<std::byte*>(pixels);
  if (TIFFIsTiled(file_->get()))
    read_tiles(out);
  else
    read_strips(out);
}

void TiffReader::read_strips(std::byte* pixels) {
  TIFF* t = file_->get();
  const size_t row_bytes = static_cast<size_t>(shape_.cols) * h5io_dtype_size(shape_.dtype);
  uint32_t rows_per_strip = 0;
  TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
  rows_per_strip = std::clamp<uint32_t>(rows_per_strip, 1, static_cast<uint32_t>(shape_.rows));
  for (int64_t row = 0; row < shape_.rows; row += rows_per_strip) {
    const size_t rows = std::min<size_t>(rows_per_strip, static_cast<size_t>(shape_.rows - row));
    const auto wanted = static_cast<tmsize_t>(rows * row_bytes);
    const tstrip_t strip = TIFFComputeStrip(t, static_cast<uint32_t>(row), 0);
    if (TIFFReadEncodedStrip(t, strip, pixels + static_cast<size_t>(row) * row_bytes, wanted) !=
        wanted)
      file_->fail("damaged or truncated image data in");
  }
}

void TiffReader::read_tiles(std::byte* pixels) {
  TIFF* t = file_->get();
  uint32_t tile_width = 0, tile_length = 0;
  if (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &tile_width) ||
      !TIFFGetField(t, TIFFTAG_TILELENGTH, &tile_length) || tile_width == 0 || tile_length == 0)
    file_->fail("no tile size in the tiled TIFF file");
  const size_t value_bytes = h5io_dtype_size(shape_.dtype);
  const size_t row_bytes = static_cast<size_t>(shape_.cols) * value_bytes;
  const size_t tile_row_bytes = size_t{tile_width} * value_bytes;
  std::vector<std::byte> tile(static_cast<size_t>(TIFFTileSize(t)));
  if (tile.size() < tile_row_bytes * tile_length) file_->fail("inconsistent tile size in");
  for (uint32_t y = 0; y < shape_.rows; y += tile_length)
    for (uint32_t x = 0; x < shape_.cols; x += tile_width) {
      if (TIFFReadTile(t, tile.data(), x, y, 0, 0) < 0) file_->fail("damaged or truncated tile in");
      const size_t rows = std::min<size_t>(tile_length, static_cast<size_t>(shape_.rows - y));
      const size_t bytes =
          std::min<size_t>(tile_width, static_cast<size_t>(shape_.cols - x)) * value_bytes;
      for (size_t r = 0; r < rows; ++r)
        std::memcpy(pixels + (y + r) * row_bytes + x * value_bytes,
                    tile.data() + r * tile_row_bytes, bytes);
    }
}

Image read_tiff(const std::string& path) {
  TiffReader reader(path);
  Image image{reader.shape(), std::vector<std::byte>(reader.shape().bytes())};
  reader.read(image.pixels.data());
  return image;
}

} // namespace h5io::tiff
