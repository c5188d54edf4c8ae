#include "common/pipeline/pipeline.hpp"

#include "common/hdf5/dtype.hpp"
#include "common/hdf5/input_file.hpp"
#include "common/pipeline/output_finish.hpp"
#include "common/pipeline/space_reservation.hpp"
#include "common/scan/scan_inputs.hpp"
#include "common/util/shape_text.hpp"
#include "common/util/version.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <future>
#include <new>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <variant>

namespace h5io {

StaticSchedule::StaticSchedule(const UnitPlan& plan, const Group& group) {
  // Stage by stage; the same number of rounds on every rank.
  for (const UnitStage stage : {UnitStage::reslice, UnitStage::process}) {
    std::vector<Unit> units;
    for (const Unit& unit : plan.units)
      if (unit.stage == stage) units.push_back(unit);
    if (units.empty()) continue;
    // An empty round lets the last reslice units be written before any
    // process unit reads what they wrote.
    if (!rounds_.empty()) rounds_.emplace_back();
    const std::vector<Unit> mine = static_share(units, group.rank(), group.size());
    const auto count = static_cast<int64_t>(units.size());
    const int64_t rounds = (count + group.size() - 1) / group.size();
    for (int64_t r = 0; r < rounds; ++r)
      rounds_.push_back(r < static_cast<int64_t>(mine.size())
                            ? std::optional(mine[static_cast<size_t>(r)])
                            : std::nullopt);
  }
}

bool StaticSchedule::next_round(std::optional<Unit>& mine) {
  mine.reset();
  if (round_ >= rounds_.size()) return false;
  mine = rounds_[round_++];
  return true;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::span<const int64_t> dataspace_shape(const h5io_dataspace_t& space) {
  return {space.shape, static_cast<size_t>(space.rank)};
}

std::string normalised_location(const std::string& location) {
  return location.starts_with('/') ? location : "/" + location;
}

// A pipeline's own parameters are the host's (scan.*); its steps' are their
// libraries'.
void check_pipeline_params(const JobParams& job, const std::vector<StepSpec>& steps) {
  if (steps.empty()) throw Error("the pipeline has no steps");
  for (const h5io_param_t& param : job.view())
    if (!std::string_view(param.key).starts_with("scan."))
      throw Error(fmt::format("parameter '{}' is not a step's: in a pipeline, a library's "
                              "parameters belong to its step (--param STEP.{}=..., STEP "
                              "a step number or library name); only scan.* apply to the job",
                              param.key, param.key));
  for (size_t s = 0; s < steps.size(); ++s)
    for (const h5io_param_t& param : steps[s].params.view())
      if (std::string_view(param.key).starts_with("scan."))
        throw Error(fmt::format("pipeline step {} '{}': parameter '{}' names a part of the scan, "
                                "which is the whole job's: give it to the job (--param {}=...)",
                                s + 1, steps[s].plugin, param.key, param.key));
}

} // namespace

Pipeline::Pipeline(const Group& group, JobSpec spec, PipelinePurpose purpose)
    : group_(group), spec_(std::move(spec)), purpose_(purpose),
      started_(std::chrono::steady_clock::now()), started_utc_(utc_timestamp()) {
  try {
    collectively(group_, [&] {
      target_.emplace(spec_.output, spec_.overwrite, spec_.input);
      check_input_file(spec_.input);
      load_libraries();
    });
    collectively(group_, [&] { input_file_ = open_input_file(group_, spec_.input); });
    collectively(group_, [&] {
      connect_steps();
      plan_work();
    });
    if (purpose_ == PipelinePurpose::process) collectively(group_, [&] { open_output_file(); });
    setup_seconds_ = seconds_since(started_);
  } catch (...) {
    abandon();
    throw;
  }
}

Pipeline::~Pipeline() {
  if (!finished_ && !released_) abandon();
}

void Pipeline::abandon() noexcept {
  // Every rank gets here together (errors are agreed before they are
  // thrown), so the collective closes below match up.
  thread_.call([this] {
    for (Step& step : steps_) step.instance.reset();
  });
  run_writer_.reset(); // its thread finishes what was queued first
  output_datasets_.clear();
  output_file_.reset();
  reslice_.reset();
  inputs_.clear();
  scan_files_.reset();
  input_file_.reset();
  // A resumed partial output holds units finished earlier: it outlives any
  // failure. A check never created one, and must not delete someone's.
  if (group_.is_root() && target_ && created_output()) {
    target_->discard();
    target_->discard_scratch();
  }
}

void Pipeline::delete_partial() const noexcept {
  if (target_ && created_output()) {
    target_->discard();
    target_->discard_scratch();
  }
}

void Pipeline::disown_output() noexcept {
  // The reslicing copy too: a stale close must not touch the one the new
  // holder writes into and reads from.
  if (reslice_) reslice_->disown();
  if (!output_file_) return;
  const int redirected = output_file_->disown();
  if (group_.is_root())
    spdlog::info("closing the output without writing to it: it may be another group's now "
                 "({} descriptor{} on rank 0 redirected)",
                 redirected, redirected == 1 ? "" : "s");
}

void Pipeline::release() {
  // Set first: whatever fails below, the destructor must not delete the
  // partial output.
  released_ = true;
  thread_.call([this] {
    for (Step& step : steps_) step.instance.reset();
  });
  run_writer_.reset();
  output_datasets_.clear();
  std::optional<std::string> error;
  try {
    if (output_file_) output_file_->close();
  } catch (const std::exception& e) {
    error = e.what();
  }
  output_file_.reset();
  reslice_.reset(); // the scratch file stays, for whoever resumes the job
  inputs_.clear();
  scan_files_.reset();
  input_file_.reset();
  group_.agree(error);
}

std::string Pipeline::pattern_of(const Step& step) const {
  for (const size_t i : step.inputs) {
    const SliceGeometry& geometry = inputs_[i].geometry;
    if (!geometry.sliced()) continue;
    // Fed in memory, unit by unit: it runs on the units of the step that
    // feeds it, whatever its own shape's dimensions are called.
    if (inputs_[i].feed >= 0)
      return pattern_of(steps_[outputs_[static_cast<size_t>(inputs_[i].feed)].step]);
    // A stack of frames [frames, rows, columns] is read by projections or by
    // sinograms; anything else by its dimension.
    if (geometry.shape.size() == 3 && geometry.axis == 0) return "projections";
    if (geometry.shape.size() == 3 && geometry.axis == 1) return "sinograms";
    return fmt::format("dimension {} of {}", geometry.axis, shape_text(geometry.shape));
  }
  return "none";
}

std::string Pipeline::job_name() const {
  std::vector<std::string> names;
  for (const Step& step : steps_) names.push_back(step.spec.plugin);
  return fmt::format("{}", fmt::join(names, " → "));
}

void Pipeline::load_libraries() {
  const bool pipeline = !spec_.steps.empty();
  const std::vector<StepSpec> specs =
      pipeline ? spec_.steps : std::vector<StepSpec>{StepSpec{spec_.plugin, spec_.params, false}};
  if (pipeline) check_pipeline_params(spec_.params, specs);
  input_text_ = spec_.input.string();
  for (size_t s = 0; s < specs.size(); ++s) {
    Step& step = steps_.emplace_back();
    step.spec = specs[s];
    step.label = pipeline ? fmt::format("pipeline step {} '{}'", s + 1, specs[s].plugin)
                          : fmt::format("library '{}'", specs[s].plugin);
    // The host's scan.* parameters never reach a library.
    step.spec.params = specs[s].params.without_prefix("scan.");
    try {
      step.library.emplace(PluginLibrary::load(step.spec.plugin, spec_.plugin_dirs));
    } catch (const Error& e) {
      if (!pipeline) throw;
      throw Error(fmt::format("pipeline step {}: {}", s + 1, e.what()));
    }
    step.param_view = step.spec.params.view();
    h5io_global_params_t& global = step.global;
    global.abi_version = H5IO_ABI_VERSION;
    global.rank = group_.rank();
    global.num_ranks = group_.size();
    global.local_rank = group_.local_rank();
    global.local_ranks = group_.local_size();
    global.input_file = input_text_.c_str();
    global.job_id = spec_.job_id.c_str();
    global.num_params = static_cast<int32_t>(step.param_view.size());
    global.params = step.param_view.data();
    try {
      thread_.call([&step] { step.instance.emplace(*step.library, step.global); });
    } catch (const Error& e) {
      if (!pipeline) throw;
      throw Error(fmt::format("pipeline step {}: {}", s + 1, e.what()));
    }
    if (step.instance->has_job_setup()) {
      if (setup_step_)
        throw Error(fmt::format(
            "pipeline steps {} '{}' and {} '{}' both have a scan-wide step (job_setup); a "
            "pipeline may hold only one such library",
            *setup_step_ + 1, steps_[*setup_step_].spec.plugin, s + 1, step.spec.plugin));
      setup_step_ = s;
    }
    for (int i = 0; i < step.instance->num_inputs(); ++i) {
      Input input;
      input.location = thread_.call([&] { return step.instance->request_input(i); });
      input.step = s;
      step.inputs.push_back(inputs_.size());
      inputs_.push_back(std::move(input));
    }
  }
}

std::unique_ptr<InputSource> Pipeline::open_input(const std::string& location) {
  const std::string file_name = spec_.input.string();
  if (!is_scan_role(location))
    return std::make_unique<InputDataset>(input_file_.get(), location, file_name);
  if (!scan_) {
    scan_files_.emplace(group_, spec_.input);
    scan_ = discover_scan(input_file_.get(), file_name, ScanOverrides::from(spec_.params),
                          &*scan_files_);
    if (group_.is_root()) {
      spdlog::info("scan: {}", scan_description(*scan_));
      for (const std::string& warning : scan_->warnings) spdlog::warn("{}", warning);
    }
  }
  return open_scan_role(input_file_.get(), file_name, location, *scan_, *scan_files_);
}

int Pipeline::feed_for(size_t s, const std::string& location) const {
  // A later step reads the previous step's first output where it would read
  // the scan's projections, or where it names that output's location.
  if (s == 0) return -1;
  const Step& previous = steps_[s - 1];
  if (previous.outputs.empty()) return -1;
  const size_t output = previous.outputs.front();
  if (location == "scan:projections" ||
      normalised_location(location) == outputs_[output].request.location)
    return static_cast<int>(output);
  return -1;
}

void Pipeline::connect_input(size_t s, size_t index, const Input*& reference) {
  Step& step = steps_[s];
  Input& input = inputs_[step.inputs[index]];
  input.feed = feed_for(s, input.location);
  h5io_dataspace_t space{};
  if (input.feed >= 0) {
    const Output& fed = outputs_[static_cast<size_t>(input.feed)];
    space.rank = static_cast<int32_t>(fed.geometry.shape.size());
    std::copy(fed.geometry.shape.begin(), fed.geometry.shape.end(), space.shape);
    space.dtype = fed.request.space.dtype;
  } else {
    if (s > 0 && (input.location == "scan:darks" || input.location == "scan:flats"))
      throw Error(fmt::format(
          "pipeline step {} '{}' asks for the scan's {} as its input {}, so it would normalise "
          "again what step {} '{}' hands it; set its parameters to take normalised data (for "
          "tomo_fbp normalise=false, for paganin input={})",
          s + 1, step.spec.plugin, input.location.substr(5), index, s, steps_[s - 1].spec.plugin,
          steps_[s - 1].outputs.empty()
              ? "?"
              : outputs_[steps_[s - 1].outputs.front()].request.location));
    input.source = open_input(input.location);
    space = input.source->dataspace();
  }
  input.dtype = space.dtype;
  std::vector<int> map;
  try {
    map = thread_.call(
        [&] { return step.instance->set_input_slice(static_cast<int>(index), space); });
  } catch (const Error& e) {
    // The library refused a shape: where the step is fed the one before's
    // output, say whose output it was, since that is what to change.
    const int feed = input.feed >= 0 ? input.feed : fed_output_of(s, index);
    if (feed < 0) throw;
    const Output& fed = outputs_[static_cast<size_t>(feed)];
    throw Error(fmt::format(
        "pipeline step {} '{}' does not accept what step {} '{}' hands it (its output '{}' {}): "
        "{}",
        s + 1, step.spec.plugin, fed.step + 1, steps_[fed.step].spec.plugin, fed.request.location,
        shape_text(fed.geometry.shape), e.what()));
  }
  const std::vector<int64_t> shape(space.shape, space.shape + space.rank);
  const std::string what =
      fmt::format("{}, input {} '{}' {}", step.what(), index, input.location, shape_text(shape));
  input.geometry =
      SliceGeometry{shape, sliced_axis_from_map(map, what), h5io_dtype_size(space.dtype)};
  input.from_output = input.feed;
  if (input.feed >= 0) {
    const Output& fed = outputs_[static_cast<size_t>(input.feed)];
    if (input.geometry.axis == fed.geometry.axis) return; // chained in memory
    // A change of pattern: the output is made frame by frame (dimension 0)
    // and read the other way, through the reslicing scratch.
    const std::string change = fmt::format(
        "pipeline step {} '{}' reads the output of step {} '{}' {} by slices along dimension {}, "
        "but that output is made slices along dimension {}",
        s + 1, step.spec.plugin, s, steps_[s - 1].spec.plugin, shape_text(shape),
        input.geometry.axis, fed.geometry.axis);
    if (boundary_)
      throw Error(fmt::format("{}: a pipeline may change its slicing pattern once (it does at "
                              "step {} already); run the steps from {} on as a second job",
                              change, *boundary_ + 1, s + 1));
    if (fed.geometry.axis != 0 || shape.size() < 2)
      throw Error(fmt::format("{}: reslicing between steps turns frames (outputs that grow "
                              "along their first dimension) into slices of another dimension, "
                              "and this one is not made of frames",
                              change));
    boundary_ = s;
    staged_output_ = input.feed;
    input.feed = -1; // read from the scratch copy once the frames are written
    frame_slices_ = total_slices_;
    total_slices_ = input.geometry.slices();
    reference = &input;
    return;
  }
  if (!input.geometry.sliced()) return;
  if (reference == nullptr) {
    reference = &input;
    total_slices_ = input.geometry.slices();
  } else if (input.geometry.slices() != total_slices_) {
    throw Error(fmt::format(
        "the inputs of {} disagree on the number of slices: '{}' {} sliced along dimension {} "
        "has {}, but '{}' {} sliced along dimension {} has {}",
        steps_.size() == 1 ? step.what() : "the pipeline", reference->location,
        shape_text(reference->geometry.shape), reference->geometry.axis, total_slices_,
        input.location, shape_text(input.geometry.shape), input.geometry.axis,
        input.geometry.slices()));
  }
}

int Pipeline::fed_output_of(size_t s, size_t before) const {
  for (size_t index = 0; index < before; ++index)
    if (const int output = inputs_[steps_[s].inputs[index]].from_output; output >= 0) return output;
  return -1;
}

void Pipeline::connect_steps() {
  const bool reads_scan = std::any_of(inputs_.begin(), inputs_.end(), [](const Input& input) {
    return is_scan_role(input.location);
  });
  if (!reads_scan && !ScanOverrides::from(spec_.params).empty())
    throw Error(
        fmt::format("the scan.* parameters name parts of a tomography scan, but {} "
                    "reads none (it asks for no scan:... input)",
                    steps_.size() == 1 ? steps_.front().what() : "no step of the pipeline"));
  const Input* reference = nullptr; // the first sliced input
  for (size_t s = 0; s < steps_.size(); ++s) {
    Step& step = steps_[s];
    for (size_t index = 0; index < step.inputs.size(); ++index) connect_input(s, index, reference);
    if (s == 0 && reference == nullptr)
      throw Error(fmt::format("{} slices none of its inputs (every slicing map is all zeros), "
                              "so there is nothing to process slice by slice",
                              step.what()));
    if (s > 0 && std::none_of(step.inputs.begin(), step.inputs.end(),
                              [this](size_t i) { return inputs_[i].from_output >= 0; }))
      throw Error(fmt::format(
          "pipeline step {} '{}' does not read what step {} '{}' makes: a step after the first "
          "takes the previous step's first output{} as the input it calls scan:projections, or "
          "names that output's location as an input",
          s + 1, step.spec.plugin, s, steps_[s - 1].spec.plugin,
          steps_[s - 1].outputs.empty()
              ? ""
              : fmt::format(" ('{}')", outputs_[steps_[s - 1].outputs.front()].request.location)));
    request_outputs(s);
  }
  if (boundary_ && setup_step_ && *setup_step_ < *boundary_)
    throw Error(fmt::format("{} has a scan-wide step (job_setup), which must come after the "
                            "pipeline's change of slicing pattern at step {}",
                            steps_[*setup_step_].what(), *boundary_ + 1));
  describe_outputs();
  read_whole_inputs();
}

void Pipeline::read_whole_inputs() {
  // Unsliced inputs are read once, whole (a check needs only their shape).
  for (Input& input : inputs_) {
    if (input.geometry.sliced() || purpose_ != PipelinePurpose::process) continue;
    input.whole.resize(input.geometry.slice_bytes());
    input.source->read_whole(input.whole.data());
    bytes_read_ += static_cast<int64_t>(input.whole.size());
  }
}

std::vector<ResliceScratch::Source> Pipeline::staged_sources(PlanRequest& request) {
  // The frames the steps before the change make: each reslice unit holds
  // their read inputs and every output for its frames.
  const auto [first_step, end_step] = stage_steps(UnitStage::reslice);
  int64_t frame_bytes = 0;
  std::vector<int64_t> chunks;
  for (const Input& input : inputs_)
    if (input.step < end_step && input.read()) {
      frame_bytes += static_cast<int64_t>(input.geometry.slice_bytes());
      chunks.push_back(input.source->chunk_extent(input.geometry.axis));
    }
  for (const Output& output : outputs_)
    if (output.step < end_step) frame_bytes += static_cast<int64_t>(output.geometry.slice_bytes());
  request.sources.push_back(PlannedSource{frame_slices_, frame_bytes, combined_alignment(chunks)});
  for (PlannedInput& planned : request.inputs) planned.source = -1;
  const Input& staged = *std::find_if(inputs_.begin(), inputs_.end(), [&](const Input& input) {
    return input.from_output == staged_output_ && input.feed < 0;
  });
  size_t sliced = 0;
  for (const Input& input : inputs_) {
    if (!input.read() || input.step < *boundary_) continue;
    if (&input == &staged) request.inputs[sliced].source = 0;
    ++sliced;
  }
  const Output& output = outputs_[static_cast<size_t>(staged_output_)];
  ResliceScratch::Source source;
  source.axis = staged.geometry.axis;
  source.computed = {
      output.geometry.shape, output.request.space.dtype,
      fmt::format("output '{}' of {}", output.request.location, steps_[output.step].what())};
  std::vector<ResliceScratch::Source> sources;
  sources.push_back(std::move(source));
  return sources;
}

std::pair<size_t, size_t> Pipeline::stage_steps(UnitStage stage) const {
  if (!boundary_) return {0, steps_.size()};
  return stage == UnitStage::reslice ? std::pair<size_t, size_t>{0, *boundary_}
                                     : std::pair<size_t, size_t>{*boundary_, steps_.size()};
}

std::vector<ResliceScratch::Source> Pipeline::reslice_sources(PlanRequest& request) {
  // A source is a stored dataset of two or more dimensions that sliced
  // inputs read along another dimension than the frames; views of one
  // dataset (a scan's darks, flats and projections) share it.
  std::vector<ResliceScratch::Source> sources;
  std::vector<std::string> keys;
  std::vector<bool> usable;
  size_t sliced = 0; // request.inputs holds the sliced inputs, in order
  for (const Input& input : inputs_) {
    if (!input.read()) continue;
    PlannedInput& planned = request.inputs[sliced++];
    const auto* dataset = dynamic_cast<const InputDataset*>(input.source.get());
    if (dataset == nullptr || input.geometry.axis < 1 || input.geometry.shape.size() < 2) continue;
    const std::string key = dataset->storage_key();
    const auto found = std::find(keys.begin(), keys.end(), key);
    if (found != keys.end()) {
      const auto s = static_cast<size_t>(found - keys.begin());
      // Read along two different dimensions: no one chunking serves both.
      if (sources[s].axis != input.geometry.axis) usable[s] = false;
      planned.source = static_cast<int>(s);
      continue;
    }
    ResliceScratch::Source source{dataset->whole_dataset(), input.geometry.axis, {}};
    const std::vector<int64_t>& shape = source.dataset->shape();
    const SliceGeometry frames{shape, 0, source.dataset->element_size()};
    request.sources.push_back(PlannedSource{shape[0], static_cast<int64_t>(frames.slice_bytes()),
                                            source.dataset->chunk_extent(0)});
    planned.source = static_cast<int>(sources.size());
    keys.push_back(key);
    usable.push_back(true);
    sources.push_back(std::move(source));
  }
  for (PlannedInput& planned : request.inputs)
    if (planned.source >= 0 && !usable[static_cast<size_t>(planned.source)]) planned.source = -1;
  return sources;
}

void Pipeline::plan_work() {
  PlanRequest request;
  request.total_slices = total_slices_;
  const auto [first_step, end_step] = stage_steps(UnitStage::process);
  for (const Input& input : inputs_) {
    if (input.feed >= 0) continue; // the previous step's output buffer
    if (!input.geometry.sliced()) {
      request.fixed_bytes += static_cast<int64_t>(input.geometry.slice_bytes());
      continue;
    }
    if (input.step < first_step) continue; // read by the reslice stage
    if (!input.source) { // the scratch copy of the steps before a change of pattern
      request.inputs.push_back(
          PlannedInput{1, static_cast<int64_t>(input.geometry.slice_bytes()), 0, -1});
      continue;
    }
    PlannedInput planned;
    planned.chunk_extent = input.source->chunk_extent(input.geometry.axis);
    planned.slice_bytes = static_cast<int64_t>(input.geometry.slice_bytes());
    if (const auto* dataset = dynamic_cast<const InputDataset*>(input.source.get());
        dataset != nullptr && !dataset->chunk().empty()) {
      planned.chunk_bytes = static_cast<int64_t>(dataset->element_size());
      for (const int64_t extent : dataset->chunk()) planned.chunk_bytes *= extent;
    }
    request.inputs.push_back(planned);
  }
  for (const Output& output : outputs_)
    if (output.step >= first_step)
      request.output_slice_bytes += static_cast<int64_t>(output.geometry.slice_bytes());
  std::vector<ResliceScratch::Source> sources =
      boundary_ ? staged_sources(request) : reslice_sources(request);

  // At least one unit per rank of this group; the master asks for more
  // (min_units) so that any group it leases the job to stays busy.
  PlanOptions options = spec_.plan;
  options.ranks = std::max(options.ranks, group_.size());
  if (boundary_) {
    if (options.reslice == ReslicePolicy::never)
      throw Error(fmt::format("pipeline '{}' changes its slicing pattern at step {}, which "
                              "reslices; --reslice off cannot apply to it",
                              job_name(), *boundary_ + 1));
    options.reslice = ReslicePolicy::always;
  }
  try {
    plan_ = plan_job(request, options);
  } catch (const Error& e) {
    const std::string_view text = e.what();
    throw Error(fmt::format("{} '{}' on '{}': {}{}", steps_.size() == 1 ? "library" : "pipeline",
                            job_name(), spec_.input.string(), text,
                            text.find("memory budget") == std::string_view::npos
                                ? ""
                                : " (the budget is --memory-mb for h5io run, memory_mb in the "
                                  "master's configuration)"));
  }
  if (group_.is_root() && purpose_ == PipelinePurpose::process)
    for (const std::string& line : plan_lines(describe_plan())) spdlog::info("{}", line);
  if (!plan_.reslice || purpose_ != PipelinePurpose::process) return;
  std::vector<ResliceScratch::Source> copied;
  for (size_t s = 0; s < sources.size(); ++s)
    if (plan_.source_offsets[s] >= 0) copied.push_back(std::move(sources[s]));
  reslice_.emplace(group_, std::move(copied), plan_);
}

PlanDescription Pipeline::describe_plan() const {
  PlanDescription plan;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    StepPlan described{step.spec.plugin, pattern_of(step), "file",
                       s + 1 == steps_.size() || step.spec.save};
    for (const size_t i : step.inputs) {
      const Input& input = inputs_[i];
      if (input.from_output < 0) continue;
      described.fed = input.feed >= 0 ? "memory" : "reslicing scratch";
      // What a unit hands this step in memory; steps before a change of
      // pattern run on the reslice units' frames.
      const int64_t slices =
          boundary_ && s < *boundary_ ? plan_.reslice_frames : plan_.slices_per_unit;
      if (input.feed >= 0)
        plan.between_steps_bytes +=
            slices *
            static_cast<int64_t>(outputs_[static_cast<size_t>(input.feed)].geometry.slice_bytes());
    }
    plan.steps.push_back(std::move(described));
  }
  if (plan_.reslice) {
    plan.reslice_step = boundary_ ? static_cast<int64_t>(*boundary_) + 1 : 1;
    plan.reslice_reason = plan_.reason;
    plan.reslice_units = plan_.reslice_units;
    plan.reslice_frames = plan_.reslice_frames;
  }
  plan.units = plan_.process_units();
  plan.slices_per_unit = plan_.slices_per_unit;
  plan.total_slices = plan_.total_slices;
  plan.memory_per_rank_bytes = plan_.memory_bytes;
  return plan;
}

