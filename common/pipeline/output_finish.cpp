#include "common/pipeline/output_finish.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"

#include <fmt/format.h>

namespace h5io {

void complete_output_file(const std::filesystem::path& file, const OutputCompletion& completion) {
  hdf5::File output(hdf5::check(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                                fmt::format("cannot reopen '{}' to complete it", file.string())));
  try {
    for (const auto& [location, attributes] : completion.annotations)
      write_attributes(output.get(), location, attributes);
    write_nexus_layout(output.get(), completion.nexus, completion.entry);
    write_provenance(output.get(), completion.provenance);
    if (H5Lexists(output.get(), kJobSetupRecord, H5P_DEFAULT) > 0)
      hdf5::check_status(H5Ldelete(output.get(), kJobSetupRecord, H5P_DEFAULT),
                         fmt::format("cannot remove {}", kJobSetupRecord));
  } catch (const Error& e) {
    throw Error(fmt::format("completing '{}': {}", file.string(), e.what()));
  }
  hdf5::check_status(H5Fclose(output.release()),
                     fmt::format("cannot finish writing '{}'", file.string()));
  hdf5::error_stack_summary();
}

} // namespace h5io
