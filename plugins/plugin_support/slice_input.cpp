#include "slice_input.hpp"

#include "param_values.hpp"
#include "plugin_error.hpp"

namespace h5io::plugin {

SliceInput parse_slice_input(const h5io_global_params_t& params, SliceInput defaults) {
  SliceInput input = std::move(defaults);
  if (const h5io_param_t* p = h5io_find_param(&params, "dataset")) {
    // A scan role is a location the host resolves; anything else is a path.
    input.dataset = std::string(p->text).rfind("scan:", 0) == 0 ? p->text : dataset_path_of(*p);
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "axis")) {
    const int64_t axis = whole_number_of(*p, "0, 1 or 2: the dimension slices are cut along");
    if (axis < 0 || axis > 2)
      throw Error("parameter " + quoted(*p) +
                  " must be 0, 1 or 2: the input is a 3-D stack and each slice is a 2-D image");
    input.axis = static_cast<int>(axis);
  }
  return input;
}

std::string shape_text(const h5io_dataspace_t& space) {
  std::string out = "[";
  for (int32_t d = 0; d < space.rank; ++d) out += (d ? ", " : "") + std::to_string(space.shape[d]);
  return out + "]";
}

ImageShape slice_image(const SliceInput& input, const h5io_dataspace_t& space) {
  if (space.rank != 3)
    throw Error("the input " + input.dataset + " has shape " + shape_text(space) +
                " but must be a 3-D stack whose slices are 2-D images");
  if (h5io_dtype_size(space.dtype) == 0)
    throw Error("the input " + input.dataset + " has an element type this library cannot read");
  for (int32_t d = 0; d < 3; ++d)
    if (space.shape[d] < 1)
      throw Error("the input " + input.dataset + " has shape " + shape_text(space) +
                  ": it holds no image");
  ImageShape image;
  image.rows = input.axis == 0 ? space.shape[1] : space.shape[0];
  image.cols = input.axis == 2 ? space.shape[1] : space.shape[2];
  image.dtype = space.dtype;
  return image;
}

} // namespace h5io::plugin