void Pipeline::request_outputs(size_t s) {
  Step& step = steps_[s];
  for (int j = 0; j < step.instance->num_outputs(); ++j) {
    Output output{thread_.call([&] { return step.instance->request_output(j); }),
                  {},
                  {},
                  s,
                  s + 1 == steps_.size() || step.spec.save};
    const h5io_dataspace_t& space = output.request.space;
    output.request.location = normalised_location(output.request.location);
    const std::string what =
        fmt::format("{}, output {} '{}'", step.what(), j, output.request.location);
    if (space.rank < 1 || space.rank > H5IO_MAX_RANK)
      throw Error(fmt::format("{}: rank {} is outside 1 to {}", what, space.rank, H5IO_MAX_RANK));
    if (h5io_dtype_size(space.dtype) == 0)
      throw Error(fmt::format("{}: unknown element type {} (supported: {})", what,
                              static_cast<int>(space.dtype), supported_dtype_names()));
    SliceGeometry geometry{{}, -1, h5io_dtype_size(space.dtype)};
    for (int d = 0; d < space.rank; ++d) {
      const int64_t extent = space.shape[d];
      if (extent == -1 && geometry.axis < 0) {
        geometry.axis = d;
        geometry.shape.push_back(total_slices_);
      } else if (extent >= 1) {
        geometry.shape.push_back(extent);
      } else {
        throw Error(fmt::format("{}: shape {} must have exactly one -1 (the dimension that "
                                "grows with the slices) and positive extents elsewhere",
                                what, shape_text(dataspace_shape(space))));
      }
    }
    if (geometry.axis < 0)
      throw Error(fmt::format("{}: shape {} has no -1 marking the dimension that grows with "
                              "the slices",
                              what, shape_text(dataspace_shape(space))));
    if (const std::optional<std::string> reason = reserved_output_location(output.request.location))
      throw Error(fmt::format("{}: {}; choose another location", what, *reason));
    for (const Output& other : outputs_) {
      // Only outputs written into the file need places of their own.
      if (!other.written || !output.written) continue;
      const std::string& a = other.request.location;
      const std::string& b = output.request.location;
      if (a == b || b.starts_with(a + "/") || a.starts_with(b + "/"))
        throw Error(
            fmt::format("{} collides with {}output '{}'{}: each output needs its own dataset{}",
                        what, other.step == s ? "" : "the saved ", a,
                        other.step == s ? "" : fmt::format(" of {}", steps_[other.step].what()),
                        other.step == s ? "" : "; give one of the steps another output location"));
    }
    output.geometry = std::move(geometry);
    step.outputs.push_back(outputs_.size());
    outputs_.push_back(std::move(output));
  }
}

