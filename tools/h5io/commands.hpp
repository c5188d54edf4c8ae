#pragma once
// The `h5io` command-line tool's subcommands. Each registers its options on
// the CLI11 app and returns the function that runs it (the exit status).

#include <CLI/CLI.hpp>

#include <functional>

namespace h5io::cli {

using Command = std::function<int()>;

// h5io run: the standalone parallel slice processor.
Command add_run_command(CLI::App& app, int& argc, char**& argv);

// h5io example: writes the small built-in example scan.
Command add_example_command(CLI::App& app);

// h5io phantom: writes a synthetic tomography scan and its ground truth.
Command add_phantom_command(CLI::App& app);

// h5io submit: hands a job to the master (--wait: follows it to its end).
Command add_submit_command(CLI::App& app);

// h5io status: the master's jobs and worker groups (--follow: live).
Command add_status_command(CLI::App& app);

// h5io keygen: writes a CURVE key pair for the service.
Command add_keygen_command(CLI::App& app);

// h5io preview: a PNG of a volume's three central slices.
Command add_preview_command(CLI::App& app);

// h5io inspect: a file's scan layout, storage and speed warnings.
Command add_inspect_command(CLI::App& app);

// True on the process that should print (rank 0 under mpirun, or alone):
// usage errors happen before MPI is up, so this reads the launcher's
// environment.
bool primary_process();

} // namespace h5io::cli
