#pragma once
// The slice-processing pipeline of one job on one group of ranks: a library
// instance per rank, inputs read with parallel HDF5, results written
// collectively into one output file that gets its final name only when whole.
//
// `h5io run` drives it with a static split of the units (StaticSchedule); the
// service's worker group drives the same pipeline with units leased from the
// master. Every member function is collective over the group.

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/input_source.hpp"
#include "common/hdf5/output_file.hpp"
#include "common/hdf5/run_writer.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/pipeline/nexus_layout.hpp"
#include "common/pipeline/output_description.hpp"
#include "common/pipeline/output_target.hpp"
#include "common/pipeline/plan_description.hpp"
#include "common/pipeline/provenance.hpp"
#include "common/pipeline/reslice_scratch.hpp"
#include "common/pipeline/step_spec.hpp"
#include "common/pipeline/unit_buffer.hpp"
#include "common/pipeline/work_plan.hpp"
#include "common/plugin_host/job_params.hpp"
#include "common/plugin_host/job_setup.hpp"
#include "common/plugin_host/plugin_host.hpp"
#include "common/scan/scan_layout.hpp"
#include "common/util/worker_thread.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace h5io {

struct JobSpec {
  std::string plugin;                             // library name, e.g. "benchmark"
  std::vector<std::filesystem::path> plugin_dirs; // where that name is looked up
  std::filesystem::path input;
  std::filesystem::path output;
  // With `steps` empty: the library's parameters and the host's scan.* ones.
  // With `steps`: the job's own parameters (scan.* only).
  JobParams params;
  // A pipeline: several libraries, each step fed the previous step's output
  // in memory (step_spec.hpp). Empty: one step, `plugin` with `params`.
  std::vector<StepSpec> steps;
  bool overwrite = false;
  // Take up an interrupted job: reopen its partial output (whose units
  // already written stay) instead of creating it, and never delete it.
  bool resume = false;
  PlanOptions plan;
  std::string job_id;       // "" when standalone
  std::string command_line; // for provenance
};

struct JobReport {
  int64_t slices = 0;
  int64_t units = 0;
  double seconds = 0;
  int64_t bytes_read = 0; // all ranks
  int64_t bytes_written = 0;
  // Where the time went, summed over the job, slowest rank: reading inputs,
  // the library computing (overlaps reading and writing), writing outputs.
  double read_seconds = 0;
  double compute_seconds = 0;
  double write_seconds = 0;
  // The reslicing stage, when the job had one: frames copied, and the time
  // the slowest rank spent reading and writing them.
  int64_t frames_resliced = 0;
  double reslice_seconds = 0;
  // The whole job (seconds) in its parts, slowest rank: opening the input,
  // loading the library, planning and creating the output; the rounds
  // (run), of which the main thread spent wait_seconds waiting for the
  // library; closing, NeXus completion and the rename (finish).
  double setup_seconds = 0;
  double run_seconds = 0;
  double wait_seconds = 0;
  double write_wait_seconds = 0; // the rounds waiting for writes to finish
  double finish_seconds = 0;
  // The largest resident memory any rank reached (getrusage), and the plan's
  // estimate of its unit buffers against the budget it was cut for.
  int64_t peak_rss_bytes = 0;
  int64_t planned_bytes = 0;
  int64_t budget_bytes = 0;
  std::filesystem::path output;
};

// Told on rank 0 after every round.
class ProgressListener {
public:
  virtual ~ProgressListener() = default;
  virtual void progress(int64_t slices_done, int64_t slices_total, int64_t bytes_read,
                        double seconds) = 0;
  // During a reslicing stage, instead: its units done of its total.
  virtual void reslicing(int64_t units_done, int64_t units_total, double seconds) {
    static_cast<void>(units_done);
    static_cast<void>(units_total);
    static_cast<void>(seconds);
  }
};

