#!/usr/bin/python3
"""The service and files that are not NXtomo (issue 14, part 3), on a real
master: a newer Diamond scan submitted without parameters is rejected naming
the ones to pass (the master's check is h5io run's); scan.darks and
scan.flats files are confined to input_roots like the input (symbolic links
and .. resolved, a relative FILE taken from the scan's directory), and each
way such a file can be wrong is a clear rejection; with the proposed
parameters and I12's dark_field.h5 and flat_field.h5 the job completes on a
worker group of 2 ranks, identical to h5io run, reading the files checked."""
import json
import os
import shutil
import subprocess

import h5py
import numpy as np

from service_harness import Master, WorkerGroup, arguments, check, cleanup, fresh_dirs

RECON = "/entry/reconstruction/data"


def h5io(args, *arguments_, ranks=0):
    command = [os.path.join(args.bin, "h5io"), *arguments_]
    if ranks:
        command = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(result.returncode == 0, f"h5io {' '.join(arguments_[:3])} succeeds"
          + ("" if result.returncode == 0 else f"\n{result.stderr}"))
    return result


def main():
    args = arguments(__doc__)
    indir, outdir, outside = fresh_dirs(args.workdir, "in", "out", "outside")
    i12 = os.path.join(indir, "i12")
    os.makedirs(i12)
    scan = os.path.join(i12, "scan.nxs")
    h5io(args, "phantom", "--layout", "nxdata", "--dark-flat-files", "--output", scan, "--size",
         "64", "--rows", "8", "--angles", "90")
    proposal = json.loads(h5io(args, "inspect", scan, "--json").stdout)["proposal"]
    params = dict(p.split("=", 1) for p in proposal["params"])
    check(params["scan.darks"] == "dark_field.h5:/entry/data/data"
          and params["scan.flats"] == "flat_field.h5:/entry/data/data",
          f"inspect proposes the dark and flat files beside the scan: {proposal['params']}")

    # Ways out of the roots that look like ways in.
    shutil.copy(os.path.join(i12, "dark_field.h5"), os.path.join(outside, "dark_field.h5"))
    os.symlink(os.path.join(outside, "dark_field.h5"), os.path.join(i12, "linked_dark.h5"))
    os.symlink(outside, os.path.join(i12, "refs"))

    master = Master(args, input_roots=[indir], output_roots=[outdir])
    group = None
    try:
        def submit(output, **overrides):
            return master.submit(input=scan, plugin="tomo_fbp",
                                 output=os.path.join(outdir, output),
                                 params={**params, **overrides})

        reply = master.submit(input=scan, plugin="tomo_fbp", output=os.path.join(outdir, "x.h5"))
        check(reply["type"] == "rejected"
              and "it looks like a scan: try " + proposal["command_line"] in reply["error"],
              f"without parameters: rejected naming the ones to pass ({reply.get('error')})")

        escapes = [
            ("an absolute file outside the roots",
             {"scan.darks": os.path.join(outside, "dark_field.h5") + ":/entry/data/data"},
             f"scan.darks file '{outside}/dark_field.h5' is outside the allowed input "
             f"directories ({indir})"),
            ("a relative file that climbs out with ..",
             {"scan.flats": "../../outside/dark_field.h5:/entry/data/data"},
             f"scan.flats file '../../outside/dark_field.h5' (beside the scan: "
             f"'{outside}/dark_field.h5') is outside the allowed input directories"),
            ("a symbolic link to a file outside",
             {"scan.darks": "linked_dark.h5:/entry/data/data"},
             "scan.darks file 'linked_dark.h5' (beside the scan: "
             f"'{i12}/linked_dark.h5') is outside the allowed input directories"),
            ("a file in a linked directory outside",
             {"scan.flats": "refs/dark_field.h5:/entry/data/data"},
             "scan.flats file 'refs/dark_field.h5' (beside the scan: "
             f"'{i12}/refs/dark_field.h5') is outside the allowed input directories"),
            ("a missing file", {"scan.darks": "nope.h5:/entry/data/data"},
             f"scan.darks file '{i12}/nope.h5' does not exist"),
            ("a missing dataset", {"scan.flats": "flat_field.h5:/entry/flat"},
             f"scan.flats: dataset '/entry/flat' not found in '{i12}/flat_field.h5'"),
            ("a file with no dataset", {"scan.darks": "dark_field.h5"},
             "scan.darks='dark_field.h5' names no dataset"),
        ]
        for name, overrides, expected in escapes:
            reply = submit("x.h5", **overrides)
            check(reply["type"] == "rejected" and expected in reply["error"],
                  f"{name}: rejected ({reply.get('error', reply)})")
        check(master.snapshot()["jobs"] == [], "nothing was queued by the bad submissions")

        reply = submit("recon.h5")
        check(reply["type"] == "accepted", f"the proposed parameters are accepted ({reply})")
        group = WorkerGroup(args, master, 2, name="g1")
        job = master.wait_for([reply["job"]], timeout=300)[reply["job"]]
        check(job["state"] == "completed", "the job completes on a group of 2 ranks"
              + ("" if job["state"] == "completed" else f" ({job})\n{group.log()}"))

        reference = os.path.join(args.workdir, "reference.h5")
        command = ["run", "--plugin", "tomo_fbp", "--input", scan, "--output", reference,
                   "--overwrite"]
        for key, value in params.items():
            command += ["--param", f"{key}={value}"]
        h5io(args, *command, ranks=2)
        with h5py.File(os.path.join(outdir, "recon.h5"), "r") as f:
            served = f[RECON][...]
            record = json.loads(f["entry/process/scan"][()])
        with h5py.File(reference, "r") as f:
            expected = f[RECON][...]
        check(np.array_equal(served, expected), "the service's volume is h5io run's, bitwise")
        check(record["darks"]["file"] == os.path.realpath(os.path.join(i12, "dark_field.h5"))
              and record["flats"]["file"] == os.path.realpath(os.path.join(i12, "flat_field.h5")),
              f"the worker read the files the master checked ({record['darks']['file']})")
    finally:
        cleanup(*([group] if group else []), master)
    print("all checks passed")


if __name__ == "__main__":
    main()
