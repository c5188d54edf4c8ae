#pragma once
// The one input of a library that hands each slice on as an image: a 3-D
// dataset (or a tomography scan role such as scan:projections, resolved by
// the host) cut along one axis into 2-D slices. Parameters `dataset` and
// `axis`, as the benchmark library reads them.

#include "h5io_plugin.h"
#include "image_shape.hpp"

#include <string>

namespace h5io::plugin {

struct SliceInput {
  std::string dataset; // an HDF5 path in the input file, or a scan: role
  int axis = 0;        // the sliced dimension, 0..2
};

// Reads `dataset` and `axis` over the given defaults; throws Error.
SliceInput parse_slice_input(const h5io_global_params_t& params, SliceInput defaults);

// "[180, 4, 256]", for messages.
std::string shape_text(const h5io_dataspace_t& space);

// One slice of the input as an image: the two dimensions other than `axis`,
// in order. Throws Error unless the input is 3-D with no empty dimension.
ImageShape slice_image(const SliceInput& input, const h5io_dataspace_t& space);

} // namespace h5io::plugin