// Where units come from, one round at a time.
class UnitSchedule {
public:
  virtual ~UnitSchedule() = default;
  // Collective. Sets `mine` to this rank's unit for the next round, or to
  // nullopt if it has none this round. Returns false, on every rank at once,
  // when no rank has any unit left. The units of one round are all of one
  // stage, and a process unit is handed out only once every reslice unit of
  // the job is written (one round after it was handed out): a schedule
  // hands out an empty round between the stages if it must.
  virtual bool next_round(std::optional<Unit>& mine) = 0;

  // Collective. Called once for every round next_round handed out (returned
  // true for), in order, as soon as that round's units are written on every
  // rank without error: a schedule that reports progress to someone learns
  // here what is safely in the output. `flush_output` (collective, on every
  // rank or none) makes those writes durable first; `last` is true for the
  // final round of run(), after next_round returned false. Each round's
  // units are written one round after they are computed, so a schedule that
  // waits for this before handing out more must hand out empty rounds
  // meanwhile. The default ignores it (`h5io run` needs no reports).
  virtual void round_written(const std::function<void()>& flush_output, bool last) {
    static_cast<void>(flush_output);
    static_cast<void>(last);
  }

  // Whether round_written will make writes durable (call flush_output): the
  // pipeline then starts each unit's write-back to disk as soon as it is
  // written, so the flush finds it done or under way instead of writing
  // everything back then, with the rounds stopped. The default: no flushes.
  virtual bool flushes_output() const { return false; }

  // Collective; the same answer on every rank. Asked before each round is
  // written: may this group still write into the job's output? A schedule
  // whose right to the job can lapse (a lease that expired while the group
  // was stopped, say) answers no once it has, and then ends the job at the
  // next next_round; nothing more of the job is written. The default is yes.
  virtual bool may_write() { return true; }
};

// Each stage of the plan split into contiguous runs of units, one run per
// rank, with an empty round between the stages.
class StaticSchedule final : public UnitSchedule {
public:
  StaticSchedule(const UnitPlan& plan, const Group& group);
  bool next_round(std::optional<Unit>& mine) override;

private:
  std::vector<std::optional<Unit>> rounds_; // this rank's unit in each round
  size_t round_ = 0;
};

// What a Pipeline is built for.
enum class PipelinePurpose {
  // Everything a job needs, the output file included.
  process,
  // Only the checks a job would fail (preflight_job, on a solo group): no
  // whole input read, no unit buffers, nothing written or deleted.
  check,
};

class Pipeline {
public:
  // Validates and prepares everything a job needs before any slice is read:
  // output path, library, inputs and their slicing, outputs, then creates
  // the partial output (or reopens it, with spec.resume). Throws Error (on
  // every rank) with a message naming the culprit; leaves no files behind,
  // except that a resumed partial output is never deleted.
  Pipeline(const Group& group, JobSpec spec, PipelinePurpose purpose = PipelinePurpose::process);
  // (Reslicing: when the inputs' chunks would leave ranks idle or break the
  // memory budget, the plan starts with a stage that copies their frames
  // into a scratch file chunked for sinogram reads; see ResliceScratch.)
  // Without finish() or release(): abandons the job, deleting the partial
  // output unless the job was resumed.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const UnitPlan& plan() const { return plan_; }
  // The plan as people read it (plan_lines): steps, patterns, reslicing,
  // units, memory per rank.
  PlanDescription describe_plan() const;
  // The library's own version string, as the provenance records it.

  // Processes every unit the schedule hands out. Reading the next unit and
  // writing the previous one overlap the library's compute of the current.
  void run(UnitSchedule& schedule, ProgressListener* progress = nullptr);

  // Completes the library, closes the output, makes it a NeXus file that
  // records its provenance (output_finish.hpp) and gives it its final name.
  JobReport finish();

