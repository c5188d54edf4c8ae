#include "commands.hpp"

#include "common/hdf5/hdf5_handle.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/pipeline/memory_budget.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/pipeline/pipeline_file.hpp"
#include "common/pipeline/space_reservation.hpp"
#include "terminal_progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>

namespace h5io::cli {

bool primary_process() {
  for (const char* variable : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (const char* rank = std::getenv(variable)) return std::string(rank) == "0";
  return true;
}

namespace {

struct RunOptions {
  std::string plugin;
  std::string pipeline; // a pipeline file, instead of plugin
  std::string input;
  std::string output;
  std::vector<std::string> params;
  std::vector<std::string> plugin_dirs;
  bool overwrite = false;
  int64_t unit_slices = 0;
  int64_t unit_mb = 64;
  int64_t memory_mb = 0; // 0: the machine's default
  std::string reslice = "auto";
  bool quiet = false;
  bool verbose = false;
};

std::string joined_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
  return line;
}

int run(const RunOptions& options, int& argc, char**& argv) {
  const std::string command_line = joined_command_line(argc, argv);
  const auto init_started = std::chrono::steady_clock::now();
  MpiSession mpi(argc, argv);
  const double init_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - init_started).count();
  Group group;
  hdf5::silence_error_printing();
  spdlog::set_pattern("h5io[%l]: %v");
  spdlog::set_level(options.verbose
                        ? spdlog::level::debug
                        : (group.is_root() ? spdlog::level::info : spdlog::level::warn));
  try {
    JobSpec spec;
    spec.plugin = options.plugin;
    if (!options.pipeline.empty()) {
      proto::PipelineDescription pipeline = read_pipeline_file(options.pipeline);
      apply_step_params(pipeline, options.params);
      spec.steps = step_specs(pipeline.steps);
      spec.params = JobParams::from_json(pipeline.params);
    } else {
      spec.params = JobParams::parse(options.params);
    }
    std::vector<std::filesystem::path> dirs(options.plugin_dirs.begin(), options.plugin_dirs.end());
    spec.plugin_dirs = plugin_search_path(dirs);
    spec.input = options.input;
    spec.output = options.output;
    spec.overwrite = options.overwrite;
    spec.plan.unit_slices = options.unit_slices;
    spec.plan.target_unit_bytes = options.unit_mb << 20;
    spec.plan.memory_bytes =
        options.memory_mb > 0 ? options.memory_mb << 20 : default_memory_budget(group.local_size());
    spec.plan.reslice = options.reslice == "on"    ? ReslicePolicy::always
                        : options.reslice == "off" ? ReslicePolicy::never
                                                   : ReslicePolicy::automatic;
    spec.command_line = command_line;
    spdlog::debug("{}", mpi.settings_text());

    Pipeline pipeline(group, std::move(spec));
    StaticSchedule schedule(pipeline.plan(), group);
    JobReport report;
    {
      TerminalProgress bar;
      pipeline.run(schedule, options.quiet ? nullptr : &bar);
      report = pipeline.finish();
    }
    if (group.is_root() && !options.quiet) {
      fmt::print("h5io: {} slices ({} unit{} on {} rank{}) in {:.2f} s; read {:.1f} MB; wrote {}\n",
                 report.slices, report.units, report.units == 1 ? "" : "s", group.size(),
                 group.size() == 1 ? "" : "s", report.seconds,
                 static_cast<double>(report.bytes_read) / 1e6, report.output.string());
      if (report.frames_resliced > 0)
        fmt::print("h5io: resliced {} frames first ({:.2f} s on the slowest rank)\n",
                   report.frames_resliced, report.reslice_seconds);
      fmt::print("h5io: peak memory {} on the largest rank (unit buffers planned {} of a {} "
                 "budget)\n",
                 byte_size_text(report.peak_rss_bytes), byte_size_text(report.planned_bytes),
                 byte_size_text(report.budget_bytes));
    }
    // Each stage's rate from its own time (reading overlaps the library).
    const auto rate = [](int64_t bytes, double seconds) {
      return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
    };
    spdlog::debug("time on the slowest rank: reading {:.2f} s ({:.1f} MB/s), library {:.2f} s "
                  "(overlaps reading and writing), writing {:.2f} s ({:.1f} MB/s)",
                  report.read_seconds, rate(report.bytes_read / group.size(), report.read_seconds),
                  report.compute_seconds, report.write_seconds,
                  rate(report.bytes_written / group.size(), report.write_seconds));
    // The job's time in its parts; what the rounds spent outside reading,
    // writing and waiting for the library is MPI agreement and progress.
    spdlog::debug("job {:.2f} s: setup {:.2f} s (input, library, plan, output created), rounds "
                  "{:.2f} s (of which waiting for the library {:.2f} s, for writes {:.2f} s), "
                  "finish {:.2f} s (close, NeXus, rename); before it, MPI_Init {:.2f} s",
                  report.seconds, report.setup_seconds, report.run_seconds, report.wait_seconds,
                  report.write_wait_seconds, report.finish_seconds, init_seconds);
    return 0;
  } catch (const std::exception& e) {
    // Errors are agreed across ranks before they are thrown: one report.
    if (group.is_root()) fmt::print(stderr, "h5io: error: {}\n", e.what());
    return 1;
  }
}

} // namespace

