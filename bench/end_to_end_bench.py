#!/usr/bin/python3
"""h5io end to end against a naive h5py loop and dd, side by side (issue 16).

Two jobs over one [frames, rows, cols] uint16 input chunked [8, 16, cols]
(--chunk sets the first two), read by sinogram (dimension 1):

  sum    the `benchmark` library: every sinogram summed (a few bytes out);
  write  the `configurable` test library writing a [rows, frames, cols]
         float32 output (twice the input's bytes: 2 GB at the full size):
         each sinogram as float32 (fill=convert), as the naive loop's astype;
         before timing, the bench checks that the two outputs are equal.

For each job and each rank count it runs, interleaved, best of --rounds:

  naive   the h5py loop `for r in range(rows): o[r] = f(d[:, r, :])`, o an
          h5py dataset (one process; rank counts do not apply);
  h5io    `mpirun -n N h5io run -v`: the whole command's wall time, and each
          stage's time and rate from h5io's own timers (slowest rank);
  dd      `dd` reading the input and writing the output's bytes, for scale.

Every timed run starts after `sync` (no dirty pages left by the run
before); --cold also drops the page cache (needs root):
`sync; echo 1 > /proc/sys/vm/drop_caches`.

  /usr/bin/python3 bench/end_to_end_bench.py --bin build/bin \\
      --plugin-dir build/tests/plugins [--frames 1024 --rows 512 --cols 1024]
      [--ranks 1,2] [--rounds 3] [--cold] [--jobs sum,write] [--service]
      [--baseline-bin OTHER/bin --baseline-plugin-dir OTHER/tests/plugins]

"whole" is the wall time of the whole command (mpirun and process start
included); "x naive" the naive loop's whole-process time over it. Stage
times are the slowest rank's; "wait" is the main thread waiting for the
library, "wwait" waiting for overlapped writes to finish, "setup" and "finish" the job's time before and after the rounds;
"overlap" is one run's rounds over its own slowest of reading, library and
writing (1.0: perfectly overlapped), the best run's.

--service also runs each job through a real h5io-master and a worker group
of N ranks (started once per rank count, as a service's groups are),
interleaved with `mpirun -n N h5io run` of the same job, and prints the
master's submit-to-completed time beside h5io run's own job time and the
whole command's.

Needs h5py and numpy (Debian's, under /usr/bin/python3), and pyzmq for
--service."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

READ = re.compile(r"reading ([\d.]+) s \(([\d.]+) MB/s\), library ([\d.]+) s .*?writing "
                  r"([\d.]+) s \(([\d.]+) MB/s\)")
PARTS = re.compile(r"job ([\d.]+) s: setup ([\d.]+) s .*?rounds ([\d.]+) s \(of which waiting "
                   r"for the library ([\d.]+) s(?:, for writes ([\d.]+) s)?\), finish ([\d.]+) s "
                   r".*?MPI_Init ([\d.]+) s")

MAKE_INPUT = """
import sys, h5py, numpy as np
path, frames, rows, cols, chunk_frames, chunk_rows = sys.argv[1], *map(int, sys.argv[2:7])
with h5py.File(path, "w") as f:
    d = f.create_dataset("/entry/data/data", (frames, rows, cols), "u2",
                         chunks=(chunk_frames, chunk_rows, cols))
    rng = np.random.default_rng(16)
    for i in range(0, frames, 8):
        n = min(8, frames - i)
        d[i:i + n] = rng.integers(0, 4000, size=(n, rows, cols), dtype=np.uint16)
"""

# The naive loop, timed inside the process (imports excluded) and printed.
NAIVE = """
import sys, time
t0 = time.perf_counter()
import h5py, numpy as np
t1 = time.perf_counter()
job, src, dst = sys.argv[1:4]
with h5py.File(src, "r") as f, h5py.File(dst, "w") as g:
    d = f["/entry/data/data"]
    frames, rows, cols = d.shape
    if job == "sum":
        o = g.create_dataset("sum", (rows,), "f8")
        for r in range(rows):
            o[r] = d[:, r, :].sum(dtype=np.float64)
    else:
        o = g.create_dataset("out", (rows, frames, cols), "f4")
        for r in range(rows):
            o[r] = d[:, r, :].astype(np.float32)
