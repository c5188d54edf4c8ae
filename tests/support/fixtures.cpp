#include "fixtures.hpp"

namespace h5io::test {

hdf5::File create_file(const std::filesystem::path& path) {
  return hdf5::File(hdf5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                                "cannot create test file " + path.string()));
}

void write_dataset(hid_t file, const std::string& path, hid_t type,
                   const std::vector<int64_t>& shape, const void* data,
                   const std::vector<int64_t>& chunk) {
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  hdf5::Dataspace space(
      dims.empty() ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  hdf5::PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  hdf5::PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!chunk.empty()) {
    const std::vector<hsize_t> c(chunk.begin(), chunk.end());
    H5Pset_chunk(dcpl.get(), static_cast<int>(c.size()), c.data());
  }
  hdf5::Dataset dataset(hdf5::check(
      H5Dcreate2(file, path.c_str(), type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
      "cannot create test dataset " + path));
  if (data != nullptr)
    hdf5::check_status(H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                       "cannot write test dataset " + path);
}

} // namespace h5io::test
