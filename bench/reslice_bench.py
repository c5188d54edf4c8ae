#!/usr/bin/env python3
"""One frame per chunk against sinogram chunks, side by side.

Writes the same phantom scan twice in Diamond's layout, once chunked
[8, 16, cols] (sinogram reads take whole chunks) and once [1, rows, cols] (one
frame per chunk, as detectors write it), and reconstructs both with
tomo_fbp under mpirun, interleaved, best of N rounds. h5io reslices the
frame-chunked scan first (a scratch copy chunked for sinogram reads); the
figures say what that costs: wall time (the whole `mpirun h5io run`), the
peak resident memory of the largest rank (h5io's own getrusage report), and
both against the sinogram-chunked run and the memory budget. The outputs are
compared bitwise.

Targets (issue 14): frame-chunked wall <= 1.3 x sinogram-chunked, peak
memory per rank <= 1.5 x, and within the budget.

  python3 bench/reslice_bench.py --bin build/bin [--size 1024 --rows 128
      --angles 1024 --ranks 2 --rounds 3 --memory-mb M]"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

PEAK = re.compile(r"peak memory ([\d.]+) (KiB|MiB|GiB|bytes) on the largest rank \(unit buffers "
                  r"planned ([\d.]+) (KiB|MiB|GiB|bytes) of a ([\d.]+) (KiB|MiB|GiB|bytes) budget")
UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def mib(value, unit):
    return float(value) * UNITS[unit] / (1 << 20)


def run(command, what):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--workdir", default="/tmp/h5io_reslice_bench")
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--angles", type=int, default=1024)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-mb", type=int, default=0, help="0: h5io's default budget")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless the targets are met (for a smoke run in ctest)")
    args = parser.parse_args()
    h5io = os.path.join(args.bin, "h5io")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    shape = ["--size", str(args.size), "--rows", str(args.rows), "--angles", str(args.angles)]
    scans = {}
    for kind, extra in (("sinogram", []), ("frame", ["--frame-chunks"])):
        scans[kind] = os.path.join(args.workdir, f"{kind}.nxs")
        run([h5io, "phantom", "--output", scans[kind], "--layout", "diamond", *shape, *extra,
             "--overwrite"], f"h5io phantom ({kind})")
    frame_gb = (args.angles + 30) * args.rows * args.size * 2 / 1e9
    print(f"scan: {args.angles} projections (+30 darks and flats) of {args.rows} x {args.size} "
          f"uint16 ({frame_gb:.2f} GB), Diamond layout; tomo_fbp on {args.ranks} ranks; "
          f"best of {args.rounds} interleaved rounds")

    best = {}
    for round_ in range(args.rounds):
        order = ("sinogram", "frame") if round_ % 2 == 0 else ("frame", "sinogram")
        for kind in order:
            output = os.path.join(args.workdir, f"{kind}_recon.h5")
            command = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", h5io, "run",
                       "--plugin", "tomo_fbp", "--input", scans[kind], "--output", output,
                       "--overwrite"]
            if args.memory_mb:
                command += ["--memory-mb", str(args.memory_mb)]
            start = time.monotonic()
            log = run(command, f"h5io run ({kind})")
            wall = time.monotonic() - start
            match = PEAK.search(log)
            if not match:
                sys.exit(f"no peak memory report in h5io's output:\n{log}")
            peak = mib(*match.group(1, 2))
            planned = mib(*match.group(3, 4))
            budget = mib(*match.group(5, 6))
            resliced = "reslicing first" in log
            print(f"  round {round_ + 1} {kind:8}: {wall:6.2f} s, peak {peak:7.1f} MiB"
                  f"{' (resliced)' if resliced else ''}")
            entry = best.setdefault(kind, {"wall": wall, "peak": peak})
            entry["wall"] = min(entry["wall"], wall)
            entry["peak"] = min(entry["peak"], peak)
            entry.update(planned=planned, budget=budget, resliced=resliced)

    same = subprocess.run(["h5diff", os.path.join(args.workdir, "sinogram_recon.h5"),
                           os.path.join(args.workdir, "frame_recon.h5"),
                           "/entry/reconstruction/data"], capture_output=True).returncode == 0
    s, f = best["sinogram"], best["frame"]
    wall_ratio = f["wall"] / s["wall"]
    peak_ratio = f["peak"] / s["peak"]
    print()
    print(f"| chunks | resliced | wall (best) | peak RSS, largest rank | planned buffers |")
    print(f"|---|---|---|---|---|")
    print(f"| [8, 16, {args.size}] | {'yes' if s['resliced'] else 'no'} | {s['wall']:.2f} s | "
          f"{s['peak']:.0f} MiB | {s['planned']:.0f} MiB |")
    print(f"| [1, {args.rows}, {args.size}] | {'yes' if f['resliced'] else 'no'} | "
          f"{f['wall']:.2f} s | {f['peak']:.0f} MiB | {f['planned']:.0f} MiB |")
    print(f"| ratio frame / sinogram | | {wall_ratio:.2f} (target <= 1.3) | "
          f"{peak_ratio:.2f} (target <= 1.5) | |")
    print(f"memory budget per rank {f['budget']:.0f} MiB: peak {f['peak']:.0f} MiB is "
          f"{'within' if f['peak'] <= f['budget'] else 'OVER'} it")
    print(f"outputs bitwise equal: {same}")
    met = same and f["resliced"] and wall_ratio <= 1.3 and peak_ratio <= 1.5 and \
        f["peak"] <= f["budget"]
    print(f"targets met: {met}")
    if args.check and not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
