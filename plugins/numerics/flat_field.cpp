// Normalisation arithmetic; see flat_field.hpp for the rules.
#include "flat_field.hpp"

#include "dtype_convert.hpp"

#include <algorithm>
#include <cmath>

namespace h5io::numerics {
namespace {

const void* row_pointer(const RawRows& rows, int64_t row, int64_t cols) {
  const auto* base = static_cast<const unsigned char*>(rows.data);
  return base + row * cols * static_cast<int64_t>(h5io_dtype_size(rows.dtype));
}

} // namespace

std::vector<float> mean_rows(const RawRows& rows, int64_t cols) {
  std::vector<float> mean(static_cast<size_t>(cols), 0.0f);
  if (rows.rows <= 0) return mean;
  std::vector<double> sum(static_cast<size_t>(cols), 0.0);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows.rows; ++r) {
    convert_to_float(row_pointer(rows, r, cols), rows.dtype, cols, row.data());
    for (int64_t u = 0; u < cols; ++u) sum[static_cast<size_t>(u)] += row[static_cast<size_t>(u)];
  }
  for (int64_t u = 0; u < cols; ++u)
    mean[static_cast<size_t>(u)] =
        static_cast<float>(sum[static_cast<size_t>(u)] / static_cast<double>(rows.rows));
  return mean;
}

void flat_field_inverse(std::span<const float> dark, std::span<const float> flat, int64_t cols,
                        float* inverse) {
  for (int64_t u = 0; u < cols; ++u) {
    const float d = dark[static_cast<size_t>(u)];
    const float f = flat[static_cast<size_t>(u)];
    const float range = f - d;
    const float tiny = 1e-6f * std::max(std::fabs(f), std::fabs(d));
    inverse[u] = (range > tiny && range > 1e-30f && std::isfinite(range)) ? 1.0f / range : 0.0f;
  }
}

void normalise_rows(const RawRows& raw, std::span<const float> dark, std::span<const float> flat,
                    int64_t cols, FlatFieldOutput output, float* out) {
  std::vector<float> inverse(static_cast<size_t>(cols));
  flat_field_inverse(dark, flat, cols, inverse.data());
  const bool minus_log = output == FlatFieldOutput::line_integrals;
  for (int64_t p = 0; p < raw.rows; ++p) {
    float* row = out + p * cols;
    convert_to_float(row_pointer(raw, p, cols), raw.dtype, cols, row);
    for (int64_t u = 0; u < cols; ++u) {
      const size_t k = static_cast<size_t>(u);
      float t = inverse[k] != 0.0f ? (row[u] - dark[k]) * inverse[k] : 1.0f;
      if (!std::isfinite(t)) t = 1.0f;
      t = std::max(t, kMinTransmission);
      row[u] = minus_log ? -std::log(t) : t;
    }
  }
}

void clamp_transmission(const RawRows& raw, int64_t cols, float* out) {
  convert_to_float(raw.data, raw.dtype, raw.rows * cols, out);
  for (int64_t i = 0; i < raw.rows * cols; ++i)
    out[i] = std::isfinite(out[i]) ? std::max(out[i], kMinTransmission) : 1.0f;
}

void copy_line_integrals(const RawRows& raw, int64_t cols, float* out) {
  convert_to_float(raw.data, raw.dtype, raw.rows * cols, out);
  for (int64_t i = 0; i < raw.rows * cols; ++i)
    if (!std::isfinite(out[i])) out[i] = 0.0f;
}

} // namespace h5io::numerics
