#pragma once
// Flat/dark-field normalisation of one sinogram: raw detector counts become
// line integrals p = -log((I - dark) / (flat - dark)) (ARCHITECTURE.md, "Tomography geometry").
//
// * dark = mean of the dark rows; a scan with no dark frames (D = 0) uses a
//   dark level of 0 (the detector's offset is then assumed subtracted).
// * flat = mean of the flat rows (F >= 1 is required when normalising).
// * Where flat - dark is not clearly positive (dead or saturated pixel)
//   the transmission is taken as 1, so the pixel adds nothing.
// * The transmission is clamped to >= 1e-6 (p <= 13.8) and non-finite
//   values count as 1, so no NaN or Inf ever reaches the reconstruction.

#include "h5io_plugin.h"

#include <cstdint>
#include <span>
#include <vector>

namespace h5io::fbp {

// One slice of an input: `rows` rows of `cols` values of `dtype`.
struct RawRows {
  const void* data = nullptr;
  h5io_dtype_t dtype = H5IO_FLOAT32;
  int64_t rows = 0;
};

// Per-column mean of `rows`, or zeros when there are none.
std::vector<float> mean_rows(const RawRows& rows, int64_t cols);

// 1 / (flat - dark) per column, or 0 where the column has no usable flat
// field (its transmission is then taken as 1). The GPU back end uploads
// these factors and applies the same rule per pixel.
void flat_field_inverse(std::span<const float> dark, std::span<const float> flat, int64_t cols,
                        float* inverse);

// Writes the line integrals of the P projection rows of `projections` to
// `sinogram` ([P][cols]).
void normalise_sinogram(const RawRows& projections, std::span<const float> dark,
                        std::span<const float> flat, int64_t cols, float* sinogram);

// The data already hold line integrals: convert them to float, with
// non-finite values replaced by 0.
void copy_sinogram(const RawRows& projections, int64_t cols, float* sinogram);

} // namespace h5io::fbp
