#!/usr/bin/python3
"""Service overhead: the same tomo_fbp job through `h5io run` (mpirun, 2
ranks) and through h5io-master + one worker group of 2 ranks, alternately,
on the same machine and input. Prints wall times and the ratio.

Compared: the service's job wall (submit to `job.completed`, as the master
measures it: validation, queueing, leasing, the group's pipeline, flushes,
finish) against `h5io run`'s own time for the job (the pipeline, as it
prints it) and against the whole `mpirun h5io run` command (which also
starts MPI, as a standalone run must every time). Uses the test harness in
tests/e2e/service_harness.py to run the real master and group."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from service_harness import (Master, WorkerGroup, cleanup, completed_job,  # noqa: E402
                             wait_for_groups)
import zmq  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    parser.add_argument("--plugin-dir", action="append")
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--workdir", default="/tmp/h5io-service-overhead")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--angles", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)
    if not args.plugin_dir:
        args.plugin_dir = [os.path.join(args.bin, "..", "lib", "h5io", "plugins")]
    os.makedirs(args.workdir, exist_ok=True)
    h5io = os.path.join(args.bin, "h5io")
    scan = os.path.join(args.workdir, "scan.nxs")
    subprocess.run([h5io, "phantom", "--output", scan, "--size", str(args.size), "--rows",
                    str(args.rows), "--angles", str(args.angles), "--overwrite"], check=True,
                   capture_output=True)
    size_mb = os.path.getsize(scan) / 1e6
    print(f"input: phantom scan {args.size} columns x {args.rows} rows x {args.angles} angles "
          f"({size_mb:.0f} MB), tomo_fbp, 2 ranks")

    master = Master(args, name="bench_master", output_roots=[args.workdir], heartbeat_ms=1000,
                    progress_interval_ms=500)
    group = WorkerGroup(args, master, 2, name="bench_group")
    subscriber = master.context.socket(zmq.SUB)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"job.")
    subscriber.connect(master.status_endpoint)
    standalone_job, standalone_command, service = [], [], []
    try:
        wait_for_groups(master, 1)
        for repeat in range(args.repeats):
            output = os.path.join(args.workdir, f"run_{repeat}.h5")
            start = time.perf_counter()
            result = subprocess.run(
                [args.mpiexec, "-n", "2", "--oversubscribe", h5io, "run", "--plugin", "tomo_fbp",
                 "--input", scan, "--output", output, "--overwrite",
                 *sum((["--plugin-dir", d] for d in args.plugin_dir), [])],
                capture_output=True, text=True, check=True)
            standalone_command.append(time.perf_counter() - start)
            standalone_job.append(float(re.search(r" in ([0-9.]+) s;", result.stdout).group(1)))

            output = os.path.join(args.workdir, f"service_{repeat}.h5")
            if os.path.exists(output):
                os.remove(output)
            event, _ = completed_job(master, subscriber, input=scan, plugin="tomo_fbp",
                                     output=output)
            service.append(event["wall"])
            print(f"  repeat {repeat + 1}: h5io run {standalone_job[-1]:.3f} s "
                  f"(command {standalone_command[-1]:.3f} s); service {service[-1]:.3f} s")
    finally:
        subscriber.close()
        cleanup(group, master)
    job, command, svc = (statistics.median(x) for x in (standalone_job, standalone_command, service))
    print(f"median of {args.repeats}: h5io run job {job:.3f} s, whole mpirun command "
          f"{command:.3f} s; service submit-to-completed {svc:.3f} s")
    print(f"service / h5io run job: {svc / job:.3f} ({(svc / job - 1) * 100:+.1f} %); "
          f"service / mpirun command: {svc / command:.3f} ({(svc / command - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
