"""Faults injected into the running service, each with a bounded time:

  rank0    kill -9 of a worker group's rank 0 mid-job, a second group present
  rankN    kill -9 of a non-zero rank mid-job (mpirun aborts the group)
  master   kill -9 of the master mid-job, then a restart on the same journal
  crash    a library that segfaults on one slice, its group restarted by a
           supervising loop (as systemd's Restart=on-failure would)
  stop     SIGSTOP of a whole group mid-job (hung, not dead): another group
           finishes the job; the stopped group, continued afterwards, must not
           write into it (fencing), which a poisoned library would show
  diskfull the output outgrows a file-size limit (RLIMIT_FSIZE on the ranks):
           the job fails saying so, no file under its name, the master and
           the group go on to complete a small job

For each trial: is every accepted job completed, bitwise equal to `h5io run`
of the same job, with no job lost and no duplicated event (two
job.completed for one job)? `--trials N` repeats each fault; a table per
fault is printed (and written as JSON with --table) at the end."""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np

from service_harness import (Master, StatusWatcher, WorkerGroup, arguments, check, cleanup,
                             fresh_dirs, wait_for_groups)

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"
TERMINAL = {"job.completed", "job.failed", "job.cancelled"}
# Small enough that a stuck group (rank 0 heartbeating while its main thread
# waits in an MPI collective for a dead rank) is still caught in bounded
# time, large enough for a lease's first tomo_fbp unit (it includes opening
# and resuming the output) with four ranks on two busy cores: at 3000 the
# leases after a master restart expired three times and the jobs failed.
LEASE_MS = 10000


def h5io(args, *command, ranks=0):
    line = [os.path.join(args.bin, "h5io"), *command]
    if ranks:
        line = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *line]
    result = subprocess.run(line, capture_output=True, text=True, timeout=300)
    check(result.returncode == 0, f"{' '.join(command[:2])}: {result.stderr}")


