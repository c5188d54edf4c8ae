"""Pipelines (issue 15) through the real service: `h5io submit --pipeline`
sends normalise (saved) -> tomo_fbp (normalise=false) to a master; a worker
group runs the projection step into the reslicing scratch, then the
sinogram step from it; the volume and the saved step are bitwise equal to
`h5io run --pipeline` of the same file, and the volume is bitwise equal to
tomo_fbp normalising by itself. Then the faults, as for reslicing:

  rank0      kill -9 of rank 0 while the projection step runs (some frames
             in the scratch, not all); a spare group resumes the job
  master     kill -9 of the master in the same phase and a restart on its
             journal; the group joins again and the job resumes
  processing kill -9 of rank 0 after the change of pattern, while the
             sinogram step runs; the spare group reads the scratch

Bad pipelines are rejected at submission with a message naming the step,
and the master goes on. Every trial ends with the job completed, bitwise
equal, nothing left behind."""
import json
import os
import signal
import subprocess

import h5py
import numpy as np

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, fresh_dirs,
                             wait_for_groups)
from service_reslice_test import (LEASE_MS, SIZE, frozen_while, h5io, leftovers,
                                  signal_group)

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"
SAVED = "/entry/normalised/data"
STEPS = [{"plugin": "normalise", "params": {"minus_log": True}, "save": True},
         {"plugin": "tomo_fbp", "params": {"normalise": False, "center": 64.0}}]


def identical(output, reference, paths=(RECON, CENTER, SAVED)):
    if not os.path.exists(output):
        return False
    with h5py.File(output, "r") as a, h5py.File(reference, "r") as b:
        return all(np.array_equal(a[p][...], b[p][...]) for p in paths)


def submit_with_cli(args, master, pipeline, scan, output):
    """`h5io submit --pipeline`, the client a user runs: returns the job id."""
    result = subprocess.run(
        [os.path.join(args.bin, "h5io"), "submit", "--master", master.client_endpoint,
         "--pipeline", pipeline, "--input", scan, "--output", output],
        capture_output=True, text=True, timeout=120)
    check(result.returncode == 0, f"h5io submit --pipeline: {result.stdout}{result.stderr}")
    job = result.stdout.strip()
    check(job.startswith("j") and job[1:].isdigit(), f"h5io submit prints the job id: {job}")
    return job


def trial(args, pipeline, scan, reference, outdir, fault):
    master = Master(args, name=f"master_{fault}", output_roots=[outdir], min_units=32,
                    lease_ms=LEASE_MS)
    victim = WorkerGroup(args, master, 2, name=f"victim_{fault}")
    spare = None
    try:
        wait_for_groups(master, 1)
        output = os.path.join(outdir, f"{fault}.h5")
        if fault == "none":
            job = submit_with_cli(args, master, pipeline, scan, output)
        else:
            reply = master.submit(input=scan, steps=STEPS, output=output)
            check(reply["type"] == "accepted", f"{fault}: accepted: {reply}")
            job = reply["job"]
        row = master.job(job)
        check(row["plugin"] == "normalise → tomo_fbp",
              f"{fault}: the job's row names its steps ({row['plugin']})")
        check(row.get("reslice_units", 0) > 1 and row["units_total"] > row["reslice_units"],
              f"{fault}: the master planned the projection step's units first "
              f"({row.get('reslice_units')} of {row['units_total']})")
        if fault == "none":
            final = master.wait_for([job], timeout=180)
        else:
            phase = "processing" if fault == "processing" else "reslicing"
            frozen_while(master, job, victim, phase)
            check(os.path.exists(output + ".reslice.partial"),
                  f"{fault}: the scratch file between the steps exists")
            if fault == "master":
                master.kill_and_restart()
                signal_group(victim, signal.SIGCONT)
                wait_for_groups(master, 1, timeout=60)
            else:
                os.kill(victim.rank_pids()[0], signal.SIGKILL)
                signal_group(victim, signal.SIGCONT)
                spare = WorkerGroup(args, master, 2, name=f"spare_{fault}")
            final = master.wait_for([job], timeout=240)
        state = final[job]["state"]
        check(state == "completed", f"{fault}: the job completed ({state}: "
              f"{final[job].get('error', '')})\n{master.log()[-3000:]}")
        check(identical(output, reference),
              f"{fault}: volume and saved step bitwise equal to h5io run --pipeline")
        check(leftovers(outdir) == [], f"{fault}: no partial or scratch file left "
              f"({leftovers(outdir)})")
        if spare is not None:
            check("resuming its partial output" in spare.log(),
                  f"{fault}: the spare group resumed the job")
        with h5py.File(output, "r") as f:
            steps = json.loads(f["/entry/process/steps"][()].decode())
        check([s["plugin"] for s in steps] == ["normalise", "tomo_fbp"]
              and steps[1]["inputs"][0].get("via") == "reslicing scratch",
              f"{fault}: provenance records both steps and the scratch between them")
    finally:
        cleanup(*(g for g in (victim, spare) if g), master)
        if victim.process.poll() is None:
            os.killpg(victim.process.pid, signal.SIGKILL)


