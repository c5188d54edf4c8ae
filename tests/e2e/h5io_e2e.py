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
