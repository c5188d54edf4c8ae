// Unit tests of tomo_fbp's scan-wide rotation axis (plugins/tomo_fbp):
// the robust fit (outliers rejected, a line only for a significant slope),
// the opposite-projection estimate on exact sinograms (whole and truncated
// narrow detectors, noise), the sample rows and the rule that chooses
// between Vo's method and opposite projections.
#include "axis_fit.hpp"
#include "center_opposite.hpp"
#include "center_vo.hpp"
#include "robust_fit.hpp"
#include "tomo_test_helpers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

using namespace h5io::fbp;
using namespace h5io::fbp::test;
using std::numbers::pi;

namespace {

std::vector<double> rows_of(int64_t count, int64_t step = 2) {
  std::vector<double> x;
  for (int64_t k = 0; k < count; ++k) x.push_back(static_cast<double>(k * step));
  return x;
}

// Deterministic scatter: normal with sigma, fixed seed.
std::vector<double> scatter(size_t count, double sigma, unsigned seed = 7) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  std::vector<double> v;
  for (size_t i = 0; i < count; ++i) v.push_back(normal(random));
  return v;
}

// ---- the robust fit ---------------------------------------------------------

TEST(TomoAxisFit, ConstantRejectsOutliers) {
  // The example: per-slice centres anywhere from 7.0 to 17.5 around
  // a true 12.3 are outliers of a consistent majority.
  const std::vector<double> x = rows_of(24);
  std::vector<double> y = scatter(24, 0.08);
  for (double& v : y) v += 12.3;
  y[3] = 7.0;
  y[10] = 17.5;
  y[11] = 16.0;
  y[20] = 30.0;
  const RobustFit f = robust_axis_fit(x, y, 23.0);
  ASSERT_TRUE(f.valid);
  EXPECT_FALSE(f.line);
  EXPECT_EQ(f.slope, 0.0);
  EXPECT_NEAR(f.intercept, 12.3, 0.06);
  EXPECT_EQ(f.inliers, 20);
  EXPECT_FALSE(f.kept[3]);
  EXPECT_FALSE(f.kept[10]);
  EXPECT_FALSE(f.kept[11]);
  EXPECT_FALSE(f.kept[20]);
  EXPECT_LT(f.spread, 0.15);
  EXPECT_NEAR(f.uncertainty, std::max(f.spread, 0.1) / std::sqrt(20.0), 1e-12);
}

TEST(TomoAxisFit, LineWhenTheSlopeIsSignificant) {
  // A tilt of 1 px over 64 rows, with noise and outliers.
  const std::vector<double> x = rows_of(32);
  std::vector<double> y = scatter(32, 0.1, 3);
  for (size_t i = 0; i < y.size(); ++i) y[i] += 40.0 + x[i] / 63.0;
  y[0] = 45.0;
  y[17] = 30.0;
  const RobustFit f = robust_axis_fit(x, y, 31.5);
  EXPECT_TRUE(f.line);
  EXPECT_NEAR(f.slope, 1.0 / 63.0, 0.004);
  EXPECT_NEAR(f.at(0), 40.0, 0.12);
  EXPECT_NEAR(f.at(63), 41.0, 0.12);
  EXPECT_FALSE(f.kept[0]);
  EXPECT_FALSE(f.kept[17]);
  EXPECT_GT(std::fabs(f.slope), 3 * f.slope_error);
  // A tilt the other way, and no tilt at all.
  for (size_t i = 0; i < y.size(); ++i) y[i] = 40.0 - x[i] / 63.0 + 0.01 * std::sin(x[i]);
  EXPECT_NEAR(robust_axis_fit(x, y, 31.5).slope, -1.0 / 63.0, 0.001);
}

TEST(TomoAxisFit, NoiseDoesNotTiltTheAxis) {
  const std::vector<double> x = rows_of(32);
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::vector<double> y = scatter(32, 0.3, seed);
    for (double& v : y) v += 100.0;
    const RobustFit f = robust_axis_fit(x, y, 31.0);
    EXPECT_FALSE(f.line) << "seed " << seed << " slope " << f.slope;
    EXPECT_EQ(f.slope, 0.0);
    EXPECT_NEAR(f.intercept, 100.0, 0.25);
  }
}