void Pipeline::describe_outputs() {
  for (size_t j = 0; j < outputs_.size(); ++j) {
    Output& output = outputs_[j];
    Step& step = steps_[output.step];
    const auto index = static_cast<int>(std::find(step.outputs.begin(), step.outputs.end(), j) -
                                        step.outputs.begin());
    const std::string what = fmt::format("{}, output {} '{}', describe_output", step.what(), index,
                                         output.request.location);
    output.description =
        read_output_description(thread_.call([&] { return step.instance->describe_output(index); }),
                                static_cast<int>(output.geometry.shape.size()), what);
  }
  try {
    plan_nexus_layout(nexus_outputs());
  } catch (const Error& e) {
    throw Error(fmt::format("{} '{}': {}", steps_.size() == 1 ? "library" : "pipeline", job_name(),
                            e.what()));
  }
}

std::vector<NexusOutput> Pipeline::nexus_outputs() const {
  std::vector<NexusOutput> outputs;
  for (const Output& output : outputs_)
    if (output.written)
      outputs.push_back({output.request.location, output.geometry.shape, output.geometry.axis,
                         output.description.nexus});
  return outputs;
}

void Pipeline::allocate_slots(UnitStage stage) {
  const auto n = static_cast<size_t>(plan_.slices_per_unit);
  try {
    for (Slot& slot : slots_) {
      // Released, not just cleared: the stages' buffers never coexist.
      slot.inputs = std::vector<UnitBuffer>();
      slot.outputs = std::vector<UnitBuffer>();
      const auto [begin, end] = stage_steps(stage);
      if (stage == UnitStage::reslice && boundary_) {
        size_slot(slot, static_cast<size_t>(plan_.reslice_frames), begin, end);
        continue;
      }
      if (stage == UnitStage::reslice) {
        slot.inputs.emplace_back(static_cast<size_t>(reslice_->unit_buffer_bytes()));
        continue;
      }
      size_slot(slot, n, begin, end);
    }
  } catch (const std::bad_alloc&) {
    throw Error(fmt::format(
        "not enough memory for units of {} {} (about {} per rank); give the "
        "job a smaller memory budget (--memory-mb) so its units are cut "
        "smaller",
        stage == UnitStage::reslice ? plan_.reslice_frames : plan_.slices_per_unit,
        stage == UnitStage::reslice ? "frames" : "slices", byte_size_text(plan_.memory_bytes)));
  }
}

