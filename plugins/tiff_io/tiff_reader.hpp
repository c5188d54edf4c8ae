#pragma once
// Reading a one-page greyscale TIFF (strips or tiles, any compression libtiff
// decodes) whose samples match one of the ABI's element types. The shape is
// known as soon as the file is open, so a caller that expects a shape can
// refuse a wrong file before reading its pixels.

#include "image_shape.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace h5io::tiff {

class TiffHandle;

class TiffReader {
public:
  // Opens `path` and reads its description. Throws plugin::Error for a file
  // that is not a TIFF, has several pages or samples per pixel, or samples
  // no ABI type matches.
  explicit TiffReader(const std::string& path);
  ~TiffReader();
  TiffReader(const TiffReader&) = delete;
  TiffReader& operator=(const TiffReader&) = delete;

  const plugin::ImageShape& shape() const { return shape_; }

  // Decodes the image into `pixels` (shape().bytes() bytes, C order, native
  // byte order). Throws plugin::Error for damaged or truncated data.
  void read(void* pixels);

private:
  void read_strips(std::byte* pixels);
  void read_tiles(std::byte* pixels);

  std::unique_ptr<TiffHandle> file_;
  plugin::ImageShape shape_;
};

struct Image {
  plugin::ImageShape shape;
  std::vector<std::byte> pixels;
};

Image read_tiff(const std::string& path);

} // namespace h5io::tiff
