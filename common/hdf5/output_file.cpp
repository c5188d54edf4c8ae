#include "common/hdf5/output_file.hpp"

#include "common/hdf5/dtype.hpp"
#include "common/util/shape_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace h5io {

OutputDataset::OutputDataset(hdf5::Dataset dataset, std::string location, SliceGeometry geometry,
                             h5io_dtype_t dtype)
    : dataset_(std::move(dataset)), location_(std::move(location)), geometry_(std::move(geometry)),
      dtype_(dtype) {
  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset_.get()));
  writes_runs_ = H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS && geometry_.outer() == 1;
  if (!writes_runs_) return;
  // Raw bytes are right only when the file stores exactly what the buffers
  // hold (same type, same byte order); the datasets are allocated at
  // creation, so the address is known and final.
  hdf5::Datatype stored(H5Dget_type(dataset_.get()));
  if (H5Tequal(stored.get(), native_hdf5_type(dtype_)) <= 0) return;
  const haddr_t address = H5Dget_offset(dataset_.get());
  if (address == HADDR_UNDEF) {
    hdf5::error_stack_summary(); // HDF5 leaves an error behind
    return;
  }
  raw_offset_ = static_cast<int64_t>(address);
}

void OutputDataset::write_slices(int64_t first, int64_t count, const std::byte* slices,
                                 const OutputFile& file) {
  // Open MPI's collective path (fcoll dynamic_gen2, pinned in mpi_group.cpp) writes in
  // 64 KiB pieces: 32,768 pwrite calls for 2 GB. A rank's unit that is one
  // run of the file needs no aggregation: written independently it is one
  // large pwrite per rank, and never meets the collective components' bugs.
  // Interleaved units (growing dimension not first) keep the two-phase
  // collective write, which merges the ranks' pieces.
  const hid_t transfer = writes_runs_ ? file.independent_transfer() : file.collective_transfer();
  hdf5::Dataspace file_space(H5Dget_space(dataset_.get()));
  hdf5::Dataspace memory_space;
  const std::byte* data = slices;
  if (count == 0) {
    const hsize_t one = 1;
    memory_space = hdf5::Dataspace(H5Screate_simple(1, &one, nullptr));
    H5Sselect_none(memory_space.get());
    H5Sselect_none(file_space.get());
  } else {
    std::vector<hsize_t> start(geometry_.shape.size(), 0);
    std::vector<hsize_t> extent(geometry_.shape.begin(), geometry_.shape.end());
    start[geometry_.axis] = static_cast<hsize_t>(first);
    extent[geometry_.axis] = static_cast<hsize_t>(count);
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                        nullptr);
    memory_space =
        hdf5::Dataspace(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr));
    if (geometry_.axis != 0) {
      staging_.resize(static_cast<size_t>(count) * geometry_.slice_bytes());
      gather_from_slices(slices, geometry_.outer(), count, geometry_.inner(),
                         geometry_.element_size, staging_.data());
      data = staging_.data();
    }
  }
  hdf5::check_status(H5Dwrite(dataset_.get(), native_hdf5_type(dtype_), memory_space.get(),
                              file_space.get(), transfer, data),
                     fmt::format("writing output '{}' failed", location_));
}

OutputFile::OutputFile(const Group& group, const std::filesystem::path& path, OutputMode mode)
    : path_(path) {
  hdf5::PropertyList fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_mpio(fapl.get(), group.comm(), MPI_INFO_NULL);
  // Every rank makes the same metadata changes; writing them collectively
  // scales better than letting rank 0 do it alone.
  H5Pset_coll_metadata_write(fapl.get(), true);
  if (mode == OutputMode::create) {
    file_ = hdf5::File(hdf5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                                   fmt::format("cannot create output file '{}'", path.string())));
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw Error(
          fmt::format("cannot resume: the partial output '{}' does not exist", path.string()));
    file_ = hdf5::File(
        hdf5::check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()),
                    fmt::format("cannot resume: the partial output '{}' does not open as HDF5",
                                path.string())));
  }
  transfer_ = hdf5::PropertyList(H5Pcreate(H5P_DATASET_XFER));
  H5Pset_dxpl_mpio(transfer_.get(), H5FD_MPIO_COLLECTIVE);
  independent_ = hdf5::PropertyList(H5Pcreate(H5P_DATASET_XFER));
  H5Pset_dxpl_mpio(independent_.get(), H5FD_MPIO_INDEPENDENT);
  // Just opened: the path names the file this group holds.
  identity_ = identity_of(path);
}

OutputDataset OutputFile::create_dataset(const std::string& location, const SliceGeometry& geometry,
                                         h5io_dtype_t dtype) {
  return create_chunked_dataset(location, geometry, dtype, {});
}