def wait_event(watcher, predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for topic, event in watcher.snapshot_events():
            if predicate(topic, event):
                return event
        time.sleep(0.05)
    check(False, f"{what} within {timeout} s")


def identical(output, reference, paths=(RECON, CENTER)):
    if not os.path.exists(output):
        return False
    with h5py.File(output, "r") as a, h5py.File(reference, "r") as b:
        return all(np.array_equal(a[p][...], b[p][...]) for p in paths)


class Tally:
    def __init__(self):
        self.rows = {}

    def add(self, fault, completed, same, lost, duplicated):
        row = self.rows.setdefault(fault, {"trials": 0, "completed": 0, "identical": 0,
                                           "lost": 0, "duplicated": 0})
        row["trials"] += 1
        row["completed"] += completed
        row["identical"] += same
        row["lost"] += lost
        row["duplicated"] += duplicated

    def print(self):
        print(f"{'fault':8} {'trials':>6} {'completed':>9} {'identical':>9} {'lost':>4} "
              f"{'duplicated':>10}")
        for fault, r in self.rows.items():
            print(f"{fault:8} {r['trials']:6} {r['completed']:9} {r['identical']:9} "
                  f"{r['lost']:4} {r['duplicated']:10}")


def account(events, jobs, states):
    """(completed, lost, duplicated) for accepted JOBS: lost = never reached
    a final state; duplicated = more than one terminal event for a job."""
    completed = sum(1 for j in jobs if states.get(j) == "completed")
    lost = sum(1 for j in jobs if states.get(j) not in ("completed", "failed", "cancelled"))
    duplicated = sum(max(0, sum(1 for t, e in events if t in TERMINAL and e.get("job") == j) - 1)
                     for j in jobs)
    return completed, lost, duplicated


def kill_rank(args, scan, reference, outdir, trial, rank, tally):
    """kill -9 of RANK of the group holding a tomo_fbp job, after its first
    progress; the master must see the group lost (or its lease expire), put
    the job back, and the second group finish it, bitwise as `h5io run`."""
    fault = f"rank{rank}" if rank == 0 else "rankN"
    master = Master(args, name=f"master_{fault}_{trial}", output_roots=[outdir], min_units=16,
                    lease_ms=LEASE_MS)
    watcher = StatusWatcher(master)
    victim = WorkerGroup(args, master, 2, name=f"victim_{fault}_{trial}")
    spare = None
    try:
        wait_for_groups(master, 1)
        output = os.path.join(outdir, f"{fault}_{trial}.h5")
        reply = master.submit(input=scan, plugin="tomo_fbp", output=output)
        check(reply["type"] == "accepted", f"accepted: {reply}")
        job = reply["job"]
        wait_event(watcher, lambda t, e: t == "job.started" and e["job"] == job, 60,
                   "the job starts on the victim group")
        # The second group joins only now, so the job is surely on the victim.
        spare = WorkerGroup(args, master, 2, name=f"spare_{fault}_{trial}")
        wait_for_groups(master, 2)
        progress = wait_event(watcher, lambda t, e: t == "job.progress" and e["job"] == job, 60,
                              "a job.progress event")
        pids = victim.rank_pids()
        check(rank in pids, f"rank {rank} of the victim found ({pids})")
        check(master.job(job)["state"] == "running",
              f"{fault}: the job is mid-way when killed ({progress})")
        killed_at = time.time()
        os.kill(pids[rank], signal.SIGKILL)

        lost = wait_event(watcher, lambda t, e: t in ("worker.lost", "job.requeued"), 30,
                          f"{fault}: the master notices (worker.lost or job.requeued)")
        noticed = time.time() - killed_at
        wait_event(watcher, lambda t, e: t == "job.requeued" and e["job"] == job, 30,
                   f"{fault}: the job is re-queued")
        check(victim.process.wait(timeout=30) is not None, f"{fault}: mpirun of the victim exits")
        final = master.wait_for([job], timeout=120)
        time.sleep(0.3)  # the last events reach the watcher
        events = watcher.snapshot_events()
        starts = [e["group"] for t, e in events if t == "job.started" and e["job"] == job]
        check(starts and starts[-1].startswith("spare"),
              f"{fault}: the spare group finished it ({starts})")
        completed, nlost, dup = account(events, [job], {job: final[job]["state"]})
        same = identical(output, reference)
        print(f"{fault} trial {trial}: noticed in {noticed:.1f} s by {lost}, "
              f"state {final[job]['state']}, identical {same}")
        tally.add(fault, completed, same, nlost, dup)
    finally:
        watcher.close()
        cleanup(*(g for g in (victim, spare) if g), master)
        if victim.process.poll() is None:
            os.killpg(victim.process.pid, signal.SIGKILL)


def kill_master(args, scan, reference, outdir, trial, tally):
    """kill -9 of the master mid-job and a restart on the same journal: the
    groups come back by themselves, every accepted job completes once."""
    master = Master(args, name=f"master_master_{trial}", output_roots=[outdir], min_units=16,
                    lease_ms=LEASE_MS)
    watcher = StatusWatcher(master)
    groups = [WorkerGroup(args, master, 2, name=f"m{i}_{trial}") for i in (1, 2)]
    try:
        wait_for_groups(master, 2)
        outputs = [os.path.join(outdir, f"master_{trial}_{i}.h5") for i in (1, 2, 3)]
        jobs = []
        for output in outputs:
            reply = master.submit(input=scan, plugin="tomo_fbp", output=output)
            check(reply["type"] == "accepted", f"accepted: {reply}")
            jobs.append(reply["job"])
        wait_event(watcher, lambda t, e: t == "job.progress", 60, "a job.progress event")
        before = master.snapshot()
        check(any(j["state"] != "completed" for j in before["jobs"]),
              "the master is killed with work unfinished")
        master.kill_and_restart()
        # master.started is published as the new master binds, usually before
        # the SUB socket has reconnected (ZeroMQ's slow joiner), so a watcher
        # cannot count on it; any event of the new epoch (heartbeats come
        # every heartbeat_ms) tells it to resynchronise.
        started = wait_event(watcher, lambda t, e: e.get("epoch") not in (None, before["epoch"]),
                             30, "the watcher sees an event of a new epoch")
        saw_started = any(t == "master.started" and e["epoch"] == started["epoch"]
                          for t, e in watcher.snapshot_events())
        # Resynchronise as PROTOCOL.md says: a snapshot in the new epoch, then
        # the events after its seq, without a gap.
        snapshot = master.snapshot()
        check(snapshot["epoch"] == started["epoch"], "the snapshot is in the new epoch")
        states = {j["job"]: j["state"] for j in snapshot["jobs"]}
        check(set(jobs) <= set(states), f"the restarted master knows every accepted job ({states})")
        wait_for_groups(master, 2, timeout=60)  # the groups re-register on their own
        final = master.wait_for(jobs, timeout=180)
        time.sleep(0.3)
        events = watcher.snapshot_events()
        after = [(t, e) for t, e in events
                 if e.get("epoch") == snapshot["epoch"] and e["seq"] > snapshot["seq"]]
        seqs = [e["seq"] for _, e in after]
        check(seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(seqs))),
              "after the snapshot, the new epoch's events have no gap")
        for t, e in after:
            if t == "job.completed":
                states[e["job"]] = "completed"
        check(all(states[j] == final[j]["state"] for j in jobs),
              f"snapshot + events give the final states ({states}); events after the "
              f"snapshot: {[(t, e.get('job'), e['seq']) for t, e in after if t != 'master.heartbeat']}"
              f"\nfinal: {final}")
        completed, nlost, dup = account(events, jobs, {j: final[j]["state"] for j in jobs})
        same = all(identical(o, reference) for o in outputs)
        print(f"master trial {trial}: {completed}/{len(jobs)} completed, identical {same}, "
              f"master.started seen: {saw_started}")
        tally.add("master", completed == len(jobs), same, nlost, dup)
    finally:
        watcher.close()
        cleanup(*groups, master)


