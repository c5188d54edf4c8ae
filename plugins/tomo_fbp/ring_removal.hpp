#pragma once
// Stripe (ring) removal by sorting, Vo, Atwood & Drakopoulos, "Superior
// techniques for eliminating ring artifacts in X-ray micro-tomography",
// Opt. Express 26 (2018) 28396, algorithm 3 (tomopy's
// remove_stripe_based_sorting with dim=1): sort every detector column of the
// sinogram along the angles, median-filter the sorted image along the
// detector axis, put the values back in their original order. A detector
// pixel with a wrong gain shows as a stripe in the sinogram (a ring in the
// slice); after sorting, its column is smooth and the median across
// neighbouring columns replaces its offset by theirs.

#include <cstdint>

namespace h5io::fbp {

// In place on sinogram [angles][cols]. `window` is odd >= 3. The median's
// edges reflect (d c b a | a b c d), as scipy's median_filter.
void remove_stripes_by_sorting(float* sinogram, int64_t angles, int64_t cols, int window);

} // namespace h5io::fbp
