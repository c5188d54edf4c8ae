#!/usr/bin/env python3
"""A three-step pipeline against the same steps as three separate jobs.

normalise -> paganin -> tomo_fbp (normalise=false) on a phantom scan with
Poisson noise, stored one frame per chunk as detectors write it, under
mpirun at N ranks:

  pipeline  one `h5io run --pipeline`: normalise and paganin chained in
            memory, one reslice into the job's scratch, tomo_fbp from it
  3 jobs    `h5io run --plugin normalise` into a file, `--plugin paganin` on
            that file into a second one, `--plugin tomo_fbp` on the second
            (scan.data=/entry/paganin/data): what a user does without
            pipelines, with the intermediate files kept until the end

Interleaved, best of N rounds. Wall time is the whole of each way (all its
mpiruns). Peak disk is the largest total size of the work directory's
outputs, intermediates and scratch files, sampled every 10 ms while each
way runs (the input scan's files excluded; the other way's output is
kept, and excluded too, so that the two volumes can be compared). The
volumes are compared bitwise.

Target (issue 15): the pipeline at least 1.5 x faster, with lower peak disk.

  python3 bench/pipeline_bench.py --bin build/bin [--size 512 --rows 64
      --angles 720 --ranks 2 --rounds 3]"""
import argparse
import os
import shutil
import subprocess
import sys
import threading
import time

PHYSICS = {"energy_kev": 25, "distance_m": 0.5, "pixel_um": 1.6, "delta_over_beta": 250}
RECON = "/entry/reconstruction/data"


class DiskSampler:
    """The peak total size of the files in a directory (but the scan) while
    a block runs."""

    def __init__(self, directory, exclude):
        self.directory, self.exclude = directory, exclude
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def total(self):
        size = 0
        for entry in os.scandir(self.directory):
            if entry.name in self.exclude:
                continue
            try:
                size += entry.stat().st_blocks * 512  # allocated, as df counts it
            except FileNotFoundError:
                pass
        return size

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.total())
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.total())


def run(command, what):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def params(*pairs):
    out = []
    for pair in pairs:
        out += ["--param", pair]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--workdir", default="/tmp/h5io_pipeline_bench")
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--angles", type=int, default=720)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless the volumes are bitwise equal (a smoke run)")
    args = parser.parse_args()
    h5io = os.path.join(args.bin, "h5io")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    scan = os.path.join(args.workdir, "scan.nxs")
    run([h5io, "phantom", "--output", scan, "--layout", "diamond", "--frame-chunks", "--poisson",
         "--size", str(args.size), "--rows", str(args.rows), "--angles", str(args.angles),
         "--overwrite"], "h5io phantom")
    center = args.size / 2
    physics = ", ".join(f"{k}: {v}" for k, v in PHYSICS.items())
    pipeline = os.path.join(args.workdir, "pipeline.yaml")
    with open(pipeline, "w") as f:
        f.write(f"steps:\n  - plugin: normalise\n  - plugin: paganin\n"
                f"    params: {{input: /entry/normalised/data, {physics}}}\n"
                f"  - plugin: tomo_fbp\n    params: {{normalise: false, center: {center}}}\n")
    mpirun = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", h5io, "run"]
    outputs = {way: os.path.join(args.workdir, f"{way}_recon.h5") for way in ("pipeline", "jobs")}
    norm = os.path.join(args.workdir, "normalised.h5")
    phase = os.path.join(args.workdir, "paganin.h5")

    def run_pipeline():
        run(mpirun + ["--pipeline", pipeline, "--input", scan, "--output", outputs["pipeline"],
                      "--overwrite"], "the pipeline")

    def run_jobs():
        run(mpirun + ["--plugin", "normalise", "--input", scan, "--output", norm, "--overwrite"],
            "job 1 (normalise)")
        run(mpirun + ["--plugin", "paganin", "--input", norm, "--output", phase, "--overwrite"]
            + params("input=/entry/normalised/data", *(f"{k}={v}" for k, v in PHYSICS.items())),
            "job 2 (paganin)")
        run(mpirun + ["--plugin", "tomo_fbp", "--input", phase, "--output", outputs["jobs"],
                      "--overwrite"]
            + params("scan.data=/entry/paganin/data", "normalise=false", f"center={center}"),
            "job 3 (tomo_fbp)")

    ways = {"pipeline": run_pipeline, "jobs": run_jobs}
    scan_gb = sum(os.path.getsize(os.path.join(args.workdir, n))
                  for n in os.listdir(args.workdir) if n.startswith("scan_detector")) / 1e9
    print(f"scan: {args.angles} projections of {args.rows} x {args.size} uint16, one frame per "
          f"chunk, Poisson noise ({scan_gb:.3f} GB); normalise -> paganin -> tomo_fbp at "
          f"{args.ranks} ranks; best of {args.rounds} interleaved rounds")
    best = {}
    for round_ in range(args.rounds):
        order = ("pipeline", "jobs") if round_ % 2 == 0 else ("jobs", "pipeline")
        for way in order:
            for stale in ((norm, phase, outputs["jobs"]) if way == "jobs" else
                          (outputs["pipeline"],)):
                if os.path.exists(stale):
                    os.remove(stale)
            subprocess.run(["sync"])
            inputs = {n for n in os.listdir(args.workdir) if n.startswith("scan")}
            other = os.path.basename(outputs["pipeline" if way == "jobs" else "jobs"])
            with DiskSampler(args.workdir, inputs | {"pipeline.yaml", other}) as disk:
                start = time.monotonic()
                ways[way]()
                wall = time.monotonic() - start
            if way == "jobs":  # the intermediates, so the pipeline's peak counts only its own
                for done in (norm, phase):
                    os.remove(done)
            print(f"  round {round_ + 1} {way:8}: {wall:6.2f} s, peak disk "
                  f"{disk.peak / 1e6:8.1f} MB")
            entry = best.setdefault(way, {"wall": wall, "disk": disk.peak})
            entry["wall"] = min(entry["wall"], wall)
            entry["disk"] = min(entry["disk"], disk.peak)
    same = subprocess.run(["h5diff", outputs["pipeline"], outputs["jobs"], RECON],
                          capture_output=True).returncode == 0
    p, j = best["pipeline"], best["jobs"]
    speedup = j["wall"] / p["wall"]
    print()
    print("| way | wall (best) | peak disk (best) |")
    print("|---|---|---|")
    print(f"| 3 jobs, intermediate files | {j['wall']:.2f} s | {j['disk'] / 1e6:.1f} MB |")
    print(f"| one pipeline | {p['wall']:.2f} s | {p['disk'] / 1e6:.1f} MB |")
    print(f"| ratio | {speedup:.2f} x faster (target >= 1.5) | "
          f"{j['disk'] / max(p['disk'], 1):.2f} x less disk |")
    print(f"volumes bitwise equal: {same}")
    print(f"targets met: {same and speedup >= 1.5 and p['disk'] < j['disk']}")
    if args.check and not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
