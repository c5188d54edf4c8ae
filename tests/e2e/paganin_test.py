"""End-to-end test of the paganin library on a phase-contrast scan written
by numpy (phase_phantom.py), with noise and a sample wider than the field:

* h5io run --plugin paganin at 1, 2 and 4 ranks gives bitwise-equal
  results, equal (to float32 rounding) to an independent numpy
  implementation of the same formula;
* the result relates to TomoPy's retrieve_phase convention as the README
  says (same filter with alpha = r / c^2, result scaled by lambda / 4 pi);
* paganin -> tomo_fbp (normalise=false) agrees with numpy's Paganin ->
  scikit-image's iradon (Pearson >= 0.99 inside the 0.9 mask), and is closer
  to the truth than the plain absorption reconstruction;
* bad parameters and unusable inputs are refused with clear messages."""
import os
import shutil

import h5py
import numpy as np

import phase_phantom as phantom
from h5io_e2e import arguments, check, run_ok, run_plain
from tomo_common import disc_mask, iradon_volume

PHYSICS = [f"energy_kev={phantom.ENERGY_KEV}", f"distance_m={phantom.DISTANCE_M}",
           f"pixel_um={phantom.PIXEL_M * 1e6}", f"delta_over_beta={phantom.DELTA_OVER_BETA}"]
OUTPUT = "/entry/paganin/data"


def params(*items):
    out = []
    for item in items:
        out += ["--param", item]
    return out


def padded_length(n):
    """The smallest product of 2, 3, 5 and 7 that is at least 2 n."""
    m = 2 * n
    while True:
        rest = m
        for prime in (2, 3, 5, 7):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return m
        m += 1


def numpy_transmission(scan):
    with h5py.File(scan, "r") as f:
        frames = f["/exchange/data"][...].astype(np.float64)
        dark = f["/exchange/data_dark"][...].astype(np.float64).mean(axis=0)
        flat = f["/exchange/data_white"][...].astype(np.float64).mean(axis=0)
    return np.clip((frames - dark) / (flat - dark), 1e-6, None)


def pad_edge(image):
    rows, cols = image.shape
    pr, pc = padded_length(rows), padded_length(cols)
    top, left = (pr - rows) // 2, (pc - cols) // 2
    return np.pad(image, ((top, pr - rows - top), (left, pc - cols - left)), mode="edge"), top, left


def numpy_paganin(transmission, r=phantom.DELTA_OVER_BETA):
    """-log(T_f), T_f = IFFT[FFT(T) / (1 + z lambda r |k|^2 / 4 pi)], padded
    with edge values, in float64."""
    lam = phantom.wavelength_m()
    out = np.empty_like(transmission)
    for p, image in enumerate(transmission):
        padded, top, left = pad_edge(image)
        ky = 2 * np.pi * np.fft.fftfreq(padded.shape[0], d=phantom.PIXEL_M)[:, None]
        kx = 2 * np.pi * np.fft.fftfreq(padded.shape[1], d=phantom.PIXEL_M)[None, :]
        factor = 1 / (1 + phantom.DISTANCE_M * lam * r / (4 * np.pi) * (kx ** 2 + ky ** 2))
        filtered = np.real(np.fft.ifft2(np.fft.fft2(padded) * factor))
        crop = filtered[top:top + image.shape[0], left:left + image.shape[1]]
        out[p] = -np.log(np.clip(crop, 1e-6, None))
    return out