TEST(TomoAxisFit, IdenticalValuesAndEdgeCases) {
  const std::vector<double> x = rows_of(9);
  const std::vector<double> same(9, 5.25);
  const RobustFit f = robust_axis_fit(x, same, 8.0);
  EXPECT_FALSE(f.line);
  EXPECT_EQ(f.intercept, 5.25);
  EXPECT_EQ(f.spread, 0.0);
  EXPECT_NEAR(f.uncertainty, 0.1 / 3.0, 1e-12); // floored scatter / sqrt(9)
  // One tiny step between identical halves: not a tilt.
  std::vector<double> step = same;
  for (size_t i = 5; i < step.size(); ++i) step[i] = 5.27;
  EXPECT_FALSE(robust_axis_fit(x, step, 8.0).line);

  EXPECT_FALSE(robust_axis_fit({}, {}, 0.0).valid);
  const std::vector<double> one_x{4.0}, one_y{17.5};
  const RobustFit one = robust_axis_fit(one_x, one_y, 0.0);
  EXPECT_TRUE(one.valid);
  EXPECT_EQ(one.intercept, 17.5);
  EXPECT_EQ(one.inliers, 1);
  // Two rows cannot show a slope.
  const std::vector<double> two_x{0.0, 10.0}, two_y{3.0, 4.0};
  EXPECT_FALSE(robust_axis_fit(two_x, two_y, 5.0).line);
  EXPECT_EQ(robust_axis_fit(two_x, two_y, 5.0).intercept, 3.5);
}

TEST(TomoAxisFit, RowsWithLargeErrorsCountLess) {
  // 10 precise rows at 12.3 and 12 imprecise ones at 12.8: the plain median
  // would be 12.8; weighted by their own errors, the precise rows decide.
  std::vector<double> x, y, e;
  for (int k = 0; k < 22; ++k) {
    x.push_back(static_cast<double>(k));
    y.push_back(k % 2 == 0 && k < 20 ? 12.3 : 12.8);
    e.push_back(k % 2 == 0 && k < 20 ? 0.05 : 1.0);
  }
  EXPECT_EQ(robust_axis_fit(x, y, 10.5).intercept, 12.8);
  const RobustFit f = robust_axis_fit(x, y, 10.5, {}, e);
  EXPECT_FALSE(f.line);
  EXPECT_EQ(f.intercept, 12.3);
  EXPECT_EQ(f.inliers, 22); // the imprecise rows are within their errors: kept, weighed less
  EXPECT_GT(f.error_scale, 0.0);
  EXPECT_LT(f.uncertainty, 0.05);
}

// ---- opposite projections ---------------------------------------------------

