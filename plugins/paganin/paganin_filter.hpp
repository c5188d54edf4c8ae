#pragma once
// Single-material phase retrieval (Paganin et al., J. Microsc. 206 (2002)
// 33-40) of one projection. For a transmission image T (flat-field
// normalised), wavelength lambda, propagation distance z, detector pixel p
// and r = delta/beta of the material:
//
//   T_f = IFFT[ FFT(T) / (1 + z * lambda * r / (4 pi) * |k|^2) ],
//   result = -log(T_f)  (= mu * thickness, the line integral tomo_fbp takes)
//
// with k = 2 pi f the angular spatial frequency and f in cycles per metre
// (the DFT's frequencies divided by p). The image is padded to at least
// twice its size in each direction with its edge values, so the filter's
// long tails see no wrap-around from the opposite edge; the padded size is
// rounded up to a product of 2, 3, 5 and 7 for FFTW's speed.
// plugins/paganin/README.md relates this to TomoPy's retrieve_phase.

#include "fftw.hpp"

#include <complex>
#include <cstdint>
#include <vector>

namespace h5io::paganin {

struct Physics {
  double energy_kev = 0;      // photon energy
  double distance_m = 0;      // sample to detector
  double pixel_m = 0;         // detector pixel (square)
  double delta_over_beta = 0; // r of the single material
};

// 12.398 / energy_kev Angstrom, in metres.
double wavelength_m(double energy_kev);

// The smallest product of 2, 3, 5 and 7 that is at least 2 * n.
int64_t padded_length(int64_t n);

// 1 / (1 + z lambda r / (4 pi) * k^2) for k^2 in rad^2 / m^2.
double filter_factor(const Physics& physics, double k_squared);

class PaganinFilter {
public:
  // Plans the transforms for rows x cols projections (FFTW's planner, under
  // its lock); throws plugin::Error for unusable physics.
  PaganinFilter(int64_t rows, int64_t cols, const Physics& physics);

  int64_t padded_rows() const { return padded_rows_; }
  int64_t padded_cols() const { return padded_cols_; }

  // Buffers for one apply() at a time; one per thread.
  struct Workspace {
    numerics::FftwArray<float> image;
    numerics::FftwArray<std::complex<float>> spectrum;
  };
  Workspace workspace() const;

  // transmission[rows * cols] -> out[rows * cols] = -log(T_f), T_f clamped
  // to >= 1e-6 as flat_field.hpp clamps T. Safe from several threads at
  // once, each with its own workspace (FFTW executes plans on new arrays
  // concurrently).
  void apply(const float* transmission, float* out, Workspace& work) const;

private:
  int64_t rows_, cols_, padded_rows_, padded_cols_;
  // The filter in the r2c layout [padded_rows][padded_cols / 2 + 1], with
  // the inverse transform's 1 / (padded_rows * padded_cols) folded in.
  std::vector<float> factor_;
  numerics::FftwPlan forward_, inverse_;
};

} // namespace h5io::paganin
