#!/usr/bin/python3
"""`h5io preview` and `h5io inspect` checked with h5py, numpy and skimage.

preview: a volume with known content (a ramp along x, a bright cube in one
octant, NaNs) is written with h5py; the PNG read back has the documented
layout (width Nx + 4 + Nx + 4 + Ny, height max(Ny, Nz)), each central slice
where expected, and the contrast mapping (low percentile -> 0, high -> 255,
numpy's percentile over the slices' finite values); error cases fail clearly.
inspect: phantom layouts (nxtomo, diamond, dxchange), one frame per chunk
(speed warning), `h5io example`, a gzip+shuffle plain file (filter report),
and error cases."""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import skimage.io

from h5io_e2e import arguments, check

args = arguments(__doc__)
shutil.rmtree(args.workdir, ignore_errors=True)
os.makedirs(args.workdir)
GAP = 4


def path(name):
    return os.path.join(args.workdir, name)


def h5io(*options):
    return subprocess.run([args.h5io, *options], capture_output=True, text=True, timeout=120)


def ok(*options):
    result = h5io(*options)
    if result.returncode != 0:
        sys.exit(f"FAILED: h5io {' '.join(options)}\n{result.stdout}\n{result.stderr}")
    return result


def fails(what, expected, *options):
    result = h5io(*options)
    check(result.returncode == 1 and expected in result.stderr,
          f"{what}: exit 1 with '{expected}' (got {result.returncode}: {result.stderr.strip()})")


