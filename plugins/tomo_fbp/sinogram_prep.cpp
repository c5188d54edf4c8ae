// See sinogram_prep.hpp.
#include "sinogram_prep.hpp"

#include "flat_field.hpp"
#include "ring_removal.hpp"

#include <vector>

namespace h5io::fbp {

void prepare_sinogram(const Options& options, const ScanShape& shape, const RawSlices& projections,
                      const RawSlices& darks, const RawSlices& flats, int64_t k, float* sinogram) {
  const auto slice = [k](const RawSlices& raw) {
    return static_cast<const unsigned char*>(raw.data) + static_cast<size_t>(k) * raw.slice_bytes;
  };
  const numerics::RawRows rows{slice(projections), projections.dtype, shape.angles};
  if (!options.normalise) {
    numerics::copy_line_integrals(rows, shape.cols, sinogram);
  } else {
    const std::vector<float> dark = numerics::mean_rows(
        {shape.darks > 0 ? slice(darks) : nullptr, darks.dtype, shape.darks}, shape.cols);
    const std::vector<float> flat =
        numerics::mean_rows({slice(flats), flats.dtype, shape.flats}, shape.cols);
    numerics::normalise_rows(rows, dark, flat, shape.cols,
                             numerics::FlatFieldOutput::line_integrals, sinogram);
  }
  if (options.rings == Rings::sort)
    remove_stripes_by_sorting(sinogram, shape.angles, shape.cols, options.ring_size);
}

} // namespace h5io::fbp
