#pragma once
// Flat/dark-field normalisation: raw detector counts become the transmission
// t = (I - dark) / (flat - dark), or the line integrals p = -log(t)
// (ARCHITECTURE.md, "Tomography geometry"). tomo_fbp normalises sinogram
// rows with it and the normalise and paganin libraries whole projections,
// so every library applies exactly the same rules:
//
// * dark = mean of the dark rows; a scan with no dark frames (D = 0) uses a
//   dark level of 0 (the detector's offset is then assumed subtracted).
// * flat = mean of the flat rows (F >= 1 is required when normalising).
// * Where flat - dark is not clearly positive (dead or saturated pixel)
//   the transmission is taken as 1, so the pixel adds nothing.
// * The transmission is clamped to >= 1e-6 (p <= 13.8) and non-finite
//   values count as 1, so no NaN or Inf ever reaches a later step.
//
// A "row" here is any run of `cols` values that the dark and flat means
// cover one to one: a sinogram row of one detector row, or a whole
// projection frame of rows x cols pixels.

#include "h5io_plugin.h"

#include <cstdint>
#include <span>
#include <vector>

namespace h5io::numerics {

inline constexpr float kMinTransmission = 1e-6f;

// `rows` rows of `cols` values of `dtype`, back to back.
struct RawRows {
  const void* data = nullptr;
  h5io_dtype_t dtype = H5IO_FLOAT32;
  int64_t rows = 0;
};

// Per-column mean of `rows`, or zeros when there are none.
std::vector<float> mean_rows(const RawRows& rows, int64_t cols);

// 1 / (flat - dark) per column, or 0 where the column has no usable flat
// field (its transmission is then taken as 1). The GPU back end of tomo_fbp
// uploads these factors and applies the same rule per pixel.
void flat_field_inverse(std::span<const float> dark, std::span<const float> flat, int64_t cols,
                        float* inverse);

enum class FlatFieldOutput { transmission, line_integrals };

// Writes the normalised `raw` rows ([rows][cols]) to `out`: the clamped
// transmission, or its -log.
void normalise_rows(const RawRows& raw, std::span<const float> dark, std::span<const float> flat,
                    int64_t cols, FlatFieldOutput output, float* out);

// The data already hold the transmission: convert them to float with the
// same clamp (>= 1e-6; non-finite values count as 1).
void clamp_transmission(const RawRows& raw, int64_t cols, float* out);

// The data already hold line integrals: convert them to float, with
// non-finite values replaced by 0.
void copy_line_integrals(const RawRows& raw, int64_t cols, float* out);

} // namespace h5io::numerics
