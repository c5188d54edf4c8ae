#include "common/hdf5/slice_geometry.hpp"
#include "common/util/error.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>

using namespace h5io;

namespace {

// The element of `shape` (C order) at flat index `flat`, as coordinates.
std::vector<int64_t> coordinates(int64_t flat, const std::vector<int64_t>& shape) {
  std::vector<int64_t> x(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    x[d] = flat % shape[d];
    flat /= shape[d];
  }
  return x;
}

// Where element x of the dataset lands in a slice-major buffer that starts at
// slice `first`: computed the slow, obvious way.
int64_t naive_slice_major_index(const std::vector<int64_t>& x, const SliceGeometry& g,
                                int64_t first) {
  int64_t within = 0;
  for (size_t d = 0; d < x.size(); ++d)
    if (static_cast<int>(d) != g.axis) within = within * g.shape[d] + x[d];
  return (x[g.axis] - first) * g.slice_elements() + within;
}

} // namespace

TEST(SliceGeometry, CountsAndSliceSpace) {
  const SliceGeometry g{{6, 5, 4}, 1, 2};
  EXPECT_EQ(g.slices(), 5);
  EXPECT_EQ(g.outer(), 6);
  EXPECT_EQ(g.inner(), 4);
  EXPECT_EQ(g.slice_elements(), 24);
  EXPECT_EQ(g.slice_bytes(), 48u);
  const h5io_dataspace_t s = g.slice_space(H5IO_UINT16);
  EXPECT_EQ(s.rank, 2);
  EXPECT_EQ(s.shape[0], 6);
  EXPECT_EQ(s.shape[1], 4);
  const SliceGeometry whole{{3, 7}, -1, 8};
  EXPECT_EQ(whole.slices(), 1);
  EXPECT_EQ(whole.slice_elements(), 21);
}

TEST(SliceGeometry, SlicingMapValidation) {
  const std::vector<int> none = {0, 0, 0}, middle = {0, 1, 0}, two = {1, 0, 1}, bad = {0, 2};
  EXPECT_EQ(sliced_axis_from_map(none, "x"), -1);
  EXPECT_EQ(sliced_axis_from_map(middle, "x"), 1);
  EXPECT_THROW(sliced_axis_from_map(two, "x"), Error);
  try {
    sliced_axis_from_map(bad, "input 0 '/d'");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "input 0 '/d': slicing map entry 1 is 2; each entry must be 0 (kept "
                           "whole) or 1 (sliced)");
  }
}

// Every region of random shapes, axes and element sizes lands where the
// naive index formula says.
TEST(SliceGeometry, CopyRegionToSlicesMatchesNaiveIndexing) {
  std::mt19937 random(42);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(random() % 4);
    SliceGeometry g;
    for (int d = 0; d < rank; ++d) g.shape.push_back(1 + static_cast<int64_t>(random() % 6));
    g.axis = static_cast<int>(random() % rank);
    g.element_size = size_t{1} << (random() % 4);
    // A unit of slices, then a region inside it.
    const int64_t first = static_cast<int64_t>(random() % g.shape[g.axis]);
    const int64_t count = 1 + static_cast<int64_t>(random() % (g.shape[g.axis] - first));
    std::vector<int64_t> start(rank), extent(rank);
    for (int d = 0; d < rank; ++d) {
      const int64_t lo = d == g.axis ? first : 0;
      const int64_t hi = d == g.axis ? first + count : g.shape[d];
      start[d] = lo + static_cast<int64_t>(random() % (hi - lo));
      extent[d] = 1 + static_cast<int64_t>(random() % (hi - start[d]));
    }
    const int64_t region_elements =
        std::accumulate(extent.begin(), extent.end(), int64_t{1}, std::multiplies<>());
    std::vector<std::byte> region(static_cast<size_t>(region_elements) * g.element_size);
    for (size_t i = 0; i < region.size(); ++i) region[i] = static_cast<std::byte>(random());
    std::vector<std::byte> slices(static_cast<size_t>(count) * g.slice_bytes(), std::byte{0});
    copy_region_to_slices(region.data(), start, extent, g, first, slices.data());

    for (int64_t r = 0; r < region_elements; ++r) {
      std::vector<int64_t> x = coordinates(r, extent);
      for (int d = 0; d < rank; ++d) x[d] += start[d];
      const int64_t at = naive_slice_major_index(x, g, first);
      ASSERT_EQ(std::memcmp(&slices[static_cast<size_t>(at) * g.element_size],
                            &region[static_cast<size_t>(r) * g.element_size], g.element_size),
                0)
          << "trial " << trial;
    }
  }
}

TEST(SliceGeometry, GatherIsTheInverseOfSlicing) {
  for (const int64_t inner : {1, 3}) {
    const int64_t outer = 5, n = 4;
    for (const size_t es : {1u, 2u, 4u, 8u, 3u}) {
      const SliceGeometry g{{outer, n, inner}, 1, es};
      std::vector<std::byte> file_order(static_cast<size_t>(outer * n * inner) * es);
      for (size_t i = 0; i < file_order.size(); ++i) file_order[i] = static_cast<std::byte>(i * 7);
      const std::vector<int64_t> start = {0, 0, 0}, extent = {outer, n, inner};
      std::vector<std::byte> slices(file_order.size());
      copy_region_to_slices(file_order.data(), start, extent, g, 0, slices.data());
      std::vector<std::byte> back(file_order.size());
      gather_from_slices(slices.data(), outer, n, inner, es, back.data());
      EXPECT_EQ(back, file_order) << "inner " << inner << " element size " << es;
    }
  }
}
