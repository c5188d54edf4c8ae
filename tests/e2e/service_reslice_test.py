"""A scan stored one frame per chunk, through the real service: the master
plans its reslicing (reslice units first, then process units, leased only
once every frame is copied), a worker group copies and reconstructs, and
the result is bitwise equal to `h5io run` of the same scan stored with
sinogram chunks. Then the faults, each caught in the reslicing phase by
stopping the group (SIGSTOP) once it has copied some frames and not all:

  rank0      kill -9 of the group's rank 0; a spare group takes the job up,
             reopens the scratch file and copies only what is not done
  master     kill -9 of the master and a restart on its journal; the group
             comes back and the job resumes where the journal says
  processing kill -9 of rank 0 after the reslicing, while reconstructing:
             the spare group reads the frames from the scratch file

Every trial ends with the job completed, bitwise equal, nothing left
behind (no partial or scratch file)."""
import glob
import os
import signal
import subprocess
import time

import h5py
import numpy as np

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, fresh_dirs,
                             wait_for_groups)

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"
LEASE_MS = 10000
SIZE = ("--size", "128", "--rows", "48", "--angles", "720", "--darks", "5", "--flats", "5")


def h5io(args, *command):
    result = subprocess.run([os.path.join(args.bin, "h5io"), *command], capture_output=True,
                            text=True, timeout=300)
    check(result.returncode == 0, f"h5io {' '.join(command[:2])}: {result.stderr}")
    return result


def identical(output, reference):
    if not os.path.exists(output):
        return False
    with h5py.File(output, "r") as a, h5py.File(reference, "r") as b:
        return all(np.array_equal(a[p][...], b[p][...]) for p in (RECON, CENTER))


def leftovers(outdir):
    return sorted(glob.glob(os.path.join(outdir, "*.partial")))


def wait_until(master, job, predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        row = master.job(job)
        if row is not None and predicate(row):
            return row
        time.sleep(0.02)
    check(False, f"{what} within {timeout} s: {master.job(job)}")


def signal_group(group, sig):
    for pid in group.ranks():
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def frozen_while(master, job, group, phase):
    """Stops GROUP once JOB is in PHASE ('reslicing': some frames copied,
    not all; 'processing': all copied, some slices done) and returns the
    job's row as the master saw it then."""
    if phase == "reslicing":
        predicate = lambda r: 0 < r.get("reslice_done", 0) < r["reslice_units"]
    else:
        predicate = lambda r: r.get("reslice_done") == r["reslice_units"] and 0 < r["done"] < r["total"]
    row = wait_until(master, job, predicate, 120, f"the job reaches its {phase} phase")
    signal_group(group, signal.SIGSTOP)
    # What was reported up to the stop.
    row = master.job(job)
    check(predicate(row), f"the group is stopped in the {phase} phase ({row['reslice_done']}/"
          f"{row['reslice_units']} reslice units, {row['done']}/{row['total']} slices)")
    return row


def inflict(args, master, job, victim, output, fault):
    """The fault of a trial on a resliced job: none; 'rank0' or 'processing',
    kill -9 of the victim's rank 0 while it reslices or after, a spare group
    taking over (returned); 'master', kill -9 of the master while the group
    reslices, and a restart on its journal."""
    if fault == "none":
        return None
    phase = "processing" if fault == "processing" else "reslicing"
    frozen_while(master, job, victim, phase)
    check(os.path.exists(output + ".reslice.partial"),
          f"{fault}: the scratch file (frames, or a projection step's result) exists")
    if fault == "master":
        master.kill_and_restart()
        signal_group(victim, signal.SIGCONT)  # it finds a new master and joins again
        wait_for_groups(master, 1, timeout=60)
        return None
    os.kill(victim.rank_pids()[0], signal.SIGKILL)
    signal_group(victim, signal.SIGCONT)
    return WorkerGroup(args, master, 2, name=f"spare_{fault}")


def trial(args, scan, reference, outdir, fault):
    master = Master(args, name=f"master_{fault}", output_roots=[outdir], min_units=32,
                    lease_ms=LEASE_MS)
    victim = WorkerGroup(args, master, 2, name=f"victim_{fault}")
    spare = None
    try:
        wait_for_groups(master, 1)
        output = os.path.join(outdir, f"{fault}.h5")
        reply = master.submit(input=scan, plugin="tomo_fbp", output=output,
                              params={"center": 64.0})
        check(reply["type"] == "accepted", f"{fault}: accepted: {reply}")
        job = reply["job"]
        row = master.job(job)
        check(row.get("reslice_units", 0) > 1 and row["units_total"] > row["reslice_units"],
              f"{fault}: the master planned reslice units first ({row.get('reslice_units')} of "
              f"{row['units_total']})")
        spare = inflict(args, master, job, victim, output, fault)
        final = master.wait_for([job], timeout=180 if fault == "none" else 240)
        state = final[job]["state"]
        check(state == "completed", f"{fault}: the job completed ({state}: "
              f"{final[job].get('error', '')})\n{master.log()[-3000:]}")
        check(identical(output, reference), f"{fault}: bitwise equal to h5io run")
        check(leftovers(outdir) == [], f"{fault}: no partial or scratch file left "
              f"({leftovers(outdir)})")
        check(f"after {row['reslice_units']} units resliced" in master.log(),
              f"{fault}: the master's log says the job is resliced first")
        if spare is not None:
            check("resuming its partial output" in spare.log(),
                  f"{fault}: the spare group resumed the job")
        with h5py.File(output, "r") as f:
            record = f["/entry/process/reslice"][()].decode()
        check('"frames_per_unit"' in record, f"{fault}: provenance records the reslicing")
    finally:
        cleanup(*(g for g in (victim, spare) if g), master)
        if victim.process.poll() is None:
            os.killpg(victim.process.pid, signal.SIGKILL)


def main():
    args = arguments(__doc__)
    workdir, outdir = fresh_dirs(args.workdir, "scans", "out")
    sino = os.path.join(workdir, "sino.nxs")
    frame = os.path.join(workdir, "frame.nxs")
    h5io(args, "phantom", "--output", sino, "--layout", "diamond", *SIZE, "--overwrite")
    h5io(args, "phantom", "--output", frame, "--layout", "diamond", "--frame-chunks", *SIZE,
         "--overwrite")
    reference = os.path.join(workdir, "reference.h5")
    h5io(args, "run", "--plugin", "tomo_fbp", "--input", sino, "--output", reference,
         "--param", "center=64.0", "--overwrite")
    # The master plans for its workers' memory: a job that cannot fit is
    # rejected at submission, with the numbers, and the master goes on.
    master = Master(args, name="master_small", output_roots=[outdir], memory_mb=16)
    try:
        reply = master.submit(input=frame, plugin="tomo_fbp",
                              output=os.path.join(outdir, "small.h5"))
        check(reply["type"] == "rejected" and "does not fit" in reply["error"]
              and "16.0 MiB" in reply["error"] and "memory_mb" in reply["error"],
              f"a job over memory_mb is rejected with the numbers: {reply.get('error', reply)}")
        check(master.alive() and master.snapshot()["jobs"] == [],
              "the master goes on, with no job accepted")
    finally:
        cleanup(master)
    for fault in ("none", "rank0", "master", "processing"):
        trial(args, frame, reference, outdir, fault)
    print("all service reslicing checks passed")


if __name__ == "__main__":
    main()