def rejections(args, scan, outdir):
    master = Master(args, name="master_rejections", output_roots=[outdir])
    try:
        bad = [
            ([{"plugin": "normalise"}, {"plugin": "no_such_library"}],
             ["pipeline step 2", "no_such_library"], "an unknown library"),
            ([{"plugin": "normalise", "params": {"minus_logg": True}}],
             ["pipeline step 1", "minus_logg"], "an unknown parameter"),
            ([{"plugin": "normalise", "parms": {}}], ["parms", "did you mean 'params'"],
             "a misspelt step key"),
            ([], ["at least one step"], "an empty list"),
            ([{"plugin": "normalise"}, {"plugin": "tomo_fbp"}],
             ["pipeline step 2 'tomo_fbp'", "normalise=false"],
             "a step that would normalise again"),
        ]
        for steps, expected, what in bad:
            reply = master.submit(input=scan, steps=steps,
                                  output=os.path.join(outdir, "rejected.h5"))
            error = reply.get("error", "")
            check(reply["type"] in ("rejected", "error") and all(e in error for e in expected),
                  f"{what} is rejected at submission: {reply}")
        reply = master.submit(input=scan, plugin="tomo_fbp", steps=STEPS,
                              output=os.path.join(outdir, "rejected.h5"))
        check(reply["type"] in ("rejected", "error") and "steps" in reply.get("error", ""),
              f"a job with both plugin and steps is rejected: {reply}")
        check(master.alive() and master.snapshot()["jobs"] == [] and leftovers(outdir) == []
              and not os.path.exists(os.path.join(outdir, "rejected.h5")),
              "the master goes on, with no job accepted and nothing written")
    finally:
        cleanup(master)


def main():
    args = arguments(__doc__)
    workdir, outdir = fresh_dirs(args.workdir, "scans", "out")
    scan = os.path.join(workdir, "frame.nxs")
    h5io(args, "phantom", "--output", scan, "--layout", "diamond", "--frame-chunks", "--poisson",
         *SIZE, "--overwrite")
    pipeline = os.path.join(workdir, "pipeline.yaml")
    with open(pipeline, "w") as f:
        f.write("steps:\n"
                "  - plugin: normalise\n    params: {minus_log: true}\n    save: true\n"
                "  - plugin: tomo_fbp\n    params: {normalise: false, center: 64.0}\n")
    reference = os.path.join(workdir, "reference.h5")
    h5io(args, "run", "--pipeline", pipeline, "--input", scan, "--output", reference,
         "--overwrite")
    direct = os.path.join(workdir, "direct.h5")
    h5io(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", direct,
         "--param", "center=64.0", "--overwrite")
    check(identical(reference, direct, (RECON, CENTER)),
          "h5io run --pipeline normalise -> tomo_fbp is bitwise tomo_fbp alone")
    rejections(args, scan, outdir)
    for fault in ("none", "rank0", "master", "processing"):
        trial(args, pipeline, scan, reference, outdir, fault)
    print("all service pipeline checks passed")


if __name__ == "__main__":
    main()
