// Slab reads against real HDF5 files: every rank and sliced axis, chunked and
// contiguous, compared with the values written; when reads are preceded by
// read-ahead advice; and what the page cache holds of a file.
#include "common/hdf5/chunk_map.hpp"
#include "common/hdf5/dtype.hpp"
#include "common/hdf5/input_dataset.hpp"
#include "common/util/error.hpp"
#include "common/util/file_descriptor.hpp"
#include "common/util/page_cache.hpp"

#include "fixtures.hpp"
#include "scratch_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>

#include <fstream>
#include <numeric>

using namespace h5io;

namespace {

struct Case {
  std::vector<int64_t> shape;
  std::vector<int64_t> chunk; // empty: contiguous
};

std::string error_of(hid_t file, const std::string& location) {
  try {
    InputDataset dataset(file, location, "f.h5");
  } catch (const Error& e) {
    return e.what();
  }
  return "opened";
}

} // namespace

TEST(InputDataset, ReadSlicesDeliversEverySliceIntactForEveryAxis) {
  test::ScratchDir dir;
  const std::vector<Case> cases = {{{37}, {}},
                                   {{37}, {8}},
                                   {{9, 7}, {}},
                                   {{9, 7}, {4, 3}},
                                   {{12, 10, 6}, {}},
                                   {{12, 10, 6}, {8, 4, 6}},
                                   {{12, 10, 6}, {5, 3, 2}},
                                   {{4, 6, 5, 3}, {}},
                                   {{4, 6, 5, 3}, {2, 4, 5, 3}}};
  int index = 0;
  for (const Case& c : cases) {
    const auto path = dir / ("case" + std::to_string(index++) + ".h5");
    const int64_t n =
        std::accumulate(c.shape.begin(), c.shape.end(), int64_t{1}, std::multiplies<>());
    const auto values = test::iota_values<int32_t>(static_cast<size_t>(n));
    {
      auto file = test::create_file(path);
      test::write_dataset(file.get(), "/d", H5T_NATIVE_INT32, c.shape, values, c.chunk);
    }
    hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    InputDataset dataset(file.get(), "/d", path.string());
    EXPECT_EQ(dataset.shape(), c.shape);
    EXPECT_EQ(dataset.chunk(), c.chunk);
    for (int axis = 0; axis < static_cast<int>(c.shape.size()); ++axis) {
      const SliceGeometry g{c.shape, axis, 4};
      const int64_t slices = c.shape[axis];
      // Units of several sizes, including ones that are not chunk aligned.
      for (const int64_t unit : {int64_t{1}, int64_t{2}, slices}) {
        for (int64_t first = 0; first < slices; first += unit) {
          const int64_t count = std::min(unit, slices - first);
          std::vector<int32_t> got(static_cast<size_t>(count * g.slice_elements()), -1);
          dataset.read_slices(g, first, count, reinterpret_cast<std::byte*>(got.data()));
          // Expected: walk the dataset in C order and place each value.
          for (int64_t flat = 0; flat < n; ++flat) {
            std::vector<int64_t> x(c.shape.size());
            int64_t rest = flat;
            for (size_t d = c.shape.size(); d-- > 0;) {
              x[d] = rest % c.shape[d];
              rest /= c.shape[d];
            }
            if (x[axis] < first || x[axis] >= first + count) continue;
            int64_t within = 0;
            for (size_t d = 0; d < x.size(); ++d)
              if (static_cast<int>(d) != axis) within = within * c.shape[d] + x[d];
            ASSERT_EQ(got[static_cast<size_t>((x[axis] - first) * g.slice_elements() + within)],
                      values[static_cast<size_t>(flat)])
                << "shape case " << index - 1 << " axis " << axis << " unit " << unit;
          }
        }
      }
    }
  }
}

