"""Pipelines (issue 15): several libraries in one job, from a YAML or JSON
file, on scans with noise and truncation:

* normalise -> tomo_fbp (normalise=false), a change of slicing pattern
  (projections to sinograms) resliced inside the job, reconstructs bitwise
  the volume of tomo_fbp normalising by itself, at 1, 2 and 4 ranks, from a
  YAML file and from the same pipeline in JSON;
* normalise -> paganin (saved) -> tomo_fbp on a numpy-written
  phase-contrast scan agrees with numpy's Paganin -> scikit-image's iradon
  (Pearson >= 0.99 inside the 0.9 mask), its saved step equals numpy's
  formula, and it is bitwise equal at 1, 2 and 4 ranks;
* normalise -> paganin, one pattern, is chained in memory: no scratch file;
* /entry/process/steps records every step: library, version, parameters,
  pattern, and how it was fed;
* normalise -> tomo_fbp (saved) -> tiff_extract ends in a TIFF stack, one
  file per slice, bitwise the saved volume, with the volume chained to the
  TIFF writer in memory;
* --param STEP.KEY=VALUE sets a step's parameter by number or by name;
* bad pipelines are refused before anything is written, each with a
  message that names the problem."""
import glob
import json
import os
import shutil

import h5py
import numpy as np
import tifffile

import phase_phantom
from h5io_e2e import arguments, check, run_ok, run_plain
from paganin_test import numpy_paganin, numpy_transmission, pearson
from tomo_common import RECON, disc_mask, iradon_volume, phantom, run_library

PAGANIN = "/entry/paganin/data"
PHYSICS = {"energy_kev": phase_phantom.ENERGY_KEV, "distance_m": phase_phantom.DISTANCE_M,
           "pixel_um": phase_phantom.PIXEL_M * 1e6,
           "delta_over_beta": phase_phantom.DELTA_OVER_BETA}