def tomopy_convention(transmission, alpha):
    """TomoPy's retrieve_phase restated from its documented formula: the
    filter 1 / (1 + z alpha lambda w2 / 4 pi) on a centred grid whose
    coordinates run from -2 pi / p to 2 pi / p in N steps, normalised to its
    maximum, and the result -log(T_f) * lambda / (4 pi). The padding is
    ours, so only the filter's convention differs."""
    lam = phantom.wavelength_m()
    out = np.empty_like(transmission)
    for p, image in enumerate(transmission):
        padded, top, left = pad_edge(image)

        def coords(n):
            return np.arange(-(n - 1), n, 2) * 2 * np.pi / ((n - 1) * phantom.PIXEL_M)

        w2 = np.add.outer(coords(padded.shape[0]) ** 2, coords(padded.shape[1]) ** 2)
        factor = np.fft.fftshift(1 / (1 + phantom.DISTANCE_M * alpha * lam * w2 / (4 * np.pi)))
        filtered = np.real(np.fft.ifft2(np.fft.fft2(padded) * factor / factor.max()))
        crop = filtered[top:top + image.shape[0], left:left + image.shape[1]]
        out[p] = -np.log(np.clip(crop, 1e-6, None)) * lam / (4 * np.pi)
    return out


def pearson(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def read(path, dataset=OUTPUT):
    with h5py.File(path, "r") as f:
        return f[dataset][...]


def expect_refusal(args, scan, extra, words, what):
    out = os.path.join(args.workdir, "refused.h5")
    result = run_plain(args, "run", "--plugin", "paganin", "--input", scan, "--output", out,
                       "--overwrite", *extra)
    text = result.stdout + result.stderr
    check(result.returncode != 0 and all(w in text for w in words) and not os.path.exists(out),
          f"{what}: refused with {words} ({text.strip().splitlines()[-1] if text.strip() else ''})")


def main():
    args = arguments(__doc__)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    scan = os.path.join(args.workdir, "phase_scan.h5")
    phantom.write_scan(scan)
    rows, cols = 64, 160

    # 1. Bitwise equal at 1, 2 and 4 ranks; equal to numpy's formula.
    results = {}
    for ranks in (1, 2, 4):
        out = os.path.join(args.workdir, f"paganin_np{ranks}.h5")
        run_ok(args, "run", "--plugin", "paganin", "--input", scan, "--output", out,
               "--overwrite", "--unit-slices", "16", *params(*PHYSICS), ranks=ranks)
        results[ranks] = read(out)
    check(all(np.array_equal(results[1], results[n]) for n in (2, 4)),
          "paganin's result is bitwise equal at 1, 2 and 4 ranks")
    retrieved = results[1]
    transmission = numpy_transmission(scan)
    reference = numpy_paganin(transmission)
    error = float(np.abs(retrieved - reference).max())
    check(error < 2e-4 * max(1.0, float(np.abs(reference).max())),
          f"paganin equals numpy's formula to float32 rounding (max |difference| {error:.2e}, "
          f"values up to {np.abs(reference).max():.3f})")

    # 2. TomoPy's convention: alpha = r / c^2 with c = 2N / (N - 1) of the
    # padded width, and a result lambda / (4 pi) times ours.
    n = padded_length(cols)
    alpha = phantom.DELTA_OVER_BETA / (2 * n / (n - 1)) ** 2
    tomopy_like = tomopy_convention(transmission[::30], alpha)
    scale = 4 * np.pi / phantom.wavelength_m()
    r_tomopy = pearson(tomopy_like * scale, reference[::30])
    strong = reference[::30] > 0.01
    ratio = float(np.median(tomopy_like[strong] * scale / reference[::30][strong]))
    check(r_tomopy > 0.999,
          f"TomoPy's convention with alpha = r / {(2 * n / (n - 1)) ** 2:.3f} = {alpha:.2f}, "
          f"times 4 pi / lambda, matches (Pearson {r_tomopy:.5f}, median ratio {ratio:.4f})")

    # 3. The chain: paganin -> tomo_fbp on line integrals, against numpy's
    # Paganin -> scikit-image's iradon, and against the truth. iradon pads
    # sinograms with zeros; so does tomo_fbp here (padding=zero), because
    # the truncated cylinder makes edge padding (the default, better for
    # truncated scans) differ from zeros at the rim of the field.
    recon = os.path.join(args.workdir, "recon_paganin.h5")
    run_ok(args, "run", "--plugin", "tomo_fbp", "--input", os.path.join(args.workdir,
                                                                        "paganin_np1.h5"),
           "--output", recon, "--overwrite",
           *params(f"scan.data={OUTPUT}", "normalise=false", f"center={cols // 2}", "padding=zero"),
           ranks=2)
    volume = read(recon, "/entry/reconstruction/data")
    theta = np.arange(180) * np.pi / 180
    independent = iradon_volume(reference.transpose(1, 0, 2), theta)
    mask = disc_mask(cols, 0.9)
    r_chain = pearson(volume[:, mask], independent[:, mask])
    check(r_chain >= 0.99, f"paganin -> tomo_fbp agrees with numpy's Paganin -> scikit-image's "
                           f"iradon inside the 0.9 mask (Pearson {r_chain:.4f})")

    # tomo_fbp with normalise=false asks for no darks or flats, so the host
    # reads none: a scan of the same line integrals whose darks and flats
    # cannot be read (HDF5 external storage in files that do not exist)
    # reconstructs bitwise the same.
    line_integrals = os.path.join(args.workdir, "line_integrals.h5")
    with h5py.File(line_integrals, "w") as f:
        f["/exchange/data"] = read(os.path.join(args.workdir, "paganin_np1.h5"))
        for name in ("data_dark", "data_white"):
            f.create_dataset(f"/exchange/{name}", (2, rows, cols), np.uint16,
                             external=[(f"missing_{name}.raw", 0, h5py.h5f.UNLIMITED)])
        f["/exchange/theta"] = np.arange(180, dtype=np.float64)
        f["/exchange/theta"].attrs["units"] = "degree"
    again = os.path.join(args.workdir, "recon_line_integrals.h5")
    run_ok(args, "run", "--plugin", "tomo_fbp", "--input", line_integrals, "--output", again,
           "--overwrite", *params("normalise=false", f"center={cols // 2}", "padding=zero"),
           ranks=2)
    check(np.array_equal(read(again, "/entry/reconstruction/data"), volume),
          "normalise=false reads no darks or flats: with unreadable ones the volume is bitwise "
          "the chain's")

    plain = os.path.join(args.workdir, "recon_absorption.h5")
    run_ok(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", plain, "--overwrite",
           *params(f"center={cols // 2}"), ranks=2)
    absorption = read(plain, "/entry/reconstruction/data")
    truth = phantom.truth_slices(rows, cols)
    r_truth = pearson(volume[:, mask], truth[:, mask])
    r_absorption = pearson(absorption[:, mask], truth[:, mask])
    check(r_truth > r_absorption + 0.1,
          f"phase retrieval brings the reconstruction closer to the truth (Pearson "
          f"{r_truth:.3f}, absorption alone {r_absorption:.3f})")
    print(f"figures: max|h5io - numpy| {error:.2e}; TomoPy convention Pearson {r_tomopy:.5f} "
          f"(median ratio {ratio:.4f}); chain vs numpy+iradon Pearson {r_chain:.4f}; "
          f"vs truth {r_truth:.3f} (absorption {r_absorption:.3f})")

    # 4. Refusals, each before anything is written.
    expect_refusal(args, scan, params(*PHYSICS[1:]), ["paganin needs energy_kev"],
                   "a missing energy")
    expect_refusal(args, scan, params("distance_m=-0.5", *PHYSICS[:1], *PHYSICS[2:]),
                   ["distance_m='-0.5'", "greater than 0"], "a negative distance")
    expect_refusal(args, scan, params(*PHYSICS, "delta_beta=250"),
                   ["paganin has no parameter 'delta_beta'", "delta_over_beta"],
                   "a misspelt parameter")
    expect_refusal(args, scan, params(*PHYSICS, "input=/exchange/theta"),
                   ["[180]", "stack of frames"], "a 1-D input")
    no_flats = os.path.join(args.workdir, "no_flats.h5")
    shutil.copy(scan, no_flats)
    with h5py.File(no_flats, "a") as f:
        del f["/exchange/data_white"]
    expect_refusal(args, no_flats, params(*PHYSICS), ["no flat-field frames"],
                   "a scan without flats")


if __name__ == "__main__":
    main()
