#pragma once
// Writing one 2-D greyscale image as a TIFF file that standard tools read
// (tifffile, ImageJ, tiffinfo): one page, one sample per pixel, the ABI
// element type kept (sample_format.hpp), strips of about 256 KiB.

#include "image_shape.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace h5io::tiff {

enum class Compression { none, deflate, lzw };

std::optional<Compression> parse_compression(std::string_view name);
std::string_view compression_name(Compression compression);

// `pixels` holds shape.rows rows of shape.cols values, C order, native byte
// order. Replaces `path` if it exists. Throws plugin::Error.
void write_tiff(const std::string& path, const plugin::ImageShape& shape, const void* pixels,
                Compression compression = Compression::none);

} // namespace h5io::tiff
