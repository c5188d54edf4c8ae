#!/usr/bin/python3
"""Files that are not NXtomo (issue 14, part 3), end to end with tomo_fbp.

A newer Diamond layout (`h5io phantom --layout nxdata`: frames in the NXdata
/entry/pco1/data behind an external link, int32 image_key in
/entry/instrument/pco1, angles /entry/smaract_zrot/smaract_zrot_value from 90
to 270 degrees with no units), and the same with darks and flats in
dark_field.h5 and flat_field.h5 beside the scan (I12). For each: `h5io
inspect` proposes the exact --param line (text and --json), `h5io run` without
it is refused naming it, and with it tomo_fbp reconstructs the phantom on 1,
2 and 4 ranks, bitwise alike. Checked against the ground truth and against
scikit-image's iradon on the normalised sinograms computed here from the raw
files with h5py. The 90 degree start is checked exactly: the same data
reconstructed with angles taken to start at 0 is the true reconstruction
turned by 90 degrees about the rotation axis, pixel for pixel. Then the ways
a dark or flat file can be wrong, on 2 ranks."""
import json
import os
import shutil

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_plain
from tomo_common import RECON, disc_mask, iradon_volume, phantom, reconstruct, relative_rmse

args = arguments(__doc__)
shutil.rmtree(args.workdir, ignore_errors=True)
os.makedirs(args.workdir)
size, angles, rows = 256, 360, 6
common = ["--size", str(size), "--angles", str(angles), "--rows", str(rows), "--seed", "7"]
RANKS = (1, 2, 4)


def subdir(name):
    path = os.path.join(args.workdir, name)
    os.makedirs(path, exist_ok=True)
    return path


def inspect(scan):
    text = run_plain(args, "inspect", scan)
    report = run_plain(args, "inspect", scan, "--json")
    check(text.returncode == 0 and report.returncode == 0,
          f"h5io inspect succeeds on {os.path.basename(scan)} ({text.stderr.strip()})")
    return text.stdout, json.loads(report.stdout)


def refused(scan, expected, *params, ranks=2, plugin="tomo_fbp"):
    command = ["run", "--plugin", plugin, "--input", scan,
               "--output", os.path.join(os.path.dirname(scan), "refused.h5"), "--overwrite"]
    for param in params:
        command += ["--param", param]
    result = run_plain(args, *command, ranks=ranks)
    check(result.returncode != 0 and expected in result.stderr,
          f"refused on {ranks} ranks, saying: {expected[:150]} "
          f"(got: {result.stderr.strip()[:400]})")
    check(not os.path.exists(os.path.join(os.path.dirname(scan), "refused.h5")),
          "no output is left behind")


def read_frames(path):
    with h5py.File(path, "r") as f:
        return f["entry/data/data"][...].astype(np.float64)


def raw_sinograms(scan, darks=None, flats=None):
    """-log((I - D) / (F - D)) per row and the projections' angles (radians),
    from the raw files with h5py: the external link followed, int32 image_key,
    the motor's readback (degrees, no units attribute)."""
    with h5py.File(scan, "r") as f:
        frames = f["entry/pco1/data"][...].astype(np.float64)
        keys = f["entry/instrument/pco1/image_key"][...]
        motor = f["entry/smaract_zrot/smaract_zrot_value"]
        check("units" not in motor.attrs, "the angles carry no units attribute")
        degrees = motor[...]
    dark = (read_frames(darks) if darks else frames[keys == 2]).mean(axis=0)
    flat = (read_frames(flats) if flats else frames[keys == 1]).mean(axis=0)
    projections = frames[keys == 0]
    transmission = np.clip((projections - dark) / np.maximum(flat - dark, 1e-6), 1e-6, None)
    return -np.log(transmission).transpose(1, 0, 2), np.deg2rad(degrees[keys == 0])


# ---- the newer Diamond layout, darks and flats among the frames ----------------
subdir("nxdata")
scan, truth_path = phantom(args, "nxdata/scan", "--layout", "nxdata", *common)
with h5py.File(truth_path, "r") as f:
    truth = f["volume"][...]
mask = disc_mask(size)
PROPOSED = ["scan.data=/entry/pco1/data", "scan.image_key=/entry/instrument/pco1/image_key",
            "scan.angles=/entry/smaract_zrot/smaract_zrot_value", "scan.angle_units=degree"]
LINE = " ".join("--param " + p for p in PROPOSED)

text, report = inspect(scan)
proposal = report["proposal"]
check(report["layout"] == "HDF5" and "looks like a scan" in report["layout_detail"],
      f"inspect: not NXtomo or DXchange, but it looks like a scan ({report['layout_detail']})")
