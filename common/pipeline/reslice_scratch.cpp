#include "common/pipeline/reslice_scratch.hpp"

#include "common/hdf5/input_file.hpp"
#include "common/pipeline/space_reservation.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace h5io {

const std::vector<int64_t>& ResliceScratch::Source::shape() const {
  return dataset ? dataset->shape() : computed.shape;
}

h5io_dtype_t ResliceScratch::Source::dtype() const {
  return dataset ? dataset->dtype() : computed.dtype;
}

size_t ResliceScratch::Source::element_size() const {
  return dataset ? dataset->element_size() : h5io_dtype_size(computed.dtype);
}

ResliceScratch::ResliceScratch(const Group& group, std::vector<Source> sources,
                               const UnitPlan& plan)
    : group_(group), sources_(std::move(sources)), plan_(plan) {
  for (const int64_t offset : plan_.source_offsets)
    if (offset >= 0) offsets_.push_back(offset);
  if (offsets_.size() != sources_.size())
    throw Error(fmt::format("internal error: the plan reslices {} datasets, but {} were given",
                            offsets_.size(), sources_.size()));
  // A computed source has no stored dataset for an input to be a view of.
  for (const Source& source : sources_)
    keys_.push_back(source.dataset ? source.dataset->storage_key() : std::string());
}

ResliceScratch::~ResliceScratch() {
  close();
}

int64_t ResliceScratch::unit_buffer_bytes() const {
  int64_t bytes = 0;
  for (const Source& source : sources_) {
    const SliceGeometry frames{source.shape(), 0, source.element_size()};
    bytes = std::max(bytes, plan_.reslice_frames * static_cast<int64_t>(frames.slice_bytes()));
  }
  return bytes;
}

int64_t ResliceScratch::file_bytes() const {
  int64_t bytes = 0;
  int64_t chunks = 0;
  for (size_t s = 0; s < sources_.size(); ++s) {
    const std::vector<int64_t>& shape = sources_[s].shape();
    const std::vector<int64_t> chunk = chunk_of(s);
    int64_t elements = 1;
    int64_t count = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      elements *= shape[d];
      count *= (shape[d] + chunk[d] - 1) / chunk[d];
    }
    bytes += elements * static_cast<int64_t>(sources_[s].element_size());
    chunks += count;
  }
  // HDF5's chunk index: a B-tree entry of a few dozen bytes per chunk.
  return bytes + chunks * 64 + (int64_t{1} << 20);
}

std::string ResliceScratch::dataset_name(size_t source) const {
  return fmt::format("/reslice/{}", source);
}

std::vector<int64_t> ResliceScratch::chunk_of(size_t source) const {
  // [frames, ..., one process unit's slices at the sliced dimension, ...]:
  // a sinogram unit then reads whole chunks, and each reslice unit writes
  // one contiguous run of every chunk it meets.
  const Source& s = sources_[source];
  std::vector<int64_t> chunk = s.shape();
  chunk[0] = std::min(plan_.scratch_chunk_frames, chunk[0]);
  const auto axis = static_cast<size_t>(s.axis);
  chunk[axis] = std::min(plan_.slices_per_unit, chunk[axis]);
  return chunk;
}

void ResliceScratch::open_for_writing(OutputTarget& target, bool resume) {
  path_ = target.scratch_path();
  if (resume) {
    collectively(group_, [&] {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path_, ec))
        throw Error(fmt::format("cannot resume: the reslicing scratch file '{}' is missing, so the "
                                "frames copied earlier are lost; cancel the job and submit it "
                                "again",
                                path_.string()));
    });
    writer_.emplace(group_, path_, OutputMode::reopen);
    for (size_t s = 0; s < sources_.size(); ++s) {
      const Source& source = sources_[s];
      const SliceGeometry geometry{source.shape(), 0, source.element_size()};
      copies_.push_back(writer_->open_dataset(dataset_name(s), geometry, source.dtype()));
      collectively(group_, [&] {
        if (writer_->chunk_of(dataset_name(s)) != chunk_of(s))
          throw Error(fmt::format("cannot resume: the reslicing scratch file '{}' was cut for "
                                  "another plan ({} is chunked [{}], this job needs [{}])",
                                  path_.string(), dataset_name(s),
                                  fmt::join(writer_->chunk_of(dataset_name(s)), ", "),
                                  fmt::join(chunk_of(s), ", ")));
      });
    }
    return;
  }
  collectively(group_, [&] {
    if (group_.is_root()) target.clear_scratch();
  });
  writer_.emplace(group_, path_);
  if (group_.is_root()) target.claim_scratch();
  collectively(group_, [&] {
    if (group_.is_root()) reserve_file_space(path_, file_bytes());
  });
  for (size_t s = 0; s < sources_.size(); ++s) {
    const Source& source = sources_[s];
    const SliceGeometry geometry{source.shape(), 0, source.element_size()};
    copies_.push_back(
        writer_->create_chunked_dataset(dataset_name(s), geometry, source.dtype(), chunk_of(s)));
  }
}

