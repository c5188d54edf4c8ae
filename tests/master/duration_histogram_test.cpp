// The event loop's turn-time histogram: buckets, quantiles, maximum.
#include "master/duration_histogram.hpp"

#include <gtest/gtest.h>

#include <chrono>

using h5io::master::DurationHistogram;
using namespace std::chrono_literals;

TEST(DurationHistogram, EmptyReportsZero) {
  const DurationHistogram stats;
  EXPECT_EQ(stats.count(), 0u);
  EXPECT_EQ(stats.quantile_seconds(0.5), 0.0);
  EXPECT_EQ(stats.max_seconds(), 0.0);
}

TEST(DurationHistogram, QuantilesFallInTheRightBucket) {
  DurationHistogram stats;
  for (int i = 0; i < 98; ++i) stats.record(100us);
  stats.record(20ms);
  stats.record(3s);
  EXPECT_EQ(stats.count(), 100u);
  // Bucket bounds are 10^(k/10): the bound at or above the value, within 26 %.
  EXPECT_GE(stats.quantile_seconds(0.5), 100e-6);
  EXPECT_LT(stats.quantile_seconds(0.5), 126e-6);
  EXPECT_GE(stats.quantile_seconds(0.99), 20e-3);
  EXPECT_LT(stats.quantile_seconds(0.99), 25.2e-3);
  EXPECT_DOUBLE_EQ(stats.quantile_seconds(1.0), 3.0); // the exact maximum, not the bound
  EXPECT_DOUBLE_EQ(stats.max_seconds(), 3.0);
  EXPECT_NEAR(stats.sum_seconds(), 98 * 100e-6 + 0.02 + 3.0, 1e-9);
}

TEST(DurationHistogram, EveryValueLandsInABucketWhoseBoundHoldsIt) {
  DurationHistogram stats;
  const std::chrono::nanoseconds values[] = {0ns, 1ns, 999ns, 1us, 1001ns, 10ms, 99s, 1000s};
  for (const auto value : values) stats.record(value);
  uint64_t total = 0;
  for (int i = 0; i < DurationHistogram::kBuckets; ++i) total += stats.bucket_count(i);
  EXPECT_EQ(total, std::size(values));
  EXPECT_EQ(stats.bucket_count(DurationHistogram::kBuckets - 1), 1u); // 1000 s: beyond 100 s
  EXPECT_DOUBLE_EQ(stats.max_seconds(), 1000.0);
}
