#pragma once
// Validation of a submitted job before it is accepted, so that most mistakes
// are a `rejected` reply naming the culprit rather than a later failure:
// paths confined to the configured roots (the input, the output, and the
// files scan.darks=FILE:/path and scan.flats name), the library loads and
// accepts the input's shapes, the output is free. The result is the job's
// plan of units.

#include "master/config.hpp"
#include "master/job.hpp"
#include "proto/messages.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace h5io::master {

struct CheckedJob {
  proto::SubmitRequest request; // with canonical absolute paths (dark/flat files too)
  int64_t unit_slices = 0;
  std::vector<std::pair<int64_t, int64_t>> units; // first, count
  ReslicePlan reslice;                            // when the plan reslices first
  proto::JobPlan plan;                            // the plan for people (a dry run's answer)
};

// A check has two parts. The first, in the event loop, is quick: the paths
// resolved and confined to the roots, the output free. Throws h5io::Error
// with the reason; the result has canonical paths and no plan yet.
CheckedJob check_paths(const proto::SubmitRequest& request, const MasterConfig& config);
// The second loads the library and runs its h5io_init, which may take
// seconds: the returned body is run in a child process (PendingChecks) and
// returns the plan as text, or throws h5io::Error with the reason.
std::function<std::string()> plan_check(const CheckedJob& checked, const MasterConfig& config);
// Reads the child's answer into `checked`'s plan.
void apply_plan(CheckedJob& checked, const std::string& plan_text);

// Whether `path` (absolute, normalised) lies under one of `roots` (an empty
// list allows everything).
bool within_roots(const std::filesystem::path& path,
                  const std::vector<std::filesystem::path>& roots);

} // namespace h5io::master
