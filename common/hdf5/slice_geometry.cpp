#include "common/hdf5/slice_geometry.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <functional>
#include <numeric>

namespace h5io {

int64_t SliceGeometry::outer() const {
  if (!sliced()) return 1;
  return std::accumulate(shape.begin(), shape.begin() + axis, int64_t{1}, std::multiplies<>());
}

int64_t SliceGeometry::inner() const {
  if (!sliced())
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  return std::accumulate(shape.begin() + axis + 1, shape.end(), int64_t{1}, std::multiplies<>());
}

int64_t SliceGeometry::slice_elements() const {
  return outer() * inner();
}

h5io_dataspace_t SliceGeometry::slice_space(h5io_dtype_t dtype) const {
  h5io_dataspace_t space{};
  space.dtype = dtype;
  for (size_t d = 0; d < shape.size(); ++d)
    if (static_cast<int>(d) != axis) space.shape[space.rank++] = shape[d];
  return space;
}

int sliced_axis_from_map(std::span<const int> map, const std::string& what) {
  int axis = -1;
  for (size_t d = 0; d < map.size(); ++d) {
    if (map[d] != 0 && map[d] != 1)
      throw Error(fmt::format("{}: slicing map entry {} is {}; each entry must be 0 (kept whole) "
                              "or 1 (sliced)",
                              what, d, map[d]));
    if (map[d] == 1) {
      if (axis >= 0)
        throw Error(fmt::format("{}: slicing map marks dimensions {} and {} as sliced; exactly one "
                                "dimension can be sliced",
                                what, axis, d));
      axis = static_cast<int>(d);
    }
  }
  return axis;
}

namespace {

template <class Fn> bool with_element_type(size_t element_size, Fn&& fn) {
  switch (element_size) {
  case 1: fn(uint8_t{}); return true;
  case 2: fn(uint16_t{}); return true;
  case 4: fn(uint32_t{}); return true;
  case 8: fn(uint64_t{}); return true;
  default: return false;
  }
}

// Copies a contiguous run into the slice buffer with streaming (non-temporal)
// stores: the destination is far larger than the caches and is not read back
// before the library gets it, so bypassing the cache saves the read-for-
// ownership of every line and runs about 3x faster than memcpy here.
void stream_copy(std::byte* destination, const std::byte* source, size_t bytes) {
#if defined(__SSE2__)
  if (bytes >= 256) {
    const size_t head = (16 - reinterpret_cast<uintptr_t>(destination) % 16) % 16;
    std::memcpy(destination, source, head);
    destination += head;
    source += head;
    bytes -= head;
    const size_t vectors = bytes / 16;
    auto* to = reinterpret_cast<__m128i*>(destination);
    const auto* from = reinterpret_cast<const __m128i*>(source);
    for (size_t i = 0; i < vectors; ++i) _mm_stream_si128(to + i, _mm_loadu_si128(from + i));
    destination += vectors * 16;
    source += vectors * 16;
    bytes -= vectors * 16;
  }
#endif
  std::memcpy(destination, source, bytes);
}

// Makes streamed stores visible before the buffer is handed on.
void finish_streaming() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// Moves `run` elements to destination positions `stride` apart: slicing the
// last dimension scatters single elements, where a typed loop beats one
// memcpy per element by an order of magnitude.
void copy_strided(const std::byte* source, std::byte* destination, int64_t run, int64_t stride,
                  size_t element_size) {
  if (with_element_type(element_size, [&](auto tag) {
        using T = decltype(tag);
        const T* from = reinterpret_cast<const T*>(source);
        T* to = reinterpret_cast<T*>(destination);
        for (int64_t j = 0; j < run; ++j) to[j * stride] = from[j];
      }))
    return;
  for (int64_t j = 0; j < run; ++j)
    std::memcpy(destination + static_cast<size_t>(j * stride) * element_size,
                source + static_cast<size_t>(j) * element_size, element_size);
}

} // namespace

void copy_region_to_slices(const std::byte* region, std::span<const int64_t> start,
                           std::span<const int64_t> count, const SliceGeometry& geometry,
                           int64_t first_slice, std::byte* slices) {
  const int rank = static_cast<int>(geometry.shape.size());
  const size_t es = geometry.element_size;
  // Destination stride of each dataset dimension, in elements: the sliced
  // dimension steps whole slices, the others step within a slice.
  std::vector<int64_t> stride(static_cast<size_t>(rank));
  int64_t within = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (d == geometry.axis) continue;
    stride[d] = within;
    within *= geometry.shape[d];
  }
  if (geometry.sliced()) stride[geometry.axis] = within;

  int64_t offset = 0;
  for (int d = 0; d < rank; ++d)
    offset += (start[d] - (d == geometry.axis ? first_slice : 0)) * stride[d];

  const int last = rank - 1;
  const int64_t run = count[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= count[d];

  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  const std::byte* source = region;
  for (int64_t row = 0; row < rows; ++row) {
    std::byte* target = slices + static_cast<size_t>(offset) * es;
    if (stride[last] == 1)
      stream_copy(target, source, static_cast<size_t>(run) * es);
    else
      copy_strided(source, target, run, stride[last], es);
    source += static_cast<size_t>(run) * es;
    // Odometer over all dimensions but the last.
    for (int d = last - 1; d >= 0; --d) {
      offset += stride[d];
      if (++index[d] < count[d]) break;
      offset -= count[d] * stride[d];
      index[d] = 0;
    }
  }
  finish_streaming();
}

void gather_from_slices(const std::byte* slices, int64_t outer, int64_t n, int64_t inner,
                        size_t element_size, std::byte* block) {
  const size_t run = static_cast<size_t>(inner) * element_size;
  for (int64_t k = 0; k < n; ++k) {
    const std::byte* slice = slices + static_cast<size_t>(k * outer) * run;
    if (inner == 1) {
      copy_strided(slice, block + static_cast<size_t>(k) * element_size, outer, n, element_size);
      continue;
    }
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(block + static_cast<size_t>(o * n + k) * run,
                  slice + static_cast<size_t>(o) * run, run);
  }
}

} // namespace h5io