check(proposal["params"] == PROPOSED, f"inspect --json: the proposed parameters {proposal['params']}")
check(proposal["command_line"] == LINE and f"\n  {LINE}\n" in text,
      "inspect: the exact --param line, in the text and in --json")
check(proposal["frames"][0]["link"] == "scan_pco1.h5:/entry/data/data"
      and proposal["frames"][0]["shape"] == [angles + 30, rows, size],
      "inspect: the frames behind the external link, with its target")
check("named image_key; values in {0, 1, 2, 3}: 360 projections, 20 flats, 10 darks"
      in proposal["image_key"][0]["why"], "inspect: why the image key was chosen")
check("values rise monotonically from 90 to 269.5" in proposal["angles"][0]["why"],
      f"inspect: the angles by their monotonic values ({proposal['angles'][0]['why']})")
check(proposal["angle_units"] == "degree" and "no units attribute" in proposal["angle_units_why"]
      and "taken as degrees" in text, "inspect: degrees guessed by magnitude, and it says so")
listed = {d["path"]: d for d in report["datasets"]}
check(listed.get("/entry/pco1/data", {}).get("link") == "scan_pco1.h5:/entry/data/data"
      and "-> scan_pco1.h5:/entry/data/data" in text,
      "inspect: the dataset behind the external link is listed with its target")
check("/entry/instrument/pco1/count_time" in listed and "/entry/start_time" in listed,
      "inspect: the scalar metadata are still listed")

refused(scan, "it looks like a scan: try " + LINE + f" (h5io inspect {scan} shows why",
        ranks=1)
refused(scan, "it looks like a scan: try " + LINE, ranks=4)

volumes = {}
for ranks in RANKS:
    volumes[ranks], centers = reconstruct(args, scan,
                                          os.path.join(args.workdir, f"nxdata_np{ranks}.h5"),
                                          *PROPOSED, ranks=ranks)
    check(np.isfinite(volumes[ranks]).all(), f"{ranks} ranks: a finite volume")
right = volumes[1]
check(all(np.array_equal(right, volumes[r]) for r in RANKS),
      "1, 2 and 4 ranks give bitwise equal volumes")
