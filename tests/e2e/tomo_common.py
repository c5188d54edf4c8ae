"""Helpers for the tomography end-to-end tests: write phantom scans with
`h5io phantom`, reconstruct with `tomo_fbp`, and measure reconstructions
against the phantom's ground truth and scikit-image's iradon."""
import os

import h5py
import numpy as np

from h5io_e2e import run_ok

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"


def phantom(args, name, *options):
    """Writes WORKDIR/NAME.nxs (and its truth) and returns (scan, truth)."""
    scan = os.path.join(args.workdir, f"{name}.nxs")
    truth = os.path.join(args.workdir, f"{name}_truth.h5")
    run_ok(args, "phantom", "--output", scan, "--truth", truth, "--overwrite", *options)
    return scan, truth


def run_library(args, plugin, scan, output, *params, ranks=None):
    """h5io run --plugin PLUGIN over SCAN into OUTPUT, each of PARAMS a KEY=VALUE."""
    command = ["run", "--plugin", plugin, "--input", scan, "--output", output, "--overwrite"]
    for param in params:
        command += ["--param", param]
    run_ok(args, *command, ranks=ranks)


def reconstruct(args, scan, output, *params, ranks=None):
    run_library(args, "tomo_fbp", scan, output, *params, ranks=ranks)
    with h5py.File(output, "r") as f:
        return f[RECON][...], f[CENTER][...]


def disc_mask(n, ratio=0.95):
    """Pixels within ratio * n/2 of the grid centre floor(n/2) (tomopy and
    scikit-image's convention)."""
    h = n // 2
    y, x = np.mgrid[:n, :n]
    return (x - h) ** 2 + (y - h) ** 2 <= (ratio * n / 2) ** 2


def relative_rmse(volume, truth, mask):
    error = (volume - truth)[:, mask]
    return float(np.sqrt(np.mean(error ** 2)) / np.sqrt(np.mean(truth[:, mask] ** 2)))


def normalised_sinograms(scan_path):
    """-log((I - D) / (F - D)) per row from the raw file, computed here with
    h5py and numpy independently of h5io (Diamond/NXtomo layout with image_key)."""
    with h5py.File(scan_path, "r") as f:
        entry = f["entry1/tomo_entry"] if "entry1" in f else f["entry"]
        frames = entry["data/data"][...].astype(np.float64)
        keys = entry["instrument/detector/image_key"][...]
        angles = np.deg2rad(entry["data/rotation_angle"][...][keys == 0])
    dark = frames[keys == 2].mean(axis=0)
    flat = frames[keys == 1].mean(axis=0)
    transmission = np.clip((frames[keys == 0] - dark) / np.maximum(flat - dark, 1e-6), 1e-6, None)
    return -np.log(transmission).transpose(1, 0, 2), angles  # [rows, P, cols]


def iradon_volume(sinograms, angles, center=None):
    """scikit-image's iradon (ramp filter, linear interpolation) of each row.
    skimage puts the axis at cols // 2; a different centre is moved there by
    shifting the sinogram (linear interpolation)."""
    from skimage.transform import iradon

    rows, _, cols = sinograms.shape
    slices = []
    for r in range(rows):
        sino = sinograms[r]
        if center is not None and center != cols // 2:
            u = np.arange(cols)
            shift = center - cols // 2
            sino = np.stack([np.interp(u + shift, u, p, left=0, right=0) for p in sino])
        slices.append(iradon(sino.T, theta=np.rad2deg(angles), filter_name="ramp",
                             interpolation="linear", circle=True))
    return np.stack(slices)