void Pipeline::size_slot(Slot& slot, size_t slices, size_t begin, size_t end) const {
  slot.inputs.clear();
  slot.outputs.clear();
  const auto in_stage = [&](size_t step) { return step >= begin && step < end; };
  for (const Input& input : inputs_)
    slot.inputs.emplace_back(
        input.read() && in_stage(input.step) ? slices * input.geometry.slice_bytes() : 0);
  // Every step's outputs: those not written feed the next step.
  for (const Output& output : outputs_)
    slot.outputs.emplace_back(in_stage(output.step) ? slices * output.geometry.slice_bytes() : 0);
}

std::optional<UnitStage> Pipeline::agreed_stage(const Slot& slot) const {
  // One sum tells whether any rank has a process unit and whether any has a
  // reslice unit (ranks are far fewer than 2^20).
  constexpr int64_t kReslice = int64_t{1} << 20;
  const int64_t code = group_.sum(!slot.unit                               ? 0
                                  : slot.unit->stage == UnitStage::reslice ? kReslice
                                                                           : 1);
  const bool reslicing = code >= kReslice;
  const bool processing = code % kReslice != 0;
  if (reslicing && processing)
    throw Error("internal error: a schedule handed out reslice and process units in one round");
  if (reslicing) return UnitStage::reslice;
  if (processing) return UnitStage::process;
  return std::nullopt; // an empty round
}

