#pragma once
// The job's output file: created collectively with the MPI-IO driver, one
// dataset per library output, written one unit per rank per round (a rank
// with nothing to write still takes part). A unit that is one contiguous run
// of the file is written independently, the others collectively
// (ARCHITECTURE.md, "Slab I/O").

#include "common/hdf5/file_disown.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/hdf5/slice_geometry.hpp"
#include "common/mpi/mpi_group.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace h5io {

class OutputFile;

class OutputDataset {
public:
  OutputDataset(hdf5::Dataset dataset, std::string location, SliceGeometry geometry,
                h5io_dtype_t dtype);

  const std::string& location() const { return location_; }
  const SliceGeometry& geometry() const { return geometry_; }
  h5io_dtype_t dtype() const { return dtype_; }

  // Collective. Writes `count` slices starting at `first` from the
  // slice-major buffer `slices` through `file`; count 0 joins the collective
  // with nothing.
  void write_slices(int64_t first, int64_t count, const std::byte* slices, const OutputFile& file);

  // Whether every unit is one contiguous run of the file (a contiguous
  // dataset growing along its first non-unit dimension): such units are
  // written with independent MPI-IO.
  bool writes_runs() const { return writes_runs_; }
  // Where the data of a dataset that writes runs starts in the file, when
  // its stored type is the buffers' type: such units may be written as raw
  // bytes there (RunWriter). nullopt: write through HDF5.
  std::optional<int64_t> raw_offset() const { return raw_offset_; }

private:
  hdf5::Dataset dataset_;
  std::string location_;
  SliceGeometry geometry_;
  h5io_dtype_t dtype_;
  bool writes_runs_;
  std::optional<int64_t> raw_offset_;
  std::vector<std::byte> staging_; // file-order copy when slices are not the first dimension
};

// A new output, or the partial output of an interrupted job taken up again.
enum class OutputMode { create, reopen };

class OutputFile {
public:
  // Collective: creates (truncates) `path` for the whole group, or with
  // OutputMode::reopen opens the existing file read-write (Error if it is
  // missing or not HDF5).
  OutputFile(const Group& group, const std::filesystem::path& path,
             OutputMode mode = OutputMode::create);

  // Collective: a contiguous dataset of `geometry.shape` (intermediate groups
  // created), never filled (every element gets written).
  OutputDataset create_dataset(const std::string& location, const SliceGeometry& geometry,
                               h5io_dtype_t dtype);
  // Collective: the same, stored in chunks of `chunk` (the reslicing's
  // scratch copy, chunked for the reads that follow).
  OutputDataset create_chunked_dataset(const std::string& location, const SliceGeometry& geometry,
                                       h5io_dtype_t dtype, std::span<const int64_t> chunk);

  // Collective: the dataset an earlier run created at `location`; throws
  // Error unless it has exactly that shape and type, since units written by
  // another job's layout would be garbage here.
  OutputDataset open_dataset(const std::string& location, const SliceGeometry& geometry,
                             h5io_dtype_t dtype);

  // Chunk extents of the dataset at `location` (empty: not chunked).
  std::vector<int64_t> chunk_of(const std::string& location) const;

  hid_t collective_transfer() const { return transfer_.get(); }
  hid_t independent_transfer() const { return independent_.get(); }

  // Collective: a small text record at `location` (a scalar string
  // dataset), same text on every rank.
  void write_text(const std::string& location, const std::string& text);
  // The text record at `location`, or nullopt when there is none.
  std::optional<std::string> read_text(const std::string& location) const;

  // Collective: writes HDF5's buffered metadata and data to the file and
  // syncs it (MPI_File_sync), so units written so far survive a crash.
  void flush();

  // Collective: flushes and closes; reports errors (e.g. a full disk) that
  // only show when buffered data is written out.
  void close();

  // This rank, before close(): the file may be another group's now (this
  // group's lease lapsed), so nothing the close writes may reach it
  // (file_disown.hpp). Returns how many descriptors were redirected.
  int disown() noexcept;

private:
  std::filesystem::path path_;
  std::optional<FileIdentity> identity_; // the file opened, whatever its name later
  hdf5::File file_;
  hdf5::PropertyList transfer_;
  hdf5::PropertyList independent_;
};

} // namespace h5io
