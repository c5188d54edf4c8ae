#pragma once
// The directory the TIFF files go to: made if missing, refused if unusable,
// and searched for files an earlier run left there.

#include "slice_naming.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace h5io::extract {

// Creates `directory` and its parents if missing (every rank may do so at
// once). Throws plugin::Error if it is not a directory or not writable.
void prepare_directory(const std::filesystem::path& directory);

// Names of the files in `directory` that have `naming`'s form, sorted.
std::vector<std::string> existing_slice_files(const std::filesystem::path& directory,
                                              const SliceNaming& naming);

} // namespace h5io::extract