TEST(TomoAxisOpposite, PairsHalfATurnApart) {
  const std::vector<double> full = uniform_angles(360, 2 * pi);
  EXPECT_NEAR(angular_step(full), pi / 180, 1e-12);
  const std::vector<OppositePair> pairs = opposite_pairs(full);
  ASSERT_EQ(pairs.size(), 180u); // each measured pair once
  for (const OppositePair& p : pairs) {
    EXPECT_TRUE(p.measured);
    EXPECT_EQ(p.a, p.first + 180);
    EXPECT_EQ(p.weight_a, 1.0);
    EXPECT_EQ(p.weight_b, 0.0);
    EXPECT_LT(p.mismatch, 1e-12);
  }
  // [0, 180) lacks 180 itself: the partners of the first and last
  // projections are extrapolated one step from the two nearest.
  const std::vector<double> half = uniform_angles(180);
  const std::vector<OppositePair> ends = opposite_pairs(half);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].first, 0);
  EXPECT_FALSE(ends[0].measured);
  EXPECT_EQ(ends[0].a, 178);
  EXPECT_EQ(ends[0].b, 179);
  EXPECT_NEAR(ends[0].weight_a, -1.0, 1e-9);
  EXPECT_NEAR(ends[0].weight_b, 2.0, 1e-9);
  EXPECT_NEAR(ends[0].mismatch, pi / 180, 1e-12);
  EXPECT_EQ(ends[1].first, 179);
  EXPECT_EQ(ends[1].a, 0);
  EXPECT_EQ(ends[1].b, 1);
  EXPECT_NEAR(ends[1].weight_a, 2.0, 1e-9);
  EXPECT_NEAR(ends[1].weight_b, -1.0, 1e-9);
  // Including 180 (P + 1 projections): one measured pair (0, 180), and the
  // partners of 1 and 179 degrees extrapolated a step beyond the ends.
  const std::vector<OppositePair> exact = opposite_pairs(uniform_angles(181, pi * 181.0 / 180.0));
  ASSERT_EQ(exact.size(), 3u);
  EXPECT_TRUE(exact[0].measured);
  EXPECT_EQ(exact[0].first, 0);
  EXPECT_EQ(exact[0].a, 180);
  EXPECT_EQ(exact[1].first, 1);
  EXPECT_FALSE(exact[1].measured);
  EXPECT_EQ(exact[2].first, 179);
  EXPECT_FALSE(exact[2].measured);
  // Irregular angles: a partner between two measured ones is interpolated.
  // (Step: the median gap, 0.4.)
  const std::vector<double> irregular = {0.0, 0.3, 0.7, 1.1, 1.5, pi + 0.45, pi + 0.95, pi + 1.3};
  const std::vector<OppositePair> between = opposite_pairs(irregular);
  bool found = false;
  for (const OppositePair& p : between)
    if (p.first == 2) { // 0.7 + pi lies halfway between pi + 0.45 and pi + 0.95
      found = true;
      EXPECT_FALSE(p.measured);
      EXPECT_EQ(p.a, 5);
      EXPECT_EQ(p.b, 6);
      EXPECT_NEAR(p.weight_b, 0.5, 1e-9);
      EXPECT_NEAR(p.mismatch, 0.25, 1e-9);
    }
  EXPECT_TRUE(found);
  // Short of half a turn by more than a step: none. The order of the angles
  // does not matter.
  EXPECT_TRUE(opposite_pairs(uniform_angles(170, pi * 170 / 180)).empty());
  std::vector<double> shuffled = full;
  std::swap(shuffled[0], shuffled[200]);
  const std::vector<OppositePair> again = opposite_pairs(shuffled);
  EXPECT_EQ(again.size(), 180u);
  for (const OppositePair& p : again)
    EXPECT_NEAR(
        std::fabs(shuffled[static_cast<size_t>(p.a)] - shuffled[static_cast<size_t>(p.first)]), pi,
        1e-12);
}

TEST(TomoAxisOpposite, FindsKnownOffsets) {
  const int64_t cols = 256;
  const std::vector<Ellipse> phantom = shepp_logan(110, 0.02);
  for (const double span : {pi, 2 * pi})
    for (const double offset : {0.0, 0.5, -0.5, 3.3, -3.3, 10.0, -10.0, 23.6}) {
      const std::vector<double> angles = uniform_angles(span == pi ? 180 : 360, span);
      const double truth = static_cast<double>(cols / 2) + offset;
      const std::vector<float> s = sinogram(phantom, angles, cols, truth);
      const CenterFinder vo(cols, angles, 50);
      const OppositeMatcher matcher(cols, angles, vo.lowest(), vo.highest());
      const std::optional<OppositeEstimate> found = matcher.find(s.data());
      ASSERT_TRUE(found) << "offset " << offset;
      EXPECT_NEAR(found->center, truth, span == pi ? 0.25 : 0.1)
          << "offset " << offset << " span " << span;
    }
}

