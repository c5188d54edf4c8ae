#!/usr/bin/python3
"""Scans and parameters tomo_fbp cannot use: each is refused with a message
a scientist understands and leaves no output behind; scans it can use with a
documented fallback (no darks, flats equal to darks) give finite volumes."""
import glob
import os

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_ok, run_plain
from tomo_common import RECON, phantom

args = arguments(__doc__)
os.makedirs(args.workdir, exist_ok=True)
small = ["--size", "64", "--angles", "90", "--rows", "4", "--seed", "3"]


def refused(scan, expected, *params, plugin="tomo_fbp"):
    output = os.path.join(args.workdir, "refused.h5")
    command = ["run", "--plugin", plugin, "--input", scan, "--output", output]
    for param in params:
        command += ["--param", param]
    result = run_plain(args, *command, ranks=args.ranks or None)
    text = result.stdout + result.stderr
    check(result.returncode != 0, f"{' '.join(params) or os.path.basename(scan)}: refused")
    said = [line for line in text.splitlines() if line.startswith("h5io: error:")]
    check(len(said) == 1 and expected in said[0], f"  message says '{expected}': {said}")
    check(not glob.glob(output + "*"), "  nothing left under the output name")


def finite_volume(scan, name):
    output = os.path.join(args.workdir, f"{name}.h5")
    result = run_ok(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", output,
                    "--overwrite", ranks=args.ranks or None)
    with h5py.File(output, "r") as f:
        volume = f[RECON][...]
    check(np.isfinite(volume).all(), f"{name}: every value finite")
    return volume, result.stdout + result.stderr


scan, _ = phantom(args, "good", "--layout", "diamond", *small)
refused(scan, "filter='gaussian' is not a filter", "filter=gaussian")
refused(scan, "outside the detector", "center=400")
refused(scan, "outside the detector", "center=-2")
refused(scan, "has no parameter 'centre' (did you mean center?)", "centre=32")
refused(scan, "the scan parameters are", "scan.dark=/x")
refused(scan, "reads none", "scan.data=/entry1/tomo_entry/data/data", plugin="benchmark")

no_flats, _ = phantom(args, "no_flats", "--layout", "diamond", "--flats", "0", *small)
refused(no_flats, "the scan has no flat-field frames")

example = os.path.join(args.workdir, "not_a_scan.h5")
run_ok(args, "example", "--output", example, "--overwrite")
refused(example, "not a tomography scan h5io recognises")

mismatch, _ = phantom(args, "mismatch", "--layout", "nxtomo", *small)
with h5py.File(mismatch, "r+") as f:
    angles = f["entry/sample/rotation_angle"][...]
    for path in ("entry/sample/rotation_angle", "entry/data/rotation_angle"):
        if path in f:
            del f[path]
    f["entry/sample/rotation_angle"] = angles[:-7]
    f["entry/sample/rotation_angle"].attrs["units"] = "degree"
refused(mismatch, "angle count mismatch")

no_darks, _ = phantom(args, "no_darks", "--layout", "diamond", "--darks", "0", *small)
_, messages = finite_volume(no_darks, "no_darks")
check("no dark frames" in messages, "no darks: a warning says so")

flat_is_dark, _ = phantom(args, "flat_is_dark", "--layout", "nxtomo", *small)
with h5py.File(flat_is_dark, "r+") as f:
    keys = f["entry/instrument/detector/image_key"][...]
    data = f["entry/instrument/detector/data"]
    dark = data[np.flatnonzero(keys == 2)[0]]
    for frame in np.flatnonzero(keys == 1):
        data[frame] = dark
finite_volume(flat_is_dark, "flat_is_dark")
