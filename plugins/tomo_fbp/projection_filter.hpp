#pragma once
// Filtering one projection row with FFTW: pad to a power of two, transform,
// multiply by the filter (and, when asked, by the phase ramp of a sub-pixel
// shift), transform back. The plans are made in the constructor (on the
// library's thread); apply() may then run on any number of threads at once,
// each with its own Workspace.

#include "fftw.hpp"
#include "options.hpp"

#include <complex>
#include <cstdint>
#include <vector>

namespace h5io::fbp {

class ProjectionFilter {
public:
  ProjectionFilter(int64_t cols, FilterKind kind, Padding padding);

  int64_t cols() const { return cols_; }
  int64_t padded() const { return padded_; }

  // The spectrum multiplier for one slice: the filter, FFTW's 1/M, and a
  // shift of the filtered projection by `shift` pixels towards higher
  // columns (exact for band-limited data; circular over the padded length,
  // whose padding keeps the wrap-around away from the detector).
  std::vector<std::complex<float>> kernel(double shift) const;

  struct Workspace {
    numerics::FftwArray<float> signal;
    numerics::FftwArray<std::complex<float>> spectrum;
  };
  Workspace workspace() const;

  // Pads `row` (cols values) as `padding` says and transforms it: the
  // spectrum (padded/2 + 1 values) is left in work.spectrum. The first
  // half of apply(); the Fourier method filters in the spectrum itself.
  void transform(Workspace& work, const float* row) const;

  // The filter's response, padded/2 + 1 values (without FFTW's 1/M).
  const std::vector<double>& response() const { return response_; }

  // Filters `row` (cols values) and writes scale * result[u] to
  // out[u * out_stride] for u < cols.
  void apply(Workspace& work, const float* row, const std::vector<std::complex<float>>& kernel,
             float scale, float* out, int64_t out_stride) const;

private:
  int64_t cols_;
  int64_t padded_;
  Padding padding_;
  std::vector<double> response_; // padded/2 + 1 values
  numerics::FftwPlan forward_;
  numerics::FftwPlan backward_;
};

} // namespace h5io::fbp
