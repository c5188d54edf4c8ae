#include "tiff_writer.hpp"

#include "param_values.hpp"
#include "plugin_error.hpp"
#include "sample_format.hpp"
#include "tiff_handle.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

namespace h5io::tiff {
namespace {

constexpr size_t kStripBytes = 256 * 1024;

uint16_t tiff_compression(Compression compression) {
  switch (compression) {
  case Compression::deflate: return COMPRESSION_ADOBE_DEFLATE;
  case Compression::lzw: return COMPRESSION_LZW;
  case Compression::none: break;
  }
  return COMPRESSION_NONE;
}

} // namespace

std::optional<Compression> parse_compression(std::string_view name) {
  const std::string n = plugin::lower(name);
  if (n == "none") return Compression::none;
  if (n == "deflate" || n == "zip") return Compression::deflate;
  if (n == "lzw") return Compression::lzw;
  return std::nullopt;
}

std::string_view compression_name(Compression compression) {
  switch (compression) {
  case Compression::deflate: return "deflate";
  case Compression::lzw: return "lzw";
  case Compression::none: break;
  }
  return "none";
}

void write_tiff(const std::string& path, const plugin::ImageShape& shape, const void* pixels,
                Compression compression) {
  const SampleFormat sample = sample_format_of(shape.dtype);
  constexpr int64_t kMaxSide = std::numeric_limits<uint32_t>::max();
  if (sample.bits == 0 || shape.rows < 1 || shape.cols < 1 || shape.rows > kMaxSide ||
      shape.cols > kMaxSide)
    throw plugin::Error("cannot write " + path + ": a TIFF image cannot be " +
                        plugin::describe(shape));
  const size_t row_bytes = static_cast<size_t>(shape.cols) * h5io_dtype_size(shape.dtype);
  // Classic TIFF addresses 4 GiB; BigTIFF (which ImageJ also reads) beyond.
  const bool big = shape.bytes() >= (size_t{1} << 31);
  TiffHandle file(path, big ? "w8" : "w");
  TIFF* t = file.get();
  const auto rows_per_strip = static_cast<uint32_t>(
      std::clamp<size_t>(kStripBytes / row_bytes, 1, static_cast<size_t>(shape.rows)));
  const bool fields_set = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(shape.cols)) &&
                          TIFFSetField(t, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(shape.rows)) &&
                          TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1) &&
                          TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, sample.bits) &&
                          TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, sample.format) &&
                          TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK) &&
                          TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
                          TIFFSetField(t, TIFFTAG_COMPRESSION, tiff_compression(compression)) &&
                          TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip) &&
                          TIFFSetField(t, TIFFTAG_SOFTWARE, "h5io");
  if (!fields_set) file.fail("cannot describe the image in");
  // libtiff may encode in place, so each strip goes through a copy and the
  // caller's pixels stay untouched.
  std::vector<std::byte> strip(rows_per_strip * row_bytes);
  const auto* source = static_cast<const std::byte*>(pixels);
  uint32_t index = 0;
  for (int64_t row = 0; row < shape.rows; row += rows_per_strip, ++index) {
    const size_t rows = std::min<size_t>(rows_per_strip, static_cast<size_t>(shape.rows - row));
    std::memcpy(strip.data(), source + static_cast<size_t>(row) * row_bytes, rows * row_bytes);
    if (TIFFWriteEncodedStrip(t, index, strip.data(), static_cast<tmsize_t>(rows * row_bytes)) < 0)
      file.fail("cannot write");
  }
  file.close();
}

} // namespace h5io::tiff
