#include "common/hdf5/chunk_map.hpp"

#include "common/hdf5/hdf5_handle.hpp"

#include <algorithm>

namespace h5io {

ChunkMap::ChunkMap(hid_t dataset, const std::vector<int64_t>& shape, std::vector<int64_t> chunk,
                   size_t element_size)
    : dataset_(dataset), chunk_(std::move(chunk)),
      chunk_bytes_(static_cast<int64_t>(element_size)) {
  for (size_t d = 0; d < shape.size(); ++d) {
    chunks_along_.push_back((shape[d] + chunk_[d] - 1) / chunk_[d]);
    chunk_count_ *= chunks_along_.back();
    chunk_bytes_ *= chunk_[d];
  }
  const int64_t count = chunk_count_;
  // Filtered chunks have sizes of their own: no two samples would agree.
  hdf5::PropertyList creation(H5Dget_create_plist(dataset));
  if (H5Pget_nfilters(creation.get()) != 0) return;
  // Each lookup walks up to `count` index entries (~9 ns each here): the
  // budget keeps the map's making near 0.3 s however many chunks there are.
  const int64_t budget = std::clamp<int64_t>((int64_t{1} << 25) / count, samples, 4096);
  int64_t looked_up = 0;
  const auto sample = [&](int64_t index) {
    ++looked_up;
    const std::optional<Range> stored = look_up(origin_of(index));
    return Sample{index, stored && stored->bytes == chunk_bytes_ ? stored->offset : -1};
  };
  for (int64_t k = 0; k < samples; ++k) {
    const int64_t index = (count - 1) * k / (samples - 1);
    if (samples_.empty() || samples_.back().index != index) samples_.push_back(sample(index));
  }
  // Index nodes between more chunks than the map may skip: halve such
  // intervals, all of them in turn, while the budget lasts.
  for (bool halved = true; halved && looked_up < budget;) {
    halved = false;
    std::vector<Sample> finer;
    for (size_t k = 0; k < samples_.size(); ++k) {
      finer.push_back(samples_[k]);
      if (k + 1 == samples_.size() || looked_up >= budget) continue;
      const Sample& a = samples_[k];
      const Sample& b = samples_[k + 1];
      if (a.offset < 0 || b.offset < 0 || b.index - a.index < 2) continue;
      const int64_t gaps = b.offset - a.offset - (b.index - a.index) * chunk_bytes_;
      if (gaps <= chunk_bytes_) continue; // placed well enough, or not in order at all
      finer.push_back(sample((a.index + b.index) / 2));
      halved = true;
    }
    samples_ = std::move(finer);
  }
}

std::optional<ChunkMap::Range> ChunkMap::find(std::span<const int64_t> origin) const {
  if (const std::optional<Range> range = range_of(origin)) return range;
  if (chunk_count_ > most_chunks_looked_up) return std::nullopt;
  return look_up(origin);
}

std::optional<ChunkMap::Range> ChunkMap::look_up(std::span<const int64_t> origin) const {
  const std::vector<hsize_t> offset(origin.begin(), origin.end());
  unsigned filters = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  const herr_t status =
      H5Dget_chunk_info_by_coord(dataset_, offset.data(), &filters, &address, &size);
  hdf5::error_stack_summary(); // a chunk never written has no address: not an error
  if (status < 0 || address == HADDR_UNDEF) return std::nullopt;
  return Range{static_cast<int64_t>(address), static_cast<int64_t>(size)};
}

std::optional<ChunkMap::Range> ChunkMap::range_of(std::span<const int64_t> origin) const {
  const int64_t index = index_of(origin);
  // The first sample after the chunk's index (or at it), and the one before.
  const auto after = std::lower_bound(samples_.begin(), samples_.end(), index,
                                      [](const Sample& s, int64_t i) { return s.index < i; });
  if (after == samples_.end()) return std::nullopt;
  if (after->index == index)
    return after->offset < 0 ? std::nullopt
                             : std::optional<Range>(Range{after->offset, chunk_bytes_});
  if (after == samples_.begin()) return std::nullopt;
  const Sample& before = *(after - 1);
  if (before.offset < 0 || after->offset < 0) return std::nullopt;
  const int64_t gaps = after->offset - before.offset - (after->index - before.index) * chunk_bytes_;
  if (gaps < 0 || gaps > chunk_bytes_) return std::nullopt; // not stored in order between them
  return Range{before.offset + (index - before.index) * chunk_bytes_, chunk_bytes_ + gaps};
}

int64_t ChunkMap::index_of(std::span<const int64_t> origin) const {
  int64_t index = 0;
  for (size_t d = 0; d < chunks_along_.size(); ++d)
    index = index * chunks_along_[d] + origin[d] / chunk_[d];
  return index;
}

std::vector<int64_t> ChunkMap::origin_of(int64_t index) const {
  std::vector<int64_t> origin(chunks_along_.size());
  for (size_t d = chunks_along_.size(); d-- > 0;) {
    origin[d] = index % chunks_along_[d] * chunk_[d];
    index /= chunks_along_[d];
  }
  return origin;
}

} // namespace h5io