UnitStage Pipeline::phase_stage() const {
  return phase_ == Phase::reslice ? UnitStage::reslice : UnitStage::process;
}

bool Pipeline::needs_phase(UnitStage stage) const {
  return phase_ == Phase::none || stage != phase_stage();
}

void Pipeline::enter_phase(UnitStage stage, const Slot& computing) {
  if (stage == UnitStage::reslice) {
    if (phase_ == Phase::reslice) return;
    if (phase_ == Phase::process || !reslice_)
      throw Error("internal error: a reslice unit after the job's processing began");
    collectively(group_, [&] { allocate_slots(UnitStage::reslice); });
    reslice_->open_for_writing(*target_, spec_.resume);
    phase_ = Phase::reslice;
    return;
  }
  if (phase_ == Phase::process) return;
  // Every reslice unit is written by now (schedules promise it), but the
  // unit being computed must not be one: its buffer is about to go.
  collectively(group_, [&] {
    if (computing.unit && computing.unit->stage == UnitStage::reslice)
      throw Error("internal error: processing began while a reslice unit was unwritten");
  });
  if (reslice_) {
    reslice_->open_for_reading(target_->scratch_path());
    collectively(group_, [&] {
      for (Input& input : inputs_) {
        if (boundary_ && input.from_output == staged_output_ && input.feed < 0)
          input.source = reslice_->open_copy(0); // the steps before the change made it
        else if (const auto* dataset = dynamic_cast<const InputDataset*>(input.source.get()))
          if (std::unique_ptr<InputDataset> copy = reslice_->serve(*dataset))
            input.source = std::move(copy);
      }
    });
  }
  collectively(group_, [&] { allocate_slots(UnitStage::process); });
  run_job_setup();
  phase_ = Phase::process;
}

int64_t Pipeline::output_bytes() const {
  // The datasets, and room for HDF5's metadata (a few KiB for a few datasets).
  int64_t bytes = int64_t{64} << 10;
  for (const Output& output : outputs_)
    if (output.written)
      bytes += static_cast<int64_t>(output.geometry.slice_bytes()) * output.geometry.slices();
  return bytes;
}

