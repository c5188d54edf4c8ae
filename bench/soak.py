#!/usr/bin/python3
"""Soak: N small jobs (default 500) through one h5io-master and two worker
groups. Prints the rate, the master's RSS and open descriptors after warm-up,
at the end and at their peak, the journal's size, and how long the master
takes to replay that journal after kill -9 and after SIGTERM. Exits non-zero
when a job is lost or fails, an output is missing or wrong, or the master's
descriptors or memory grew beyond the tolerances below.

The jobs: the shipped `benchmark` library over one tiny `h5io example` scan
(16 frames x 64 rows x 32 columns, chunks of 8 rows: 8 units per job), each
to its own output. Every 10th job carries a client_ref (and is submitted a
second time, which must answer the same job id); with --cancel-every K an
extra job is submitted and cancelled at once after every K-th job.

Groups have --ranks ranks (default 1: the master does the same work per job
whatever the group size, and on a 2-core machine one-rank groups move jobs
about four times faster than two-rank ones, so they load the master more).

Submission keeps a window of --window jobs unfinished (default 16: both
groups always have a next job waiting, and the queue, leases, finished-job
table and snapshots are all exercised) rather than all N at once: a steady
state is what a leak shows against, and the warm-up sample is then taken
with the same amount of work in flight as the final one. Completion is
followed through the status PUB socket (as `h5io submit --wait` does), with
a snapshot every 2 s as the record of truth. Each client request uses a
fresh REQ socket (a new TCP connection to the master), so descriptor leaks
on connect/disconnect show up too.

Uses the test harness in tests/e2e/service_harness.py for the master and
groups."""
import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from service_harness import (Master, StatusWatcher, WorkerGroup, cleanup,  # noqa: E402
                             wait_for_groups)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

MIB = 1024 * 1024
# Tolerances, end sample against the warm-up sample.
# Descriptors: the master's set is fixed once both groups and the status
# subscriber are connected (journal, sockets, ZeroMQ's eventfds, one TCP
# connection per peer); a client connection whose close ZeroMQ's I/O thread
# has not yet processed may still be counted at a sample, hence +2. A leak per
# job (a journal, input or library handle) would be hundreds over 500 jobs.
FD_TOLERANCE = 2
# Memory: the master keeps the last keep_finished_jobs (default 1000) ended
# jobs listed, and a snapshot of them is built whole (a transient of a few
# MiB that glibc keeps); measured on the 2-core VM, 500 jobs add ~2 MiB and a
# full table of 1000 ~5 MiB. glibc also lets freed memory drift between the
# ZeroMQ I/O thread's arena and the main thread's (tcache), ~0.3 KiB per job,
# returned by malloc_trim. 8 MiB covers those for a few thousand jobs, while
# a leak of one HDF5 file or library instance per submission (tens of KiB:
# the check of a submit opens the input and loads the library) fails it
# within a few hundred jobs. Allowed: +max(8 MiB, 20 %).
RSS_TOLERANCE_MIB = 8.0
RSS_TOLERANCE_FRACTION = 0.20
TERMINAL = ("completed", "failed", "cancelled")


def proc_sample(pid):
    """(VmRSS in bytes, open descriptors) of a process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Sampler(threading.Thread):
    """Samples the master every 0.2 s for the peaks."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0
        self.peak_fds = 0
        self.running = True
        self.start()

    def run(self):
        while self.running:
            try:
                rss, fds = proc_sample(self.pid)
            except OSError:
                return
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_fds = max(self.peak_fds, fds)
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.join()


def quiet_sample(master):
    """A sample taken with no request of ours in flight: closed client
    connections are given half a second to be closed on the master's side."""
    time.sleep(0.5)
    return proc_sample(master.process.pid)


def replay_figures(master):
    """(records, seconds, resumed) from the last `journal ...: N records
    replayed in X s; R unfinished jobs resumed` line of the master's log."""
    found = re.findall(r"journal \S+: (\d+) records replayed in ([0-9.]+) s; (\d+) unfinished",
                       master.log())
    if not found:
        sys.exit(f"FAILED: no journal replay line in the master's log:\n{master.log()}")
    records, seconds, resumed = found[-1]
    return int(records), float(seconds), int(resumed)


def restart(master, how):
    """Stops the master (kill -9 or SIGTERM), starts it on the same journal,
    and returns (replay records, replay s, resumed, s until it answered)."""
    if how == "kill":
        master.process.kill()
        master.process.wait()
    else:
        master.stop(signal.SIGTERM)
    started = time.perf_counter()
    master.start()
    answered = time.perf_counter() - started
    records, seconds, resumed = replay_figures(master)
    return records, seconds, resumed, answered


