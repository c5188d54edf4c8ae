#include "common/synthetic/example_scan.hpp"

#include "common/hdf5/hdf5_handle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace h5io {

namespace {

void set_string_attribute(hid_t object, const char* name, const std::string& value) {
  hdf5::Datatype type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), value.size());
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Attribute attribute(
      H5Acreate2(object, name, type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT));
  H5Awrite(attribute.get(), type.get(), value.c_str());
}

} // namespace

void write_example_scan(const std::filesystem::path& path, const ExampleScanShape& shape) {
  if (shape.frames < 1 || shape.rows < 1 || shape.columns < 1 || shape.chunk_frames < 1 ||
      shape.chunk_rows < 1)
    throw Error("example scan: every size must be at least 1");
  const std::string name = path.string();
  hdf5::File file(hdf5::check(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                              fmt::format("cannot create '{}'", name)));
  hdf5::Group entry(H5Gcreate2(file.get(), "/entry", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  set_string_attribute(entry.get(), "NX_class", "NXentry");
  hdf5::Group data(H5Gcreate2(entry.get(), "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  set_string_attribute(data.get(), "NX_class", "NXdata");
  set_string_attribute(data.get(), "signal", "data");

  const hsize_t dims[3] = {static_cast<hsize_t>(shape.frames), static_cast<hsize_t>(shape.rows),
                           static_cast<hsize_t>(shape.columns)};
  const hsize_t chunk[3] = {static_cast<hsize_t>(std::min(shape.chunk_frames, shape.frames)),
                            static_cast<hsize_t>(std::min(shape.chunk_rows, shape.rows)), dims[2]};
  hdf5::PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl.get(), 3, chunk);
  hdf5::Dataspace space(H5Screate_simple(3, dims, nullptr));
  hdf5::Dataset dataset(hdf5::check(H5Dcreate2(data.get(), "data", H5T_STD_U16LE, space.get(),
                                               H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                    fmt::format("cannot create the dataset in '{}'", name)));

  // Frame batches of one chunk height, as a detector's writer flushes them.
  const auto frame_elements = static_cast<size_t>(shape.rows * shape.columns);
  std::vector<uint16_t> batch(chunk[0] * frame_elements);
  for (int64_t f0 = 0; f0 < shape.frames; f0 += static_cast<int64_t>(chunk[0])) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(chunk[0]), shape.frames - f0);
    for (int64_t f = 0; f < n; ++f)
      for (int64_t r = 0; r < shape.rows; ++r)
        for (int64_t c = 0; c < shape.columns; ++c)
          batch[static_cast<size_t>((f * shape.rows + r) * shape.columns + c)] =
              example_scan_value(f0 + f, r, c);
    const hsize_t start[3] = {static_cast<hsize_t>(f0), 0, 0};
    const hsize_t count[3] = {static_cast<hsize_t>(n), dims[1], dims[2]};
    hdf5::Dataspace file_space(H5Dget_space(dataset.get()));
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    hdf5::Dataspace memory_space(H5Screate_simple(3, count, nullptr));
    hdf5::check_status(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, memory_space.get(),
                                file_space.get(), H5P_DEFAULT, batch.data()),
                       fmt::format("writing '{}' failed", name));
  }
}

} // namespace h5io
