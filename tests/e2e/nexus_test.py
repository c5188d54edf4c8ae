#!/usr/bin/python3
"""Every output h5io writes is NeXus (issue 19), checked with silx and
nxsummary (nexus_checks.py) for tomo_fbp, benchmark, tiff_extract,
external_process, the talk's three-input example and a library that
describes its own axes, each through `h5io run` on 2 ranks and through a
real master and worker group of 2 ranks: the root -> entry -> NXdata
default chain finds the library's main output, every output is the signal
of a valid NXdata with an axis per dimension, tomo_fbp's axes are z, y, x in
micrometres from the scan's pixel size (NXtomoproc), the NXprocess holds
the provenance; the values h5py reads at the libraries' own paths are
bitwise the same both ways, and equal to independent computations; and
`h5io preview` follows the default chain."""
import os
import shutil
import subprocess

import h5py
import numpy as np

from nexus_checks import check_nexus_output, recorded_outputs
from service_harness import (Master, WorkerGroup, arguments, check, cleanup, example_scan,
                             fresh_dirs, wait_for_groups)

PIXEL_UM = 6.5


def h5io(args, *words, ranks=0):
    command = [os.path.join(args.bin, "h5io"), *words]
    if ranks:
        command = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(result.returncode == 0, f"h5io {' '.join(words[:3])} succeeds"
          + ("" if result.returncode == 0 else f"\n{result.stdout}\n{result.stderr}"))
    return result


def inputs(args, indir):
    """The jobs: (name, plugin, input, params, the default plot's dataset)."""
    scan = os.path.join(indir, "scan.nxs")
    h5io(args, "phantom", "--layout", "diamond", "--output", scan, "--size", "48", "--rows", "6",
         "--angles", "60", "--pixel-size", str(PIXEL_UM), "--overwrite")
    example = example_scan(args, os.path.join(indir, "example.h5"), frames=8, rows=24,
                           columns=16)
    rng = np.random.default_rng(19)
    volume = os.path.join(indir, "volume.h5")
    with h5py.File(volume, "w") as f:
        f["entry/reconstruction/data"] = rng.normal(size=(6, 12, 10)).astype(np.float32)
    stack = os.path.join(indir, "stack.h5")
    with h5py.File(stack, "w") as f:
        f.create_dataset("entry/data/data", data=rng.integers(0, 60000, (5, 4, 7), np.uint16),
                         chunks=(5, 1, 7))
    talk = os.path.join(indir, "talk.h5")
    with h5py.File(talk, "w") as f:
        f.create_dataset("data/imagedata", chunks=(256, 256, 1),
                         data=rng.integers(0, 60000, (1024, 1024, 3), np.uint16))
        f["data/darkdata"] = (100 + rng.integers(0, 50, (1024, 3))).astype(np.float32)
        f["data/motorposition"] = rng.uniform(-50, 50, (25, 30))
    return [
        ("tomo_fbp", "tomo_fbp", scan, {}, "/entry/reconstruction/data"),
        ("benchmark", "benchmark", example, {}, "/benchmark/sum"),
        ("tiff_extract", "tiff_extract", volume, {"overwrite": "true"}, "/tiff_extract/max"),
        ("external_process", "external_process", stack,
         {"command": "/bin/cp {in} {out}", "output_like_input": "true"}, "/external/data"),
        ("talk_example", "talk_example", talk, {}, "/output/data"),
        ("own_axes", "configurable", example,
         {"inputs": "/entry/data/data:1", "outputs": "2", "describe": "nexus"}, "/result/out1"),
    ]


def job_params(name, params, outdir, way):
    """tiff_extract writes its TIFFs beside the output, one directory a way."""
    if name == "tiff_extract":
        return {**params, "directory": os.path.join(outdir, f"tiff_{way}")}
    return params


def check_values(name, source, output):
    """The libraries' own outputs, at their own paths, against numpy."""
    with h5py.File(source, "r") as s, h5py.File(output, "r") as f:
        if name == "benchmark":
            data = s["entry/data/data"][...]
            sums = np.moveaxis(data, 1, 0).reshape(data.shape[1], -1).astype(np.float64).sum(1)
            check(np.array_equal(f["benchmark/sum"][...], sums), "benchmark: sums equal numpy's")
        elif name == "tiff_extract":
            volume = s["entry/reconstruction/data"][...]
            check(np.array_equal(f["tiff_extract/max"][...], volume.max(axis=(1, 2)))
                  and np.array_equal(f["tiff_extract/min"][...], volume.min(axis=(1, 2))),
                  "tiff_extract: min and max equal numpy's")
        elif name == "external_process":
            data = s["entry/data/data"][...]
            check(np.array_equal(f["external/data"][...], np.moveaxis(data, 1, 0)),
                  "external_process: /bin/cp gives every slice back exactly")
        elif name == "own_axes":
            group = f["entry"][f["entry"].attrs["default"]]
            position = group["position"]
            check(position.attrs["units"] == "mm" and np.array_equal(
                position[...], -2 + 0.5 * np.arange(position.shape[0])),
                  f"a library's own axis: {group.name}/position in mm, -2 + 0.5 i")
        elif name == "tomo_fbp":
            check_tomo_axes(f)


