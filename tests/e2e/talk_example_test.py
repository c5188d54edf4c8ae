#!/usr/bin/python3
"""The talk's example library (tests/plugins/talk_example.c) run by h5io, its
output checked value for value against an independent numpy computation of
the same formula from the same input file (read with h5py)."""
import os

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_h5io

args = arguments(__doc__)
os.makedirs(args.workdir, exist_ok=True)
source = os.path.join(args.workdir, "talk_input.h5")
output = os.path.join(args.workdir, f"talk_output_{args.ranks}.h5")
if os.path.exists(output):
    os.remove(output)

rng = np.random.default_rng(2011)
with h5py.File(source, "w") as f:
    # Chunked one slice deep along the sliced (last) dimension, so units are
    # single slices and every rank count leaves some ranks idle in a round.
    f.create_dataset("data/imagedata", data=rng.integers(0, 60000, (1024, 1024, 5), np.uint16),
                     chunks=(256, 256, 1))
    f.create_dataset("data/darkdata",
                     data=(100 + rng.integers(0, 50, (1024, 5))).astype(np.float32) + 0.25)
    f.create_dataset("data/motorposition", data=rng.uniform(-50, 50, (25, 30)))

run_h5io(args, "run", "--plugin-dir", args.plugin_dir, "--plugin", "talk_example",
         "--input", source, "--output", output)

with h5py.File(source, "r") as f:
    image = f["data/imagedata"][...].astype(np.float64)
    dark = f["data/darkdata"][...].astype(np.float64)
    motor = f["data/motorposition"][...]

expected = np.empty((512, 512, 5), np.int32)
i, j = np.meshgrid(np.arange(512), np.arange(512), indexing="ij")
for s in range(5):
    total = np.zeros((512, 512))
    for a in (0, 1):
        for b in (0, 1):
            total = total + (image[a::2, b::2, s] - dark[b::2, s][np.newaxis, :])
    expected[:, :, s] = np.floor(total + motor[s % 25][(i + j) % 30]).astype(np.int32)

with h5py.File(output, "r") as f:
    got = f["output/data"]
    check(got.shape == (512, 512, 5) and got.dtype == np.int32,
          f"output/data is [512, 512, 5] int32 (got {got.shape} {got.dtype})")
    values = got[...]
    mismatches = int(np.count_nonzero(values != expected))
    check(mismatches == 0, f"every value equals the numpy computation ({mismatches} differ)")
    check(f["entry/process/plugin"][()].decode() == "talk_example", "provenance names the library")
    check(f["entry/process/ranks"][()].decode() == str(max(args.ranks, 1)),
          "provenance records the rank count")
