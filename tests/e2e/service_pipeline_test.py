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
and the master goes on. `h5io submit --dry-run` (protocol: submit with
dry_run) prints the plan the master's checks made (steps, patterns, the
reslice point, units, memory per rank) and queues nothing. Every trial ends with the job completed, bitwise
equal, nothing left behind."""
import json
import os
import signal
import subprocess

import h5py
import numpy as np

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, fresh_dirs,
                             wait_for_groups)
from service_reslice_test import LEASE_MS, SIZE, h5io, inflict, leftovers

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
        spare = inflict(args, master, job, victim, output, fault)
        final = master.wait_for([job], timeout=180 if fault == "none" else 240)
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


def dry_runs(args, master, pipeline, scan, outdir):
    """The plan without the job, from the CLI and from the protocol."""
    output = os.path.join(outdir, "dry.h5")
    command = [os.path.join(args.bin, "h5io"), "submit", "--master", master.client_endpoint,
               "--pipeline", pipeline, "--input", scan, "--output", output, "--dry-run"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    text = result.stdout
    check(result.returncode == 0
          and "pipeline: 1 normalise (projections, saved) → 2 tomo_fbp (sinograms)" in text
          and "step 1 runs on" in text and "chunked for the other pattern" in text
          and "step 1: normalise, by projections, fed from the input file, written to the "
              "output" in text
          and "step 2: tomo_fbp, by sinograms, fed from reslicing scratch (reslice point)" in text
          and "plan: " in text and " per rank" in text and "nothing was queued" in text,
          f"h5io submit --dry-run prints the plan\n{text}{result.stderr}")
    reply = master.submit(input=scan, steps=STEPS, output=output, dry_run=True)
    check(reply["type"] == "planned" and reply["reslice_step"] == 2
          and [s["fed"] for s in reply["steps"]] == ["file", "reslicing scratch"]
          and [s["pattern"] for s in reply["steps"]] == ["projections", "sinograms"]
          and reply["reslice_units"] > 0 and reply["units"] > 0
          and reply["memory_per_rank_bytes"] > 0,
          f"a submit with dry_run is answered with the plan: {reply}")
    bad = subprocess.run(command[:4] + ["--plugin", "tomo_fbp", "--input", scan, "--output",
                                        output, "--dry-run", "--param", "filter=hamm"],
                         capture_output=True, text=True, timeout=120)
    check(bad.returncode != 0 and "filter" in bad.stderr,
          f"a dry run of a bad job fails with the check's message: {bad.stderr}")
    reply = master.submit(input=scan, steps=STEPS, output=output, dry_run=True, client_ref="x")
    check(reply["type"] == "rejected" and "client_ref" in reply["error"],
          f"a dry run with a client_ref is rejected: {reply}")
    check(master.snapshot()["jobs"] == [] and not os.path.exists(output),
          "dry runs queue no job and write nothing")


def rejections(args, pipeline, scan, outdir):
    master = Master(args, name="master_rejections", output_roots=[outdir])
    try:
        dry_runs(args, master, pipeline, scan, outdir)
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
    rejections(args, pipeline, scan, outdir)
    for fault in ("none", "rank0", "master", "processing"):
        trial(args, pipeline, scan, reference, outdir, fault)
    print("all service pipeline checks passed")


if __name__ == "__main__":
    main()