# ---- preview -----------------------------------------------------------------
NZ, NY, NX = 10, 12, 16
z, y, x = np.mgrid[:NZ, :NY, :NX].astype(np.float32)
volume = x * 10 + y * 0.5 + z * 0.01  # distinct per voxel, mostly a ramp along x
volume[NZ // 2:, NY // 2:, NX // 2:] += 1000  # bright cube in the far octant
volume[0, 0, 0] = np.nan
with h5py.File(path("recon.h5"), "w") as f:
    f.create_dataset("entry/reconstruction/data", data=volume, chunks=(1, NY, NX))
    f.create_dataset("entry/other", data=np.zeros((3, 3)))
with h5py.File(path("single.h5"), "w") as f:
    f.create_dataset("vol/a", data=volume[::-1].copy())
    f.create_dataset("flat", data=np.zeros(5))
with h5py.File(path("two.h5"), "w") as f:
    f.create_dataset("a", data=volume)
    f.create_dataset("b", data=volume)
    f.create_dataset("img", data=np.zeros((4, 4)))
    f.create_dataset("empty", shape=(0, 4, 4), dtype=np.float32)
    f.create_dataset("nan", data=np.full((4, 4, 4), np.nan, dtype=np.float32))

result = ok("preview", path("recon.h5"), "--output", path("preview.png"))
image = skimage.io.imread(path("preview.png"))
width, height = NX + GAP + NX + GAP + NY, max(NY, NZ)
check(image.dtype == np.uint8 and image.shape == (height, width),
      f"preview is 8-bit grayscale {width} x {height} (got {image.shape} {image.dtype})")
check(f"({width} x {height})" in result.stdout and "z=5, y=6, x=8" in result.stdout
      and "/entry/reconstruction/data [10, 12, 16]" in result.stdout,
      f"preview says what it wrote: {result.stdout.strip()}")
check(not [n for n in os.listdir(args.workdir) if n.startswith(".preview.png")],
      "no temporary file left beside the PNG")

slices = [volume[NZ // 2], volume[:, NY // 2, :], volume[:, :, NX // 2]]
finite = np.concatenate([s[np.isfinite(s)] for s in slices])
low, high = np.percentile(finite, 0.5), np.percentile(finite, 99.5)


def expected_gray(s):
    g = np.clip(np.round(255 * (s.astype(np.float64) - low) / (high - low)), 0, 255)
    return np.where(np.isnan(s), 0, g).astype(np.uint8)


lefts = [0, NX + GAP, 2 * (NX + GAP)]
for name, s, left in zip("zyx", slices, lefts):
    part = image[:s.shape[0], left:left + s.shape[1]].astype(int)
    diff = np.abs(part - expected_gray(s)).max()
    check(diff <= 1, f"{name} slice at column {left}: contrast-mapped values match (max diff {diff})")
check(np.all(image[:, NX:NX + GAP] == 0) and np.all(image[:, 2 * NX + GAP:2 * NX + 2 * GAP] == 0),
      "the gaps are black")
check(np.all(image[NZ:, NX + GAP:] == 0), "padding below the shorter y and x slices is black")
# The bright cube: far octant of the z slice (rows >= NY/2, columns >= NX/2) is white.
zimg = image[:NY, :NX]
cube = np.zeros(zimg.shape, bool)
cube[NY // 2:, NX // 2:] = True
check(zimg[cube].min() > 200 and zimg[~cube].max() < 60,
      "the bright cube appears in the z slice's far quadrant only")
yimg = image[:NZ, NX + GAP:2 * NX + GAP]  # rows z, columns x: cube at z >= NZ/2, x >= NX/2
check(yimg[NZ // 2:, NX // 2:].min() > 200 and yimg[:NZ // 2].max() < 60,
      "the bright cube appears in the y slice's lower right")
check(image[0, 0] == 0, "NaN is black")

# Full range: the extreme finite values map to exactly 0 and 255.
ok("preview", path("recon.h5"), "--output", path("full.png"), "--low", "0", "--high", "100")
full = skimage.io.imread(path("full.png"))
zs = full[:NY, :NX]
check(zs[np.unravel_index(np.nanargmin(slices[0]), slices[0].shape)] == 0
      and zs[np.unravel_index(np.nanargmax(slices[0]), slices[0].shape)] == 255,
      "--low 0 --high 100: the minimum is 0 and the maximum 255")

result = ok("preview", path("single.h5"), "--output", path("single.png"))
check("of /vol/a [10, 12, 16]" in result.stdout, "without /entry/reconstruction/data the only "
      "3-D dataset is shown")
ok("preview", path("two.h5"), "--dataset", "/b", "--output", path("b.png"))
check(skimage.io.imread(path("b.png")).shape == (height, width), "--dataset picks one")

fails("missing file", "does not exist", "preview", path("none.h5"), "--output", path("x.png"))
with open(path("text.h5"), "w") as f:
    f.write("not hdf5\n")
fails("not HDF5", "not an HDF5 file", "preview", path("text.h5"), "--output", path("x.png"))
fails("several 3-D datasets", "/a [10, 12, 16] float32; /b", "preview", path("two.h5"),
      "--output", path("x.png"))
fails("missing dataset", "dataset '/nope' not found", "preview", path("two.h5"), "--dataset",
      "/nope", "--output", path("x.png"))
fails("not 3-D", "needs a 3-D volume", "preview", path("two.h5"), "--dataset", "/img",
      "--output", path("x.png"))
fails("empty", "is empty", "preview", path("two.h5"), "--dataset", "/empty", "--output",
      path("x.png"))
fails("all NaN", "no finite values", "preview", path("two.h5"), "--dataset", "/nan", "--output",
      path("x.png"))
fails("low >= high", "must be below", "preview", path("recon.h5"), "--low", "60", "--high", "40",
      "--output", path("x.png"))
fails("missing directory", "does not exist", "preview", path("recon.h5"), "--output",
      path("no/such/dir/x.png"))
check(not os.path.exists(path("x.png")), "failed previews write no PNG")

# ---- inspect -----------------------------------------------------------------


def phantom(name, *options):
    ok("phantom", "--output", path(name), "--size", "64", "--rows", "32", "--angles", "90",
       "--overwrite", *options)
    return path(name)


def inspect(file):
    text = ok("inspect", file).stdout
    return text, json.loads(ok("inspect", file, "--json").stdout)


text, report = inspect(phantom("nxtomo.nxs"))
check(report["layout"] == "NXtomo" and "NXentry '/entry'" in report["layout_detail"],
      "nxtomo: NXtomo in an NXentry")
check(report["scan"]["shape"] == [120, 32, 64] and report["scan"]["dtype"] == "uint16"
      and report["storage"]["chunk"] == [8, 16, 64] and report["storage"]["compression"] == "none",
      "nxtomo: shape, dtype, chunks, no compression")
check(report["scan"]["projections"]["count"] == 90 and report["scan"]["angles"]["units"] == "degree",
      "nxtomo: counts and angle units")
check(not any("one frame per chunk" in w for w in report["speed_warnings"]),
      "nxtomo: no one-frame-per-chunk warning for [8, 16, cols] chunks")
check("90 projections, 10 darks, 20 flats" in text,
      "nxtomo: text names the counts")

text, report = inspect(phantom("diamond.nxs", "--layout", "diamond"))
check(report["layout"] == "NXtomo" and "NXsubentry" in report["layout_detail"]
      and "Diamond" in report["layout_detail"], "diamond: NXtomo in an NXsubentry")
check(report["scan"]["data_link"].startswith("diamond_detector.h5:")
      and "diamond_detector.h5:" in text, "diamond: the external link target is shown")

text, report = inspect(phantom("dx.h5", "--layout", "dxchange"))
check(report["layout"] == "DXchange" and report["scan"]["data"] == "/exchange/data",
      "dxchange: detected")

text, report = inspect(phantom("frames.nxs", "--frame-chunks"))
check(report["storage"]["chunk"] == [1, 32, 64]
      and any("one frame per chunk" in w for w in report["speed_warnings"])
      and "one frame per chunk" in text, "--frame-chunks: the one-frame-per-chunk speed warning")

ok("example", "--output", path("example.h5"), "--overwrite")
text, report = inspect(path("example.h5"))
check(report["layout"] == "HDF5" and [d["path"] for d in report["datasets"]] == ["/entry/data/data"]
      and report["datasets"][0]["chunk"] == [8, 16, 256], "example: plain HDF5, its dataset listed")
check("/entry/data/data" in text and "dataset=PATH" in text, "example: text lists the dataset")

with h5py.File(path("gzip.h5"), "w") as f:
    f.create_dataset("data/frames", data=np.zeros((40, 64, 64), np.uint16), chunks=(1, 64, 64),
                     compression="gzip", compression_opts=6, shuffle=True)
    f.create_dataset("data/plain", data=np.zeros((10, 10), np.float32))
text, report = inspect(path("gzip.h5"))
frames = [d for d in report["datasets"] if d["path"] == "/data/frames"][0]
check([x["name"] for x in frames["filters"]] == ["shuffle", "gzip"]
      and frames["compression"] == "shuffle + gzip (level 6)" and "shuffle + gzip (level 6)" in text,
      f"gzip+shuffle reported: {frames['compression']}")
plain = [d for d in report["datasets"] if d["path"] == "/data/plain"][0]
check(plain["layout"] == "contiguous" and plain["compression"] == "none",
      "a contiguous dataset has no filters")

# A scan with gzip frames: the decompression cost note.
with h5py.File(path("dxgz.h5"), "w") as f:
    f.create_dataset("exchange/data", data=np.ones((20, 32, 64), np.uint16), chunks=(4, 32, 64),
                     compression="gzip")
text, report = inspect(path("dxgz.h5"))
check(any("gzip" in w and "decompress" in w for w in report["speed_warnings"]),
      "gzip-compressed frames: decompression cost noted")

fails("inspect missing file", "does not exist", "inspect", path("none.h5"))
fails("inspect not HDF5", "not an HDF5 file", "inspect", path("text.h5"))
print("all preview and inspect checks passed")