check(np.all(np.abs(centers - size // 2) < 0.5), f"automatic centre at {size // 2}: {centers}")

sinograms, theta = raw_sinograms(scan)
check(np.isclose(np.rad2deg(theta[0]), 90) and np.isclose(np.rad2deg(theta[-1]), 269.5),
      "the projections run from 90 to 269.5 degrees")
reference = iradon_volume(sinograms, theta)
ours, theirs = relative_rmse(right, truth, mask), relative_rmse(reference, truth, mask)
print(f"relative RMSE inside 0.95 radius: tomo_fbp {ours:.4f}, skimage iradon {theirs:.4f}")
check(ours <= 1.05 * theirs, f"against the truth: tomo_fbp RMSE {ours:.4f} <= 1.05 x iradon's "
                             f"{theirs:.4f}, the truth not turned")
corr = np.corrcoef(right[:, mask].ravel(), reference[:, mask].ravel())[0, 1]
check(corr > 0.99, f"tomo_fbp agrees with iradon (correlation {corr:.5f})")

# The projection at angle t + 90 of the object is the projection at t of the
# object turned by -90 degrees (X' = Y, Y' = -X). So the same data with its
# angles taken to start at 0 (no scan.angles: evenly spaced over 180 from 0)
# reconstructs the object turned: in array terms, with h = N // 2 the
# rotation axis's pixel, turned[i, j] = right[N - j, i] wherever N - j is a
# pixel. Exact up to rounding: every step of the reconstruction depends on
# the angles only through cos and sin, which the turn permutes.
turned, _ = reconstruct(args, scan, os.path.join(args.workdir, "nxdata_from_0.h5"),
                        *PROPOSED[:2], ranks=2)
n = size
i, j = np.mgrid[:n, 1:n]
scale = np.abs(right).max()
difference = np.abs(turned[:, i, j] - right[:, n - j, i]).max() / scale
check(difference < 1e-4,
      f"angles taken from 0 instead of 90: the reconstruction turned by 90 degrees about the "
      f"axis, pixel for pixel (max difference {difference:.2e} of the peak)")
check(np.abs(turned - right).max() / scale > 0.5, "... which is not the same picture")
turned_truth = np.zeros_like(truth)
turned_truth[:, i, j] = truth[:, n - j, i]
turned_error = relative_rmse(turned, turned_truth, mask)
check(abs(turned_error / ours - 1) < 0.01,
      f"it matches the truth turned the same way as well as ours matches the truth "
      f"({turned_error:.4f} and {ours:.4f})")
wrong = relative_rmse(turned, truth, mask)
check(wrong > 3 * ours, f"and a reconstruction that ignored the 90 degree start would not match "
                        f"the truth (RMSE {wrong:.4f})")

# ---- I12: darks and flats in files of their own beside the scan ----------------
i12 = subdir("i12")
scan12, _ = phantom(args, "i12/scan", "--layout", "nxdata", "--dark-flat-files", *common)
darks, flats = os.path.join(i12, "dark_field.h5"), os.path.join(i12, "flat_field.h5")
check(os.path.exists(darks) and os.path.exists(flats), "dark_field.h5 and flat_field.h5 written")
text, report = inspect(scan12)
PROPOSED12 = ["scan.data=/entry/pco1/data", "scan.image_key=/entry/instrument/pco1/image_key",
              "scan.darks=dark_field.h5:/entry/data/data",
              "scan.flats=flat_field.h5:/entry/data/data",
              "scan.angles=/entry/smaract_zrot/smaract_zrot_value", "scan.angle_units=degree"]
LINE12 = " ".join("--param " + p for p in PROPOSED12)
check(report["proposal"]["params"] == PROPOSED12 and f"\n  {LINE12}\n" in text,
      f"inspect proposes the dark and flat files beside the scan: {report['proposal']['params']}")
check("10 darks in 'dark_field.h5' beside the scan" in report["proposal"]["darks"]["why"],
      "inspect: says where the darks are")
refused(scan12, "it looks like a scan: try " + LINE12)

for ranks in RANKS:
    # Run from the build directory: the files are found beside the scan.
    volume, _ = reconstruct(args, scan12, os.path.join(args.workdir, f"i12_np{ranks}.h5"),
                            *PROPOSED12, ranks=ranks)
    check(np.array_equal(volume, right),
          f"{ranks} ranks: bitwise the volume of the scan with darks and flats among its frames "
          f"(the same frames, read from dark_field.h5 and flat_field.h5)")
with h5py.File(os.path.join(args.workdir, "i12_np2.h5"), "r") as f:
    scan_record = json.loads(f["entry/process/scan"][()])
check(scan_record["darks"]["file"] == darks and scan_record["flats"]["file"] == flats,
      "provenance records the dark and flat files")
sinograms12, _ = raw_sinograms(scan12, darks, flats)
check(np.allclose(sinograms12, sinograms), "h5py agrees: the normalised sinograms are the same")

# ---- what can be wrong with a dark or flat file (2 ranks) --------------------
base = PROPOSED12[:2] + PROPOSED12[4:]
refused(scan12, f"scan.darks file '{os.path.join(i12, 'dark.h5')}' does not exist",
        *base, "scan.darks=dark.h5:/entry/data/data", "scan.flats=flat_field.h5:/entry/data/data")
refused(scan12, f"scan.flats file '{os.path.join(args.workdir, 'flat_field.h5')}' does not exist",
        *base, "scan.flats=../flat_field.h5:/entry/data/data", ranks=4)
refused(scan12, f"scan.darks: dataset '/entry/data/dark' not found in '{darks}'; its 3-D "
        f"datasets are /entry/data/data [10, {rows}, {size}] uint16",
        *base, "scan.darks=dark_field.h5:/entry/data/dark")
wide = os.path.join(i12, "wide_dark.h5")
with h5py.File(wide, "w") as f:
    f["d"] = np.zeros((4, rows, size + 2), np.uint16)
refused(scan12, f"the darks '/d' in '{wide}' are uint16 of shape [4, {rows}, {size + 2}], but the "
        f"projections are [frames, {rows}, {size}]: they must be numbers of the same frame size",
        *base, f"scan.darks={wide}:/d", ranks=1)
with open(os.path.join(i12, "notes.h5"), "w") as f:
    f.write("darks taken by hand\n")
refused(scan12, f"scan.flats file '{os.path.join(i12, 'notes.h5')}' is not an HDF5 file",
        *base, "scan.flats=notes.h5:/entry/data/data")
refused(scan12, "scan.darks='dark_field.h5' names no dataset: write scan.darks=/path",
        *base, "scan.darks=dark_field.h5")
refused(scan12, "scan.angles='dark_field.h5:/entry/data/data' names a dataset in another file",
        "scan.data=/entry/pco1/data", "scan.angles=dark_field.h5:/entry/data/data")
print("all checks passed")
