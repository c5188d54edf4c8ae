#!/usr/bin/python3
"""`h5io phantom` checked independently with h5py, numpy and scikit-image:
each layout has the datasets, types and attributes a beamline's file has; the
normalised sinogram of a row equals skimage's radon transform of the ground
truth's slice (which proves the geometry convention is skimage's); the centre
of mass of every projection lies where the truth puts it; a centre offset
moves the sinogram by exactly that many pixels; Diamond's external link
resolves from any working directory and after the pair of files is moved."""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
from skimage.transform import radon

from h5io_e2e import arguments, check

args = arguments(__doc__)
shutil.rmtree(args.workdir, ignore_errors=True)
os.makedirs(args.workdir)

SIZE, ROWS, ANGLES, DARKS, FLATS = 128, 6, 180, 4, 6


def phantom(name, *options):
    path = os.path.join(args.workdir, name)
    defaults = {"--size": SIZE, "--rows": ROWS, "--angles": ANGLES, "--darks": DARKS,
                "--flats": FLATS}
    command = [args.h5io, "phantom", "--output", path, *options]
    for option, value in defaults.items():
        if option not in options:
            command += [option, str(value)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(command)}\nexit {result.returncode}\n{result.stderr}")
    return path


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def truth_of(scan):
    with h5py.File(scan.replace(".nxs", "_truth.h5"), "r") as f:
        volume = f["/volume"]
        check(volume.dtype == np.float32 and volume.shape == (ROWS, SIZE, SIZE),
              "truth /volume is float32 [rows, N, N]")
        check(text(volume.attrs["units"]) == "1/pixel", "truth is in 1/pixel")
        return volume[...].astype(np.float64), float(volume.attrs["center"])


def record_of(f):
    return json.loads(text(f.attrs["h5io_phantom"]))


def read_nxtomo(path):
    with h5py.File(path, "r") as f:
        check(text(f["/entry"].attrs["NX_class"]) == "NXentry", "nxtomo: /entry is an NXentry")
        check(text(f["/entry/definition"][()]) == "NXtomo", "nxtomo: definition is NXtomo")
        detector = f["/entry/instrument/detector"]
        data, keys = detector["data"], detector["image_key"]
        check(data.dtype == np.uint16 and data.chunks == (8, 6, SIZE),
              "nxtomo: frames are uint16 chunked [8, rows, cols]")
        check(keys.dtype == np.uint8, "nxtomo: image_key is uint8")
        angles = f["/entry/sample/rotation_angle"]
        check(angles.dtype == np.float64 and text(angles.attrs["units"]) == "degree",
              "nxtomo: rotation_angle is float64 in degrees")
        check(f["/entry/data/data"] == data and f["/entry/data/image_key"] == keys
              and f["/entry/data/rotation_angle"] == angles,
              "nxtomo: NXdata holds hard links to data, image_key, rotation_angle")
        expected = [2] * DARKS + [1] * FLATS + [0] * ANGLES
        check(list(keys[...]) == expected, "nxtomo: darks, then flats, then projections")
        return split(data[...], keys[...], angles[...]) + (record_of(f),)