class Supervisor(threading.Thread):
    """Restarts a worker group whenever its mpirun exits, like systemd's
    Restart=on-failure, counting the restarts."""

    def __init__(self, args, master, name):
        super().__init__(daemon=True)
        self.args, self.master, self.name = args, master, name
        self.restarts = 0
        self.running = True
        self.group = WorkerGroup(args, master, 2, name=name)
        self.start()

    def run(self):
        while self.running:
            if self.group.process.poll() is not None and self.running:
                self.restarts += 1
                self.group = WorkerGroup(self.args, self.master, 2,
                                         name=f"{self.name}_r{self.restarts}")
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.join()
        self.group.stop()


def partial(output):
    """Where the service writes OUTPUT until it is complete."""
    return output + ".partial"


def small_scan(args, rows):
    """An `h5io example` scan of ROWS sinogram rows (slices for `configurable`)."""
    scan = os.path.join(args.workdir, f"small_scan_{rows}.h5")
    if not os.path.exists(scan):
        subprocess.run([os.path.join(args.bin, "h5io"), "example", "--output", scan,
                        "--overwrite", "--frames", "16", "--rows", str(rows), "--columns", "16"],
                       check=True, capture_output=True)
    return scan


def stopped_group(args, outdir, trial, tally):
    """SIGSTOP of every process of the group holding a job, once it has
    reported units: the master forgets the group after its silence limit and
    a second group finishes the job. Only then is the stopped group poisoned
    (the library's results turn to -1 from now on) and continued: if it
    wrote what it had computed, or anything else, into the job's file (which
    is the finished output now, the same file), the output would differ."""
    scan = small_scan(args, 128)
    params = {"inputs": "/entry/data/data:1", "sleep_ms": 60}
    reference = os.path.join(args.workdir, "stop_reference.h5")
    if not os.path.exists(reference):
        h5io(args, "run", "--plugin", "configurable", "--input", scan, "--output", reference,
             "--overwrite", *sum((["--plugin-dir", d] for d in args.plugin_dir), []),
             *sum((["--param", f"{k}={v}"] for k, v in params.items()), []), ranks=2)
    poison = os.path.join(args.workdir, f"poison_{trial}")
    if os.path.exists(poison):
        os.remove(poison)
    master = Master(args, name=f"master_stop_{trial}", output_roots=[outdir], min_units=32)
    watcher = StatusWatcher(master)
    victim = WorkerGroup(args, master, 2, name=f"stopped_{trial}")
    spare = None
    try:
        wait_for_groups(master, 1)
        output = os.path.join(outdir, f"stop_{trial}.h5")
        reply = master.submit(input=scan, plugin="configurable", output=output,
                              params={**params, "poison_file": poison})
        check(reply["type"] == "accepted", f"accepted: {reply}")
        job = reply["job"]
        wait_event(watcher, lambda t, e: t == "job.progress" and e["job"] == job, 60,
                   "the victim reports units")
        # mpirun puts each rank in a process group of its own: stop them all.
        frozen = [victim.process.pid, *victim.ranks()]
        check(len(frozen) == 3, f"mpirun and its two ranks found ({frozen})")
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        stopped_at = time.time()
        spare = WorkerGroup(args, master, 2, name=f"spare_stop_{trial}")
        wait_event(watcher, lambda t, e: t == "worker.lost" and e.get("group") == f"stopped_{trial}",
                   30, "the master gives the stopped group up")
        noticed = time.time() - stopped_at
        final = master.wait_for([job], timeout=120)
        state = final[job]["state"]
        check(state == "completed", f"the spare group completed the job ({final[job]})")
        # The job is done and its file renamed; now the stopped group wakes up
        # with a poisoned library and whatever it had in hand.
        open(poison, "w").close()
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        wait_event(watcher, lambda t, e: sum(
            1 for t2, e2 in watcher.snapshot_events()
            if t2 == "worker.joined" and e2.get("group") == f"stopped_{trial}") >= 2, 30,
                   "the continued group rejoins the master")
        time.sleep(1.0)  # anything it would still write, it has written by now
        check(victim.process.poll() is None, "the continued group is still running")
        log = victim.log()
        fenced = "not writing what this group computed" in log or "holding back a write" in log
        time.sleep(0.3)
        events = watcher.snapshot_events()
        completed, nlost, dup = account(events, [job], {job: state})
        same = identical(output, reference, paths=("/result/out0",))
        check(not os.path.exists(partial(output)), "no partial file is left")
        # Closing the file writes too (HDF5 rewrites the superblock): the
        # stopped group lets go of it without writing, so what the spare
        # group added when finishing (NeXus tree, NXprocess) still reads.
        with h5py.File(output, "r") as f:
            default = f["entry"].attrs["default"]
            whole = (f["entry/process/plugin"][()] == b"configurable"
                     and f["entry"][default].attrs["signal"] == "out0")
        check(whole, "the stopped group's late close leaves the finished output whole "
              "(its NXprocess and NeXus default read back)")
        print(f"stop trial {trial}: lost after {noticed:.1f} s, state {state}, identical {same}, "
              f"late write refused by the stopped group: {fenced}")
        tally.add("stop", completed, same, nlost, dup)
    finally:
        for pid in [victim.process.pid, *victim.ranks()]:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        watcher.close()
        cleanup(*(g for g in (victim, spare) if g), master)


