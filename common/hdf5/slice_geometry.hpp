#pragma once
// How a dataset is cut into slices. A dataset of C-order shape
// [d0 .. d(axis-1), n, d(axis+1) ..] is viewed as [outer][n][inner]; the
// library wants it slice-major, [n][outer][inner]. The two functions below
// move blocks between the views, for inputs (scatter) and outputs (gather).

#include "h5io_plugin.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace h5io {

struct SliceGeometry {
  std::vector<int64_t> shape; // the whole dataset
  int axis = -1;              // the sliced dimension; -1: not sliced (whole)
  size_t element_size = 0;

  bool sliced() const { return axis >= 0; }
  int64_t slices() const { return sliced() ? shape[axis] : 1; }
  int64_t outer() const; // product of the dimensions before axis
  int64_t inner() const; // product of the dimensions after axis
  int64_t slice_elements() const;
  size_t slice_bytes() const { return static_cast<size_t>(slice_elements()) * element_size; }
  // One slice's shape (the sliced dimension removed) as the ABI sees it.
  h5io_dataspace_t slice_space(h5io_dtype_t dtype) const;
};

// Validates a library's slicing map for an input of `rank` dimensions:
// entries 0 or 1, at most one 1. Returns the sliced axis, or -1 for all
// zeros. `what` names the input in the error.
int sliced_axis_from_map(std::span<const int> map, const std::string& what);

// Copies a region of the dataset described by `geometry`, held in C order in
// `region` (start and count per dimension), to where it belongs in the
// slice-major buffer `slices` that holds slices [first_slice, ...). The
// region must lie within those slices.
void copy_region_to_slices(const std::byte* region, std::span<const int64_t> start,
                           std::span<const int64_t> count, const SliceGeometry& geometry,
                           int64_t first_slice, std::byte* slices);

// Slice-major [n][outer][inner] to file-order [outer][n][inner], for writing
// n slices of an output whose growing dimension is not the first.
void gather_from_slices(const std::byte* slices, int64_t outer, int64_t n, int64_t inner,
                        size_t element_size, std::byte* block);

} // namespace h5io