def write(args, name, text):
    path = os.path.join(args.workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_pipeline(args, pipeline, scan, output, *params, ranks=None, verbose=False):
    command = ["run", "--pipeline", pipeline, "--input", scan, "--output", output, "--overwrite"]
    for param in params:
        command += ["--param", param]
    if verbose:
        command.append("-v")
    return run_ok(args, *command, ranks=ranks)


def read(path, dataset=RECON):
    with h5py.File(path, "r") as f:
        return f[dataset][...]


def refused(args, pipeline, scan, params, expected, what):
    output = os.path.join(args.workdir, "refused.h5")
    if os.path.exists(output):
        os.remove(output)
    command = ["run", "--pipeline", pipeline, "--input", scan, "--output", output]
    for param in params:
        command += ["--param", param]
    result = run_plain(args, *command)
    text = result.stdout + result.stderr
    leftovers = [n for n in os.listdir(args.workdir) if n.startswith("refused")]
    check(result.returncode != 0 and all(e in text for e in expected) and not leftovers,
          f"{what} is refused, nothing written: {expected}\n{text}")


def amplitude_chain(args):
    size, rows, angles = 96, 12, 120
    scan, _ = phantom(args, "scan", "--size", str(size), "--rows", str(rows), "--angles",
                      str(angles), "--poisson", "--flat-level", "5000")
    center = size // 2
    yaml_file = write(args, "norm_fbp.yaml", f"""# raw counts -> line integrals -> volume
steps:
  - plugin: normalise
    params: {{minus_log: true}}
  - plugin: tomo_fbp
    params:
      normalise: false
      center: {center}
""")
    json_file = write(args, "norm_fbp.json", json.dumps({"steps": [
        {"plugin": "normalise", "params": {"minus_log": True}},
        {"plugin": "tomo_fbp", "params": {"normalise": False, "center": center}}]}))
    direct = os.path.join(args.workdir, "direct.h5")
    run_library(args, "tomo_fbp", scan, direct, f"center={center}", ranks=2)
    expected = read(direct)
    volumes = {}
    for ranks in (1, 2, 4):
        out = os.path.join(args.workdir, f"chain_np{ranks}.h5")
        result = run_pipeline(args, yaml_file, scan, out, ranks=ranks, verbose=ranks == 2)
        volumes[ranks] = read(out)
        if ranks == 2:
            log = result.stdout + result.stderr
            check("pipeline: step 1 runs on" in log and "chunked for the other pattern" in log
                  and "1 normalise (projections) → 2 tomo_fbp (sinograms)" in log
                  and "chained in memory" not in log,
                  f"-v prints the plan: steps, patterns, the reslice point\n{log[-1500:]}")
    check(all(np.array_equal(volumes[n], expected) for n in (1, 2, 4)),
          "normalise -> tomo_fbp, resliced inside the job, is bitwise tomo_fbp normalising "
          "itself at 1, 2 and 4 ranks")
    from_json = os.path.join(args.workdir, "chain_json.h5")
    run_pipeline(args, json_file, scan, from_json, ranks=2)
    check(np.array_equal(read(from_json), expected), "the JSON pipeline file gives the same volume")
    check(not any(n.endswith(".scratch.h5") or "scratch" in n for n in os.listdir(args.workdir)),
          "the reslicing scratch is removed when the job completes")

    with h5py.File(volumes_path := os.path.join(args.workdir, "chain_np2.h5"), "r") as f:
        steps = json.loads(f["/entry/process/steps"][()].decode())
        plugin = f["/entry/process/plugin"][()].decode()
    check([s["plugin"] for s in steps] == ["normalise", "tomo_fbp"]
          and [s["pattern"] for s in steps] == ["projections", "sinograms"]
          and steps[0]["parameters"] == {"minus_log": True}
          and all(s["plugin_version"] for s in steps)
          and steps[1]["inputs"][0].get("via") == "reslicing scratch"
          and plugin == "normalise → tomo_fbp",
          f"{volumes_path}: /entry/process/steps records each step's library, version, "
          f"parameters and pattern: {steps}")

    # --param STEP.KEY=VALUE: by number and by library name.
    shifted = os.path.join(args.workdir, "shifted.h5")
    run_pipeline(args, yaml_file, scan, shifted, f"2.center={center + 2}", ranks=2)
    by_name = os.path.join(args.workdir, "by_name.h5")
    run_pipeline(args, yaml_file, scan, by_name, f"tomo_fbp.center={center + 2}", ranks=2)
    other = os.path.join(args.workdir, "other_center.h5")
    run_library(args, "tomo_fbp", scan, other, f"center={center + 2}", ranks=2)
    check(np.array_equal(read(shifted), read(other)) and np.array_equal(read(by_name), read(other))
          and not np.array_equal(read(other), expected),
          "--param 2.center=... and --param tomo_fbp.center=... override the file's value")
    return scan, yaml_file


def phase_chain(args):
    scan = os.path.join(args.workdir, "phase_scan.h5")
    phase_phantom.write_scan(scan)
    rows, cols = 64, 160
    physics = ", ".join(f"{k}: {v}" for k, v in PHYSICS.items())
    pipeline = write(args, "phase.yaml", f"""steps:
  - plugin: normalise
  - plugin: paganin
    params: {{input: /entry/normalised/data, {physics}}}
    save: true
  - plugin: tomo_fbp
    params: {{normalise: false, center: {cols // 2}, padding: zero}}
""")
    results = {}
    for ranks in (1, 2, 4):
        out = os.path.join(args.workdir, f"phase_np{ranks}.h5")
        run_pipeline(args, pipeline, scan, out, ranks=ranks)
        results[ranks] = (read(out), read(out, PAGANIN))
    check(all(np.array_equal(results[1][0], results[n][0])
              and np.array_equal(results[1][1], results[n][1]) for n in (2, 4)),
          "normalise -> paganin -> tomo_fbp: volume and saved step bitwise equal at 1, 2, 4 ranks")
    volume, saved = results[1]
    reference = numpy_paganin(numpy_transmission(scan))
    error = float(np.abs(saved - reference).max())
    check(error < 2e-4 * max(1.0, float(np.abs(reference).max())),
          f"the saved paganin step equals numpy's formula (max |difference| {error:.2e})")
    theta = np.arange(180) * np.pi / 180
    independent = iradon_volume(reference.transpose(1, 0, 2), theta)
    mask = disc_mask(cols, 0.9)
    r = pearson(volume[:, mask], independent[:, mask])
    check(r >= 0.99, f"normalise -> paganin -> tomo_fbp agrees with numpy's Paganin -> "
                     f"scikit-image's iradon inside the 0.9 mask (Pearson {r:.4f})")
    with h5py.File(os.path.join(args.workdir, "phase_np1.h5"), "r") as f:
        kept = sorted(k for k in ("normalised", "paganin", "reconstruction") if k in f["entry"])
    check(kept == ["paganin", "reconstruction"],
          f"only the saved step and the last step are written (entry holds {kept})")

    # One pattern: chained in memory, no scratch, and the result is the same
    # as the saved step of the three-step pipeline.
    projections = write(args, "projections.yaml", f"""steps:
  - plugin: normalise
  - plugin: paganin
    params: {{input: /entry/normalised/data, {physics}}}
""")
    out = os.path.join(args.workdir, "projections.h5")
    log = run_pipeline(args, projections, scan, out, ranks=2, verbose=True)
    text = log.stdout + log.stderr
    check("chained in memory" in text and "reslic" not in text.lower(),
          f"a pipeline of one pattern chains its steps in memory, with no reslicing\n{text[-800:]}")
    check(np.array_equal(read(out, PAGANIN), saved),
          "normalise -> paganin equals the saved step of the longer pipeline")
    print(f"figures: saved paganin vs numpy {error:.2e}; chain vs numpy + iradon Pearson {r:.4f}")
    return scan


def tiff_ending(args, scan, size):
    """A pipeline that ends in TIFF files, as the seed's users' scripts did."""
    tiffs = os.path.join(args.workdir, "tiffs")
    pipeline = write(args, "to_tiff.yaml", f"""steps:
  - plugin: normalise
    params: {{minus_log: true}}
  - plugin: tomo_fbp
    params: {{normalise: false, center: {size // 2}}}
    save: true
  - plugin: tiff_extract
    params: {{directory: {tiffs}, prefix: recon_}}
""")
    out = os.path.join(args.workdir, "to_tiff.h5")
    result = run_pipeline(args, pipeline, scan, out, ranks=2, verbose=True)
    volume = read(out)
    files = sorted(glob.glob(os.path.join(tiffs, "recon_*.tif")))
    check(len(files) == volume.shape[0]
          and all(np.array_equal(tifffile.imread(f), volume[i]) for i, f in enumerate(files)),
          f"normalise -> tomo_fbp -> tiff_extract writes one TIFF per slice, bitwise the saved "
          f"volume ({len(files)} files for {volume.shape[0]} slices)")
    log = result.stdout + result.stderr
    check("2 tomo_fbp (sinograms, saved) → 3 tiff_extract (sinograms); chained in memory" in log,
          f"tiff_extract is fed the saved volume unit by unit, on the sinogram units\n{log[-1500:]}")


def refusals(args, scan, good):
    bad = {
        "empty.yaml": ("steps: []\n", [], ["needs at least one step"], "an empty list of steps"),
        "misspelt.yaml": ("stepz:\n  - plugin: normalise\n", [], ["'stepz'", "did you mean 'steps'"],
                          "a misspelt top-level key"),
        "step_key.yaml": ("steps:\n  - plugin: normalise\n    parms: {minus_log: true}\n", [],
                          ["step 1", "'parms'", "did you mean 'params'"], "a misspelt step key"),
        "unknown.yaml": ("steps:\n  - plugin: normalise\n  - plugin: no_such_library\n", [],
                         ["pipeline step 2", "no_such_library"], "an unknown library"),
        "bad_param.yaml": ("steps:\n  - plugin: normalise\n    params: {minus_logg: true}\n", [],
                           ["pipeline step 1", "minus_logg"], "an unknown parameter"),
        "renormalise.yaml": ("steps:\n  - plugin: normalise\n  - plugin: tomo_fbp\n", [],
                             ["pipeline step 2 'tomo_fbp'", "darks", "normalise=false"],
                             "a step that would normalise its input again"),
        "clash.yaml": ("steps:\n  - plugin: normalise\n    save: true\n"
                       "  - plugin: paganin\n    params: {input: /entry/normalised/data, "
                       "output: /entry/normalised/data, energy_kev: 25, distance_m: 0.5, "
                       "pixel_um: 1.6, delta_over_beta: 250}\n",
                       [], ["collides", "/entry/normalised/data"], "a save name clash"),
        "syntax.yaml": ("steps:\n  - plugin: normalise\n   params: [\n", [], ["not valid YAML",
                                                                           "line"],
                        "a file that is not YAML"),
        "shape.yaml": ("steps:\n  - plugin: paganin\n    params: {input: /entry/data/data, "
                       "energy_kev: 25, distance_m: 0.5, pixel_um: 6.5, delta_over_beta: 250}\n"
                       "  - plugin: tomo_fbp\n    params: {normalise: false, center: 48}\n", [],
                       ["pipeline step 2 'tomo_fbp' does not accept what step 1 'paganin' hands "
                        "it", "[150, 12, 96]", "150 projections but 120 rotation angles"],
                       "a step whose input shape does not match the previous step's output "
                       "(paganin on the raw frames, darks and flats included)"),
        "scan_param.yaml": ("steps:\n  - plugin: normalise\n    params: {scan.data: /x}\n", [],
                            ["step 1", "scan.data", "the whole job's"],
                            "a scan.* parameter inside a step"),
    }
    for name, (text, params, expected, what) in bad.items():
        refused(args, write(args, name, text), scan, params, expected, what)
    refused(args, good, scan, ["7.center=3"], ["no step '7'", "1 normalise, 2 tomo_fbp"],
            "--param for a step the pipeline does not have")
    refused(args, good, scan, ["center=3"], ["say which step"], "--param without a step")
    # Frames too large for the memory budget: refused before anything runs.
    big = os.path.join(args.workdir, "big_frames.h5")
    with h5py.File(big, "w") as f:
        f["/exchange/data"] = np.full((4, 2048, 2048), 1000, np.uint16)
        f["/exchange/data_dark"] = np.zeros((1, 2048, 2048), np.uint16)
        f["/exchange/data_white"] = np.full((1, 2048, 2048), 2000, np.uint16)
        f["/exchange/theta"] = np.arange(4, dtype=np.float64) * 45
        f["/exchange/theta"].attrs["units"] = "degree"
    output = os.path.join(args.workdir, "refused.h5")
    result = run_plain(args, "run", "--pipeline", good, "--input", big, "--output", output,
                       "--memory-mb", "16")
    text = result.stdout + result.stderr
    check(result.returncode != 0 and "memory budget" in text and not os.path.exists(output),
          f"a pipeline whose frames cannot fit the memory budget is refused\n{text}")


def main():
    args = arguments(__doc__)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    scan, good = amplitude_chain(args)
    tiff_ending(args, scan, 96)
    phase_chain(args)
    refusals(args, scan, good)


if __name__ == "__main__":
    main()
