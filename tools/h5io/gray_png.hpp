#pragma once
// Writing an 8-bit grayscale PNG with libpng, atomically: readers of `path`
// see the old file or the complete new one, never a half-written image.

#include <cstdint>
#include <filesystem>
#include <span>

namespace h5io::cli {

// `pixels` holds `height` rows of `width` bytes, top row first. Throws Error
// naming the file when it cannot be written.
void write_gray_png(const std::filesystem::path& path, uint32_t width, uint32_t height,
                    std::span<const uint8_t> pixels);

} // namespace h5io::cli
