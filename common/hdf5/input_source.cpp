#include "common/hdf5/input_source.hpp"

#include "common/util/error.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace h5io {

h5io_dataspace_t InputSource::dataspace() const {
  h5io_dataspace_t space{};
  const std::vector<int64_t>& extents = shape();
  space.rank = static_cast<int32_t>(extents.size());
  std::copy(extents.begin(), extents.end(), space.shape);
  space.dtype = dtype();
  return space;
}

MemoryInput::MemoryInput(std::string location, std::vector<int64_t> shape, h5io_dtype_t dtype,
                         std::vector<std::byte> values)
    : location_(std::move(location)), shape_(std::move(shape)), dtype_(dtype),
      values_(std::move(values)) {
  size_t elements = 1;
  for (const int64_t extent : shape_) elements *= static_cast<size_t>(extent);
  if (values_.size() != elements * h5io_dtype_size(dtype_))
    throw Error(fmt::format("internal error: '{}' holds {} bytes for {} elements", location_,
                            values_.size(), elements));
}

void MemoryInput::read_whole(std::byte* destination) {
  if (!values_.empty()) std::memcpy(destination, values_.data(), values_.size());
}

void MemoryInput::read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                              std::byte* destination) {
  // [outer][n][inner] to [count][outer][inner].
  const auto inner_bytes = static_cast<size_t>(geometry.inner()) * geometry.element_size;
  if (inner_bytes == 0) return;
  const int64_t outer = geometry.outer();
  const int64_t n = geometry.slices();
  for (int64_t k = 0; k < count; ++k)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(destination + static_cast<size_t>(k * outer + o) * inner_bytes,
                  values_.data() + static_cast<size_t>(o * n + first + k) * inner_bytes,
                  inner_bytes);
}

} // namespace h5io