  // Drops the job but keeps its partial output, for someone to resume: the
  // library instance is closed without completing it, then inputs and
  // output are closed (units written so far stay valid; flush them first if
  // they must be durable). Also valid after run() or finish() threw (their
  // errors are agreed, so every rank comes here together) and when called
  // twice. Throws an agreed Error if closing the output fails; the pipeline
  // is released regardless.
  void release();
  // Every rank, before release(), when the job may be another group's now
  // (this group's lease lapsed): closing the output then writes nothing
  // into it, since HDF5's close would rewrite the superblock with this
  // group's stale view (file_disown.hpp). What this group flushed stays.
  void disown_output() noexcept;
  // Rank 0, after release(): deletes the partial output, for a job that has
  // ended without it (cancelled, failed) and so will never resume it. Only
  // a file this pipeline created, and only while the path still names it; a
  // resumed one is left to whoever ended the job.
  void delete_partial() const noexcept;

private:
  // One library of the job, with its instance (created and called on
  // thread_ only) and the inputs and outputs it asked for.
  struct Step {
    StepSpec spec; // its parameters less the host's scan.*
    std::optional<PluginLibrary> library;
    std::vector<h5io_param_t> param_view;
    h5io_global_params_t global{};
    std::optional<PluginInstance> instance;
    std::vector<size_t> inputs;  // into inputs_
    std::vector<size_t> outputs; // into outputs_
    std::string label;           // "library 'x'", or "step N 'x'" in a pipeline
    const std::string& what() const { return label; }
  };
  struct Input {
    std::string location;
    std::unique_ptr<InputSource> source; // none for a chained input
    SliceGeometry geometry;
    h5io_dtype_t dtype = H5IO_DTYPE_INVALID;
    std::vector<std::byte> whole; // unsliced inputs, read once
    size_t step = 0;
    // The previous step's output this input is, in memory (into outputs_);
    // -1: read from the input file (or, at a change of pattern, from the
    // scratch copy of that output).
    int feed = -1;
    int from_output = -1; // the previous step's output it is, in memory or resliced
    bool read() const { return geometry.sliced() && feed < 0; }
  };
  // The stage set up for units: none yet, copying frames, or processing.
  enum class Phase { none, reslice, process };
  struct Output {
    OutputRequest request;
    SliceGeometry geometry;
    OutputDescription description; // the library's, from rank 0
    size_t step = 0;
    // Into the output file: the last step's outputs and those of steps
    // marked save; the others live only in memory, a unit at a time.
    bool written = true;
  };
  // Buffers of one unit in flight: the pipeline keeps two.
  struct Slot {
    std::optional<Unit> unit;
    UnitStage stage = UnitStage::process; // of the round, agreed by every rank
    std::vector<UnitBuffer> inputs;
    std::vector<UnitBuffer> outputs;
  };

