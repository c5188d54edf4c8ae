#pragma once
// A histogram of durations: the master's event-loop turns (poll returning to
// the next poll, the time during which nothing else is answered) and its
// submission checks. A fixed set of logarithmic buckets (ten per decade, 1 µs
// to 100 s), so recording is constant time and memory stays bounded however
// long the master runs; quantiles are read from the buckets (to within one
// bucket, about 26 %), the maximum is exact. The buckets are also what the
// Prometheus histograms export (metrics_exporter).

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace h5io::master {

class DurationHistogram {
public:
  static constexpr int kBucketsPerDecade = 10;
  static constexpr int kDecades = 8;                                // 1e-6 s .. 1e2 s
  static constexpr int kBuckets = kBucketsPerDecade * kDecades + 1; // the last: everything longer

  void record(std::chrono::steady_clock::duration duration);

  uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_; }
  double max_seconds() const { return max_; }
  // The upper bound of the bucket holding quantile q (0 < q <= 1), in seconds;
  // the exact maximum when it falls in the last bucket; 0 before any turn.
  double quantile_seconds(double q) const;
  // Upper bound of bucket i in seconds (infinity for the last).
  static double bucket_bound(int i);
  uint64_t bucket_count(int i) const { return buckets_[static_cast<size_t>(i)]; }

  // "N <what>; p50 A ms, p99 B ms, max C ms", for the log.
  std::string summary(const char* what = "turns") const;

private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0;
  double max_ = 0;
};

} // namespace h5io::master
