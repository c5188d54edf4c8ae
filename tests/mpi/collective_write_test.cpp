// Collective writes under the pinned MPI-IO setting, proven by reading every
// value back: shapes whose growing dimension is first, middle and last, units
// of several sizes, ranks that sit rounds out, and a file large enough for
// MPI-IO's two-phase aggregation to split it.
#include "common/hdf5/dtype.hpp"
#include "common/hdf5/output_file.hpp"
#include "common/pipeline/work_plan.hpp"

#include "mpi_test_env.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace h5io;

namespace {

// The value stored at file coordinates x: any mistake in placement shows.
uint32_t expected_value(const std::vector<int64_t>& x, uint32_t seed) {
  uint64_t h = seed;
  for (const int64_t c : x) h = h * 1000003u + static_cast<uint64_t>(c) + 1;
  return static_cast<uint32_t>(h ^ (h >> 29));
}

struct Layout {
  std::vector<int64_t> shape;
  int axis;
  int64_t unit_slices;
};

// Fills slice-major buffer for slices [first, first+count) of the layout.
void fill_unit(const SliceGeometry& g, int64_t first, int64_t count, uint32_t seed,
               std::vector<uint32_t>& buffer) {
  buffer.assign(static_cast<size_t>(count * g.slice_elements()), 0);
  const size_t rank = g.shape.size();
  for (int64_t k = 0; k < count; ++k)
    for (int64_t e = 0; e < g.slice_elements(); ++e) {
      std::vector<int64_t> x(rank);
      int64_t rest = e;
      for (size_t d = rank; d-- > 0;) {
        if (static_cast<int>(d) == g.axis) continue;
        x[d] = rest % g.shape[d];
        rest /= g.shape[d];
      }
      x[static_cast<size_t>(g.axis)] = first + k;
      buffer[static_cast<size_t>(k * g.slice_elements() + e)] = expected_value(x, seed);
    }
}

int64_t count_mismatches(const std::filesystem::path& path, const SliceGeometry& g, uint32_t seed) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  hdf5::Dataset dataset(H5Dopen2(file.get(), "/volume/data", H5P_DEFAULT));
  int64_t n = 1;
  for (const int64_t s : g.shape) n *= s;
  std::vector<uint32_t> values(static_cast<size_t>(n));
  H5Dread(dataset.get(), H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  int64_t mismatches = 0;
  std::vector<int64_t> x(g.shape.size());
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t rest = flat;
    for (size_t d = g.shape.size(); d-- > 0;) {
      x[d] = rest % g.shape[d];
      rest /= g.shape[d];
    }
    mismatches += values[static_cast<size_t>(flat)] != expected_value(x, seed);
  }
  return mismatches;
}

} // namespace

TEST(CollectiveWrite, PinnedComponentIsInEffect) {
  if (!test::g_fcoll_pinned) GTEST_SKIP() << "the environment chose the MPI-IO component";
  EXPECT_EQ(MpiSession::setting_in_effect("fcoll"), kPinnedFcoll);
}

// mpirun starts these tests on one node: the point-to-point layer is pinned
// too, and the collective writes below run over it.
TEST(CollectiveWrite, OneNodePointToPointLayerIsInEffect) {
  if (!test::g_pml_pinned) GTEST_SKIP() << "the environment chose the point-to-point layer";
  EXPECT_EQ(MpiSession::setting_in_effect("pml"), kOneNodePml);
}

TEST(CollectiveWrite, EveryValueReadsBackWhereItWasWritten) {
  Group group;
  test::SharedScratchDir dir(group);
  const std::vector<Layout>
      layouts = {{{37, 24, 16}, 0, 4},    {{24, 37, 16}, 1, 1}, {{24, 16, 37}, 2, 8},
                 {{37, 5}, 0, 2},         {{101}, 0, 7},        {{5, 6, 37, 3}, 2, 3},
                 {{192, 256, 256}, 0, 16}}; // 48 MiB: more than one aggregation buffer
  uint32_t seed = 1;
  for (const Layout& layout : layouts) {
    for (int repeat = 0; repeat < 2; ++repeat, ++seed) {
      const SliceGeometry g{layout.shape, layout.axis, 4};
      PlanOptions options;
      options.unit_slices = layout.unit_slices;
      const UnitPlan plan = plan_units(g.slices(), 1, 1, options);
      const std::vector<Unit> mine = static_share(plan.units, group.rank(), group.size());
      const int64_t rounds =
          (static_cast<int64_t>(plan.units.size()) + group.size() - 1) / group.size();
      const auto path = dir / ("volume" + std::to_string(seed) + ".h5");
      {
        OutputFile file(group, path);
        OutputDataset dataset = file.create_dataset("/volume/data", g, H5IO_UINT32);
        std::vector<uint32_t> buffer;
        for (int64_t round = 0; round < rounds; ++round) {
          if (round < static_cast<int64_t>(mine.size())) {
            const Unit& unit = mine[static_cast<size_t>(round)];
            fill_unit(g, unit.first, unit.count, seed, buffer);
            dataset.write_slices(unit.first, unit.count,
                                 reinterpret_cast<const std::byte*>(buffer.data()), file);
          } else {
            dataset.write_slices(0, 0, nullptr, file);
          }
        }
        // The dataset closes before the file (HDF5's MPI driver insists).
        { OutputDataset closing = std::move(dataset); }
        file.close();
      }
      group.barrier();
      const int64_t mismatches = group.is_root() ? count_mismatches(path, g, seed) : 0;
      EXPECT_EQ(group.sum(mismatches), 0) << "layout axis " << layout.axis << " seed " << seed
                                          << " on " << group.size() << " ranks";
    }
  }
}
