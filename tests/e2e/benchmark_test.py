#!/usr/bin/python3
"""The benchmark library on h5io's example scan: per-slice sums and
position-weighted checksums, slicing each of the three dimensions, checked
against numpy on the same file. Sizes are chosen so the last unit is partial."""
import os
import subprocess

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_h5io

args = arguments(__doc__)
os.makedirs(args.workdir, exist_ok=True)
scan = os.path.join(args.workdir, "bench_scan.h5")
# `h5io example` is a serial tool: no mpirun.
subprocess.run([args.h5io, "example", "--output", scan, "--overwrite", "--frames", "44",
                "--rows", "50", "--columns", "24"], check=True, capture_output=True)

with h5py.File(scan, "r") as f:
    data = f["/entry/data/data"][...]
check(data.shape == (44, 50, 24), "example scan has the requested shape")

# Rows in units of one chunk (16; the last unit holds 2), frames in units of
# one chunk (8; the last holds 4), columns (one chunk of 24) as h5io chooses.
for axis, unit in ((1, ["--unit-slices", "16"]), (0, ["--unit-slices", "8"]), (2, [])):
    output = os.path.join(args.workdir, f"bench_{args.ranks}_{axis}.h5")
    run_h5io(args, "run", "--plugin-dir", args.plugin_dir, "--plugin", "benchmark", "--input",
             scan, "--output", output, "--overwrite", "--param", f"axis={axis}", *unit)
    slices = np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
    weights = np.arange(1, slices.shape[1] + 1, dtype=np.uint64)
    with h5py.File(output, "r") as f:
        sums = f["/benchmark/sum"][...]
        checksums = f["/benchmark/checksum"][...]
        group = f["/entry/process/parameters"]
        parameters = {key: value[()] for key, value in group.items()}
        typed = {key: value.dtype.kind for key, value in group.items()}
        nx_class = group.attrs["NX_class"]
    check(np.array_equal(sums, slices.astype(np.float64).sum(axis=1)),
          f"axis {axis}: per-slice sums equal numpy's")
    check(np.array_equal(checksums, (slices.astype(np.uint64) * weights).sum(axis=1,
                                                                              dtype=np.uint64)),
          f"axis {axis}: per-slice checksums equal numpy's (every value in its place)")
    check(parameters == {"axis": axis} and typed == {"axis": "i"} and nx_class == "NXparameters",
          f"axis {axis}: the NXprocess keeps the typed parameters in NXparameters ({parameters})")
