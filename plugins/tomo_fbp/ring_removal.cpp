// See ring_removal.hpp.
#include "ring_removal.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace h5io::fbp {

void remove_stripes_by_sorting(float* sinogram, int64_t angles, int64_t cols, int window) {
  if (angles < 1 || cols < 2) return;
  const size_t n = static_cast<size_t>(angles * cols);
  // sorted[i][u]: the i-th smallest value of column u; from[i][u]: its row.
  std::vector<float> sorted(n);
  std::vector<int32_t> from(n);
  std::vector<std::pair<float, int32_t>> column(static_cast<size_t>(angles));
  for (int64_t u = 0; u < cols; ++u) {
    for (int64_t p = 0; p < angles; ++p)
      column[static_cast<size_t>(p)] = {sinogram[p * cols + u], static_cast<int32_t>(p)};
    // Pairs compare by value, then row: a total order, so the result never
    // depends on the sort's implementation.
    std::sort(column.begin(), column.end());
    for (int64_t i = 0; i < angles; ++i) {
      sorted[static_cast<size_t>(i * cols + u)] = column[static_cast<size_t>(i)].first;
      from[static_cast<size_t>(i * cols + u)] = column[static_cast<size_t>(i)].second;
    }
  }
  // Median along each row of the sorted image with a sliding sorted window:
  // moving one column drops one value and inserts one, O(window) instead of
  // a fresh selection per column.
  const int64_t half = window / 2;
  const auto reflect = [cols](int64_t v) { // -1 -> 0, cols -> cols-1 (scipy 'reflect')
    while (v < 0 || v >= cols) v = v < 0 ? -v - 1 : 2 * cols - v - 1;
    return v;
  };
  std::vector<float> sorted_window(static_cast<size_t>(window));
  for (int64_t i = 0; i < angles; ++i) {
    const float* in = sorted.data() + i * cols;
    for (int64_t k = -half; k <= half; ++k)
      sorted_window[static_cast<size_t>(k + half)] = in[reflect(k)];
    std::sort(sorted_window.begin(), sorted_window.end());
    for (int64_t u = 0; u < cols; ++u) {
      const int32_t row = from[static_cast<size_t>(i * cols + u)];
      sinogram[row * cols + u] = sorted_window[static_cast<size_t>(half)];
      if (u + 1 == cols) break;
      const float leaving = in[reflect(u - half)], entering = in[reflect(u + half + 1)];
      auto it = std::lower_bound(sorted_window.begin(), sorted_window.end(), leaving);
      sorted_window.erase(it);
      sorted_window.insert(std::upper_bound(sorted_window.begin(), sorted_window.end(), entering),
                           entering);
    }
  }
}

} // namespace h5io::fbp
