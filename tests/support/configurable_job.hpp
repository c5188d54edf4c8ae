#pragma once
// What the pipeline tests share: a job for the `configurable` test library
// over DIR/scan.h5, a whole job's run, and the text of the Error a step throws.

#include "common/pipeline/pipeline.hpp"
#include "common/util/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace h5io::test {

// `inputs` is the library's inputs= parameter, e.g. "/entry/data/data:1".
inline JobSpec configurable_job(const std::filesystem::path& dir, const std::string& inputs,
                                std::vector<std::string> params = {},
                                const std::string& output = "out.h5") {
  JobSpec spec;
  spec.plugin = "configurable";
  spec.plugin_dirs = {H5IO_TEST_PLUGIN_DIR};
  spec.input = dir / "scan.h5";
  spec.output = dir / output;
  params.push_back("inputs=" + inputs);
  spec.params = JobParams::parse(params);
  return spec;
}

// Runs SPEC on every rank of GROUP with a static schedule: "completed", or
// the text of the Error that stopped it (the same on every rank).
inline std::string run_whole_job(const Group& group, JobSpec spec) {
  try {
    Pipeline pipeline(group, std::move(spec));
    StaticSchedule schedule(pipeline.plan(), group);
    pipeline.run(schedule);
    pipeline.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "completed";
}

// "" when the step succeeds.
inline std::string error_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

} // namespace h5io::test