def disk_full(args, outdir, trial, tally):
    """The ranks may write files of at most 16 MiB (RLIMIT_FSIZE, as a full
    disk or a quota would stop them); a tomo_fbp volume of 32 MiB cannot fit.
    The job must fail saying why, leave no file under its name or a partial
    one, and the master and the group must go on to complete a small job."""
    scan = args.phantom
    master = Master(args, name=f"master_full_{trial}", output_roots=[outdir], max_attempts=2)
    watcher = StatusWatcher(master)
    limit = 16 << 20
    group = WorkerGroup(args, master, 2, name=f"full_{trial}",
                        launcher=["prlimit", f"--fsize={limit}"])
    try:
        wait_for_groups(master, 1)
        big = os.path.join(outdir, f"full_{trial}.h5")
        reply = master.submit(input=scan, plugin="tomo_fbp", output=big)
        check(reply["type"] == "accepted", f"accepted: {reply}")
        final = master.wait_for([reply["job"]], timeout=120)[reply["job"]]
        error = final.get("error", "")
        print(f"diskfull trial {trial}: {final['state']}: {error}")
        check(final["state"] == "failed", f"the job that cannot fit failed ({final})")
        check("File too large" in error or "No space left" in error,
              f"the failure says the output did not fit: {error}")
        check(not os.path.exists(big) and not os.path.exists(partial(big)),
              "no file under the failed job's name, and no partial file")
        check(master.alive(), "the master is up")
        small = os.path.join(outdir, f"full_small_{trial}.h5")
        reply = master.submit(input=small_scan(args, 64), plugin="configurable", output=small,
                              params={"inputs": "/entry/data/data:1"})
        done = master.wait_for([reply["job"]], timeout=60)[reply["job"]]
        check(done["state"] == "completed" and os.path.exists(small),
              f"the same group completes a job that fits ({done})")
        time.sleep(0.3)
        events = watcher.snapshot_events()
        _, nlost, dup = account(events, [reply["job"]], {reply["job"]: done["state"]})
        # "completed" here: the big job failed as it should and the small one completed.
        tally.add("diskfull", True, True, nlost, dup)
    finally:
        watcher.close()
        cleanup(group, master)


