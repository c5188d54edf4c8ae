#pragma once
// Where the chunks of a dataset with too many chunks to look up one by one
// lie in its file, closely enough for read-ahead advice.
//
// HDF5 1.10 finds a chunk's address by walking the dataset's whole chunk
// index (see InputDataset::worth_advising), so beyond a few thousand chunks
// h5io cannot ask for each. Files written in order (detector writers, h5py)
// store unfiltered chunks in chunk order, with HDF5's own metadata (index
// nodes) in small gaps between some of them. ChunkMap looks up a few chunks
// spread evenly over that order, once. If the chunks between two such
// samples are stored in order, chunk i between samples i0 and i1 starts no
// earlier than (i - i0) chunks after sample i0 and ends no later than
// (i1 - i) chunks before sample i1 ends: a range one chunk plus the gaps
// between the samples long, which the map gives when those gaps are at
// most a chunk. Intervals with more gaps are halved by further lookups,
// within a budget of index entries walked. Between samples that contradict
// it (out of order, compressed, never written) the map gives nothing.
// Advice at a range that misses costs a wasted read-ahead, never a wrong
// value.

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace h5io {

class ChunkMap {
public:
  // Chunks the map cannot place are looked up one by one (find) in datasets
  // of at most this many chunks; beyond, that costs more than the advice
  // saves.
  static constexpr int64_t most_chunks_looked_up = 4096;

  // Chunks first looked up when the map is made (evenly spread, first and
  // last included); intervals are then halved while the budget lasts.
  static constexpr int64_t samples = 65;

  // Looks up the samples of `dataset` (chunked, of `shape` in chunks of
  // `chunk`, elements of `element_size` bytes), which must outlive the map.
  ChunkMap(hid_t dataset, const std::vector<int64_t>& shape, std::vector<int64_t> chunk,
           size_t element_size);

  struct Range {
    int64_t offset;
    int64_t bytes;
  };
  // A file range that holds the chunk whose first element is `origin`, or
  // nullopt where the samples around it do not vouch for one.
  std::optional<Range> range_of(std::span<const int64_t> origin) const;
  // range_of's answer, or else the chunk's own range looked up in a dataset
  // of at most most_chunks_looked_up chunks.
  std::optional<Range> find(std::span<const int64_t> origin) const;

private:
  struct Sample {
    int64_t index;  // in chunk order
    int64_t offset; // in the file; -1: not stored
  };
  // The chunk's stored range as HDF5 gives it (walking the whole index).
  std::optional<Range> look_up(std::span<const int64_t> origin) const;
  int64_t index_of(std::span<const int64_t> origin) const;
  std::vector<int64_t> origin_of(int64_t index) const;

  hid_t dataset_;
  std::vector<int64_t> chunk_;
  std::vector<int64_t> chunks_along_; // chunks along each dimension
  int64_t chunk_count_ = 1;
  int64_t chunk_bytes_;
  std::vector<Sample> samples_; // ascending index
};

} // namespace h5io
