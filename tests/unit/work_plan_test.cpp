#include "common/error.hpp"
#include "common/work_plan.hpp"

#include <gtest/gtest.h>

using namespace h5io;

TEST(WorkPlan, UnitsAreChunkAlignedAndCoverEverySliceOnce) {
  PlanOptions options;
  options.target_unit_bytes = 100 * 1000;
  options.ranks = 2;
  const UnitPlan plan = plan_units(1000, 16, 1000, options);
  EXPECT_EQ(plan.slices_per_unit % 16, 0);
  EXPECT_EQ(plan.slices_per_unit, 96); // 100 kB / (16 slices x 1 kB) = 6 chunks
  int64_t next = 0;
  for (const Unit& unit : plan.units) {
    EXPECT_EQ(unit.first, next);
    EXPECT_EQ(unit.first % 16, 0);
    next += unit.count;
  }
  EXPECT_EQ(next, 1000);
}

TEST(WorkPlan, UnitsShrinkSoEveryRankGetsWork) {
  PlanOptions options; // 256 MiB target: one unit would hold everything
  options.ranks = 4;
  const UnitPlan plan = plan_units(64, 16, 1000, options);
  EXPECT_EQ(plan.slices_per_unit, 16);
  EXPECT_EQ(plan.units.size(), 4u);
}

TEST(WorkPlan, NeverSmallerThanOneChunk) {
  PlanOptions options;
  options.target_unit_bytes = 1;
  options.ranks = 100;
  const UnitPlan plan = plan_units(40, 8, 1 << 20, options);
  EXPECT_EQ(plan.slices_per_unit, 8);
  EXPECT_EQ(plan.units.back(), (Unit{32, 8}));
}

TEST(WorkPlan, ForcedUnitSizeMustBeAMultipleOfTheChunk) {
  PlanOptions options;
  options.unit_slices = 32;
  EXPECT_EQ(plan_units(100, 16, 10, options).units.size(), 4u);
  options.unit_slices = 20;
  try {
    plan_units(100, 16, 10, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a multiple of the input's chunk extent 16"),
              std::string::npos);
  }
}

TEST(WorkPlan, CombinedAlignment) {
  const std::vector<int64_t> a = {16, 8}, b = {6, 4}, c = {1}, d = {1000, 999};
  EXPECT_EQ(combined_alignment(a), 16);
  EXPECT_EQ(combined_alignment(b), 12);
  EXPECT_EQ(combined_alignment(c), 1);
  EXPECT_EQ(combined_alignment(d), 1000) << "an absurd multiple falls back to the largest";
}

TEST(WorkPlan, StaticShareSplitsContiguouslyAndEvenly) {
  std::vector<Unit> units;
  for (int i = 0; i < 10; ++i) units.push_back(Unit{i, 1});
  size_t total = 0;
  int64_t next = 0;
  for (int rank = 0; rank < 4; ++rank) {
    const auto share = static_share(units, rank, 4);
    EXPECT_GE(share.size(), 2u);
    EXPECT_LE(share.size(), 3u);
    for (const Unit& u : share) EXPECT_EQ(u.first, next++);
    total += share.size();
  }
  EXPECT_EQ(total, units.size());
  int idle = 0;
  for (int rank = 0; rank < 20; ++rank) idle += static_share(units, rank, 20).empty();
  EXPECT_EQ(idle, 10) << "more ranks than units: the rest get none";
}
