#include "master/submit_check.hpp"

#include "common/pipeline/job_preflight.hpp"
#include "common/pipeline/pipeline_file.hpp"
#include "common/plugin_host/plugin_host.hpp"
#include "common/scan/scan_files.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace h5io::master {

namespace {

std::string roots_text(const std::vector<fs::path>& roots) {
  std::vector<std::string> texts;
  for (const fs::path& root : roots) texts.push_back(root.string());
  return fmt::format("{}", fmt::join(texts, ", "));
}

// The input as it really is (symbolic links resolved), so a link cannot
// lead outside the roots.
fs::path canonical_input(const std::string& text) {
  const fs::path path(text);
  if (!path.is_absolute())
    throw Error(fmt::format("input '{}' must be an absolute path (the master does not share "
                            "the client's working directory)",
                            text));
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) throw Error(fmt::format("input '{}' cannot be opened: {}", text, ec.message()));
  return canonical;
}

// The output's directory resolved; the file itself does not exist yet.
fs::path canonical_output(const std::string& text) {
  const fs::path path(text);
  if (!path.is_absolute())
    throw Error(fmt::format("output '{}' must be an absolute path (the master does not share "
                            "the client's working directory)",
                            text));
  if (!path.has_filename() || path.filename() == "." || path.filename() == "..")
    throw Error(fmt::format("output '{}' does not name a file", text));
  std::error_code ec;
  const fs::path directory = fs::canonical(path.parent_path(), ec);
  if (ec)
    throw Error(fmt::format("output directory '{}' cannot be used: {}", path.parent_path().string(),
                            ec.message()));
  return directory / path.filename();
}

// scan.darks=FILE:/path and scan.flats=FILE:/path name files besides the
// input. Each is resolved as the pipeline resolves it (relative to the
// scan's directory), then as the input is (symbolic links and .. followed),
// and must lie in the input roots. The parameter then carries the resolved
// path, so a worker opens the very file checked here.
void confine_scan_files(nlohmann::json& params, const fs::path& input,
                        const std::vector<fs::path>& roots) {
  for (const char* key : {"scan.darks", "scan.flats"}) {
    if (!params.contains(key) || !params[key].is_string()) continue;
    const DatasetRef ref = parse_dataset_ref(key, params[key].get<std::string>());
    if (ref.file.empty()) continue;
    const fs::path named = resolve_beside(input, ref.file);
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(named, ec);
    if (ec)
      throw Error(
          fmt::format("{} file '{}' cannot be used: {}", key, named.string(), ec.message()));
    if (!within_roots(real, roots))
      throw Error(fmt::format(
          "{} file '{}'{} is outside the allowed input directories ({})", key, ref.file.string(),
          ref.file.is_absolute() ? "" : fmt::format(" (beside the scan: '{}')", named.string()),
          roots_text(roots)));
    params[key] = real.string() + ":" + ref.path;
  }
}

// The plan as the protocol carries it, with its prose.
proto::JobPlan job_plan(const PlanDescription& description) {
  proto::JobPlan plan;
  for (const StepPlan& step : description.steps)
    plan.steps.push_back({step.plugin, step.pattern, step.fed, step.saved});
  plan.reslice_step = description.reslice_step;
  plan.reslice_units = description.reslice_units;
  plan.reslice_frames = description.reslice_frames;
  plan.units = description.units;
  plan.slices_per_unit = description.slices_per_unit;
  plan.total_slices = description.total_slices;
  plan.memory_per_rank_bytes = description.memory_per_rank_bytes;
  plan.summary = plan_lines(description);
  return plan;
}

} // namespace

bool within_roots(const fs::path& path, const std::vector<fs::path>& roots) {
  if (roots.empty()) return true;
  for (const fs::path& root : roots) {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(root, ec);
    if (ec) continue;
    const auto mismatch = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
    if (mismatch.first == base.end()) return true;
  }
  return false;
}

CheckedJob check_paths(const proto::SubmitRequest& request, const MasterConfig& config) {
  if (request.job.steps.empty()) check_plugin_name(request.job.plugin);
  for (size_t s = 0; s < request.job.steps.size(); ++s) {
    try {
      check_plugin_name(request.job.steps[s].plugin);
    } catch (const Error& e) {
      throw Error(fmt::format("pipeline step {}: {}", s + 1, e.what()));
    }
  }
  CheckedJob checked;
  checked.request = request;
  const fs::path input = canonical_input(request.job.input);
  if (!within_roots(input, config.input_roots))
    throw Error(fmt::format("input '{}' is outside the allowed input directories ({})",
                            request.job.input, roots_text(config.input_roots)));
  const fs::path output = canonical_output(request.job.output);
  if (!within_roots(output, config.output_roots))
    throw Error(fmt::format("output '{}' is outside the allowed output directories ({})",
                            request.job.output, roots_text(config.output_roots)));
  std::error_code ec;
  if (fs::exists(output, ec) && !fs::is_directory(output, ec))
    throw Error(fmt::format("output '{}' already exists; the service never replaces a file: "
                            "choose another name or remove it first",
                            request.job.output));
  checked.request.job.input = input.string();
  checked.request.job.output = output.string();
  confine_scan_files(checked.request.job.params, request.job.input, config.input_roots);
  return checked;
}

std::function<std::string()> plan_check(const CheckedJob& checked, const MasterConfig& config) {
  JobSpec spec;
  spec.plugin = checked.request.job.plugin;
  spec.steps = step_specs(checked.request.job.steps);
  spec.plugin_dirs = plugin_search_path(config.plugin_dirs);
  spec.input = checked.request.job.input;
  spec.output = checked.request.job.output;
  spec.params = JobParams::from_json(checked.request.job.params);
  spec.plan.target_unit_bytes = config.unit_mb << 20;
  spec.plan.ranks = config.min_units;
  spec.plan.memory_bytes = config.memory_mb << 20;
  return [spec] {
    const PreflightPlan preflight = preflight_job(spec);
    const UnitPlan& units = preflight.units;
    // The unit sizes travel in the plan for people; the unit list beside it.
    nlohmann::json plan = {{"units", nlohmann::json::array()},
                           {"planned", proto::encode_planned(job_plan(preflight.description))}};
    for (const Unit& unit : units.units) plan["units"].push_back({unit.first, unit.count});
    return plan.dump();
  };
}

void apply_plan(CheckedJob& checked, const std::string& plan_text) {
  const nlohmann::json plan = nlohmann::json::parse(plan_text);
  checked.plan = proto::parse_planned(plan.at("planned").get<std::string>());
  checked.unit_slices = checked.plan.slices_per_unit;
  checked.reslice.frames = checked.plan.reslice_frames;
  checked.reslice.units = checked.plan.reslice_units;
  checked.units.clear();
  for (const nlohmann::json& unit : plan.at("units"))
    checked.units.emplace_back(unit.at(0).get<int64_t>(), unit.at(1).get<int64_t>());
}

} // namespace h5io::master