void Pipeline::open_output_file() {
  for (size_t j = 0; j < outputs_.size(); ++j)
    if (outputs_[j].written) written_.push_back(j);
  if (!spec_.resume) {
    // A fresh file, not the old one truncated (see clear_partial); the
    // agreement after removing it keeps every rank from opening it first.
    collectively(group_, [&] {
      if (group_.is_root()) target_->clear_partial();
    });
    output_file_.emplace(group_, target_->partial_path());
    if (group_.is_root()) target_->claim_partial();
    // Reserved before the datasets exist: HDF5 has not yet promised the
    // file a size, so after a refusal it still closes cleanly.
    collectively(group_, [&] {
      if (group_.is_root()) reserve_file_space(target_->partial_path(), output_bytes());
    });
    for (const size_t j : written_)
      output_datasets_.push_back(output_file_->create_dataset(
          outputs_[j].request.location, outputs_[j].geometry, outputs_[j].request.space.dtype));
  } else {
    output_file_.emplace(group_, target_->partial_path(), OutputMode::reopen);
    for (const size_t j : written_)
      output_datasets_.push_back(output_file_->open_dataset(
          outputs_[j].request.location, outputs_[j].geometry, outputs_[j].request.space.dtype));
  }
  // The same answer on every rank: it depends only on the datasets.
  if (std::any_of(output_datasets_.begin(), output_datasets_.end(),
                  [](const OutputDataset& dataset) { return dataset.raw_offset().has_value(); }))
    run_writer_.emplace(target_->partial_path());
}

void Pipeline::read_unit(Slot& slot) {
  if (!slot.unit) return;
  const auto start = std::chrono::steady_clock::now();
  if (slot.unit->stage == UnitStage::reslice && !boundary_) {
    reslice_->read_unit(*slot.unit, slot.inputs[0].data());
    reslice_seconds_ += seconds_since(start);
    return;
  }
  const auto [begin, end] = stage_steps(slot.unit->stage);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Input& input = inputs_[i];
    if (!input.read() || input.step < begin || input.step >= end) continue;
    input.source->read_slices(input.geometry, slot.unit->first, slot.unit->count,
                              slot.inputs[i].data());
    bytes_read_ += slot.unit->count * static_cast<int64_t>(input.geometry.slice_bytes());
  }
  read_seconds_ += seconds_since(start);
}

h5io_buffer_t Pipeline::input_buffer(size_t i, Slot& slot, int64_t count) {
  Input& input = inputs_[i];
  h5io_buffer_t buffer{};
  buffer.data = input.feed >= 0 ? slot.outputs[static_cast<size_t>(input.feed)].data()
                : input.read()  ? slot.inputs[i].data()
                                : input.whole.data();
  buffer.space = input.geometry.slice_space(input.dtype);
  buffer.count = input.geometry.sliced() ? count : 1;
  buffer.slice_bytes = input.geometry.slice_bytes();
  return buffer;
}

// Runs on the libraries' worker thread.
void Pipeline::compute(Slot& slot, size_t begin, size_t end) {
  const auto start = std::chrono::steady_clock::now();
  const Unit unit = *slot.unit;
  for (size_t s = begin; s < end; ++s) compute_step(steps_[s], slot, unit);
  compute_seconds_ += seconds_since(start);
}

void Pipeline::compute_step(Step& step, Slot& slot, const Unit& unit) {
  std::vector<h5io_buffer_t> in;
  std::vector<h5io_buffer_t> out;
  for (const size_t i : step.inputs) in.push_back(input_buffer(i, slot, unit.count));
  for (const size_t j : step.outputs) {
    const Output& output = outputs_[j];
    std::memset(slot.outputs[j].data(), 0,
                static_cast<size_t>(unit.count) * output.geometry.slice_bytes());
    h5io_buffer_t& buffer = out.emplace_back();
    buffer.data = slot.outputs[j].data();
    buffer.space = output.geometry.slice_space(output.request.space.dtype);
    buffer.count = unit.count;
    buffer.slice_bytes = output.geometry.slice_bytes();
  }
  if (step.instance->has_batch()) {
    step.instance->process_batch(unit.first, unit.count, in, out);
    return;
  }
  // One slice at a time: the same buffers, viewed one slice further each call.
  std::vector<h5io_buffer_t> in_one(in), out_one(out);
  for (auto& b : in_one) b.count = 1;
  for (auto& b : out_one) b.count = 1;
  for (int64_t k = 0; k < unit.count; ++k) {
    for (size_t i = 0; i < in.size(); ++i)
      if (inputs_[step.inputs[i]].geometry.sliced())
        in_one[i].data = static_cast<std::byte*>(in[i].data) + k * in[i].slice_bytes;
    for (size_t j = 0; j < out.size(); ++j)
      out_one[j].data = static_cast<std::byte*>(out[j].data) + k * out[j].slice_bytes;
    step.instance->process(unit.first + k, in_one, out_one);
  }
}

void Pipeline::write_unit(const Slot& slot) {
  const auto start = std::chrono::steady_clock::now();
  if (slot.stage == UnitStage::reslice) {
    reslice_->write_round(slot.unit, boundary_
                                         ? slot.outputs[static_cast<size_t>(staged_output_)].data()
                                         : slot.inputs[0].data());
    if (slot.unit) frames_resliced_ += slot.unit->count;
    reslice_seconds_ += seconds_since(start);
    if (!boundary_) return;
  }
  // The written outputs of the steps this stage ran (those before a change
  // of pattern, saved, during reslicing).
  const auto [begin, end] = stage_steps(slot.stage);
  const int64_t first = slot.unit ? slot.unit->first : 0;
  const int64_t count = slot.unit ? slot.unit->count : 0;
  for (size_t k = 0; k < output_datasets_.size(); ++k) {
    const size_t j = written_[k];
    if (outputs_[j].step < begin || outputs_[j].step >= end) continue;
    const auto slice_bytes = static_cast<int64_t>(outputs_[j].geometry.slice_bytes());
    bytes_written_ += count * slice_bytes;
    // A run needs no other rank (a rank with none writes nothing): its
    // bytes go out on the RunWriter's thread while this one reads on.
    if (const std::optional<int64_t> offset = output_datasets_[k].raw_offset()) {
      if (count > 0)
        run_writer_->write(*offset + first * slice_bytes, slot.outputs[j].data(),
                           static_cast<size_t>(count * slice_bytes));
      continue;
    }
    output_datasets_[k].write_slices(
        first, count, slot.outputs.empty() ? nullptr : slot.outputs[j].data(), *output_file_);
  }
  write_seconds_ += seconds_since(start);
}

void Pipeline::finish_writes() {
  if (!run_writer_) return;
  const auto start = std::chrono::steady_clock::now();
  // The writes' own time is the write stage's; the main thread's wait for
  // them is what the overlap did not hide.
  write_seconds_ += run_writer_->wait();
  write_wait_seconds_ += seconds_since(start);
}

