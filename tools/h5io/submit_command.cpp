// h5io submit: hands a job to the master; with --wait, follows it to its end.
#include "client_options.hpp"
#include "commands.hpp"
#include "master_connection.hpp"
#include "status_follower.hpp"
#include "terminal_progress.hpp"

#include "common/pipeline/pipeline_file.hpp"
#include "common/plugin_host/job_params.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace h5io::cli {

namespace {

struct SubmitOptions {
  MasterOptions where;
  std::string input;
  std::string plugin;
  std::string pipeline; // a pipeline file, instead of plugin
  std::string output;
  std::vector<std::string> params;
  std::string client_ref;
  int priority = 0;
  bool wait = false;
  bool dry_run = false;
  // The submit's reply comes once the master has checked the job, which
  // runs the library's h5io_init (up to its check_timeout_ms, 60 s by
  // default): longer than --timeout, which is for the quick replies.
  double check_timeout = 90.0;
};

proto::SubmitRequest make_request(const SubmitOptions& options) {
  proto::SubmitRequest request;
  if (!options.pipeline.empty()) {
    // Read here, so its mistakes show before anything is sent; the master
    // gets the steps, never the file.
    proto::PipelineDescription pipeline = read_pipeline_file(options.pipeline);
    apply_step_params(pipeline, options.params);
    step_specs(pipeline.steps); // the parameters' checks, as h5io run makes them
    request.job.steps = pipeline.steps;
    request.job.params = pipeline.params;
  }
  if (options.pipeline.empty() == options.plugin.empty())
    throw Error("say what to run: --plugin NAME, or --pipeline FILE");
  // The same checks, and messages, as `h5io run --param`; the values travel
  // as the text typed, and the master types them as `h5io run` would.
  if (options.pipeline.empty()) JobParams::parse(options.params);
  // The master may run in another directory: send absolute paths.
  request.job.input = std::filesystem::absolute(options.input).lexically_normal().string();
  request.job.output = std::filesystem::absolute(options.output).lexically_normal().string();
  request.job.plugin = options.plugin;
  for (const std::string& entry :
       options.pipeline.empty() ? options.params : std::vector<std::string>{}) {
    const size_t eq = entry.find('=');
    request.job.params[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  if (!options.client_ref.empty()) request.client_ref = options.client_ref;
  request.priority = options.priority;
  request.dry_run = options.dry_run;
  return request;
}

// What changed about the job, in words, or "" for progress alone.
std::string describe(const std::string& job, const proto::Event& event) {
  if (const auto* started = std::get_if<proto::JobStarted>(&event.body))
    return fmt::format("h5io: job {} running on worker group {}", job, started->group);
  if (const auto* requeued = std::get_if<proto::JobRequeued>(&event.body))
    return fmt::format("h5io: job {} queued again: worker group {} {}", job, requeued->group,
                       requeued->reason);
  return "";
}

// Follows `job` until it ends: 0 when it completed, 1 when it failed or was
// cancelled; NoReply when the master stays silent.
int follow_job(StatusFollower& follower, const std::string& job, const MasterOptions& where) {
  TerminalProgress bar(true);
  while (!interrupted()) {
    for (const proto::Event& event : follower.poll(std::chrono::milliseconds(250)))
      if (proto::job_of(event.body) == job)
        if (const std::string line = describe(job, event); !line.empty()) bar.note(line);

    const proto::JobRow* row = follower.table().find_job(job);
    if (!row)
      throw Error(fmt::format("the master no longer lists job {} (did it restart without its "
                              "journal?)",
                              job));
    const std::string& state = row->state;
    if (state == proto::state::completed) {
      bar.note(fmt::format("h5io: job {} completed in {:.1f} s", job, row->wall.value_or(0.0)));
      fmt::print("{}\n", row->output);
      return 0;
    }
    if (state == proto::state::failed)
      throw Error(fmt::format("job {} failed: {}", job, row->error.value_or("?")));
    if (state == proto::state::cancelled) throw Error(fmt::format("job {} was cancelled", job));
    if (state == proto::state::running && row->reslice_done < row->reslice_units) {
      bar.reslicing(row->reslice_done, row->reslice_units, 0.0);
    } else if (state == proto::state::running) {
      const JobRate* rate = follower.table().rate_of(job);
      bar.job(job, row->done, row->total, rate ? rate->rate : 0.0, rate ? rate->eta : std::nullopt);
    }
  }
  throw Error(fmt::format("stopped following job {}; it goes on (h5io status --master {})", job,
                          where.master));
}

// The master's plan for a job it was asked to check only: the prose first,
// then the steps one per line.
int print_plan(const proto::JobPlan& plan) {
  for (const std::string& line : plan.summary) fmt::print("{}\n", line);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const proto::PlannedStep& step = plan.steps[s];
    fmt::print("step {}: {}, by {}, fed from {}{}{}\n", s + 1, step.plugin, step.pattern,
               step.fed == "file" ? "the input file" : step.fed,
               static_cast<int64_t>(s) + 1 == plan.reslice_step ? " (reslice point)" : "",
               step.save ? ", written to the output" : "");
  }
  fmt::print("dry run: nothing was queued or written\n");
  return 0;
}

int submit(const SubmitOptions& options) {
  const proto::SubmitRequest request = make_request(options);
  zmq::context_t context;
  const MasterConnection master(context, options.where.master, options.where.timeout_ms(),
                                options.where.curve());
  const std::chrono::milliseconds check_timeout(
      static_cast<int64_t>(options.check_timeout * 1000.0));
  if (request.dry_run)
    return print_plan(proto::parse_planned(master.request(proto::encode(request), check_timeout)));
  std::unique_ptr<StatusFollower> follower;
  if (options.wait) {
    // Subscribed before the submit, so the job's events are buffered from
    // the start; the snapshot after the reply says where the job stands.
    follower = std::make_unique<StatusFollower>(
        context, options.where.status_endpoint(), [&master] { return master.snapshot(); },
        options.where.timeout_ms(), master.curve());
    catch_interrupts();
  }
  const std::string job =
      proto::parse_accepted(master.request(proto::encode(request), check_timeout));
  fmt::print("{}\n", job);
  std::fflush(stdout);
  if (!follower) return 0;
  follower->resync();
  return follow_job(*follower, job, options.where);
}

} // namespace

Command add_submit_command(CLI::App& app) {
  auto options = std::make_shared<SubmitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "submit", "Hand a job to the h5io master (prints its id); --wait follows it to the end");
  add_master_options(*cmd, options->where);
  cmd->add_option("--input,-i", options->input, "Input HDF5 file (as the master sees it)")
      ->required();
  CLI::Option* plugin =
      cmd->add_option("--plugin,-p", options->plugin, "Processing library name, e.g. tomo_fbp");
  CLI::Option* pipeline =
      cmd->add_option("--pipeline", options->pipeline,
                      "Pipeline file (YAML or JSON): several libraries in one job, read here and "
                      "sent to the master as the job's steps");
  plugin->excludes(pipeline);
  pipeline->excludes(plugin);
  cmd->add_option("--output,-o", options->output, "Output HDF5 file (must not exist)")->required();
  cmd->add_option("--param", options->params,
                  "Library parameter KEY=VALUE (repeatable); with --pipeline STEP.KEY=VALUE, STEP "
                  "a step's number or library, or scan.KEY=VALUE for the job");
  cmd->add_option("--check-timeout", options->check_timeout,
                  "Seconds to wait for the submit's reply, which comes once the master has "
                  "checked the job (it runs the library's h5io_init: up to the master's "
                  "check_timeout_ms, 60 s by default); with no reply the job may still be "
                  "accepted later, so submit again with the same --client-ref")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--client-ref", options->client_ref,
                  "Idempotency key: submitting the same key again returns the first job's id");
  cmd->add_option("--priority", options->priority, "Higher runs first")
      ->capture_default_str()
      ->check(CLI::Range(proto::kMinPriority, proto::kMaxPriority));
  cmd->add_flag("--wait,-w", options->wait,
                "Follow the job with a progress bar; exit 0 only if it completed, and print "
                "its output path");
  CLI::Option* dry_run =
      cmd->add_flag("--dry-run", options->dry_run,
                    "Have the master check the job and print its plan (steps, slicing patterns, "
                    "reslice point, units, memory per rank) without running anything");
  dry_run->excludes(cmd->get_option("--wait"));
  dry_run->excludes(cmd->get_option("--client-ref"));
  return [options] { return run_client([&] { return submit(*options); }); };
}

} // namespace h5io::cli