def crashing_library(args, outdir, trial, tally):
    """A library that segfaults on slice 40: each crash takes the group down,
    the supervisor restarts it, and after max_attempts (3) the unit is
    quarantined and the job fails naming the lost group; another job completes."""
    scan = small_scan(args, 64)
    master = Master(args, name=f"master_crash_{trial}", output_roots=[outdir], max_attempts=3,
                    lease_ms=LEASE_MS)
    watcher = StatusWatcher(master)
    supervisor = Supervisor(args, master, f"crash_{trial}")
    try:
        wait_for_groups(master, 1)
        bad_output = os.path.join(outdir, f"crash_{trial}.h5")
        bad = master.submit(input=scan, plugin="configurable", output=bad_output, priority=5,
                            params={"inputs": "/entry/data/data:1", "crash_at": 40})
        good_output = os.path.join(outdir, f"crash_good_{trial}.h5")
        good = master.submit(input=scan, plugin="benchmark", output=good_output)
        check(bad["type"] == good["type"] == "accepted", f"accepted ({bad}, {good})")
        jobs = master.wait_for([bad["job"], good["job"]], timeout=120)
        time.sleep(0.3)
        events = watcher.snapshot_events()
        failed = jobs[bad["job"]]
        error = failed.get("error", "")
        print(f"crash trial {trial}: {supervisor.restarts} restarts, bad job {failed['state']}: "
              f"{error}")
        check(failed["state"] == "failed", f"the crashing job failed ({failed['state']})")
        check("failed 3 times" in error and "quarantined" in error and "lost" in error,
              f"its unit was quarantined after 3 lost groups: {error}")
        check(supervisor.restarts >= 3, f"the group died and was restarted each time "
              f"({supervisor.restarts} restarts)")
        check(sum(1 for t, _ in events if t == "worker.lost") >= 3, "three worker.lost events")
        check(not os.path.exists(bad_output), "no file under the failed job's output name")
        completed, nlost, dup = account(events, [bad["job"], good["job"]],
                                        {j: jobs[j]["state"] for j in jobs})
        good_done = jobs[good["job"]]["state"] == "completed" and os.path.exists(good_output)
        check(good_done, "the other job completed meanwhile")
        # "completed" here: the good job completed and the bad one failed as it should.
        tally.add("crash", good_done, good_done, nlost, dup)
    finally:
        watcher.close()
        cleanup(supervisor, master)


def main():
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--trials", type=int, default=1)
    pre.add_argument("--faults", default="rank0,rankN,master,crash,stop,diskfull")
    pre.add_argument("--table", help="also write the table as JSON here")
    own, rest = pre.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    args = arguments(__doc__)
    indir, outdir, refdir = fresh_dirs(args.workdir, "in", "out", "reference")
    scan = os.path.join(indir, "phantom.nxs")
    # 360 angles x 128 rows: a few seconds on a small machine, long enough to
    # be mid-way when the fault strikes, short enough for CI.
    h5io(args, "phantom", "--output", scan, "--size", "256", "--rows", "128", "--angles", "360",
         "--overwrite")
    args.phantom = scan
    reference = os.path.join(refdir, "reference.h5")
    h5io(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", reference,
         "--overwrite", *sum((["--plugin-dir", d] for d in args.plugin_dir), []), ranks=2)

    tally = Tally()
    faults = own.faults.split(",")
    for trial in range(own.trials):
        started = time.time()
        if "rank0" in faults:
            kill_rank(args, scan, reference, outdir, trial, 0, tally)
        if "rankN" in faults:
            kill_rank(args, scan, reference, outdir, trial, 1, tally)
        if "master" in faults:
            kill_master(args, scan, reference, outdir, trial, tally)
        if "crash" in faults:
            crashing_library(args, outdir, trial, tally)
        if "stop" in faults:
            stopped_group(args, outdir, trial, tally)
        if "diskfull" in faults:
            disk_full(args, outdir, trial, tally)
        print(f"trial {trial}: {time.time() - started:.1f} s")
    tally.print()
    if own.table:
        with open(own.table, "w") as f:
            json.dump(tally.rows, f, indent=1)
    for fault, row in tally.rows.items():
        check(row["lost"] == 0, f"{fault}: no accepted job lost")
        check(row["duplicated"] == 0, f"{fault}: no duplicated terminal event")
        check(row["completed"] == row["trials"], f"{fault}: every trial's jobs completed")
        check(row["identical"] == row["trials"], f"{fault}: every output bitwise identical")
    print("PASSED")


if __name__ == "__main__":
    main()