TEST(InputDataset, DeliversEveryNumericTypeAsStored) {
  test::ScratchDir dir;
  const auto path = dir / "types.h5";
  const std::vector<std::pair<hid_t, h5io_dtype_t>> types = {
      {H5T_STD_I8LE, H5IO_INT8},     {H5T_STD_U8BE, H5IO_UINT8},   {H5T_STD_I16BE, H5IO_INT16},
      {H5T_STD_U16LE, H5IO_UINT16},  {H5T_STD_I32LE, H5IO_INT32},  {H5T_STD_U32BE, H5IO_UINT32},
      {H5T_STD_I64LE, H5IO_INT64},   {H5T_STD_U64LE, H5IO_UINT64}, {H5T_IEEE_F32BE, H5IO_FLOAT32},
      {H5T_IEEE_F64LE, H5IO_FLOAT64}};
  {
    auto file = test::create_file(path);
    int i = 0;
    for (const auto& [stored, dtype] : types) {
      // Written through the native type, stored as `stored` (maybe big-endian).
      const std::vector<hsize_t> dims = {5};
      hdf5::Dataspace space(H5Screate_simple(1, dims.data(), nullptr));
      hdf5::Dataset d(H5Dcreate2(file.get(), ("/t" + std::to_string(i++)).c_str(), stored,
                                 space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      const std::vector<double> values = {1, 2, 3, 4, 5};
      H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    }
  }
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  for (size_t i = 0; i < types.size(); ++i) {
    InputDataset dataset(file.get(), "/t" + std::to_string(i), "types.h5");
    EXPECT_EQ(dataset.dtype(), types[i].second) << i;
    // Read as stored, then converted here to double: 1..5 again.
    std::vector<double> values(5);
    dataset.read_whole(reinterpret_cast<std::byte*>(values.data()));
    H5Tconvert(native_hdf5_type(dataset.dtype()), H5T_NATIVE_DOUBLE, 5, values.data(), nullptr,
               H5P_DEFAULT);
    EXPECT_EQ(values, (std::vector<double>{1, 2, 3, 4, 5})) << dtype_name(dataset.dtype());
  }
}

TEST(InputDataset, ClearErrorsForWhatCannotBeDelivered) {
  test::ScratchDir dir;
  const auto path = dir / "bad.h5";
  {
    auto file = test::create_file(path);
    const std::vector<int32_t> one = {1};
    test::write_dataset(file.get(), "/entry/data/data", H5T_NATIVE_INT32, {1}, one);
    test::write_dataset(file.get(), "/entry/scalar", H5T_NATIVE_INT32, {}, one);
    test::write_dataset(file.get(), "/entry/rank5", H5T_NATIVE_INT32, {1, 1, 1, 1, 1}, one);
    hdf5::Datatype compound(H5Tcreate(H5T_COMPOUND, 8));
    H5Tinsert(compound.get(), "a", 0, H5T_NATIVE_INT32);
    H5Tinsert(compound.get(), "b", 4, H5T_NATIVE_INT32);
    test::write_dataset(file.get(), "/entry/compound", compound.get(), {1}, nullptr);
    hdf5::Datatype text(H5Tcopy(H5T_C_S1));
    H5Tset_size(text.get(), 8);
    test::write_dataset(file.get(), "/entry/text", text.get(), {2}, nullptr);
    hdf5::Datatype half(H5Tcopy(H5T_IEEE_F32LE));
    H5Tset_fields(half.get(), 15, 10, 5, 0, 10);
    H5Tset_precision(half.get(), 16);
    H5Tset_size(half.get(), 2);
    H5Tset_ebias(half.get(), 15);
    test::write_dataset(file.get(), "/entry/half", half.get(), {2}, nullptr);
  }
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  EXPECT_EQ(error_of(file.get(), "/entry/data/missing"),
            "dataset '/entry/data/missing' not found in 'f.h5': '/entry/data/missing' does not "
            "exist; '/entry/data' holds: data");
  EXPECT_EQ(error_of(file.get(), "/nope/data"),
            "dataset '/nope/data' not found in 'f.h5': '/nope' does not exist; '/' holds: entry");
  EXPECT_EQ(error_of(file.get(), "/entry/data"),
            "'/entry/data' in 'f.h5' is a group, not a dataset");
  EXPECT_EQ(error_of(file.get(), "/entry/scalar"),
            "'/entry/scalar' in 'f.h5' is a scalar; h5io needs an array of rank 1 to 4");
  EXPECT_EQ(error_of(file.get(), "/entry/rank5"),
            "'/entry/rank5' in 'f.h5' has rank 5; h5io reads datasets of rank 1 to 4");
  const std::string supported =
      "(supported: int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64)";
  EXPECT_EQ(error_of(file.get(), "/entry/compound"),
            "'/entry/compound' in 'f.h5' holds compound values, which h5io cannot deliver to a "
            "library " +
                supported);
  EXPECT_EQ(error_of(file.get(), "/entry/text"),
            "'/entry/text' in 'f.h5' holds string values, which h5io cannot deliver to a library " +
                supported);
  EXPECT_EQ(error_of(file.get(), "/entry/half"),
            "'/entry/half' in 'f.h5' holds 16-bit float values, which h5io cannot deliver to a "
            "library " +
                supported);
}

TEST(InputDataset, NarrowedToSomeFramesReadsOnlyThoseInOrder) {
  test::ScratchDir dir;
  const std::vector<int64_t> shape = {20, 10, 6};
  const int64_t frame = shape[1] * shape[2];
  const auto values = test::iota_values<int32_t>(static_cast<size_t>(shape[0] * frame));
  const std::vector<FrameRange> frames = {{1, 3}, {7, 2}, {15, 5}};
  // The narrowed input as it should look: the chosen frames back to back.
  std::vector<int32_t> view;
  for (const FrameRange& r : frames)
    view.insert(view.end(), values.begin() + r.first * frame,
                values.begin() + (r.first + r.count) * frame);
  const std::vector<int64_t> view_shape = {10, shape[1], shape[2]};

  const std::vector<std::vector<int64_t>> chunkings = {{}, {8, 4, 6}, {3, 10, 6}};
  for (size_t k = 0; k < chunkings.size(); ++k) {
    const std::vector<int64_t>& chunk = chunkings[k];
    const auto path = dir / ("frames" + std::to_string(k) + ".h5");
    {
      auto file = test::create_file(path);
      test::write_dataset(file.get(), "/d", H5T_NATIVE_INT32, shape, values, chunk);
    }
    hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    InputDataset dataset(file.get(), "/d", path.string(), frames, "scan:projections");
    EXPECT_EQ(dataset.shape(), view_shape);
    EXPECT_EQ(dataset.location(), "scan:projections");

    std::vector<int32_t> whole(view.size(), -1);
    dataset.read_whole(reinterpret_cast<std::byte*>(whole.data()));
    EXPECT_EQ(whole, view);

    for (int axis = 0; axis < 3; ++axis) {
      const SliceGeometry g{view_shape, axis, 4};
      for (const int64_t unit : {int64_t{1}, int64_t{3}, view_shape[static_cast<size_t>(axis)]}) {
        for (int64_t first = 0; first < g.slices(); first += unit) {
          const int64_t count = std::min(unit, g.slices() - first);
          std::vector<int32_t> got(static_cast<size_t>(count * g.slice_elements()), -1);
          dataset.read_slices(g, first, count, reinterpret_cast<std::byte*>(got.data()));
          for (int64_t f = 0; f < view_shape[0]; ++f)
            for (int64_t r = 0; r < view_shape[1]; ++r)
              for (int64_t c = 0; c < view_shape[2]; ++c) {
                const int64_t x[3] = {f, r, c};
                if (x[axis] < first || x[axis] >= first + count) continue;
                int64_t within = 0;
                for (int d = 0; d < 3; ++d)
                  if (d != axis) within = within * view_shape[static_cast<size_t>(d)] + x[d];
                ASSERT_EQ(got[static_cast<size_t>((x[axis] - first) * g.slice_elements() + within)],
                          view[static_cast<size_t>((f * view_shape[1] + r) * view_shape[2] + c)])
                    << "chunk " << chunk.size() << " axis " << axis << " unit " << unit;
              }
        }
      }
    }
  }
}

namespace {

// A [frames, 8, 8] uint16 dataset in chunks of [1, rows_per_chunk, 8].
void write_chunked_frames(const std::filesystem::path& path, int64_t frames,
                          int64_t rows_per_chunk) {
  const auto values = test::iota_values<uint16_t>(static_cast<size_t>(frames * 64));
  auto file = test::create_file(path);
  test::write_dataset(file.get(), "/d", H5T_NATIVE_UINT16, {frames, 8, 8}, values,
                      {1, rows_per_chunk, 8});
}

// A [frames, 32, 256] uint16 dataset in chunks of [1, 16, 256] (8 KiB),
// written one frame at a time in `order`, deflated when asked.
void write_frames_in_order(const std::filesystem::path& path, const std::vector<int64_t>& order,
                           bool deflate) {
  auto file = test::create_file(path);
  const std::vector<hsize_t> dims{order.size(), 32, 256};
  const std::vector<hsize_t> chunk{1, 16, 256};
  const std::vector<hsize_t> one{1, 32, 256};
  hdf5::Dataspace space(H5Screate_simple(3, dims.data(), nullptr));
  hdf5::Dataspace memory(H5Screate_simple(3, one.data(), nullptr));
  hdf5::PropertyList creation(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(creation.get(), 3, chunk.data());
  if (deflate) H5Pset_deflate(creation.get(), 1);
  hdf5::Dataset dataset(H5Dcreate2(file.get(), "/d", H5T_NATIVE_UINT16, space.get(), H5P_DEFAULT,
                                   creation.get(), H5P_DEFAULT));
  std::vector<uint16_t> frame(32 * 256);
  for (const int64_t f : order) {
    std::fill(frame.begin(), frame.end(), static_cast<uint16_t>(f));
    const std::vector<hsize_t> start{static_cast<hsize_t>(f), 0, 0};
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, one.data(), nullptr);
    ASSERT_GE(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, memory.get(), space.get(), H5P_DEFAULT,
                       frame.data()),
              0);
  }
}

std::vector<int64_t> frame_order(int64_t frames, bool reversed) {
  std::vector<int64_t> order(static_cast<size_t>(frames));
  std::iota(order.begin(), order.end(), 0);
  if (reversed) std::reverse(order.begin(), order.end());
  return order;
}

// How many of the dataset's chunks the map places; fails unless every range
// it gives holds its chunk (as HDF5 looks it up) and is at most two chunks.
int64_t chunks_placed(const std::filesystem::path& path, int64_t frames) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  hdf5::Dataset dataset(H5Dopen2(file.get(), "/d", H5P_DEFAULT));
  const ChunkMap map(dataset.get(), {frames, 32, 256}, {1, 16, 256}, 2);
  int64_t placed = 0;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t r = 0; r < 32; r += 16) {
      const std::optional<ChunkMap::Range> range = map.range_of(std::vector<int64_t>{f, r, 0});
      if (!range) continue;
      ++placed;
      const std::vector<hsize_t> offset{static_cast<hsize_t>(f), static_cast<hsize_t>(r), 0};
      unsigned filters = 0;
      haddr_t address = HADDR_UNDEF;
      hsize_t size = 0;
      EXPECT_GE(H5Dget_chunk_info_by_coord(dataset.get(), offset.data(), &filters, &address, &size),
                0);
      const auto begin = static_cast<int64_t>(address);
      EXPECT_LE(range->offset, begin) << "chunk at frame " << f << ", row " << r;
      EXPECT_GE(range->offset + range->bytes, begin + static_cast<int64_t>(size))
          << "chunk at frame " << f << ", row " << r;
      EXPECT_LE(range->bytes, 2 * 8192) << "chunk at frame " << f << ", row " << r;
    }
  return placed;
}