def check_tomo_axes(f):
    group = f["entry/reconstruction"]
    volume = group["data"]
    rows, n = volume.shape[0], volume.shape[2]
    z, y, x = (group[a] for a in ("z", "y", "x"))
    check(f["entry/definition"][()] == b"NXtomoproc", "tomo_fbp: the entry is an NXtomoproc")
    check(all(a.attrs["units"] == "um" for a in (z, y, x))
          and np.allclose(np.diff(z[...]), PIXEL_UM) and np.allclose(np.diff(x[...]), PIXEL_UM)
          and z.shape == (rows,) and y.shape == (n,) and x.shape == (n,)
          and x[n // 2] == 0 and y[n // 2] == 0,
          f"tomo_fbp: z, y, x in um, {PIXEL_UM} um apart, x = y = 0 on the rotation axis")
    centre = f["entry/reconstruction_center"]
    check(centre["center"].id == group["center"].id and centre["z"].shape == (rows,),
          "tomo_fbp: the centre per slice has its own NXdata, linked, along z")


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    jobs = inputs(args, indir)
    plugin_dirs = sum((["--plugin-dir", d] for d in args.plugin_dir), [])

    # h5io run on 2 ranks.
    for name, plugin, source, params, default in jobs:
        output = os.path.join(outdir, f"{name}_run.h5")
        h5io(args, "run", "--plugin", plugin, "--input", source, "--output", output, *plugin_dirs,
             *sum((["--param", f"{k}={v}"] for k, v in
                   job_params(name, params, outdir, "run").items()), []), ranks=2)
        check_nexus_output(output, default, recorded_outputs(output), f"{name} by h5io run")
        check_values(name, source, output)

    # The same jobs through the service.
    master = Master(args, input_roots=[indir], output_roots=[outdir])
    group = None
    try:
        group = WorkerGroup(args, master, ranks=2)
        wait_for_groups(master, 1)
        submitted = {}
        for name, plugin, source, params, default in jobs:
            reply = master.submit(input=source, plugin=plugin,
                                  output=os.path.join(outdir, f"{name}_service.h5"),
                                  params=job_params(name, params, outdir, "service"))
            check(reply["type"] == "accepted", f"{name}: the master accepts it ({reply})")
            submitted[name] = reply["job"]
        finished = master.wait_for(list(submitted.values()))
        for name, plugin, source, params, default in jobs:
            state = finished[submitted[name]]
            check(state["state"] == "completed", f"{name}: completed through the service "
                  f"({state})\n{group.log()[-3000:]}")
            output = os.path.join(outdir, f"{name}_service.h5")
            check_nexus_output(output, default, recorded_outputs(output), f"{name} by the service")
            check_values(name, source, output)
            reference = os.path.join(outdir, f"{name}_run.h5")
            # (external_process's run times differ from run to run.)
            compared = [p for p in recorded_outputs(output) if p != "/external/seconds"]
            with h5py.File(output, "r") as a, h5py.File(reference, "r") as b:
                same = all(a[p].dtype == b[p].dtype and np.array_equal(a[p][...], b[p][...])
                           for p in compared)
                check(same, f"{name}: every output is bitwise h5io run's, at the same path")
                check(a["entry/process/job_id"][()].decode() == submitted[name],
                      f"{name}: the NXprocess names the job")
    finally:
        cleanup(*([group] if group else []), master)

    # h5io preview follows the default chain: with a second volume in the
    # file, only the chain says which one to show.
    picked = os.path.join(outdir, "two_volumes.h5")
    shutil.copy(os.path.join(outdir, "external_process_run.h5"), picked)
    with h5py.File(picked, "r+") as f:
        f["extra/volume"] = np.zeros((3, 3, 3), np.float32)
    shown = h5io(args, "preview", picked, "--output", os.path.join(outdir, "preview.png"))
    check("/entry/external_data/data [4, 5, 7]" in shown.stdout,
          f"h5io preview shows the default NXdata's signal ({shown.stdout.strip()})")
    print("PASSED")


if __name__ == "__main__":
    main()
