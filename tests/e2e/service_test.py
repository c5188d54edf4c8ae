"""The service end to end: one h5io-master, two worker groups of 2 MPI
ranks, three tomography jobs (one per scan layout). Every job completes and
its volume is bitwise equal to `h5io run` of the same job; a status watcher
that joins mid-job rebuilds the job states from snapshot + events with no
gap; a repeated client_ref starts nothing new; `h5io submit --wait` and
`h5io status` work against the real master."""
import os
import subprocess
import time

import h5py
import numpy as np

from service_harness import (Master, StatusWatcher, WorkerGroup, arguments, check, cleanup,
                             wait_for_groups)

RECON = "/entry/reconstruction/data"
CENTER = "/entry/reconstruction/center"


def h5io(args, *command, ranks=0, timeout=600):
    line = [os.path.join(args.bin, "h5io"), *command]
    if ranks:
        line = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *line]
    result = subprocess.run(line, capture_output=True, text=True, timeout=timeout)
    check(result.returncode == 0,
          f"{' '.join(command[:2])} succeeds\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def apply_event(states, topic, event):
    transitions = {"job.queued": "queued", "job.started": "running", "job.requeued": "queued",
                   "job.completed": "completed", "job.failed": "failed",
                   "job.cancelled": "cancelled"}
    if topic in transitions:
        states[event["job"]] = transitions[topic]


def main():
    args = arguments(__doc__)
    indir = os.path.join(args.workdir, "in")
    outdir = os.path.join(args.workdir, "out")
    refdir = os.path.join(args.workdir, "reference")
    for d in (indir, outdir, refdir):
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            os.remove(os.path.join(d, name))

    scans = []
    for layout in ("nxtomo", "diamond", "dxchange"):
        scan = os.path.join(indir, f"{layout}.nxs")
        h5io(args, "phantom", "--output", scan, "--layout", layout, "--size", "256", "--rows",
             "128", "--angles", "240", "--center-offset", "2.5", "--overwrite")
        scans.append(scan)

    master = Master(args, input_roots=[indir], output_roots=[outdir], min_units=8)
    groups = []
    watcher = None
    try:
        watcher = StatusWatcher(master)
        groups = [WorkerGroup(args, master, 2, name=f"g{i}") for i in (1, 2)]
        wait_for_groups(master, 2)

        outputs = [os.path.join(outdir, f"{os.path.basename(s)[:-4]}_recon.h5") for s in scans]
        # Job 1 through the command-line client, which follows it to the end.
        submit_cli = subprocess.Popen(
            [os.path.join(args.bin, "h5io"), "submit", "--master", master.client_endpoint,
             "--status", master.status_endpoint, "--input", scans[0], "--plugin", "tomo_fbp",
             "--output", outputs[0], "--client-ref", "scan-nxtomo", "--wait"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        jobs = []
        for scan, output in zip(scans[1:], outputs[1:]):
            reply = master.submit(input=scan, plugin="tomo_fbp", output=output,
                                  client_ref=f"scan-{os.path.basename(scan)}")
            check(reply["type"] == "accepted", f"submit {scan} accepted: {reply}")
            jobs.append(reply["job"])

        # A watcher that joins once work is under way.
        deadline = time.time() + 120
        while not any(t == "job.progress" for t, _ in watcher.snapshot_events()):
            if time.time() > deadline:
                check(False, "a job.progress event arrives")
            time.sleep(0.05)
        late = StatusWatcher(master)
        time.sleep(0.5)  # the subscription is in place before the snapshot is taken
        snapshot = master.snapshot()
        late_states = {j["job"]: j["state"] for j in snapshot["jobs"]}
        check(any(state != "completed" for state in late_states.values()),
              f"the late watcher joins while work is under way: {late_states}")

        stdout, stderr = submit_cli.communicate(timeout=600)
        check(submit_cli.returncode == 0,
              f"h5io submit --wait exits 0 once its job completed\nstdout:\n{stdout}\n"
              f"stderr:\n{stderr}\nmaster log:\n{master.log()}")
        first_job = stdout.strip().splitlines()[0].strip()
        check(first_job.startswith("j"), f"h5io submit prints the job id ({first_job})")
        jobs.insert(0, first_job)
        final = master.wait_for(jobs, timeout=600)
        for job in jobs:
            check(final[job]["state"] == "completed",
                  f"{job} completed: {final[job]}\n{master.log()}")
        time.sleep(0.5)  # the last events reach the watchers
        late.close()

        # Snapshot + later events, in order and without a gap, give the final states.
        after = [(t, e) for t, e in late.snapshot_events() if e["seq"] > snapshot["seq"]]
        check(after and after[0][1]["seq"] == snapshot["seq"] + 1,
              f"the late watcher's first event follows the snapshot (seq {snapshot['seq']} -> "
              f"{after[0][1]['seq'] if after else None})")
        seqs = [e["seq"] for _, e in after]
        check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "its events have no gap")
        check(all(e["epoch"] == snapshot["epoch"] for _, e in after), "one epoch throughout")
        for topic, event in after:
            apply_event(late_states, topic, event)
        check(all(late_states.get(j) == "completed" for j in jobs),
              f"the late watcher rebuilt every job's state: {late_states}")

        # The early watcher saw each job's whole life, numbered without gaps.
        events = watcher.snapshot_events()
        seqs = [e["seq"] for _, e in events]
        check(seqs == list(range(seqs[0], seqs[0] + len(seqs))),
              f"status events are numbered without gaps ({len(seqs)} events)")
        for job in jobs:
            topics = [t for t, e in events if e.get("job") == job]
            check(topics[0] == "job.queued" and "job.started" in topics and
                  "job.progress" in topics and topics[-1] == "job.completed",
                  f"{job}: queued, started, progress, completed ({topics})")
            done = [e for t, e in events if t == "job.progress" and e["job"] == job][-1]
            check(done["done"] == done["total"] == 128, f"{job}: progress reaches 128/128 slices")
        check(any(t == "worker.joined" for t, _ in events), "worker.joined events")
        check(any(t == "master.heartbeat" for t, _ in events), "master.heartbeat events")
        groups_used = {e["group"] for t, e in events if t == "job.started"}
        check(len(groups_used) == 2, f"both groups worked ({groups_used})")
        # Groups started by mpirun on this one node run over shared memory.
        check(all("point-to-point layer 'ob1' (pinned by h5io: all ranks on one node)" in g.log()
                  for g in groups),
              "each group logs its MPI settings: ob1, pinned on one node")

        # Bitwise equal to the standalone path.
        for scan, output, job in zip(scans, outputs, jobs):
            reference = os.path.join(refdir, os.path.basename(output))
            h5io(args, "run", "--plugin", "tomo_fbp", "--input", scan, "--output", reference,
                 "--overwrite", *sum((["--plugin-dir", d] for d in args.plugin_dir), []),
                 ranks=2)
            with h5py.File(output, "r") as a, h5py.File(reference, "r") as b:
                same = all(np.array_equal(a[p][...], b[p][...]) for p in (RECON, CENTER))
                check(same, f"{os.path.basename(output)} is bitwise equal to h5io run's")
                recorded = a["/entry/process/job_id"][()]
                recorded = recorded.decode() if isinstance(recorded, bytes) else recorded
                check(recorded == job, f"its provenance names job {job} ({recorded})")
            check(not os.path.exists(output + ".partial"), "no partial file is left")

        # Idempotent client_ref: the same job, nothing new.
        count = len(master.snapshot()["jobs"])
        reply = master.submit(input=scans[1], plugin="tomo_fbp", output=outputs[1],
                              client_ref=f"scan-{os.path.basename(scans[1])}")
        check(reply == {"type": "accepted", "job": jobs[1]},
              f"a repeated client_ref returns the first job ({reply})")
        check(len(master.snapshot()["jobs"]) == count, "and starts nothing new")

        # The status command shows the finished jobs and the groups.
        status = h5io(args, "status", "--master", master.client_endpoint)
        check(all(j in status.stdout for j in jobs) and "completed" in status.stdout,
              f"h5io status lists the jobs:\n{status.stdout}")
        by = {j["job"]: j.get("submitted_by") for j in master.snapshot()["jobs"]}
        check(all(by[j] == "127.0.0.1" for j in jobs) and "127.0.0.1" in status.stdout,
              f"each job records who submitted it: the client's address without CURVE ({by})")
        check(master.alive(), "the master is still up")
    finally:
        if watcher:
            watcher.close()
        cleanup(*groups, master)
    print("PASSED")


if __name__ == "__main__":
    main()