// Drops the file's pages from the page cache (written back first, so the
// kernel may drop them), as after a reboot or a long time unread. Returns
// why it could not, for a test to skip: no cachestat to tell, or a file
// system that keeps its files in memory (tmpfs).
std::optional<std::string> drop_from_page_cache(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::fdatasync(fd.get()) != 0 ||
      ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED) != 0)
    return "cannot drop " + path.string() + " from the page cache";
  const std::optional<double> cached = cached_fraction(fd.get());
  if (!cached) return "this kernel has no cachestat (Linux 6.5 and later)";
  if (*cached >= 0.5) return "the file system keeps its files in memory (tmpfs?)";
  return std::nullopt;
}

bool advises_reads(const std::filesystem::path& path) {
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  return InputDataset(file.get(), "/d", path.string()).advises_reads();
}

} // namespace

TEST(InputDataset, AdvisesReadsOfFewChunksNotInMemory) {
  test::ScratchDir dir;
  const auto path = dir / "uncached.h5";
  write_chunked_frames(path, 64, 4); // 128 chunks
  if (const std::optional<std::string> why = drop_from_page_cache(path)) GTEST_SKIP() << *why;
  EXPECT_TRUE(advises_reads(path));
}

TEST(InputDataset, GivesNoAdviceForAFileAlreadyInMemory) {
  test::ScratchDir dir;
  const auto path = dir / "cached.h5";
  write_chunked_frames(path, 64, 4);
  if (const std::optional<std::string> why = drop_from_page_cache(path)) GTEST_SKIP() << *why;
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::vector<char> buffer(1 << 16);
  while (::read(fd.get(), buffer.data(), buffer.size()) > 0) {
  }
  EXPECT_GE(cached_fraction(fd.get()).value_or(0.0), 0.99);
  EXPECT_FALSE(advises_reads(path));
}

