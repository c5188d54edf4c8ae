// See sinogram_prep.hpp.
#include "sinogram_prep.hpp"

#include "normalise.hpp"
#include "ring_removal.hpp"

#include <vector>

namespace h5io::fbp {

void prepare_sinogram(const Options& options, const ScanShape& shape, const RawSlices& projections,
                      const RawSlices& darks, const RawSlices& flats, int64_t k, float* sinogram) {
  const auto slice = [k](const RawSlices& raw) {
    return static_cast<const unsigned char*>(raw.data) + static_cast<size_t>(k) * raw.slice_bytes;
  };
  const RawRows rows{slice(projections), projections.dtype, shape.angles};
  if (!options.normalise) {
    copy_sinogram(rows, shape.cols, sinogram);
  } else {
    const std::vector<float> dark =
        mean_rows({shape.darks > 0 ? slice(darks) : nullptr, darks.dtype, shape.darks}, shape.cols);
    const std::vector<float> flat = mean_rows({slice(flats), flats.dtype, shape.flats}, shape.cols);
    normalise_sinogram(rows, dark, flat, shape.cols, sinogram);
  }
  if (options.rings == Rings::sort)
    remove_stripes_by_sorting(sinogram, shape.angles, shape.cols, options.ring_size);
}

} // namespace h5io::fbp
