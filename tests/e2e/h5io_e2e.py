"""Shared helpers for the end-to-end tests: run h5io (under mpirun when
ranks > 0) and fail loudly with its output when it does not succeed."""
import argparse
import subprocess
import sys


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--h5io", required=True, help="the h5io binary")
    parser.add_argument("--plugin-dir", required=True, help="directory of the test libraries")
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--ranks", type=int, default=0, help="0: run without mpirun")
    parser.add_argument("--workdir", required=True)
    return parser.parse_args()


def run_h5io(args, *h5io_args, timeout=600):
    command = [args.h5io, *h5io_args]
    if args.ranks > 0:
        command = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(command)}\nexit {result.returncode}\n"
                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")
    print(f"ok: {message}")


def run_plain(args, *h5io_args, ranks=None, timeout=600):
    """Runs h5io (with `ranks` MPI ranks; 0 or None: one process) and returns
    the CompletedProcess whatever its exit status."""
    command = [args.h5io, *h5io_args]
    if ranks:
        command = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def run_ok(args, *h5io_args, ranks=None, timeout=600):
    result = run_plain(args, *h5io_args, ranks=ranks, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"FAILED: h5io {' '.join(h5io_args)} (ranks {ranks})\nexit {result.returncode}\n"
                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result