TEST(TomoAxisOpposite, NarrowTruncatedDetectorWithNoise) {
  // 26 columns looking at an object 4x wider, axis at 12.3: every projection
  // is truncated, yet opposite projections still match column for column.
  const int64_t cols = 26;
  const std::vector<Ellipse> phantom = shepp_logan(48, 0.02);
  const std::vector<double> angles = uniform_angles(360, 2 * pi);
  std::vector<float> s = sinogram(phantom, angles, cols, 12.3);
  const CenterFinder vo(cols, angles, 50);
  const OppositeMatcher matcher(cols, angles, vo.lowest(), vo.highest());
  EXPECT_EQ(matcher.pairs_used(), 64);
  const std::optional<OppositeEstimate> clean = matcher.find(s.data());
  ASSERT_TRUE(clean);
  EXPECT_NEAR(clean->center, 12.3, 0.05);
  // Photon noise of ~2000 counts in the open beam.
  std::mt19937 random(5);
  for (float& v : s) {
    const double counts = std::poisson_distribution<int>(2000.0 * std::exp(-v))(random);
    v = static_cast<float>(-std::log(std::max(counts, 1.0) / 2000.0));
  }
  const std::optional<OppositeEstimate> noisy = matcher.find(s.data());
  ASSERT_TRUE(noisy);
  EXPECT_NEAR(noisy->center, 12.3, 0.3);
  // Its standard error grows with the noise, and covers the miss.
  EXPECT_GT(noisy->error, 3 * clean->error);
  EXPECT_LT(std::fabs(noisy->center - 12.3), 4 * noisy->error);
}

TEST(TomoAxisOpposite, NothingToGoBy) {
  const std::vector<double> angles = uniform_angles(100, 2 * pi);
  const std::vector<float> zeros(100 * 64, 0.0f);
  EXPECT_FALSE(OppositeMatcher(64, angles, 20, 44).find(zeros.data()));
  const std::vector<double> short_scan = uniform_angles(100, 0.9 * pi);
  const std::vector<float> s = sinogram(shepp_logan(25, 0.02), short_scan, 64, 32);
  const OppositeMatcher none(64, short_scan, 20, 44);
  EXPECT_EQ(none.pairs_used(), 0);
  EXPECT_FALSE(none.find(s.data()));
}

// ---- sample rows and the rule -------------------------------------------------