void Pipeline::run(UnitSchedule& schedule, ProgressListener* progress) {
  const auto run_started = std::chrono::steady_clock::now();
  if (run_writer_ && schedule.flushes_output()) run_writer_->start_writeback_early();
  // Waiting for the library is what the rounds do not overlap.
  const auto wait_for = [this](std::future<void>& computed) {
    const auto start = std::chrono::steady_clock::now();
    computed.get();
    wait_seconds_ += seconds_since(start);
  };
  Slot* current = &slots_[0];
  Slot* next = &slots_[1];
  const Slot* to_write = nullptr; // computed last round, written this round
  const std::function<void()> flush_output = [this] {
    collectively(group_, [&] {
      if (reslice_) reslice_->flush();
      output_file_->flush();
    });
  };
  bool more = false;
  collectively(group_, [&] { more = schedule.next_round(current->unit); });
  if (const std::optional<UnitStage> stage = agreed_stage(*current); stage && needs_phase(*stage))
    enter_phase(*stage, *next);
  current->stage = phase_stage();
  collectively(group_, [&] { read_unit(*current); });
  int64_t done = 0;
  int64_t resliced = 0;
  bool fenced = false;

  while (more) {
    std::future<void> computed;
    if (current->unit && (current->unit->stage == UnitStage::process || boundary_)) {
      const auto [begin, end] = stage_steps(current->unit->stage);
      computed = thread_.submit([this, current, begin, end] { compute(*current, begin, end); });
    }

    // Errors are noted, not thrown, until every rank has passed the
    // collective calls of this round; then all ranks agree and stop together.
    std::optional<std::string> error;
    const auto noting = [&error](auto&& step) {
      try {
        step();
      } catch (const std::exception& e) {
        if (!error) error = e.what();
      }
    };
    // Fencing: once the schedule's right to the job has lapsed, whatever
    // this group computed belongs to someone else and is not written.
    if (to_write != nullptr && !fenced) fenced = !schedule.may_write();
    if (to_write != nullptr && !fenced) noting([&] { write_unit(*to_write); });
    noting([&] { more = schedule.next_round(next->unit); });
    if (const std::optional<UnitStage> stage = agreed_stage(*next); stage && needs_phase(*stage)) {
      // Once per stage: finish this round's work first, then set up the next.
      if (computed.valid()) noting([&] { wait_for(computed); });
      noting([&] { finish_writes(); }); // the buffers may be about to go
      group_.agree(error);
      enter_phase(*stage, *current);
    }
    next->stage = phase_stage();
    noting([&] { read_unit(*next); });
    if (computed.valid()) noting([&] { wait_for(computed); });
    // Written before the round's errors are agreed: round_written, fencing
    // and the next compute into this slot all see a finished write.
    noting([&] { finish_writes(); });
    group_.agree(error);
    if (to_write != nullptr && !fenced) schedule.round_written(flush_output, false);

    const bool reslicing = current->stage == UnitStage::reslice;
    const int64_t finished = group_.sum(!current->unit ? 0 : reslicing ? 1 : current->unit->count);
    (reslicing ? resliced : done) += finished;
    const int64_t read = group_.sum(bytes_read_);
    if (progress != nullptr && group_.is_root()) {
      if (reslicing)
        progress->reslicing(resliced, plan_.reslice_units, seconds_since(started_));
      else
        progress->progress(done, total_slices_, read, seconds_since(started_));
    }
    to_write = current;
    std::swap(current, next);
  }
  if (to_write != nullptr && !fenced && schedule.may_write()) {
    collectively(group_, [&] {
      write_unit(*to_write);
      finish_writes();
    });
    schedule.round_written(flush_output, true);
  }
  run_seconds_ += seconds_since(run_started);
}

void Pipeline::run_job_setup() {
  if (!setup_step_) return;
  Step& step = steps_[*setup_step_];
  // A resumed job applies the results its first group found and stored.
  std::optional<std::string> text;
  if (spec_.resume) collectively(group_, [&] { text = output_file_->read_text(kJobSetupRecord); });
  if (!text) {
    std::string found;
    collectively(group_, [&] {
      if (group_.is_root()) found = compute_job_setup(step);
    });
    text = group_.broadcast(found, 0);
    collectively(group_, [&] { output_file_->write_text(kJobSetupRecord, *text); });
  } else if (group_.is_root()) {
    spdlog::info("scan-wide step: applying the results stored when the job began");
  }
  collectively(group_, [&] {
    job_setup_ = JobSetupResults::from_json(nlohmann::json::parse(*text));
    thread_.call([&] { step.instance->apply_job_setup(*job_setup_); });
    // Asked again: the library may describe its outputs with its findings.
    describe_outputs();
  });
}

std::string Pipeline::compute_job_setup(Step& step) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int64_t> slices =
      thread_.call([&] { return step.instance->job_setup_slices(total_slices_); });
  // A step fed by earlier ones: those run first on each slice it asks for.
  Slot upstream;
  const bool fed = std::any_of(step.inputs.begin(), step.inputs.end(),
                               [this](size_t i) { return inputs_[i].feed >= 0; });
  const auto [begin, end] = stage_steps(UnitStage::process);
  if (fed) size_slot(upstream, 1, begin, end);
  std::vector<std::vector<std::byte>> buffers(step.inputs.size());
  std::vector<h5io_buffer_t> in(step.inputs.size());
  for (size_t k = 0; k < step.inputs.size(); ++k) {
    Input& input = inputs_[step.inputs[k]];
    const bool sliced = input.geometry.sliced();
    const size_t slice_bytes = input.geometry.slice_bytes();
    if (sliced) buffers[k].resize(slices.size() * slice_bytes);
    in[k].data = sliced ? buffers[k].data() : input.whole.data();
    in[k].space = input.geometry.slice_space(input.dtype);
    in[k].count = sliced ? static_cast<int64_t>(slices.size()) : 1;
    in[k].slice_bytes = slice_bytes;
  }
  for (size_t n = 0; n < slices.size(); ++n) {
    if (fed) {
      upstream.unit = Unit{slices[n], 1, UnitStage::process};
      read_unit(upstream);
      thread_.call([&] { compute(upstream, begin, *setup_step_); });
    }
    for (size_t k = 0; k < step.inputs.size(); ++k) {
      Input& input = inputs_[step.inputs[k]];
      const size_t slice_bytes = input.geometry.slice_bytes();
      std::byte* into = buffers[k].data() + n * slice_bytes;
      if (input.feed >= 0)
        std::memcpy(into, upstream.outputs[static_cast<size_t>(input.feed)].data(), slice_bytes);
      else if (input.geometry.sliced())
        input.source->read_slices(input.geometry, slices[n], 1, into);
    }
  }
  const JobSetupResults results =
      thread_.call([&] { return step.instance->job_setup(slices, in); });
  const nlohmann::json summary = results.summary();
  // The short results for people; lists (per-slice estimates, say) in -v,
  // and all of them in the NXprocess (job_setup).
  nlohmann::json brief = nlohmann::json::object();
  for (const auto& [key, value] : summary.items())
    if (!value.is_string() || value.get<std::string>().size() <= 40) brief[key] = value;
  spdlog::info("scan-wide step of '{}' on {} slices in {:.2f} s: {}", step.spec.plugin,
               slices.size(), seconds_since(start), brief.dump());
  spdlog::debug("scan-wide step, every result: {}", summary.dump());
  if (const auto warning = summary.find("warning");
      warning != summary.end() && warning->is_string() && !warning->get<std::string>().empty())
    spdlog::warn("{}, scan-wide step: {}", step.what(), warning->get<std::string>());
  return results.to_json().dump();
}

