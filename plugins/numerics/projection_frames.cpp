// Projections with their darks and flats; see projection_frames.hpp.
#include "projection_frames.hpp"

#include "dtype_convert.hpp"
#include "plugin_error.hpp"
#include "slice_input.hpp"

namespace h5io::numerics {

void ProjectionFrames::describe(int index, const h5io_dataspace_t& space, const std::string& name) {
  if (space.rank != 3)
    throw plugin::Error("the " + name + " have shape " + plugin::shape_text(space) + ": " +
                        library_ + " needs a stack of frames [frames, rows, columns]");
  if (!is_supported_dtype(space.dtype))
    throw plugin::Error("the " + name + " have an element type " + library_ + " cannot read");
  if (index == projections && (space.shape[1] < 1 || space.shape[2] < 1))
    throw plugin::Error("the " + name + " have shape " + plugin::shape_text(space) +
                        ": frames must have at least one row and column");
  if (index == flats && space.shape[0] < 1)
    throw plugin::Error("the scan has no flat-field frames, which " + library_ +
                        " needs to normalise the projections (" + without_flats_ + ")");
  spaces_[static_cast<size_t>(index)] = space;
  const auto& proj = spaces_[projections];
  if (!proj) return;
  // Whatever the order the host describes them in.
  for (const int i : {darks, flats}) {
    const auto& frames = spaces_[static_cast<size_t>(i)];
    if (frames && (frames->shape[1] != proj->shape[1] || frames->shape[2] != proj->shape[2]))
      throw plugin::Error(std::string("the ") + kNames[i] + " have shape " +
                          plugin::shape_text(*frames) + " but the projections " +
                          plugin::shape_text(*proj) + ": rows and columns must match");
  }
}

void ProjectionFrames::take_means(const h5io_buffer_t* inputs) {
  if (have_means_) return;
  const int64_t pixels = rows() * cols();
  const int64_t dark_frames = spaces_[darks]->shape[0], flat_frames = spaces_[flats]->shape[0];
  dark_ = mean_rows({inputs[darks].data, inputs[darks].space.dtype, dark_frames}, pixels);
  flat_ = mean_rows({inputs[flats].data, inputs[flats].space.dtype, flat_frames}, pixels);
  have_means_ = true;
}

void ProjectionFrames::normalise(const void* frame, h5io_dtype_t dtype, FlatFieldOutput output,
                                 float* out) const {
  // The whole frame as one run of rows x cols values, which the means cover.
  normalise_rows({frame, dtype, 1}, dark_, flat_, rows() * cols(), output, out);
}

} // namespace h5io::numerics