// Past most_chunks_looked_up the chunks are placed by a ChunkMap.
const int64_t many_frames = ChunkMap::most_chunks_looked_up / 2 + 100;

TEST(ChunkMap, PlacesTheChunksOfAFileWrittenInOrder) {
  test::ScratchDir dir;
  const auto path = dir / "in_order.h5";
  write_frames_in_order(path, frame_order(many_frames, false), false);
  // HDF5 puts its index nodes between some chunks: most intervals between
  // samples still have gaps of at most a chunk.
  EXPECT_GE(chunks_placed(path, many_frames), many_frames * 2 * 9 / 10);
}

TEST(ChunkMap, PlacesNothingBetweenSamplesOfAFileWrittenOutOfOrder) {
  test::ScratchDir dir;
  const auto path = dir / "reversed.h5";
  write_frames_in_order(path, frame_order(many_frames, true), false);
  // Frames written last to first: within a frame the two chunks are in
  // order, but no interval between samples is; only samples are placed.
  EXPECT_LE(chunks_placed(path, many_frames), ChunkMap::samples);
}

TEST(ChunkMap, PlacesNoCompressedChunk) {
  test::ScratchDir dir;
  const auto path = dir / "deflated.h5";
  write_frames_in_order(path, frame_order(200, false), true);
  EXPECT_EQ(chunks_placed(path, 200), 0);
}

