#!/usr/bin/python3
"""tiff_extract on 2 ranks: every slice of a uint16 and a float32 volume
becomes a TIFF that tifffile reads back bitwise and tiffinfo accepts, named
in slice order, with per-slice records (name, min, max) in the output;
conversion with scale and offset clamps and rounds as documented; sinograms
of a tomography scan (scan:projections, axis 1); and the refusals (no
directory, a file in its place, files already there, a 2-D input)."""
import glob
import os
import shutil
import subprocess

import h5py
import numpy as np
import tifffile

from h5io_e2e import arguments, check, run_ok, run_plain
from tomo_common import phantom

args = arguments(__doc__)
os.makedirs(args.workdir, exist_ok=True)
ranks = args.ranks or None
VOLUME = "/entry/reconstruction/data"
rng = np.random.default_rng(11)


def volume_file(name, data, chunks=None):
    path = os.path.join(args.workdir, f"{name}.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset(VOLUME, data=data, chunks=chunks)
        f.create_dataset("/flat", data=data[0])
    return path


def extract(source, output, directory, *params):
    command = ["run", "--plugin", "tiff_extract", "--input", source, "--output", output,
               "--overwrite", "--param", f"directory={directory}"]
    for param in params:
        command += ["--param", param]
    return run_ok(args, *command, ranks=ranks)


def fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)
    return directory


def tiffinfo_accepts(path):
    result = subprocess.run(["tiffinfo", path], capture_output=True, text=True)
    return result.returncode == 0 and "Image Width" in result.stdout and not result.stderr, \
        result.stdout + result.stderr


def round_trip(name, data):
    source = volume_file(name, data, chunks=(2,) + data.shape[1:])
    directory = fresh(os.path.join(args.workdir, f"tiffs_{name}"))
    output = os.path.join(args.workdir, f"records_{name}.h5")
    extract(source, output, directory)
    files = sorted(os.listdir(directory))
    expected = [f"slice_{i:05d}.tif" for i in range(data.shape[0])]
    check(files == expected, f"{name}: one file per slice, in order, nothing else: {files}")
    back = np.stack([tifffile.imread(os.path.join(directory, f)) for f in files])
    check(back.dtype == data.dtype and back.shape == data.shape,
          f"{name}: tifffile reads {back.shape} {back.dtype}")
    check(back.tobytes() == data.tobytes(), f"{name}: HDF5 -> TIFF -> numpy is bitwise exact")
    accepted, text = tiffinfo_accepts(os.path.join(directory, files[-1]))
    check(accepted, f"{name}: tiffinfo accepts the files")
    with h5py.File(output, "r") as f:
        names = [bytes(row).rstrip(b"\0").decode() for row in f["/tiff_extract/file_name"][...]]
        lows, highs = f["/tiff_extract/min"][...], f["/tiff_extract/max"][...]
        attributes = dict(f["/tiff_extract/file_name"].attrs)
    check(names == expected, f"{name}: the records name each slice's file")
    check(np.array_equal(lows, np.nanmin(data, axis=(1, 2))) and
          np.array_equal(highs, np.nanmax(data, axis=(1, 2))), f"{name}: min and max per slice")
    check(str(attributes.get("directory")) == directory and
          str(attributes.get("file_pattern")) == "slice_NNNNN.tif",
          f"{name}: attributes name the directory and pattern")
    return text


uint16 = rng.integers(0, 65536, size=(7, 33, 47), dtype=np.uint16)
info = round_trip("uint16", uint16)
check("Bits/Sample: 16" in info, "uint16: tiffinfo says 16 bits per sample")
float32 = rng.standard_normal((5, 1, 1000)).astype(np.float32)
float32[1, 0, 3] = np.nan
info = round_trip("float32", float32)
check("IEEE floating point" in info, "float32: tiffinfo says IEEE floating point")

# Conversion: value * scale + offset, rounded half away from zero, clamped.
source = volume_file("convert", np.array([[[-1.0, 0.00049, 0.0015, 65.6, np.nan, 1e9]]] * 3,
                                         np.float32))
directory = fresh(os.path.join(args.workdir, "tiffs_convert"))
output = os.path.join(args.workdir, "records_convert.h5")
extract(source, output, directory, "dtype=uint16", "scale=1000", "offset=0", "prefix=c_",
        "digits=3", "compression=deflate")
converted = tifffile.imread(os.path.join(directory, "c_002.tif"))
check(converted.dtype == np.uint16 and converted.tolist() == [[0, 0, 2, 65535, 0, 65535]],
      f"dtype=uint16 scale=1000: clamped and rounded {converted.tolist()}")
with h5py.File(output, "r") as f:
    check(f["/tiff_extract/clipped"][...].tolist() == [4, 4, 4], "clipped values counted")
check(tiffinfo_accepts(os.path.join(directory, "c_000.tif"))[0], "tiffinfo accepts deflate")

# Sinograms of a tomography scan: the host resolves the role.
scan, _ = phantom(args, "scan", "--layout", "nxtomo", "--size", "32", "--angles", "20",
                  "--rows", "3")
directory = fresh(os.path.join(args.workdir, "tiffs_sinograms"))
extract(scan, os.path.join(args.workdir, "records_sino.h5"), directory,
        "dataset=scan:projections", "axis=1")
with h5py.File(scan, "r") as f:
    keys = f["entry/instrument/detector/image_key"][...]
    frames = f["entry/instrument/detector/data"][...][keys == 0]
sinogram = tifffile.imread(os.path.join(directory, "slice_00001.tif"))
check(np.array_equal(sinogram, frames[:, 1, :]), "scan:projections axis=1 gives sinograms")


def refused(expected, *params, source=None, directory=None):
    output = os.path.join(args.workdir, "refused.h5")
    command = ["run", "--plugin", "tiff_extract", "--input", source or volume_file("small", uint16),
               "--output", output]
    if directory:
        command += ["--param", f"directory={directory}"]
    for param in params:
        command += ["--param", param]
    result = run_plain(args, *command, ranks=ranks)
    said = [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith("h5io: error:")]
    check(result.returncode != 0 and len(said) == 1 and expected in said[0],
          f"refused with '{expected}': {said}")
    check(not glob.glob(output + "*"), "  nothing left under the output name")


refused("needs directory=PATH")
not_a_directory = os.path.join(args.workdir, "plain_file")
open(not_a_directory, "w").close()
refused("exists but is not a directory", directory=not_a_directory)
refused("already holds slice_00000.tif and 6 more", directory=os.path.join(args.workdir,
                                                                          "tiffs_uint16"))
refused("must be a 3-D stack", "dataset=/flat", directory=os.path.join(args.workdir, "unused"))
refused("scale only applies when converting", "scale=2",
        directory=os.path.join(args.workdir, "unused"))
extract(volume_file("small", uint16), os.path.join(args.workdir, "again.h5"),
        os.path.join(args.workdir, "tiffs_uint16"), "overwrite=true")
check(not glob.glob(os.path.join(args.workdir, "tiffs_uint16", ".*")),
      "overwrite=true replaces the files and leaves no temporary file")
