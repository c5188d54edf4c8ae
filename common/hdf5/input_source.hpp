#pragma once
// Where one input of a job comes from: a dataset in the input file (or a
// selection of its frames), or values the host worked out itself, such as a
// scan's rotation angles converted to radians. The pipeline reads every
// input through this one interface.

#include "common/hdf5/slice_geometry.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace h5io {

class InputSource {
public:
  virtual ~InputSource() = default;

  // What messages and provenance call this input.
  virtual const std::string& location() const = 0;
  virtual const std::vector<int64_t>& shape() const = 0;
  virtual h5io_dtype_t dtype() const = 0;
  size_t element_size() const { return h5io_dtype_size(dtype()); }
  h5io_dataspace_t dataspace() const;

  // The storage's chunk extent along `axis` (1 when unchunked): units are
  // aligned to it.
  virtual int64_t chunk_extent(int axis) const = 0;

  // Reads the whole input in C order into `destination`.
  virtual void read_whole(std::byte* destination) = 0;

  // Reads slices [first, first + count) along geometry.axis into
  // `destination`, slice-major ([count][slice elements]).
  virtual void read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                           std::byte* destination) = 0;
};

// An input the host computed: held in memory, C order.
class MemoryInput final : public InputSource {
public:
  MemoryInput(std::string location, std::vector<int64_t> shape, h5io_dtype_t dtype,
              std::vector<std::byte> values);

  const std::string& location() const override { return location_; }
  const std::vector<int64_t>& shape() const override { return shape_; }
  h5io_dtype_t dtype() const override { return dtype_; }
  int64_t chunk_extent(int) const override { return 1; }
  void read_whole(std::byte* destination) override;
  void read_slices(const SliceGeometry& geometry, int64_t first, int64_t count,
                   std::byte* destination) override;

private:
  std::string location_;
  std::vector<int64_t> shape_;
  h5io_dtype_t dtype_;
  std::vector<std::byte> values_;
};

} // namespace h5io