ResliceScratch::Located ResliceScratch::locate(const Unit& unit) const {
  for (size_t s = 0; s < sources_.size(); ++s) {
    const int64_t frames = sources_[s].shape()[0];
    if (unit.first >= offsets_[s] && unit.first + unit.count <= offsets_[s] + frames)
      return {s, unit.first - offsets_[s]};
  }
  throw Error(fmt::format("internal error: reslice unit of frames {} to {} lies in no dataset",
                          unit.first, unit.first + unit.count - 1));
}

void ResliceScratch::read_unit(const Unit& unit, std::byte* buffer) {
  const Located at = locate(unit);
  if (!sources_[at.source].dataset)
    throw Error("internal error: frames a pipeline computes are not read from a dataset");
  InputDataset& source = *sources_[at.source].dataset;
  const SliceGeometry frames{source.shape(), 0, source.element_size()};
  source.read_slices(frames, at.first, unit.count, buffer);
}

void ResliceScratch::write_round(const std::optional<Unit>& unit, const std::byte* buffer) {
  // Every rank writes every copy, with nothing where it has nothing for it:
  // collective writes need every rank in each.
  Located at{copies_.size(), 0}; // no copy
  if (unit) at = locate(*unit);
  for (size_t s = 0; s < copies_.size(); ++s) {
    const bool mine = at.source == s;
    copies_[s].write_slices(mine ? at.first : 0, mine ? unit->count : 0, buffer, *writer_);
  }
}

void ResliceScratch::flush() {
  if (writer_) writer_->flush();
}

void ResliceScratch::open_for_reading(const std::filesystem::path& path) {
  if (writer_) {
    copies_.clear();
    collectively(group_, [&] { writer_->close(); });
    writer_.reset();
  }
  path_ = path;
  collectively(group_, [&] {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path_, ec))
      throw Error(fmt::format("the reslicing scratch file '{}' is missing, so the frames copied "
                              "into it are lost; cancel the job and submit it again",
                              path_.string()));
  });
  collectively(group_, [&] { reader_ = open_input_file(group_, path_); });
}

std::unique_ptr<InputDataset> ResliceScratch::serve(const InputDataset& input) const {
  const auto found = std::find(keys_.begin(), keys_.end(), input.storage_key());
  if (found == keys_.end()) return nullptr;
  const auto s = static_cast<size_t>(found - keys_.begin());
  return input.same_view_of(reader_.get(), dataset_name(s), path_.string());
}

std::unique_ptr<InputDataset> ResliceScratch::open_copy(size_t source) const {
  return std::make_unique<InputDataset>(reader_.get(), dataset_name(source), path_.string());
}

nlohmann::json ResliceScratch::summary() const {
  nlohmann::json copies = nlohmann::json::array();
  for (size_t s = 0; s < sources_.size(); ++s) {
    const Source& source = sources_[s];
    if (source.dataset)
      copies.push_back({{"dataset", source.dataset->location()},
                        {"file", source.dataset->storage_file()},
                        {"shape", source.shape()},
                        {"scratch_chunk", chunk_of(s)}});
    else
      copies.push_back({{"computed", source.computed.what},
                        {"shape", source.shape()},
                        {"scratch_chunk", chunk_of(s)}});
  }
  return {{"reason", plan_.reason},
          {"frames_per_unit", plan_.reslice_frames},
          {"units", plan_.reslice_units},
          {"copies", std::move(copies)}};
}

void ResliceScratch::close() noexcept {
  copies_.clear();
  try {
    if (writer_) writer_->close();
  } catch (...) {
    // Closing after an error: whatever it reports, the job has failed already.
  }
  writer_.reset();
  reader_.reset();
}

} // namespace h5io