ProvenanceRecord Pipeline::provenance(const std::string& finished) const {
  nlohmann::json inputs = nlohmann::json::array();
  for (const Input& input : inputs_)
    if (input.feed < 0)
      inputs.push_back({{"location", input.location},
                        {"shape", input.geometry.shape},
                        {"dtype", dtype_name(input.dtype)},
                        {"sliced_dimension", input.geometry.axis}});
  nlohmann::json outputs = nlohmann::json::array();
  for (const Output& output : outputs_) {
    if (!output.written) continue;
    // The library's attributes too: they say what it resolved at run time
    // (tomo_fbp's method=auto, say), which the parameters alone do not.
    nlohmann::json attributes = nlohmann::json::object();
    for (const AttributeValue& a : output.description.attributes)
      std::visit([&](const auto& v) { attributes[a.name] = v; }, a.value);
    outputs.push_back({{"location", output.request.location},
                       {"shape", output.geometry.shape},
                       {"dtype", dtype_name(output.request.space.dtype)},
                       {"sliced_dimension", output.geometry.axis},
                       {"attributes", attributes}});
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  // Every step: its library, what it was given and how it sliced its data.
  nlohmann::json steps = nlohmann::json::array();
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    nlohmann::json step_inputs = nlohmann::json::array();
    for (const size_t i : step.inputs) {
      const Input& input = inputs_[i];
      nlohmann::json entry = {{"location", input.location},
                              {"sliced_dimension", input.geometry.axis}};
      if (input.from_output >= 0) {
        entry["from_step"] = outputs_[static_cast<size_t>(input.from_output)].step + 1;
        entry["via"] = input.feed >= 0 ? "memory" : "reslicing scratch";
      }
      step_inputs.push_back(entry);
    }
    nlohmann::json step_outputs = nlohmann::json::array();
    for (const size_t j : step.outputs)
      step_outputs.push_back(
          {{"location", outputs_[j].request.location}, {"written", outputs_[j].written}});
    steps.push_back({{"plugin", step.spec.plugin},
                     {"plugin_version", step.library->version()},
                     {"plugin_path", step.library->path().string()},
                     {"parameters", step.spec.params.to_json()},
                     {"pattern", pattern_of(step)},
                     {"save", step.spec.save},
                     {"inputs", step_inputs},
                     {"outputs", step_outputs}});
  }
  std::vector<std::string> versions;
  std::vector<std::string> paths;
  for (const Step& step : steps_) {
    versions.push_back(step.library->version());
    paths.push_back(step.library->path().string());
  }
  ProvenanceRecord record;
  record.program = "h5io";
  record.version = std::string(version());
  record.date = finished;
  record.parameters = spec_.params;
  record.fields = {{"job_id", spec_.job_id},
                   {"command", spec_.command_line},
                   {"plugin", job_name()},
                   {"plugin_version", fmt::format("{}", fmt::join(versions, " → "))},
                   {"plugin_path", fmt::format("{}", fmt::join(paths, " → "))},
                   {"steps", steps},
                   {"input_file", std::filesystem::absolute(spec_.input).string()},
                   {"inputs", inputs},
                   {"scan", scan_ ? scan_summary(*scan_) : nlohmann::json()},
                   {"outputs", outputs},
                   {"ranks", group_.size()},
                   {"slices_per_unit", plan_.slices_per_unit},
                   {"reslice", reslice_ ? reslice_->summary() : nlohmann::json()},
                   {"job_setup", job_setup_ ? job_setup_->summary() : nlohmann::json()},
                   {"host", host},
                   {"started", started_utc_},
                   {"finished", finished}};
  return record;
}

JobReport Pipeline::finish() {
  const auto finish_started = std::chrono::steady_clock::now();
  // A group that only finishes a resumed job (every unit was done before)
  // never set up the process stage: apply the stored scan-wide results, so
  // the library describes its outputs as the groups that computed them did.
  if (phase_ != Phase::process) run_job_setup();
  collectively(group_, [&] {
    thread_.call([this] {
      for (Step& step : steps_) step.instance->complete();
    });
  });
  const std::string finished = utc_timestamp();
  OutputCompletion completion;
  completion.provenance = provenance(finished);
  for (const Output& output : outputs_)
    if (output.written && !output.description.attributes.empty())
      completion.annotations.emplace_back(output.request.location, output.description.attributes);
  completion.nexus = plan_nexus_layout(nexus_outputs());
  completion.entry = {fmt::format("{} of {}", job_name(), spec_.input.filename().string()),
                      started_utc_, finished};
  // Collective closes before rank 0 reopens the output on its own.
  collectively(group_, [&] {
    run_writer_.reset();
    output_datasets_.clear();
    output_file_->close();
    reslice_.reset();
    inputs_.clear();
    scan_files_.reset();
    input_file_.reset();
  });
  collectively(group_, [&] {
    if (!group_.is_root()) return;
    complete_output_file(target_->partial_path(), completion);
    target_->commit();
    // Every unit is done: nobody reads the resliced copy any more.
    if (plan_.reslice) target_->remove_scratch();
  });
  finished_ = true;
  thread_.call([this] {
    for (Step& step : steps_) step.instance.reset();
  });

  JobReport report;
  report.slices = total_slices_;
  report.units = static_cast<int64_t>(plan_.units.size());
  report.bytes_read = group_.sum(bytes_read_);
  report.bytes_written = group_.sum(bytes_written_);
  report.read_seconds = group_.max(read_seconds_);
  report.compute_seconds = group_.max(compute_seconds_);
  report.write_seconds = group_.max(write_seconds_);
  report.frames_resliced = group_.sum(frames_resliced_);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  report.peak_rss_bytes =
      static_cast<int64_t>(group_.max(static_cast<double>(usage.ru_maxrss) * 1024.0));
  report.planned_bytes = plan_.memory_bytes;
  report.budget_bytes = spec_.plan.memory_bytes;
  report.reslice_seconds = group_.max(reslice_seconds_);
  report.setup_seconds = group_.max(setup_seconds_);
  report.run_seconds = group_.max(run_seconds_);
  report.wait_seconds = group_.max(wait_seconds_);
  report.write_wait_seconds = group_.max(write_wait_seconds_);
  report.finish_seconds = group_.max(seconds_since(finish_started));
  report.seconds = group_.max(seconds_since(started_));
  report.output = target_->final_path();
  return report;
}

} // namespace h5io
