"""The `normalise` library (issue 15) on a noisy phantom scan (NXtomo, Poisson
noise, darks and flats):
* its output is bitwise equal at 1, 2 and 4 ranks;
* with minus_log=true it equals -log((I - dark) / (flat - dark)) computed
  by numpy from the raw file, to float32 rounding;
* without minus_log it gives the transmission, exp(-) of the line integrals;
* normalise -> tomo_fbp (normalise=false) reconstructs bitwise the same
  volume as tomo_fbp normalising itself: the two share one implementation;
* bad parameters and a scan with no flats are refused before anything is
  written, each with a message that names the problem."""
import os
import shutil

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_plain
from tomo_common import RECON, normalised_sinograms, phantom, run_library

OUTPUT = "/entry/normalised/data"


def normalise(args, scan, output, *params, ranks=None):
    run_library(args, "normalise", scan, output, *params, ranks=ranks)
    with h5py.File(output, "r") as f:
        return f[OUTPUT][...]


def refused(args, scan, params, expected, what):
    output = os.path.join(args.workdir, "refused.h5")
    command = ["run", "--plugin", "normalise", "--input", scan, "--output", output, "--overwrite"]
    for param in params:
        command += ["--param", param]
    result = run_plain(args, *command)
    text = result.stdout + result.stderr
    check(result.returncode != 0 and all(e in text for e in expected)
          and not os.path.exists(output),
          f"{what} is refused, nothing written: {[e for e in expected]}\n{text}")


def main():
    args = arguments(__doc__)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    size, rows, angles = 96, 12, 120
    scan, _ = phantom(args, "scan", "--size", str(size), "--rows", str(rows), "--angles",
                      str(angles), "--poisson", "--flat-level", "5000")

    outputs = {n: normalise(args, scan, os.path.join(args.workdir, f"norm_np{n}.h5"),
                            "minus_log=true", ranks=n) for n in (1, 2, 4)}
    check(all(np.array_equal(outputs[1], outputs[n]) for n in (2, 4)),
          "normalise's output is bitwise equal at 1, 2 and 4 ranks")
    line_integrals = outputs[1]
    check(line_integrals.shape == (angles, rows, size) and line_integrals.dtype == np.float32,
          f"one float32 frame per projection: {line_integrals.shape} {line_integrals.dtype}")

    reference, _ = normalised_sinograms(scan)  # [rows, P, cols], float64
    reference = reference.transpose(1, 0, 2)
    error = float(np.abs(line_integrals - reference).max())
    check(error < 2e-5 * max(1.0, float(np.abs(reference).max())),
          f"minus_log=true equals numpy's -log((I - dark) / (flat - dark)) (max |difference| "
          f"{error:.2e})")

    transmission = normalise(args, scan, os.path.join(args.workdir, "transmission.h5"))
    relative = float(np.abs(transmission - np.exp(-line_integrals)).max())
    check(relative < 1e-5 and transmission.min() >= 1e-6,
          f"by default the clamped transmission, exp(-line integrals) (max |difference| "
          f"{relative:.1e})")

    # The chain against tomo_fbp normalising by itself.
    chain = os.path.join(args.workdir, "recon_chain.h5")
    direct = os.path.join(args.workdir, "recon_direct.h5")
    center = f"center={size // 2}"
    run_library(args, "tomo_fbp", os.path.join(args.workdir, "norm_np1.h5"), chain,
                f"scan.data={OUTPUT}", "normalise=false", center, ranks=2)
    run_library(args, "tomo_fbp", scan, direct, center, ranks=2)
    with h5py.File(chain, "r") as a, h5py.File(direct, "r") as b:
        same = np.array_equal(a[RECON][...], b[RECON][...])
    check(same, "normalise -> tomo_fbp(normalise=false) is bitwise tomo_fbp normalising itself")

    refused(args, scan, ["minuslog=true"],
            ["normalise has no parameter 'minuslog'", "minus_log"], "a misspelt parameter")
    refused(args, scan, ["minus_log=maybe"], ["minus_log='maybe'", "true or false"],
            "a parameter that is not a boolean")
    refused(args, scan, ["output=relative/path"], ["output='relative/path'"],
            "an output that is not an absolute dataset path")
    no_flats, _ = phantom(args, "no_flats", "--size", "32", "--rows", "4", "--angles", "10",
                          "--flats", "0")
    refused(args, no_flats, [], ["the scan has no flat-field frames", "normalise"],
            "a scan with no flats")


if __name__ == "__main__":
    main()