  void load_libraries();
  // Step by step: each input opened (or fed from the previous step's
  // output) and given its slicing, then the step's outputs requested.
  void connect_steps();
  void connect_input(size_t s, size_t index, const Input*& reference);
  // The previous step's output that feeds one of step `s`'s first `before`
  // inputs, or -1.
  int fed_output_of(size_t s, size_t before) const;
  // The previous step's output that `location` names in step `s`, or -1.
  int feed_for(size_t s, const std::string& location) const;
  void read_whole_inputs();
  std::unique_ptr<InputSource> open_input(const std::string& location);
  void request_outputs(size_t s);
  // Sizes the units (and decides on reslicing) once inputs and outputs are known.
  void plan_work();
  // The datasets reslicing may copy, for plan_work.
  std::vector<ResliceScratch::Source> reslice_sources(PlanRequest& request);
  // With a change of pattern: the steps before it as the one source.
  std::vector<ResliceScratch::Source> staged_sources(PlanRequest& request);
  // Collective: the round's stage as every rank agrees it (none: empty).
  std::optional<UnitStage> agreed_stage(const Slot& slot) const;
  UnitStage phase_stage() const; // the stage set up (process before any)
  bool needs_phase(UnitStage stage) const;
  // Collective: sets up the stage of the round about to be read (opens the
  // scratch for writing, or for reading and runs the scan-wide step).
  void enter_phase(UnitStage stage, const Slot& computing);
  void allocate_slots(UnitStage stage);
  // Buffers for `slices` slices of every input read and every output of
  // steps [begin, end); none for the others.
  void size_slot(Slot& slot, size_t slices, size_t begin, size_t end) const;
  // The steps a stage runs: with a change of pattern, the reslice stage runs
  // those before it and the process stage those from it on.
  std::pair<size_t, size_t> stage_steps(UnitStage stage) const;
  void run_job_setup();
  std::string compute_job_setup(Step& step);
  // The step names, for messages: "tomo_fbp", "normalise → tomo_fbp".
  std::string job_name() const;
  // How a step slices its data: "projections", "sinograms", or a dimension.
  std::string pattern_of(const Step& step) const;
  // Asks the library to describe every output (again, after its scan-wide
  // step) and checks that the NeXus tree can be laid out as it says.
  void describe_outputs();
  std::vector<NexusOutput> nexus_outputs() const;
  void open_output_file();
  // What the output file will hold: its datasets plus room for metadata.
  int64_t output_bytes() const;
  void read_unit(Slot& slot);
  // Steps [begin, end) on the slot's unit, each fed the one before.
  void compute(Slot& slot, size_t begin, size_t end);
  void compute_step(Step& step, Slot& slot, const Unit& unit);
  // Input `i`'s view of one unit for its library.
  h5io_buffer_t input_buffer(size_t i, Slot& slot, int64_t count);
  // Starts writing `slot`'s outputs: runs go to the RunWriter and finish in
  // finish_writes(), which every round calls before agreeing on errors.
  void write_unit(const Slot& slot);
  void finish_writes();
  ProvenanceRecord provenance(const std::string& finished) const;
  void abandon() noexcept;
  // This pipeline made the partial output (a check makes none; a resumed
  // job reopened someone else's).
  bool created_output() const { return purpose_ == PipelinePurpose::process && !spec_.resume; }

  const Group& group_;
  JobSpec spec_;
  PipelinePurpose purpose_;
  std::chrono::steady_clock::time_point started_;
  std::string started_utc_;

  WorkerThread thread_; // every library call runs here; outlives the instances
  std::optional<OutputTarget> target_;
  std::string input_text_;
  std::deque<Step> steps_;           // a deque: instances refer to their library
  std::optional<size_t> setup_step_; // the step with a scan-wide step
  // A change of slicing pattern (projections to sinograms): the first step
  // that reads the other way; the output before it goes through the
  // reslicing scratch; how many slices (frames) the steps before it have.
  std::optional<size_t> boundary_;
  int staged_output_ = -1;
  int64_t frame_slices_ = 0;

  hdf5::File input_file_;
  // Darks and flats in files of their own, open as long as inputs_ read them.
  std::optional<ScanFiles> scan_files_;
  std::optional<ScanLayout> scan_; // found when a library first asks for a scan role
  std::vector<Input> inputs_;
  std::vector<Output> outputs_;
  int64_t total_slices_ = 0;
  UnitPlan plan_;
  Slot slots_[2];
  Phase phase_ = Phase::none;
  std::optional<ResliceScratch> reslice_; // when the plan reslices (not in checks)
  std::optional<JobSetupResults> job_setup_;

  std::optional<OutputFile> output_file_;
  std::vector<OutputDataset> output_datasets_; // of the written outputs, in order
  std::vector<size_t> written_;                // those outputs, into outputs_
  std::optional<RunWriter> run_writer_;        // when an output writes raw runs
  int64_t bytes_read_ = 0;
  int64_t bytes_written_ = 0;
  double read_seconds_ = 0;
  double compute_seconds_ = 0; // written on the library thread, read after it joins a task
  double write_seconds_ = 0;
  int64_t frames_resliced_ = 0;
  double reslice_seconds_ = 0;
  double setup_seconds_ = 0;
  double run_seconds_ = 0;
  double wait_seconds_ = 0;       // main thread blocked on the library
  double write_wait_seconds_ = 0; // main thread blocked on the RunWriter
  bool finished_ = false;
  bool released_ = false;
};

} // namespace h5io