t2 = time.perf_counter()
print(f"imports {t1 - t0:.3f} loop {t2 - t1:.3f}")
"""


def run(command, what, env=None):
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return wall, result.stdout + result.stderr


def drop_caches(cold):
    # Every run starts with no dirty pages: otherwise a run pays for writing
    # back the run before it (2 GB each here, more than the kernel lets pile
    # up before it throttles writers), and the order decides the figures.
    subprocess.run(["sync"], check=True)
    if not cold:
        return
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("1\n")


def remove(path):
    if os.path.exists(path):
        os.remove(path)


def h5io_run(args, build, job, ranks, src, dst):
    bin_dir, plugin_dir = build
    command = [args.mpiexec, "-n", str(ranks), os.path.join(bin_dir, "h5io"), "run", "-v",
               "--input", src, "--output", dst, "--overwrite"]
    if plugin_dir:
        command += ["--plugin-dir", plugin_dir]
    plugin, params = job_params(args, job)
    command += ["--plugin", plugin]
    for key, value in params.items():
        command += ["--param", f"{key}={value}"]
    remove(dst)  # a fresh file each time, as the naive loop and dd get
    drop_caches(args.cold)
    wall, text = run(command, f"h5io run ({job}, {ranks} ranks)")
    stages, parts = READ.search(text), PARTS.search(text)
    if not stages:
        sys.exit(f"h5io run printed no stage times:\n{text}")
    read_s, read_rate, lib_s, write_s, write_rate = map(float, stages.groups())
    # An h5io from before issue 16 does not break the job's time down: nan.
    job_s, setup_s, rounds_s, wait_s, write_wait_s, finish_s, init_s = (
        [float(g) if g is not None else float("nan") for g in parts.groups()]
        if parts else [float("nan")] * 7)
    return {"wall": wall, "read": read_s, "read_rate": read_rate, "library": lib_s,
            "write": write_s, "write_rate": write_rate, "job": job_s, "setup": setup_s,
            "rounds": rounds_s, "wait": wait_s, "wwait": write_wait_s, "finish": finish_s,
            "init": init_s}


def naive_run(args, job, src, dst):
    remove(dst)
    drop_caches(args.cold)
    wall, text = run([args.python, "-c", NAIVE, job, src, dst], f"naive h5py loop ({job})")
    loop = float(re.search(r"loop ([\d.]+)", text).group(1))
    return {"wall": wall, "loop": loop}


def dd_run(args, src, dst, out_bytes):
    drop_caches(args.cold)
    read_wall, _ = run(["dd", f"if={src}", "of=/dev/null", "bs=64M"], "dd read")
    remove(dst)
    drop_caches(args.cold)
    block = 64 << 20
    count = max(1, out_bytes // block)
    write_wall, _ = run(["dd", "if=/dev/zero", f"of={dst}", f"bs={min(block, out_bytes)}",
                         f"count={count}"], "dd write")
    remove(dst)
    return {"read": read_wall, "write": write_wall}


def job_params(args, job):
    """The library and parameters of a job, as `h5io run` and a submit take them."""
    if job == "sum":
        return "benchmark", {}
    # fill=convert: each output slice is the sinogram as float32, what the
    # naive loop's astype writes (check_same_output compares the two).
    return "configurable", {"inputs": "/entry/data/data:1",
                            "output_shape": f"-1,{args.frames},{args.cols}", "output_dtype": "9",
                            "fill": "convert"}


# Compares h5io's output of the write job with the naive loop's, slab by slab.
COMPARE = """
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    x, y = a["/result/out0"], b["out"]
    if x.shape != y.shape:
        sys.exit(f"shapes differ: h5io {x.shape}, naive {y.shape}")
    for r in range(0, x.shape[0], 16):
        if not np.array_equal(x[r:r + 16], y[r:r + 16]):
            sys.exit(f"values differ in rows {r} to {r + 15}")
