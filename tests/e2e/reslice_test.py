"""Reslicing, end to end: a scan stored one frame per chunk (as detectors
write it) is copied once into a scratch file chunked for sinogram reads, and
the reconstruction is bitwise equal to the same scan stored with
sinogram-friendly chunks, at 1, 2 and 4 ranks, in every layout that stores
frames in one or several datasets. Also: the memory budget refuses a job
that cannot fit, with the numbers, and leaves nothing behind; a job that
fails after reslicing leaves no scratch file.

Checked independently with h5py and numpy."""
import glob
import os
import shutil

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_ok, run_plain

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"


def leftovers(workdir):
    return sorted(glob.glob(os.path.join(workdir, "*.partial")))


SMALL = ("--size", "96", "--rows", "24", "--angles", "120")


def phantom(args, name, layout, *extra, size=SMALL):
    scan = os.path.join(args.workdir, f"{name}.nxs")
    run_ok(args, "phantom", "--output", scan, "--layout", layout, *size, "--darks", "4",
           "--flats", "6", "--poisson", "--center-offset", "2.5", "--overwrite", *extra)
    return scan


def reconstruct(args, scan, output, ranks, *options, center="48.5"):
    result = run_ok(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", output,
                    "--overwrite", "--param", f"center={center}", *options, ranks=ranks)
    with h5py.File(output, "r") as f:
        return f[RECON][...], f[CENTER][...], result.stdout + result.stderr


def main():
    args = arguments(__doc__)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)

    for layout in ("diamond", "dxchange", "nxtomo"):
        sino = phantom(args, f"{layout}_sino", layout)
        frame = phantom(args, f"{layout}_frame", layout, "--frame-chunks")
        with h5py.File(frame, "r") as f:
            path = {"diamond": "entry1/tomo_entry/data/data", "dxchange": "exchange/data",
                    "nxtomo": "entry/instrument/detector/data"}[layout]
            chunks = f[path].chunks
        check(chunks is not None and chunks[0] == 1 and chunks[1] == 24,
              f"{layout}: the frame-chunked scan has one frame per chunk ({chunks})")
        reference, centers, _ = reconstruct(args, sino, os.path.join(args.workdir, "ref.h5"), 1)
        check(np.isfinite(reference).all() and np.abs(reference).max() > 0,
              f"{layout}: the sinogram-chunked reference is a real reconstruction")

        for ranks, options, expect_reslice in (
                (1, ["--reslice", "on"], True),
                (1, [], False),                   # one unit fits, and nothing idles
                (2, [], True),                    # one unit would leave a rank idle
                (2, ["--reslice", "off"], False),
                (4, [], True),
                (4, ["--unit-slices", "3"], True)):
            output = os.path.join(args.workdir, f"{layout}_{ranks}_{len(options)}.h5")
            volume, used, log = reconstruct(args, frame, output, ranks, *options)
            what = f"{layout}, {ranks} rank(s) {' '.join(options) or '(defaults)'}"
            check(("reslicing first" in log) == expect_reslice,
                  f"{what}: {'resliced' if expect_reslice else 'read directly'} as planned")
            check(np.array_equal(volume, reference) and np.array_equal(used, centers),
                  f"{what}: bitwise equal to the sinogram-chunked scan")
            with h5py.File(output, "r") as f:
                record = f["/entry/process/reslice"][()].decode()
                check((record != "null") == expect_reslice,
                      f"{what}: provenance records the reslicing ({record[:60]})")
                check("/.h5io_job_setup" not in f, f"{what}: no working records left in the output")
            check(leftovers(args.workdir) == [], f"{what}: no partial or scratch file left")

        # The scan-wide axis fit reads its sample sinograms from the copy.
        reference, centers, _ = reconstruct(args, sino, os.path.join(args.workdir, "ref_auto.h5"),
                                            1, center="auto")
        volume, used, log = reconstruct(args, frame, os.path.join(args.workdir, "auto.h5"), 2,
                                        center="auto")
        check("reslicing first" in log and "scan-wide step" in log and
              np.array_equal(volume, reference) and np.array_equal(used, centers),
              f"{layout}, center=auto: the axis found from the resliced copy is the same, and so "
              f"is the volume (centre {used[0]:.3f})")

    # The memory budget: one unit of all 32 slices (2 x 32 x 0.6 MiB, plus
    # read staging) does not fit 40 MiB, so the frames are resliced and read
    # in smaller units; 16 MiB fits nothing, and the job is refused before
    # it starts, with the numbers.
    output = os.path.join(args.workdir, "too_big.h5")
    big_size = ("--size", "256", "--angles", "720", "--rows", "32")
    big_sino = phantom(args, "big_sino", "nxtomo", size=big_size)
    big = phantom(args, "big", "nxtomo", "--frame-chunks", size=big_size)
    reference, _, _ = reconstruct(args, big_sino, os.path.join(args.workdir, "big_ref.h5"), 1)
    volume, _, log = reconstruct(args, big, os.path.join(args.workdir, "big_40.h5"), 1,
                                 "--memory-mb", "40")
    check("reslicing first: reading the frames directly, the job does not fit" in log,
          "one rank, 40 MiB: resliced because one unit of everything does not fit")
    check(np.array_equal(volume, reference), "one rank, 40 MiB: bitwise equal")
    result = run_plain(args, "run", "--plugin", "tomo_fbp", "--input", big, "--output", output,
                       "--memory-mb", "16", ranks=2)
    text = result.stderr
    check(result.returncode == 1 and "does not fit" in text and "16.0 MiB" in text
          and "per rank" in text, f"a job over the memory budget is refused with the numbers: "
          f"{text.strip()[:300]}")
    check(not os.path.exists(output) and leftovers(args.workdir) == [],
          "the refused job left no output, partial or scratch file")

    # A library that fails after the reslicing: nothing is left behind.
    result = run_plain(args, "run", "--plugin", "configurable", "--plugin-dir", args.plugin_dir,
                       "--input", big, "--output", output, "--reslice", "on",
                       "--param", "inputs=/entry/instrument/detector/data:1",
                       "--param", "fail_in=process", "--param", "fail_at=20", ranks=2)
    check(result.returncode == 1 and "configured failure" in result.stderr
          and "reslicing first" in result.stdout,
          f"a failure after reslicing is reported: {result.stderr.strip()[-200:]}")
    check(not os.path.exists(output) and leftovers(args.workdir) == [],
          "the failed job left no output, partial or scratch file")

    # Any dataset, not only scans: the configurable library summing sinograms.
    plain = os.path.join(args.workdir, "plain.h5")
    stack = np.random.default_rng(3).integers(0, 60000, size=(50, 20, 33), dtype=np.uint16)
    with h5py.File(plain, "w") as f:
        f.create_dataset("frames", data=stack, chunks=(1, 20, 33))
    for ranks in (1, 3):
        out = os.path.join(args.workdir, f"plain_{ranks}.h5")
        run_ok(args, "run", "--plugin", "configurable", "--plugin-dir", args.plugin_dir, "--input",
               plain, "--output", out, "--overwrite", "--reslice", "on", "--param",
               "inputs=/frames:1", ranks=ranks)
        with h5py.File(out, "r") as f:
            sums = f["/result/out0"][...]
        expected = stack.astype(np.float64).transpose(1, 0, 2).reshape(20, -1).sum(axis=1)
        check(np.array_equal(sums[:, 0] if sums.ndim > 1 else sums, expected),
              f"plain dataset resliced on {ranks} rank(s): every sinogram's sum is right")
    print("all reslicing checks passed")


if __name__ == "__main__":
    main()
