#pragma once
// The rotation centre from opposite projections: the projection at
// theta + 180 degrees is the one at theta mirrored about the axis column c,
// p(theta + pi, u) = p(theta, 2c - u) (ARCHITECTURE.md, "Tomography
// geometry"). This holds column by column whatever the object, so unlike
// Vo's method it needs no assumption that the object stays inside the field
// of view: truncated projections match as well as whole ones.
//
// For one sinogram, every projection with a partner half a turn away is
// compared with that partner mirrored about c, and c is where the mean
// squared difference over all pairs is least. A partner is a measured
// projection within half an angular step of exactly opposite; otherwise,
// where the opposite angle lies between two measured projections (at most
// two steps apart) or at most one step beyond the first or last, it is
// interpolated (or extrapolated) linearly in angle from the two nearest.
// The latter matters for scans over [0, 180): they lack 180 itself, and
// the last projection, one step short, compared with the first as it is
// would shift each feature by a step times its distance from the axis
// along the beam (0.4 px on a narrow detector whose object reaches far
// beyond it); extrapolated, the error is of second order.
// * both projections are first smoothed by a Gaussian (sigma 1 px), which
//   makes the cost smooth near its minimum (so a parabola finds it) and
//   averages the noise;
// * c is searched on the half-pixel lattice 2c = m (whole m), where the
//   mirrored columns fall on columns: no interpolation, so the noise weighs
//   the same at every candidate (interpolating would smooth it by an amount
//   that depends on c's fraction, and bias the minimum towards quarter
//   pixels at low flux); a least-squares parabola through the five best
//   lattice points gives the sub-pixel answer, and its curvature with the
//   least cost (the noise left) gives the estimate's standard error, so
//   rows with little structure or much noise count less in the fit;
// * columns within the smoothing's reach of a detector edge are left out;
// * detectors wider than 512 columns are first searched on columns averaged
//   down to <= 512, then refined at full width.
// The search range is the one Vo's method uses (CenterFinder::lowest ..
// highest), so the two estimates look in the same place.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace h5io::fbp {

// The projection `first` and its partner at exactly angle(first) +- pi:
// weight_a * projection a + weight_b * projection b (b = a, weights 1 and 0,
// for a measured partner).
struct OppositePair {
  int64_t first = 0;
  int64_t a = 0, b = 0;
  double weight_a = 1, weight_b = 0;
  bool measured = true; // a measured partner, not interpolated
  double mismatch = 0;  // radians from exactly opposite to the nearest measured angle
};

// One angular step: the median gap between the sorted distinct angles.
double angular_step(std::span<const double> angles);

// The partners as above. Each measured pair is listed once.
std::vector<OppositePair> opposite_pairs(std::span<const double> angles);

struct OppositeEstimate {
  double center = 0;
  // Its standard error (pixels) from the noise left at the least cost and
  // the cost's curvature (a least-squares estimate): large where the row
  // has little structure or much noise.
  double error = 0;
};

class OppositeMatcher {
public:
  // At most kMaxPairs pairs are used, spread evenly over the angles.
  static constexpr int64_t kMaxPairs = 64;

  OppositeMatcher(int64_t cols, std::span<const double> angles, double low, double high);

  // All pairs found (the matcher uses up to kMaxPairs of them, measured
  // partners first when there are enough).
  const std::vector<OppositePair>& pairs() const { return all_pairs_; }
  int64_t pairs_used() const { return static_cast<int64_t>(used_.size()); }

  // The axis column for one sinogram ([P][cols]), or nothing when there are
  // no pairs, the cost has no minimum inside the range, or the data have no
  // structure. Thread-safe.
  std::optional<OppositeEstimate> find(const float* sinogram) const;

private:
  int64_t cols_;
  double low_, high_;
  std::vector<OppositePair> all_pairs_;
  std::vector<OppositePair> used_;
};

} // namespace h5io::fbp