def read_diamond(path):
    with h5py.File(path, "r") as f:
        check(text(f["/entry1"].attrs["NX_class"]) == "NXentry", "diamond: /entry1 is an NXentry")
        tomo = f["/entry1/tomo_entry"]
        check(text(tomo.attrs["NX_class"]) == "NXsubentry", "diamond: tomo_entry is NXsubentry")
        check(text(tomo["definition"][()]) == "NXtomo", "diamond: definition is NXtomo")
        link = tomo["data"].get("data", getlink=True)
        check(isinstance(link, h5py.ExternalLink)
              and link.filename == os.path.basename(path).replace(".nxs", "_detector.h5")
              and link.path == "/entry/instrument/detector/data",
              "diamond: data is an external link to <stem>_detector.h5 by file name")
        data = tomo["data/data"]
        keys = tomo["instrument/detector/image_key"]
        angles = tomo["data/rotation_angle"]
        check(keys.dtype == np.float64, "diamond: image_key is float64")
        check(angles.dtype == np.float64 and text(angles.attrs["units"]) == "degree",
              "diamond: rotation_angle is float64 in degrees")
        check(tomo["sample/rotation_angle"] == angles, "diamond: sample/rotation_angle is linked")
        expected = [2] * (DARKS // 2) + [1] * (FLATS // 2) + [0] * ANGLES + [1] * (FLATS // 2) \
            + [2] * (DARKS // 2)
        check(list(keys[...]) == expected, "diamond: dark, flat, projections, flat, dark")
        a = angles[...]
        check(a[0] == 0 and a[-1] == a[DARKS // 2 + FLATS // 2 + ANGLES - 1],
              "diamond: darks and flats carry the neighbouring projection's angle")
        return split(data[...], keys[...], a) + (record_of(f),)


def read_dxchange(path):
    with h5py.File(path, "r") as f:
        exchange = f["/exchange"]
        theta = exchange["theta"]
        check(text(theta.attrs["units"]) == "rad" and theta.dtype == np.float64,
              "dxchange: theta is float64 in radians")
        check(exchange["data"].shape == (ANGLES, ROWS, SIZE)
              and exchange["data_white"].shape == (FLATS, ROWS, SIZE)
              and exchange["data_dark"].shape == (DARKS, ROWS, SIZE),
              "dxchange: data, data_white, data_dark hold projections, flats, darks")
        return (exchange["data"][...].astype(np.float64), exchange["data_white"][...].mean(axis=0),
                exchange["data_dark"][...].mean(axis=0), np.rad2deg(theta[...]), record_of(f))


def split(frames, keys, angles):
    frames = frames.astype(np.float64)
    return (frames[keys == 0], frames[keys == 1].mean(axis=0), frames[keys == 2].mean(axis=0),
            angles[keys == 0])


def sinogram(projections, flat, dark, row):
    """-log((I - D) / (F - D)) of one detector row: [angles, cols]."""
    ratio = (projections[:, row] - dark[row]) / (flat[row] - dark[row])
    return -np.log(np.clip(ratio, 1e-6, None))


def centres_of_mass(sino):
    u = np.arange(sino.shape[1])
    return (sino * u).sum(axis=1) / sino.sum(axis=1)


def fitted_axis(sino, angles_degrees):
    """The axis position c of centre-of-mass(theta) = c + X cos(theta) + Y sin(theta)."""
    theta = np.deg2rad(angles_degrees)
    basis = np.stack([np.ones_like(theta), np.cos(theta), np.sin(theta)], axis=1)
    return np.linalg.lstsq(basis, centres_of_mass(sino), rcond=None)[0][0]


row = ROWS // 2
readers = {"nxtomo": read_nxtomo, "diamond": read_diamond, "dxchange": read_dxchange}
projections_by_layout = {}
for layout, read in readers.items():
    scan = phantom(f"{layout}.nxs", "--layout", layout)
    projections, flat, dark, angles, record = read(scan)
    projections_by_layout[layout] = projections
    truth, center = truth_of(scan)
    check(record["center"] == center == SIZE // 2 and record["layout"] == layout,
          f"{layout}: scan and truth record the true axis, floor(N/2)")
    check(np.allclose(angles, np.arange(ANGLES) * 180.0 / ANGLES),
          f"{layout}: projection angles k * 180 / {ANGLES}")
    check(abs(flat.mean() - 20100) < 2 and abs(dark.mean() - 100) < 2,
          f"{layout}: flats near 20100 counts, darks near 100")

    sino = sinogram(projections, flat, dark, row)
    reference = radon(truth[row], theta=angles, circle=True).T
    correlation = np.corrcoef(sino.ravel(), reference.ravel())[0, 1]
    check(correlation > 0.995, f"{layout}: sinogram matches skimage radon of the truth "
                               f"(correlation {correlation:.5f})")
    rms = np.sqrt(np.mean((sino - reference) ** 2)) / reference.max()
    check(rms < 0.02, f"{layout}: RMS difference from radon is {rms:.4f} of its peak")

    # Where the truth's centre of mass (X, Y) projects: c + X cos + Y sin.
    h = SIZE // 2
    iy, ix = np.mgrid[:SIZE, :SIZE]
    mass = truth[row].sum()
    x_mass, y_mass = (truth[row] * (ix - h)).sum() / mass, (truth[row] * (h - iy)).sum() / mass
    theta = np.deg2rad(angles)
    expected = center + x_mass * np.cos(theta) + y_mass * np.sin(theta)
    error = np.abs(centres_of_mass(sino) - expected).max()
    check(error < 0.2, f"{layout}: every projection's centre of mass is where the truth's "
                       f"projects (worst {error:.3f} px)")
    axis = fitted_axis(sino, angles)
    check(abs(axis - center) < 0.05, f"{layout}: axis fitted from the sinogram {axis:.3f}")

check(np.array_equal(projections_by_layout["nxtomo"], projections_by_layout["diamond"])
      and np.array_equal(projections_by_layout["nxtomo"], projections_by_layout["dxchange"]),
      "the same seed gives the same projections in every layout")

# Diamond's external link: from another working directory, and after moving
# the pair of files elsewhere.
moved = os.path.join(args.workdir, "moved")
os.makedirs(moved)
for name in ("diamond.nxs", "diamond_detector.h5"):
    shutil.move(os.path.join(args.workdir, name), os.path.join(moved, name))
probe = ("import h5py, sys; f = h5py.File(sys.argv[1], 'r'); "
         "print(f['/entry1/tomo_entry/data/data'].shape)")
result = subprocess.run([sys.executable, "-c", probe, os.path.join(moved, "diamond.nxs")],
                        cwd="/", capture_output=True, text=True)
check(result.returncode == 0 and result.stdout.strip() == f"({DARKS + FLATS + ANGLES}, {ROWS}, "
      f"{SIZE})", f"diamond: external link resolves from / after a move ({result.stderr.strip()})")

# A centre offset moves every projection by exactly that many pixels.
plain = phantom("offset_0.nxs", "--read-noise", "0")
shifted = phantom("offset_4.nxs", "--read-noise", "0", "--center-offset", "4")
half = phantom("offset_half.nxs", "--read-noise", "0", "--center-offset", "-3.5")
base = sinogram(*read_nxtomo(plain)[:3], row)
*frames, record = read_nxtomo(shifted)
check(record["center"] == SIZE // 2 + 4, "offset 4: the record gives the axis at floor(N/2) + 4")
four = sinogram(*frames[:3], row)
check(np.allclose(four[:, 4:], base[:, :-4], atol=1e-3),
      "offset 4: the sinogram is the centred one moved right by 4 columns")
check(abs(fitted_axis(four, np.arange(ANGLES) * 180.0 / ANGLES) - (SIZE // 2 + 4)) < 0.05,
      "offset 4: the fitted axis moves by 4")
minus_half = sinogram(*read_nxtomo(half)[:3], row)
shift = (centres_of_mass(minus_half) - centres_of_mass(base)).mean()
check(abs(shift + 3.5) < 0.02, f"offset -3.5: projections move by {shift:.3f} px")

# 360 degrees: the projection at theta + 180 is the one at theta mirrored
# about the axis (column c is the mirror line).
full = phantom("full.nxs", "--read-noise", "0", "--range", "360")
projections, flat, dark, angles, _ = read_nxtomo(full)
check(np.allclose(angles, np.arange(ANGLES) * 360.0 / ANGLES), "range 360: angles k * 360 / P")
sino = sinogram(projections, flat, dark, row)
c = SIZE // 2
opposite = sino[ANGLES // 2:, 1:2 * c][:, ::-1]
check(np.allclose(opposite, sino[:ANGLES // 2, 1:2 * c], atol=2e-4),
      "range 360: p(theta + 180, c + t) = p(theta, c - t)")

# No flats: the dataset is left out (dxchange) or no frame has key 1.
no_flats = phantom("no_flats_dx.nxs", "--layout", "dxchange", "--flats", "0")
with h5py.File(no_flats, "r") as f:
    check("data_white" not in f["/exchange"] and "data_dark" in f["/exchange"],
          "dxchange --flats 0: no data_white")
no_flats = phantom("no_flats.nxs", "--flats", "0", "--frame-chunks")
with h5py.File(no_flats, "r") as f:
    data = f["/entry/instrument/detector/data"]
    check(1 not in f["/entry/instrument/detector/image_key"][...] and data.chunks == (1, ROWS, SIZE),
          "nxtomo --flats 0 --frame-chunks: no flat frames, one frame per chunk")