def journal_figures(master):
    path = os.path.join(master.config["journal_dir"], "journal.jsonl")
    kinds = {}
    with open(path) as f:
        for line in f:
            kind = json.loads(line).get("rec", "?")
            kinds[kind] = kinds.get(kind, 0) + 1
    return os.path.getsize(path), sum(kinds.values()), kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"),
                        help="directory of h5io, h5io-master, h5io-worker")
    parser.add_argument("--plugin-dir", action="append",
                        help="library directories (default BIN/../lib/h5io/plugins)")
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--workdir", default="/tmp/h5io-soak")
    parser.add_argument("--jobs", type=int, default=500, help="jobs that must complete")
    parser.add_argument("--ranks", type=int, default=1, help="ranks per worker group (2 groups)")
    parser.add_argument("--window", type=int, default=16, help="jobs kept unfinished at once")
    parser.add_argument("--cancel-every", type=int, default=50,
                        help="an extra job, cancelled at once, after every K-th (0: none)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds for all the jobs")
    parser.add_argument("--keep-finished", type=int,
                        help="the master's keep_finished_jobs (default: its own, 1000); a small "
                             "value reaches the steady state sooner")
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)
    if not args.plugin_dir:
        args.plugin_dir = [os.path.join(args.bin, "..", "lib", "h5io", "plugins")]
    args.plugin_dir = [os.path.abspath(d) for d in args.plugin_dir]
    args.workdir = os.path.abspath(args.workdir)
    if args.jobs < 1 or args.window < 1:
        sys.exit("--jobs and --window must be at least 1")
    os.makedirs(args.workdir, exist_ok=True)
    failures = []

    # ---- one tiny input and its reference result (h5io run, one process)
    h5io = os.path.join(args.bin, "h5io")
    scan = os.path.join(args.workdir, "scan.h5")
    subprocess.run([h5io, "example", "--output", scan, "--frames", "16", "--rows", "64",
                    "--columns", "32", "--chunk-frames", "16", "--chunk-rows", "8",
                    "--overwrite"], check=True, capture_output=True)
    reference = os.path.join(args.workdir, "reference.h5")
    subprocess.run([h5io, "run", "--plugin", "benchmark", "--input", scan, "--output", reference,
                    "--overwrite", *sum((["--plugin-dir", d] for d in args.plugin_dir), [])],
                   check=True, capture_output=True)
    with h5py.File(reference, "r") as f:
        expected = {p: f[p][...] for p in ("/benchmark/sum", "/benchmark/checksum")}
    outdir = os.path.join(args.workdir, "out")
    subprocess.run(["rm", "-rf", outdir], check=True)
    os.makedirs(outdir)

    config = {"input_roots": [args.workdir], "output_roots": [outdir], "progress_interval_ms": 500}
    if args.keep_finished is not None:
        config["keep_finished_jobs"] = args.keep_finished
    master = Master(args, name="soak_master", **config)
    groups = [WorkerGroup(args, master, args.ranks, name=f"soak_group{i}") for i in range(2)]
    watcher = StatusWatcher(master)
    sampler = None
    try:
        wait_for_groups(master, 2)
        # The subscription is in place once a heartbeat arrives.
        deadline = time.time() + 10
        while not any(t == "master.heartbeat" for t, _ in watcher.snapshot_events()):
            if time.time() > deadline:
                sys.exit("FAILED: no master.heartbeat on the status socket within 10 s")
            time.sleep(0.05)
        print(f"soak: {args.jobs} jobs of `benchmark` over a 16x64x32 scan (8 units each), "
              f"2 groups x {args.ranks} rank{'s' if args.ranks > 1 else ''}, window "
              f"{args.window}, master pid {master.process.pid}", flush=True)

        warmup = max(2, math.ceil(args.jobs * 0.05))
        wanted = {}        # job id -> output, jobs that must complete
        refs = {}          # client_ref -> job id
        cancelled = {}     # job id -> output, cancels the master accepted
        uncancelled = {}   # job id -> output, cancels refused: the job must complete
        ended = {}         # job id -> state, from events and snapshots
        walls = {}         # job id -> submit-to-completed seconds
        seen_events = 0
        submitted = 0
        start_sample = None
        last_snapshot = time.time()
        begin = time.perf_counter()
        deadline = time.time() + args.timeout
        sampler = Sampler(master.process.pid)

        def take_events():
            nonlocal seen_events
            with watcher.lock:
                fresh = watcher.events[seen_events:]
                seen_events = len(watcher.events)
            for topic, event in fresh:
                if topic.startswith("job.") and topic[4:] in TERMINAL:
                    ended[event["job"]] = topic[4:]
                    if "wall" in event:
                        walls[event["job"]] = event["wall"]

        def take_snapshot():
            """The snapshot as {job: row}; its ended jobs are recorded. It
            lists the last keep_finished_jobs ended jobs (1000): taken every
            2 s, it sees every job even if an event was missed."""
            rows = {job["job"]: job for job in master.snapshot()["jobs"]}
            for job_id, job in rows.items():
                if job["state"] in TERMINAL:
                    ended[job_id] = job["state"]
                    if "wall" in job:
                        walls[job_id] = job["wall"]
            return rows

        def completed_count():
            return sum(1 for j in wanted if j in ended)

        while completed_count() < args.jobs:
            if time.time() > deadline:
                failures.append(f"only {completed_count()} of {args.jobs} jobs ended within "
                                f"{args.timeout:.0f} s")
                break
            dead = [g for g in groups if g.process.poll() is not None]
            if dead or not master.alive():
                what = "the master" if not master.alive() else f"group log {dead[0].log_file}"
                sys.exit(f"FAILED: a process of the service exited after {completed_count()} "
                         f"jobs; see {what}:\n"
                         f"{(master.log() if not master.alive() else dead[0].log())[-3000:]}")
            take_events()
            if time.time() - last_snapshot > 2:
                take_snapshot()
                last_snapshot = time.time()
            if start_sample is None and completed_count() >= warmup:
                start_sample = quiet_sample(master)
            in_flight = sum(1 for j in wanted if j not in ended)
            if submitted < args.jobs and in_flight < args.window:
                i = submitted
                output = os.path.join(outdir, f"job_{i:05d}.h5")
                fields = {"input": scan, "plugin": "benchmark", "output": output}
                if i % 10 == 0:
                    fields["client_ref"] = f"soak-{i}"
                reply = master.submit(**fields)
                if reply.get("type") != "accepted":
                    sys.exit(f"FAILED: submit {i} rejected: {reply}")
                wanted[reply["job"]] = output
                if "client_ref" in fields:
                    again = master.submit(**fields)
                    if again.get("job") != reply["job"]:
                        failures.append(f"client_ref {fields['client_ref']} submitted again "
                                        f"answered {again}, not {reply['job']}")
                    refs[fields["client_ref"]] = reply["job"]
                submitted += 1
                if args.cancel_every and submitted % args.cancel_every == 0:
                    extra = os.path.join(outdir, f"cancelled_{i:05d}.h5")
                    doomed = master.submit(input=scan, plugin="benchmark", output=extra)
                    if doomed.get("type") != "accepted":
                        sys.exit(f"FAILED: submit of a job to cancel rejected: {doomed}")
                    answer = master.request({"type": "cancel", "job": doomed["job"]})
                    if answer.get("type") == "accepted":
                        cancelled[doomed["job"]] = extra
                    else:  # it finished first: a valid outcome, just not a cancel
                        print(f"note: {doomed['job']} was not cancelled: {answer.get('error')}")
                        uncancelled[doomed["job"]] = extra
                continue
            time.sleep(0.02)
        elapsed = time.perf_counter() - begin
        # The extra jobs end too: cancelled, or completed when it came too late.
        while (any(j not in ended for j in {**cancelled, **uncancelled}) and
               time.time() < deadline):
            take_events()
            time.sleep(0.05)
        final = take_snapshot()
        end_sample = quiet_sample(master)
        sampler.stop()
        if start_sample is None:
            start_sample = end_sample

        # ---- every job accounted for (events and snapshots; jobs beyond the
        # last keep_finished_jobs are no longer listed, which is not a loss)
        states = {}
        for job_id in wanted:
            state = ended.get(job_id, final.get(job_id, {}).get("state", "never ended"))
            states[state] = states.get(state, 0) + 1
            if state != "completed":
                failures.append(f"{job_id} ({wanted[job_id]}) is {state}: "
                                f"{final.get(job_id, {}).get('error', '')}")
        for job_id in cancelled:
            if ended.get(job_id) != "cancelled":
                failures.append(f"{job_id} was cancelled but is {ended.get(job_id, 'not ended')}")
        for job_id in uncancelled:
            if ended.get(job_id) != "completed":
                failures.append(f"{job_id}'s cancel was refused, but it is "
                                f"{ended.get(job_id, 'not ended')}")
        walls = sorted(walls[j] for j in wanted if j in walls)
        # ---- every output there and right; no partial file left behind
        equal = 0
        for job_id, output in {**wanted, **uncancelled}.items():
            if not os.path.exists(output):
                failures.append(f"{job_id}: output {output} is missing")
                continue
            with h5py.File(output, "r") as f:
                if all(np.array_equal(f[p][...], v) for p, v in expected.items()):
                    equal += 1
                else:
                    failures.append(f"{job_id}: {output} differs from h5io run's result")
        kept = {os.path.basename(output) for output in uncancelled.values()}
        leftovers = [n for n in os.listdir(outdir) if n.endswith(".partial") or
                     (n.startswith("cancelled_") and n not in kept)]
        if leftovers:
            failures.append(f"files left in {outdir}: {leftovers[:5]}")

        journal_bytes, journal_records, kinds = journal_figures(master)
        rss0, fds0 = start_sample
        rss1, fds1 = end_sample
        rate = args.jobs / elapsed
        print(f"soak: {args.jobs} jobs, 2 groups x {args.ranks} ranks: "
              f"{states.get('completed', 0)} completed in {elapsed:.1f} s ({rate:.2f} jobs/s); "
              f"{len(cancelled)} more cancelled; {len(refs)} client_refs resubmitted")
        if walls:
            print(f"job wall (submit to completed): median {statistics.median(walls):.2f} s, "
                  f"p95 {walls[int(0.95 * (len(walls) - 1))]:.2f} s, max {walls[-1]:.2f} s "
                  f"(window {args.window})")
        print(f"outputs: {equal} of {len(wanted) + len(uncancelled)} equal to h5io run's; "
              f"{len(leftovers)} stray files")
        per_job = (rss1 - rss0) / 1024 / max(1, args.jobs - warmup)
        print(f"master RSS: start {rss0 / MIB:.1f} MiB, end {rss1 / MIB:.1f} MiB "
              f"(peak {sampler.peak_rss / MIB:.1f}; {per_job:+.2f} KiB/job); open fds: start "
              f"{fds0}, end {fds1} (peak {sampler.peak_fds}) [start = after {warmup} jobs]")
        kinds_text = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        print(f"journal: {journal_records} records ({kinds_text}), {journal_bytes / 1024:.0f} KiB",
              flush=True)

        rss_limit = rss0 + max(RSS_TOLERANCE_MIB * MIB, RSS_TOLERANCE_FRACTION * rss0)
        if rss1 > rss_limit:
            failures.append(f"master RSS grew from {rss0 / MIB:.1f} to {rss1 / MIB:.1f} MiB "
                            f"(limit {rss_limit / MIB:.1f})")
        if fds1 > fds0 + FD_TOLERANCE:
            failures.append(f"master's open descriptors grew from {fds0} to {fds1} "
                            f"(tolerance +{FD_TOLERANCE})")

        # ---- restarts on the same journal
        # The restarted master must list exactly the jobs, in the states, the
        # running one listed (all of them up to keep_finished_jobs), and
        # answer every client_ref with its job.
        listed = {job_id: row["state"] for job_id, row in final.items()}
        for how in ("kill", "term"):
            records, replay_s, resumed, answered = restart(master, how)
            rss, fds = quiet_sample(master)
            known = {j["job"]: j["state"] for j in master.snapshot()["jobs"]}
            lost = [j for j, state in listed.items() if known.get(j) != state]
            lost += [j for j in known if j not in listed]
            for ref, job_id in refs.items():
                if master.submit(input=scan, plugin="benchmark", output=wanted[job_id],
                                 client_ref=ref).get("job") != job_id:
                    failures.append(f"after restart, client_ref {ref} no longer answers {job_id}")
            label = "kill -9" if how == "kill" else "SIGTERM"
            print(f"replay after {label}: {records} records in {replay_s * 1000:.1f} ms "
                  f"({resumed} jobs resumed; answering {answered:.2f} s after start); "
                  f"lists {len(listed) - len(lost)} of the {len(listed)} jobs listed before "
                  f"({len(wanted) + len(cancelled)} run) as before; RSS {rss / MIB:.1f} MiB, "
                  f"{fds} fds", flush=True)
            if lost:
                failures.append(f"after {label}, {len(lost)} jobs are not listed as before "
                                f"the restart: {lost[:5]}")
            if resumed:
                failures.append(f"after {label}, {resumed} jobs were resumed (none was unfinished)")
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        watcher.close()
        cleanup(*groups, master)

    if failures:
        print(f"FAILED ({len(failures)}):")
        for failure in failures[:30]:
            print(f"  {failure}")
        sys.exit(1)
    print("soak: ok")


if __name__ == "__main__":
    main()