TEST(TomoAxisRule, SampleRowsSpreadOverTheHeight) {
  EXPECT_EQ(axis_sample_rows(1), (std::vector<int64_t>{0}));
  EXPECT_EQ(axis_sample_rows(5), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  for (const int64_t rows : {32, 33, 40, 63, 64, 100, 2048}) {
    const std::vector<int64_t> s = axis_sample_rows(rows);
    ASSERT_EQ(static_cast<int64_t>(s.size()), std::min<int64_t>(rows, 32)) << rows;
    for (size_t k = 1; k < s.size(); ++k) EXPECT_GT(s[k], s[k - 1]) << rows;
    const int64_t margin = rows >= 64 ? rows / 20 : 0;
    EXPECT_EQ(s.front(), margin) << rows;
    EXPECT_EQ(s.back(), rows - 1 - margin) << rows;
  }
}

AxisEstimates estimates_of(const std::vector<double>& vo, const std::vector<double>& opposite) {
  AxisEstimates e;
  for (size_t k = 0; k < std::max(vo.size(), opposite.size()); ++k) {
    e.rows.push_back(static_cast<int64_t>(2 * k));
    e.vo.push_back(k < vo.size() && !std::isnan(vo[k]) ? std::optional(vo[k]) : std::nullopt);
    e.opposite.push_back(k < opposite.size() && !std::isnan(opposite[k])
                             ? std::optional(opposite[k])
                             : std::nullopt);
  }
  e.pairs = opposite.empty() ? 0 : 180;
  return e;
}

TEST(TomoAxisRule, TheSmallerUncertaintyWinsAndDisagreementWarns) {
  // Vo scattered as in the issue (7.0 .. 17.5), opposite projections tight.
  std::vector<double> vo = {7.0, 17.5, 12.0, 9.5, 15.0, 12.8, 11.0, 13.9, 8.2, 16.4, 12.3, 10.1};
  std::vector<double> opposite(12);
  const std::vector<double> noise = scatter(12, 0.05);
  for (size_t k = 0; k < 12; ++k) opposite[k] = 12.3 + noise[k];
  AxisDecision d = decide_axis(estimates_of(vo, opposite), 24, 26);
  EXPECT_EQ(d.source, "opposite projections");
  EXPECT_NEAR(d.axis.intercept, 12.3, 0.05);
  EXPECT_EQ(d.axis.slope, 0.0);
  EXPECT_EQ(d.axis.kernel_center, d.axis.intercept);

  // Both tight but 1.7 px apart: the tighter one, and a warning.
  for (size_t k = 0; k < 12; ++k) vo[k] = 14.0 + 0.2 * noise[k];
  for (size_t k = 0; k < 12; ++k) opposite[k] = 12.3 + 4 * noise[(k + 5) % 12];
  d = decide_axis(estimates_of(vo, opposite), 24, 26);
  EXPECT_EQ(d.source, "Vo's method");
  ASSERT_TRUE(d.disagreement);
  EXPECT_NEAR(*d.disagreement, 1.7, 0.15);
  EXPECT_NE(d.warning.find("differ by up to"), std::string::npos) << d.warning;

  // Equally certain (both below the 0.1 px floor): opposite projections.
  vo.assign(12, 12.25);
  opposite.assign(12, 12.30);
  d = decide_axis(estimates_of(vo, opposite), 24, 26);
  EXPECT_EQ(d.source, "opposite projections");
  EXPECT_EQ(d.axis.intercept, 12.30);
  EXPECT_TRUE(d.warning.empty()) << d.warning;
}

TEST(TomoAxisRule, TruncatedProjectionsPreferOppositeProjections) {
  // Vo's rows agree tightly on the detector's mirror centre, opposite
  // projections more loosely on the axis.
  std::vector<double> vo(16, 12.5), opposite(16);
  const std::vector<double> noise = scatter(16, 0.3, 4);
  for (size_t k = 0; k < 16; ++k) opposite[k] = 12.3 + noise[k];
  AxisEstimates e = estimates_of(vo, opposite);
  EXPECT_EQ(decide_axis(e, 32, 26).source, "Vo's method"); // whole projections: the tighter
  e.edge_signal = 0.9;                                     // truncated
  const AxisDecision d = decide_axis(e, 32, 26);
  EXPECT_TRUE(d.truncated);
  EXPECT_EQ(d.source, "opposite projections");
  EXPECT_NEAR(d.axis.intercept, 12.3, 0.2);
  // Truncated, and no opposite projections in the scan: Vo, with a warning.
  e = estimates_of(vo, {});
  e.edge_signal = 0.9;
  const AxisDecision alone = decide_axis(e, 32, 26);
  EXPECT_EQ(alone.source, "Vo's method");
  EXPECT_NE(alone.warning.find("truncated"), std::string::npos) << alone.warning;
}

TEST(TomoAxisRule, TiltAndFallbacks) {
  // A line through both estimates: kernel centre at the middle row.
  std::vector<double> vo(16), opposite(16);
  for (size_t k = 0; k < 16; ++k) {
    vo[k] = 50.0 + 0.05 * static_cast<double>(2 * k);
    opposite[k] = vo[k] + 0.02;
  }
  AxisDecision d = decide_axis(estimates_of(vo, opposite), 40, 128);
  EXPECT_EQ(d.source, "opposite projections");
  EXPECT_NEAR(d.axis.slope, 0.05, 1e-9);
  EXPECT_NEAR(d.axis.kernel_center, d.axis.intercept + 0.05 * 19.5, 1e-12);

  // No pairs in the angles: Vo alone, no warning.
  d = decide_axis(estimates_of(vo, {}), 40, 128);
  EXPECT_EQ(d.source, "Vo's method");
  EXPECT_TRUE(d.warning.empty()) << d.warning;

  // Opposite projections failing on most rows: Vo, with a warning.
  std::vector<double> few(16, std::nan(""));
  few[2] = 51.0;
  d = decide_axis(estimates_of(vo, few), 40, 128);
  EXPECT_EQ(d.source, "Vo's method");
  EXPECT_NE(d.warning.find("too few estimates"), std::string::npos) << d.warning;

  // Nothing at all: the nominal centre, and a warning.
  const std::vector<double> none(16, std::nan(""));
  d = decide_axis(estimates_of(none, none), 40, 128);
  EXPECT_EQ(d.axis.intercept, 64.0);
  EXPECT_EQ(d.axis.slope, 0.0);
  EXPECT_NE(d.warning.find("center=COLUMN"), std::string::npos) << d.warning;
}

} // namespace
