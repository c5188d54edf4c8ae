#pragma once
// The last step of a job, on one rank, once every collective write is done
// and the output is closed: reopen it serially and make it a NeXus file
// that says how it was made. In order: the libraries' attributes on their
// outputs, the NeXus tree (nexus_writer.hpp), the NXprocess
// (provenance.hpp), and the scan-wide step's working copy removed.

#include "common/pipeline/nexus_writer.hpp"
#include "common/pipeline/provenance.hpp"
#include "common/util/attribute_value.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace h5io {

// The results of a library's scan-wide step, kept in the partial output
// while the job runs (so a resumed job applies the same ones); recorded in
// the NXprocess (`job_setup`), and removed, when the job completes.
inline constexpr const char* kJobSetupRecord = "/.h5io_job_setup";

// Attributes a library gave its outputs: (dataset location, attributes).
using OutputAnnotations = std::vector<std::pair<std::string, std::vector<AttributeValue>>>;

struct OutputCompletion {
  OutputAnnotations annotations;
  NexusPlan nexus;
  EntryFields entry;
  ProvenanceRecord provenance;
};

// Throws Error naming the file and the step that failed.
void complete_output_file(const std::filesystem::path& file, const OutputCompletion& completion);

} // namespace h5io
