#include "common/pipeline/work_plan.hpp"
#include "common/util/error.hpp"

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

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// A scan of `frames` frames of `rows` x `cols` uint16 sliced by rows into
// sinograms, one input served by one stored dataset, chunked `rows_per_chunk`
// rows by `frames_per_chunk` frames; the library writes cols x cols float32.
PlanRequest scan_request(int64_t frames, int64_t rows, int64_t cols, int64_t rows_per_chunk,
                         int64_t frames_per_chunk = 1) {
  PlanRequest request;
  request.total_slices = rows;
  request.inputs.push_back(PlannedInput{rows_per_chunk, frames * cols * 2,
                                        frames_per_chunk * rows_per_chunk * cols * 2, 0});
  request.sources.push_back(PlannedSource{frames, rows * cols * 2, frames_per_chunk});
  request.output_slice_bytes = cols * cols * 4;
  return request;
}

// Every slice in exactly one process unit, every frame in exactly one
// reslice unit, reslice units first.
void expect_covering(const UnitPlan& plan, int64_t frames) {
  int64_t next_frame = 0;
  int64_t next_slice = 0;
  bool processing = false;
  for (const Unit& unit : plan.units) {
    if (unit.stage == UnitStage::reslice) {
      EXPECT_FALSE(processing) << "reslice units come first";
      EXPECT_EQ(unit.first, next_frame);
      next_frame += unit.count;
    } else {
      processing = true;
      EXPECT_EQ(unit.first, next_slice);
      next_slice += unit.count;
    }
  }
  EXPECT_EQ(next_frame, plan.reslice ? frames : 0);
  EXPECT_EQ(next_slice, plan.total_slices);
  EXPECT_EQ(plan.reslice_units + plan.process_units(), static_cast<int64_t>(plan.units.size()));
}

} // namespace

TEST(PlanJob, SinogramFriendlyChunksAreReadDirectly) {
  PlanOptions options;
  options.ranks = 2;
  const UnitPlan plan = plan_job(scan_request(1024, 128, 1024, 16, 8), options);
  EXPECT_FALSE(plan.reslice);
  EXPECT_EQ(plan.slices_per_unit, 16)
      << "64 MiB would be 10 slices of 2 MiB in and 4 MiB out: one chunk of 16";
  EXPECT_EQ(plan.units.size(), 8u);
  expect_covering(plan, 1024);
}

TEST(PlanJob, OneFramePerChunkIsReslicedWhenRanksWouldIdle) {
  PlanOptions options;
  options.ranks = 2;
  const UnitPlan plan = plan_job(scan_request(1024, 128, 1024, 128), options);
  ASSERT_TRUE(plan.reslice) << "one unit of everything would leave a rank idle";
  EXPECT_NE(plan.reason.find("only 1 unit of 128 slices for 2 ranks"), std::string::npos)
      << plan.reason;
  EXPECT_GE(plan.process_units(), 2);
  EXPECT_GE(plan.reslice_units, 2) << "frames spread over both ranks";
  EXPECT_TRUE(plan.scratch_chunk_frames % plan.reslice_frames == 0 ||
              plan.reslice_frames % plan.scratch_chunk_frames == 0)
      << "each reslice unit writes whole chunks or whole runs of them";
  EXPECT_LE(plan.scratch_chunk_frames * plan.slices_per_unit * 1024 * 2, 4 * kMiB)
      << "scratch chunks of about 4 MiB";
  expect_covering(plan, 1024);
}

TEST(PlanJob, DecidesByCostNotByOneFramePerChunk) {
  PlanOptions options;
  options.ranks = 2;
  // Chunks of 64 rows of 128: two units for two ranks, as balanced as
  // reslicing would make it.
  EXPECT_FALSE(plan_job(scan_request(1024, 128, 1024, 64), options).reslice);
  // The same chunks for 8 ranks leave six idle.
  options.ranks = 8;
  EXPECT_TRUE(plan_job(scan_request(1024, 128, 1024, 64), options).reslice);
  // On one rank nothing idles and one unit of everything fits: read directly.
  options.ranks = 1;
  EXPECT_FALSE(plan_job(scan_request(1024, 128, 1024, 128), options).reslice);
}