"""


def check_same_output(args, src):
    """The write job's h5io output equals the naive loop's, or the bench stops."""
    mine, naive = (os.path.join(args.workdir, name) for name in ("check_h5io.h5", "check_naive.h5"))
    h5io_run(args, (args.bin, args.plugin_dir), "write", 1, src, mine)
    naive_run(args, "write", src, naive)
    run([args.python, "-c", COMPARE, mine, naive], "comparing h5io's output with the naive loop's")
    remove(mine)
    remove(naive)
    print("write job: h5io's output equals the naive loop's", flush=True)


def service_rounds(args, jobs, ranks_list, src):
    """Each job through a real h5io-master and a worker group of N ranks,
    interleaved with `mpirun -n N h5io run` of the same job; one master and
    group per rank count (a job is leased to one group at a time)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "e2e"))
    from service_harness import Master, WorkerGroup, cleanup, completed_job, wait_for_groups
    import zmq
    harness = argparse.Namespace(bin=os.path.abspath(args.bin), workdir=args.workdir,
                                 mpiexec=args.mpiexec,
                                 plugin_dir=[args.plugin_dir] if args.plugin_dir else [])
    results = {}
    for ranks in ranks_list:
        master = Master(harness, name=f"master_{ranks}", output_roots=[args.workdir],
                        progress_interval_ms=0)
        group = WorkerGroup(harness, master, ranks, name=f"group_{ranks}")
        events = master.context.socket(zmq.SUB)
        events.setsockopt(zmq.SUBSCRIBE, b"job.")
        events.connect(master.status_endpoint)
        try:
            wait_for_groups(master, 1)
            for round_ in range(args.rounds):
                for job in jobs:
                    out = os.path.join(args.workdir, f"{job}.h5")
                    standalone = h5io_run(args, (args.bin, args.plugin_dir), job, ranks, src, out)
                    # The service's `done` promises the units are on disk; a
                    # standalone run leaves its output in the page cache.
                    synced, _ = run(["sync"], "sync")
                    remove(out)
                    drop_caches(args.cold)
                    plugin, params = job_params(args, job)
                    event, seen = completed_job(master, events, input=src, output=out,
                                                plugin=plugin, params=params)
                    remove(out)
                    results.setdefault((job, ranks), []).append(
                        {"service": event["wall"], "seen": seen, "job": standalone["job"],
                         "whole": standalone["wall"], "synced": standalone["job"] + synced})
            print(f"service rounds at {ranks} rank(s) done", flush=True)
        finally:
            events.close()
            cleanup(group, master)
    return results


def report_service(args, jobs, ranks_list, results, out_bytes):
    print(f"\n== through the service: h5io-master + a worker group of N ranks, against "
          f"`mpirun -n N h5io run` ({'cold' if args.cold else 'warm'} page cache, best of "
          f"{args.rounds}, interleaved)")
    header = ("job", "ranks", "service", "seen", "h5io job", "+ sync", "whole", "svc/job",
              "svc/sync", "svc/whole")
    print("  " + " ".join(f"{h:>9}" for h in header))
    for job in jobs:
        for ranks in ranks_list:
            s = results[(job, ranks)]
            svc, job_s, whole = best(s, "service"), best(s, "job"), best(s, "whole")
            synced = best(s, "synced")
            row = [job, ranks, svc, best(s, "seen"), job_s, synced, whole, svc / job_s,
                   svc / synced, svc / whole]
            print("  " + " ".join(f"{v:>9}" if isinstance(v, (int, str)) else f"{v:9.2f}"
                                  for v in row))
    print("  service: submit to job.completed as the master measures it (units reported done "
          "are on disk); seen: the same from the client; h5io job: `h5io run`'s own job time "
          "(setup, rounds, finish); + sync: that and a `sync` after it (the output on disk, as "
          "the service promises); whole: the whole mpirun command")


def best(samples, key):
    return min(s[key] for s in samples)


def overlap(run_):
    """One run's rounds over its own slowest stage (1.0: perfectly overlapped)."""
    return run_["rounds"] / max(run_["read"], run_["library"], run_["write"])


