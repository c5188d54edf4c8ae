#pragma once
// The reslicing stage's scratch copy. A dataset whose chunks each hold whole
// frames (one frame per chunk, as odin-data and AreaDetector write) holds
// every sinogram in every chunk: reading it by sinograms would read each
// chunk once per unit, or make one unit of everything. Instead its frames
// are copied once, in blocks of whole frames spread over the ranks (each
// chunk read once and whole), into a scratch HDF5 file chunked
// [frames, slices of one process unit, ...], from which the process stage
// reads sinogram units whole chunks at a time. Reslice units are work units
// like any other: leased, reported when flushed, redone after a failure.

#include "common/hdf5/input_dataset.hpp"
#include "common/hdf5/output_file.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/pipeline/output_target.hpp"
#include "common/pipeline/work_plan.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace h5io {

class ResliceScratch {
public:
  // One stored dataset to copy: every frame of it, and the dimension the
  // job's inputs slice it along. Or, with no dataset, frames a pipeline's
  // projection steps compute (Computed): the scratch then holds their
  // result, and the pipeline hands it each unit's frames to write.
  struct Computed {
    std::vector<int64_t> shape; // [frames, ...]
    h5io_dtype_t dtype = H5IO_DTYPE_INVALID;
    std::string what; // for provenance, e.g. "output '/x' of pipeline step 2 'paganin'"
  };
  struct Source {
    std::unique_ptr<InputDataset> dataset;
    int axis = 1;
    Computed computed; // when dataset is null
    const std::vector<int64_t>& shape() const;
    h5io_dtype_t dtype() const;
    size_t element_size() const;
  };

  // `sources` in the plan's order, only those it reslices (its
  // source_offsets >= 0, in the same order).
  ResliceScratch(const Group& group, std::vector<Source> sources, const UnitPlan& plan);
  ~ResliceScratch();
  ResliceScratch(const ResliceScratch&) = delete;
  ResliceScratch& operator=(const ResliceScratch&) = delete;

  // Bytes one reslice unit's buffer needs.
  int64_t unit_buffer_bytes() const;
  // Bytes the copy occupies, with room for HDF5's chunk index.
  int64_t file_bytes() const;

  // Collective. Creates the scratch file at target.scratch_path() (space
  // reserved; an older one removed first, so a stale writer writes into a
  // file no name leads to), or with `resume` reopens the one earlier leases
  // wrote into; throws Error if that is missing or was cut for another plan.
  void open_for_writing(OutputTarget& target, bool resume);
  bool writing() const { return writer_.has_value(); }

  // Reads a reslice unit's frames (independent I/O) into `buffer`.
  void read_unit(const Unit& unit, std::byte* buffer);
  // Collective: writes each rank's unit (or nothing) into the copy.
  void write_round(const std::optional<Unit>& unit, const std::byte* buffer);
  // Collective: makes the writes so far durable.
  void flush();

  // Collective: closes the writer (if open) and opens the finished copy
  // read-only at `path` for the process stage.
  void open_for_reading(const std::filesystem::path& path);

  // The copy of `input` (same frames and name), or nullptr when its stored
  // dataset is not one this scratch holds.
  std::unique_ptr<InputDataset> serve(const InputDataset& input) const;
  // The whole copy of source `source` (a computed one's only way in).
  std::unique_ptr<InputDataset> open_copy(size_t source) const;

  // What was copied how, for provenance.
  nlohmann::json summary() const;

  // Closes everything without collective calls' results mattering (after
  // an agreed error every rank gets here together).
  void close() noexcept;
  // Before closing a copy whose lease lapsed: whatever closing writes goes
  // nowhere (file_disown.hpp).
  void disown() noexcept {
    if (writer_) writer_->disown();
  }

private:
  struct Located {
    size_t source;
    int64_t first; // within the source
  };
  Located locate(const Unit& unit) const;
  std::string dataset_name(size_t source) const;
  std::vector<int64_t> chunk_of(size_t source) const;

  const Group& group_;
  std::vector<Source> sources_;
  std::vector<std::string> keys_; // storage_key() of each source
  std::vector<int64_t> offsets_;  // each source's first frame in the reslice frame space
  UnitPlan plan_;
  std::filesystem::path path_;
  std::optional<OutputFile> writer_;
  std::vector<OutputDataset> copies_;
  hdf5::File reader_;
};

} // namespace h5io
