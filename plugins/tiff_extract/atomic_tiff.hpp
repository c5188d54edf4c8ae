#pragma once
// Writing a TIFF so that no reader ever sees half of it: the file is written
// under a hidden temporary name in the same directory, then renamed (atomic
// within one file system). A failed write leaves nothing behind.

#include "image_shape.hpp"
#include "tiff_writer.hpp"

#include <filesystem>
#include <string>

namespace h5io::extract {

void write_tiff_atomically(const std::filesystem::path& directory, const std::string& name,
                           const plugin::ImageShape& shape, const void* pixels,
                           tiff::Compression compression);

} // namespace h5io::extract