def report(args, job, ranks_list, names, results, in_bytes, out_bytes, targets):
    mb = 1e6
    naive = results[(job, "naive")]
    dd = results["dd"]
    print(f"\n== job '{job}': read {in_bytes / mb:.1f} MB, write {out_bytes / mb:.1f} MB "
          f"({'cold' if args.cold else 'warm'} page cache, best of {args.rounds})")
    line = f"  dd read  {best(dd, 'read'):6.2f} s ({in_bytes / mb / best(dd, 'read'):7.1f} MB/s)"
    if job == "write":  # dd writes the write job's output bytes
        line += (f"   dd write {best(dd, 'write'):6.2f} s "
                 f"({out_bytes / mb / best(dd, 'write'):7.1f} MB/s)")
    print(line)
    print(f"  naive h5py loop: {best(naive, 'wall'):6.2f} s whole process "
          f"({best(naive, 'loop'):.2f} s in the loop)")
    header = ("build", "ranks", "whole", "x naive", "setup", "rounds", "read", "MB/s", "library", "write",
              "MB/s", "wait", "wwait", "finish", "MPI_Init", "overlap")
    print("  " + " ".join(f"{h:>8}" for h in header))
    for name, ranks in ((n, r) for r in ranks_list for n in names):
        s = results[(job, name, ranks)]
        row = [name, ranks, best(s, "wall"), best(naive, "wall") / best(s, "wall"), best(s, "setup"),
               best(s, "rounds"), best(s, "read"), max(x["read_rate"] for x in s),
               best(s, "library"), best(s, "write"), max(x["write_rate"] for x in s),
               best(s, "wait"), best(s, "wwait"), best(s, "finish"), best(s, "init"),
               min(overlap(x) for x in s)]
        print("  " + " ".join(f"{v:>8}" if isinstance(v, (int, str)) else f"{v:8.2f}"
                              for v in row))
        if ranks == 1 and name == "h5io":
            speedup = best(naive, "wall") / best(s, "wall")
            targets.append(f"{job} {'cold' if args.cold else 'warm'} at 1 rank: {speedup:.2f}x "
                           f"the naive loop ({'met' if speedup >= 2 else 'NOT met'}: >= 2x); "
                           f"rounds {row[-1]:.2f}x the slowest stage "
                           f"({'met' if row[-1] <= 1.2 else 'NOT met'}: <= 1.2x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder holding the h5io binary")
    parser.add_argument("--plugin-dir", default="",
                        help="folder holding libh5io_configurable.so (build/tests/plugins)")
    parser.add_argument("--baseline-bin", default="",
                        help="another build's bin folder, run interleaved as 'baseline' rows")
    parser.add_argument("--baseline-plugin-dir", default="")
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--python", default="/usr/bin/python3", help="a python with h5py")
    parser.add_argument("--workdir", default="/tmp/h5io_end_to_end_bench")
    parser.add_argument("--frames", type=int, default=1024)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--cols", type=int, default=1024)
    parser.add_argument("--chunk", default="8,16",
                        help="frames and rows per chunk (a chunk spans every column): 1,16 "
                             "makes one a frame's strip, as finely chunked beamline files")
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default="sum,write")
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before every timed run (root)")
    parser.add_argument("--service", action="store_true",
                        help="also run each job through h5io-master and a worker group")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    # As scripts/mpi-env.sh: mpirun as root (containers, CI), more ranks than cores.
    if os.getuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    os.environ.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    ranks_list = [int(r) for r in args.ranks.split(",")]
    jobs = args.jobs.split(",")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    src = os.path.join(args.workdir, "input.h5")
    chunk_frames, chunk_rows = (int(c) for c in args.chunk.split(","))
    chunk_rows = min(chunk_rows, args.rows)
    run([args.python, "-c", MAKE_INPUT, src, str(args.frames), str(args.rows), str(args.cols),
         str(chunk_frames), str(chunk_rows)], "making the input")
    in_bytes = args.frames * args.rows * args.cols * 2
    out_bytes = {"sum": args.rows * 16, "write": args.rows * args.frames * args.cols * 4}
    print(f"input [{args.frames}, {args.rows}, {args.cols}] uint16 chunked [{chunk_frames}, "
          f"{chunk_rows}, {args.cols}], {in_bytes / 1e6:.1f} MB; ranks {args.ranks}; "
          f"{args.rounds} interleaved rounds")

    if "write" in jobs:
        check_same_output(args, src)
    builds = {"h5io": (args.bin, args.plugin_dir)}
    if args.baseline_bin:
        builds["baseline"] = (args.baseline_bin, args.baseline_plugin_dir)
    results = {"dd": []}
    for round_ in range(args.rounds):
        for job in jobs:
            out = os.path.join(args.workdir, f"{job}.h5")
            results.setdefault((job, "naive"), []).append(naive_run(args, job, src, out))
            for ranks in ranks_list:
                order = list(builds.items())  # alternated: neither build always goes first
                for name, build in order if round_ % 2 == 0 else order[::-1]:
                    results.setdefault((job, name, ranks), []).append(
                        h5io_run(args, build, job, ranks, src, out))
            remove(out)
        results["dd"].append(dd_run(args, src, os.path.join(args.workdir, "dd.bin"),
                                    out_bytes["write"]))
        print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    service = service_rounds(args, jobs, ranks_list, src) if args.service else None
    targets = []
    for job in jobs:
        report(args, job, ranks_list, list(builds), results, in_bytes, out_bytes[job], targets)
    print("\ntargets (issue 16):\n" + "\n".join(f"  {t}" for t in targets))
    if service:
        report_service(args, jobs, ranks_list, service, out_bytes)
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
