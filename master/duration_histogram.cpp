#include "master/duration_histogram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace h5io::master {

double DurationHistogram::bucket_bound(int i) {
  if (i >= kBuckets - 1) return std::numeric_limits<double>::infinity();
  return std::pow(10.0, -6.0 + static_cast<double>(i + 1) / kBucketsPerDecade);
}

void DurationHistogram::record(std::chrono::steady_clock::duration duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  int i = 0;
  if (seconds > 1e-6) {
    i = static_cast<int>(std::ceil((std::log10(seconds) + 6.0) * kBucketsPerDecade)) - 1;
    if (i < 0) i = 0;
    if (i > kBuckets - 1) i = kBuckets - 1;
    // log10 rounding: keep the bucket's bound at or above the value.
    while (i < kBuckets - 1 && bucket_bound(i) < seconds) ++i;
  }
  ++buckets_[static_cast<size_t>(i)];
  ++count_;
  sum_ += seconds;
  if (seconds > max_) max_ = seconds;
}

double DurationHistogram::quantile_seconds(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<size_t>(i)];
    if (seen >= rank && seen > 0) return std::min(bucket_bound(i), max_);
  }
  return max_;
}

std::string DurationHistogram::summary(const char* what) const {
  return fmt::format("{} {}; p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms", count_, what,
                     quantile_seconds(0.5) * 1e3, quantile_seconds(0.99) * 1e3, max_ * 1e3);
}

} // namespace h5io::master
