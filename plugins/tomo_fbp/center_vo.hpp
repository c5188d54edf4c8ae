#pragma once
// Automatic rotation-centre finding after Vo, Drakopoulos, Atwood & Reinhard,
// "Reliable method for calculating the center of rotation in parallel-beam
// tomography", Opt. Express 22 (2014) 19078, as tomopy's find_center_vo.
//
// A half-turn sinogram stacked on its left-right mirror is a full-turn
// sinogram exactly when the mirror is shifted by 2 (c - (cols-1)/2), c the
// axis column (the mirror of column u is column cols-1-u, so the mirror's
// own centre is (cols-1)/2, not the nominal floor(cols/2)). A consistent
// full-turn sinogram has almost no energy in a double wedge of its 2-D
// spectrum (high angular, low spatial frequency); a wrong c puts a seam
// into it that does. The centre is the c whose stack has the least mean
// |FFT| inside that wedge.
//
// Departures from tomopy, for speed and determinism: the coarse search
// (0.5-pixel steps) runs on the projections averaged down to <= 128 rows of
// <= 512 columns, the fine one (0.25-pixel steps plus a parabola through the
// best three) on <= 256 rows of <= 1024 columns; shifts are applied
// as phase ramps on each row's spectrum (exact, sub-pixel), and only the
// spectrum columns the wedge touches are transformed. The answer depends on
// the slice's data and the angles alone.

#include "fftw.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace h5io::fbp {

class CenterFinder {
public:
  // Plans the transforms (call on the library's thread). The search covers
  // [floor(cols/2) - half_width, floor(cols/2) + half_width], clipped to
  // the middle half of the detector ((cols-1)/2 +- (cols/4 - 1)).
  CenterFinder(int64_t cols, std::span<const double> angles, double half_width);

  // The axis column for one sinogram ([P][cols], the scan's row order).
  // Thread-safe. A sinogram without structure (all zero) gives floor(cols/2)
  // clipped into the search range.
  double find(const float* sinogram) const;

  // The same, or nothing when the sinogram gives nothing to go by (no
  // structure, too few angles or columns): for the scan-wide fit, which
  // must not count such a row as an estimate.
  std::optional<double> search(const float* sinogram) const;

  double lowest() const { return low_; }
  double highest() const { return high_; }

private:
  struct Level {
    int64_t row_bin = 1;           // projections (in angle order) averaged into one row
    int64_t rows = 0;              // R: rows after averaging
    int64_t bin = 1;               // detector columns averaged into one
    int64_t cols = 0;              // columns after averaging
    int64_t kcols = 0;             // spectrum columns the wedge reaches
    numerics::FftwPlan row_fft;    // R real rows -> spectra
    numerics::FftwPlan column_fft; // kcols complex columns of length 2R, in place
  };
  void plan_level(Level& level, int64_t max_rows, int64_t max_cols);
  std::vector<double> metrics(const Level& level, const float* sinogram,
                              std::span<const double> centres) const;
  double nominal() const;

  int64_t cols_;
  double low_, high_;
  std::vector<int64_t> rows_; // the half turn's projections, by angle
  Level coarse_, fine_;
};

} // namespace h5io::fbp