OutputDataset OutputFile::create_chunked_dataset(const std::string& location,
                                                 const SliceGeometry& geometry, h5io_dtype_t dtype,
                                                 std::span<const int64_t> chunk) {
  hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  hdf5::PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (chunk.empty()) {
    H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS);
  } else {
    const std::vector<hsize_t> dims(chunk.begin(), chunk.end());
    H5Pset_chunk(dcpl.get(), static_cast<int>(dims.size()), dims.data());
  }
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  const std::vector<hsize_t> dims(geometry.shape.begin(), geometry.shape.end());
  hdf5::Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  hdf5::Dataset dataset(hdf5::check(
      H5Dcreate2(file_.get(), location.c_str(), file_hdf5_type(dtype), space.get(), lcpl.get(),
                 dcpl.get(), H5P_DEFAULT),
      fmt::format("cannot create output dataset '{}' in '{}'", location, path_.string())));
  return OutputDataset(std::move(dataset), location, geometry, dtype);
}

OutputDataset OutputFile::open_dataset(const std::string& location, const SliceGeometry& geometry,
                                       h5io_dtype_t dtype) {
  const std::string what = fmt::format("cannot resume: the partial output '{}'", path_.string());
  if (H5Lexists(file_.get(), location.c_str(), H5P_DEFAULT) <= 0 ||
      H5Oexists_by_name(file_.get(), location.c_str(), H5P_DEFAULT) <= 0) {
    hdf5::error_stack_summary(); // a missing parent group leaves an error behind
    throw Error(fmt::format("{} has no dataset '{}'", what, location));
  }
  hdf5::Dataset dataset(hdf5::check(H5Dopen2(file_.get(), location.c_str(), H5P_DEFAULT),
                                    fmt::format("{}: '{}' is not a dataset", what, location)));
  hdf5::Dataspace space(H5Dget_space(dataset.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const std::vector<int64_t> shape(dims.begin(), dims.end());
  hdf5::Datatype type(H5Dget_type(dataset.get()));
  const h5io_dtype_t stored = dtype_of_hdf5_type(type.get());
  if (shape != geometry.shape || stored != dtype)
    throw Error(fmt::format("{} holds '{}' as {} {}, but the job now writes {} {}", what, location,
                            shape_text(shape),
                            stored == H5IO_DTYPE_INVALID ? describe_hdf5_type(type.get())
                                                         : std::string(dtype_name(stored)),
                            shape_text(geometry.shape), dtype_name(dtype)));
  return OutputDataset(std::move(dataset), location, geometry, dtype);
}

std::vector<int64_t> OutputFile::chunk_of(const std::string& location) const {
  hdf5::Dataset dataset(
      hdf5::check(H5Dopen2(file_.get(), location.c_str(), H5P_DEFAULT),
                  fmt::format("cannot open '{}' in '{}'", location, path_.string())));
  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset.get()));
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return {};
  std::vector<hsize_t> chunk(H5IO_MAX_RANK);
  const int rank = H5Pget_chunk(dcpl.get(), H5IO_MAX_RANK, chunk.data());
  chunk.resize(static_cast<size_t>(std::max(rank, 0)));
  return {chunk.begin(), chunk.end()};
}

void OutputFile::write_text(const std::string& location, const std::string& text) {
  hdf5::Datatype type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), std::max<size_t>(text.size(), 1));
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hdf5::Dataspace space(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(
      hdf5::check(H5Dcreate2(file_.get(), location.c_str(), type.get(), space.get(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create '{}' in '{}'", location, path_.string())));
  const std::string stored = text.empty() ? std::string(1, '\0') : text;
  hdf5::check_status(
      H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, transfer_.get(), stored.data()),
      fmt::format("writing '{}' in '{}' failed", location, path_.string()));
}

std::optional<std::string> OutputFile::read_text(const std::string& location) const {
  if (H5Lexists(file_.get(), location.c_str(), H5P_DEFAULT) <= 0) {
    hdf5::error_stack_summary();
    return std::nullopt;
  }
  hdf5::Dataset dataset(
      hdf5::check(H5Dopen2(file_.get(), location.c_str(), H5P_DEFAULT),
                  fmt::format("cannot open '{}' in '{}'", location, path_.string())));
  hdf5::Datatype type(H5Dget_type(dataset.get()));
  const size_t size = H5Tget_size(type.get());
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
    throw Error(fmt::format("'{}' in '{}' is not h5io's text record", location, path_.string()));
  std::string text(size, '\0');
  hdf5::check_status(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()),
                     fmt::format("reading '{}' in '{}' failed", location, path_.string()));
  text.resize(text.find('\0') == std::string::npos ? text.size() : text.find('\0'));
  return text;
}

void OutputFile::flush() {
  hdf5::check_status(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL),
                     fmt::format("flushing output file '{}' failed", path_.string()));
}

int OutputFile::disown() noexcept {
  return file_.valid() && identity_ ? redirect_descriptors(*identity_) : 0;
}

void OutputFile::close() {
  if (!file_.valid()) return;
  const herr_t status = H5Fclose(file_.get());
  // The identifier is released even when closing reports an error.
  static_cast<void>(file_.release());
  hdf5::check_status(status, fmt::format("closing output file '{}' failed", path_.string()));
}

} // namespace h5io