TEST(InputDataset, ReadsManyChunksRightWhileAdvisingThem) {
  test::ScratchDir dir;
  const auto path = dir / "many.h5";
  write_frames_in_order(path, frame_order(many_frames, false), false);
  static_cast<void>(drop_from_page_cache(path)); // advised when it could be dropped
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  InputDataset dataset(file.get(), "/d", path.string());
  const SliceGeometry g{{many_frames, 32, 256}, 1, 2};
  std::vector<uint16_t> sinograms(static_cast<size_t>(16 * many_frames * 256));
  dataset.read_slices(g, 16, 16, reinterpret_cast<std::byte*>(sinograms.data()));
  for (size_t row = 0; row < 16; ++row)
    for (size_t frame = 0; frame < static_cast<size_t>(many_frames); ++frame)
      ASSERT_EQ(sinograms[(row * static_cast<size_t>(many_frames) + frame) * 256 + 255],
                static_cast<uint16_t>(frame))
          << "row " << 16 + row << ", frame " << frame;
}

TEST(PageCache, FileReadIsCachedDroppedFileIsNot) {
  test::ScratchDir dir;
  const auto path = dir / "bytes.bin";
  {
    std::ofstream out(path, std::ios::binary);
    const std::string block(1 << 20, 'x');
    for (int k = 0; k < 8; ++k) out << block;
  }
  if (const std::optional<std::string> why = drop_from_page_cache(path)) GTEST_SKIP() << *why;
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_LT(cached_fraction(fd.get()).value_or(1.0), 0.5);
  std::vector<char> buffer(1 << 20);
  while (::read(fd.get(), buffer.data(), buffer.size()) > 0) {
  }
  EXPECT_GE(cached_fraction(fd.get()).value_or(0.0), 0.99);
  FileDescriptor directory(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_FALSE(cached_fraction(directory.get()).has_value()) << "not a regular file";
}