TEST(PlanJob, MemoryBudgetShrinksUnitsOrReslicesOrRefusesWithTheNumbers) {
  PlanOptions options;
  options.ranks = 1;
  // One unit of all 128 slices needs 2 x 128 x (2 MiB + 4 MiB) = 1.5 GiB.
  options.memory_bytes = 256 * kMiB;
  const UnitPlan resliced = plan_job(scan_request(1024, 128, 1024, 128), options);
  ASSERT_TRUE(resliced.reslice);
  EXPECT_NE(resliced.reason.find("does not fit"), std::string::npos) << resliced.reason;
  EXPECT_LE(resliced.memory_bytes, options.memory_bytes);
  expect_covering(resliced, 1024);

  // Sinogram chunks: units just get smaller.
  const UnitPlan direct = plan_job(scan_request(1024, 128, 1024, 16, 8), options);
  EXPECT_FALSE(direct.reslice);
  EXPECT_LE(direct.memory_bytes, options.memory_bytes);
  EXPECT_EQ(direct.slices_per_unit % 16, 0);

  // Not even one slice fits: refused before anything runs, with the numbers.
  options.memory_bytes = 16 * kMiB;
  try {
    plan_job(scan_request(1024, 128, 1024, 16, 8), options);
    FAIL() << "a job that cannot fit was planned";
  } catch (const Error& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("does not fit"), std::string::npos) << text;
    EXPECT_NE(text.find("more than the memory budget of 16.0 MiB"), std::string::npos) << text;
  }
}

TEST(PlanJob, ForcedPlansAreReproducedExactly) {
  // The master plans; a worker group forced to its sizes cuts the same list.
  PlanOptions master;
  master.ranks = 8;
  const PlanRequest request = scan_request(1000, 100, 512, 100);
  const UnitPlan planned = plan_job(request, master);
  ASSERT_TRUE(planned.reslice);
  PlanOptions worker;
  worker.ranks = 3;
  worker.unit_slices = planned.slices_per_unit;
  worker.reslice = ReslicePolicy::always;
  worker.reslice_frames = planned.reslice_frames;
  const UnitPlan followed = plan_job(request, worker);
  EXPECT_EQ(followed.units, planned.units);
  EXPECT_EQ(followed.scratch_chunk_frames, planned.scratch_chunk_frames);
  EXPECT_EQ(followed.reslice_units, planned.reslice_units);

  worker.reslice = ReslicePolicy::never;
  worker.reslice_frames = 0;
  worker.unit_slices = 100;
  EXPECT_FALSE(plan_job(request, worker).reslice);
}

TEST(PlanJob, SeveralSourcesShareOneFrameSpace) {
  // DXchange: projections, flats and darks in three datasets, each read by
  // one input, all one frame per chunk.
  PlanRequest request;
  request.total_slices = 64;
  const int64_t cols = 256;
  for (const int64_t frames : {360, 20, 10}) {
    request.inputs.push_back(PlannedInput{64, frames * cols * 2, 64 * cols * 2,
                                          static_cast<int>(request.sources.size())});
    request.sources.push_back(PlannedSource{frames, 64 * cols * 2, 1});
  }
  request.output_slice_bytes = cols * cols * 4;
  PlanOptions options;
  options.ranks = 4;
  const UnitPlan plan = plan_job(request, options);
  ASSERT_TRUE(plan.reslice);
  ASSERT_EQ(plan.source_offsets, (std::vector<int64_t>{0, 360, 380}));
  expect_covering(plan, 390);
  for (const Unit& unit : plan.units) {
    if (unit.stage != UnitStage::reslice) continue;
    // No unit crosses from one dataset into the next.
    const bool in_one = (unit.first + unit.count <= 360) ||
                        (unit.first >= 360 && unit.first + unit.count <= 380) || unit.first >= 380;
    EXPECT_TRUE(in_one) << unit.first << "+" << unit.count;
  }
}

TEST(PlanJob, ReslicingAskedForWithNothingToResliceIsRefused) {
  PlanRequest request = scan_request(100, 10, 64, 1);
  request.inputs[0].source = -1; // e.g. sliced along the frames
  PlanOptions options;
  options.reslice = ReslicePolicy::always;
  try {
    plan_job(request, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no input can be resliced"), std::string::npos);
  }
}

TEST(PlanJob, AUnitSizeTheChunksForbidIsRefusedUnlessReslicingIsDueAnyway) {
  PlanOptions options;
  options.ranks = 2;
  options.unit_slices = 5;
  try {
    plan_job(scan_request(1024, 128, 1024, 16, 8), options);
    FAIL() << "units of 5 slices over chunks of 16 rows were planned";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a multiple of the input's chunk extent 16"),
              std::string::npos)
        << e.what();
  }
  // One frame per chunk: reslicing is due, and the copy is read in units of 5.
  const UnitPlan plan = plan_job(scan_request(1024, 128, 1024, 128), options);
  ASSERT_TRUE(plan.reslice);
  EXPECT_EQ(plan.slices_per_unit, 5);
  expect_covering(plan, 1024);
}