Command add_run_command(CLI::App& app, int& argc, char**& argv) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a processing library over a dataset, slice by slice, on all MPI ranks "
             "(start with mpirun -np N for N ranks)");
  CLI::Option* plugin =
      cmd->add_option("--plugin,-p", options->plugin, "Processing library name, e.g. benchmark");
  CLI::Option* pipeline = cmd->add_option(
      "--pipeline", options->pipeline,
      "Pipeline file (YAML or JSON): several libraries in one job, each step fed the previous "
      "step's output in memory");
  plugin->excludes(pipeline);
  pipeline->excludes(plugin);
  cmd->add_option("--input,-i", options->input, "Input HDF5 file")->required();
  cmd->add_option("--output,-o", options->output, "Output HDF5 file")->required();
  cmd->add_option("--param", options->params,
                  "Library parameter KEY=VALUE (repeatable); with --pipeline STEP.KEY=VALUE, STEP "
                  "a step's number or library, or scan.KEY=VALUE for the job");
  cmd->add_option("--plugin-dir", options->plugin_dirs,
                  "Directory searched for libh5io_NAME.so before $H5IO_PLUGIN_PATH and the "
                  "installed plugins (repeatable)");
  cmd->add_flag("--overwrite", options->overwrite, "Replace an existing output file");
  cmd->add_option("--unit-slices", options->unit_slices,
                  "Slices per work unit (default: derived from --unit-mb and the chunking)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--unit-mb", options->unit_mb,
                  "Target megabytes per work unit (its input and output buffers)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--memory-mb", options->memory_mb,
                  "Memory per rank for unit buffers, in MiB: units are cut to fit, and a job that "
                  "cannot fit is refused before it starts (default: half this machine's memory "
                  "shared among its ranks)")
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 30));
  cmd->add_option("--reslice", options->reslice,
                  "Copy the frames into a scratch file chunked for sinogram reads first: auto "
                  "(when the input's chunks would leave ranks idle or not fit the memory), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", options->quiet, "Print nothing but errors");
  cmd->add_flag("--verbose,-v", options->verbose, "Print debugging detail");
  return [options, &argc, &argv] {
    if (options->plugin.empty() && options->pipeline.empty()) {
      if (primary_process())
        fmt::print(stderr, "h5io run: say what to run: --plugin NAME, or --pipeline FILE\n");
      return 2;
    }
    return run(*options, argc, argv);
  };
}

} // namespace h5io::cli
