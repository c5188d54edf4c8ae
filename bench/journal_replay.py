#!/usr/bin/env python3
"""How long h5io-master takes to come back on a long history.

Writes a journal of N finished jobs (8 units each, every 10th with a
client_ref, one ending every 30 s up to now) as a long service would leave
it, starts h5io-master on it
and times the replay (as the master logs it) and the start until the
master answers; the master compacts the journal at that start. Then it
starts the master again on the compacted journal: the ratio of the two
starts is what compaction buys. Also quotes the master's peak RSS, how many
client_refs outlived the default horizon (client_ref_days, 30) and were
forgotten, and how long a status request takes with the table full
(keep_finished_jobs, 1000 jobs).

  /usr/bin/python3 bench/journal_replay.py --bin build/bin [--jobs 10000 100000]"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import zmq


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_history(path, jobs):
    now = time.time()
    with open(path, "w") as f:
        f.write(json.dumps({"rec": "start", "time": 1.0, "version": "bench"}) + "\n")
        for i in range(1, jobs + 1):
            job = f"j{i:06d}"
            submit = {"type": "submit", "input": "/data/scan.h5", "plugin": "benchmark",
                      "output": f"/data/out/v_{i:07d}.h5", "params": {}, "priority": 0}
            if i % 10 == 0:
                submit["client_ref"] = f"scan-{i}"
            f.write(json.dumps({"rec": "accepted", "job": job, "submit": submit,
                                "submitted": now - (jobs - i) * 30.0 - 10, "unit_slices": 8,
                                "units": [[k * 8, 8] for k in range(8)]}) + "\n")
            for k in range(8):
                f.write(json.dumps({"rec": "done", "job": job, "units": [k]}) + "\n")
            f.write(json.dumps({"rec": "ended", "job": job, "state": "completed",
                                "finished": now - (jobs - i) * 30.0}) + "\n")


def start_master(args, workdir, journal_dir):
    """(seconds until it answers a status request, replayed records, replay
    seconds as logged, compaction line or None, peak RSS in MiB, client_refs
    forgotten, median seconds of a status request)."""
    client = f"tcp://127.0.0.1:{free_port()}"
    config = {"client_endpoint": client,
              "status_endpoint": f"tcp://127.0.0.1:{free_port()}",
              "worker_endpoint": f"tcp://127.0.0.1:{free_port()}",
              "journal_dir": journal_dir, "heartbeat_ms": 1000}
    config_file = os.path.join(workdir, "master.json")
    with open(config_file, "w") as f:
        json.dump(config, f)
    log_file = os.path.join(workdir, "master.log")
    context = zmq.Context.instance()
    started = time.perf_counter()
    with open(log_file, "w") as log:
        master = subprocess.Popen([os.path.join(args.bin, "h5io-master"), "--config", config_file],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        answered = None
        while time.perf_counter() - started < args.timeout:
            if master.poll() is not None:
                sys.exit(f"h5io-master exited:\n{open(log_file).read()}")
            request = context.socket(zmq.REQ)
            request.setsockopt(zmq.LINGER, 0)
            request.connect(client)
            request.send_json({"type": "status"})
            if request.poll(200):
                request.recv()
                answered = time.perf_counter() - started
            request.close()
            if answered is not None:
                break
        if answered is None:
            sys.exit(f"h5io-master did not answer within {args.timeout} s")
        request = context.socket(zmq.REQ)
        request.connect(client)
        times = []
        for _ in range(21):
            start = time.perf_counter()
            request.send_json({"type": "status"})
            request.recv()
            times.append(time.perf_counter() - start)
        request.close()
        with open(f"/proc/{master.pid}/status") as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        text = open(log_file).read()
        replay = re.search(r"(\d+) records replayed in ([0-9.]+) s", text)
        compacted = re.search(r"journal compacted from (\d+) to (\d+) records in ([0-9.]+) s", text)
        expired = re.search(r"(\d+) client_refs? older than client_ref_days", text)
        return (answered, int(replay.group(1)), float(replay.group(2)), compacted, peak / 1024,
                int(expired.group(1)) if expired else 0, sorted(times)[len(times) // 2])
    finally:
        master.terminate()
        master.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory holding h5io-master")
    parser.add_argument("--jobs", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--workdir", default="/tmp/h5io-journal-replay")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    for jobs in args.jobs:
        workdir = os.path.join(args.workdir, str(jobs))
        shutil.rmtree(workdir, ignore_errors=True)
        journal_dir = os.path.join(workdir, "journal")
        os.makedirs(journal_dir)
        journal = os.path.join(journal_dir, "journal.jsonl")
        write_history(journal, jobs)
        size = os.path.getsize(journal)
        first = start_master(args, workdir, journal_dir)
        second = start_master(args, workdir, journal_dir)
        compacted = first[3]
        print(f"{jobs} finished jobs, {first[1]} records ({size / 2**20:.1f} MiB):")
        print(f"  first start: replay {first[2] * 1000:.0f} ms, answering after {first[0]:.2f} s, "
              f"peak RSS {first[4]:.1f} MiB; "
              + (f"compacted to {compacted.group(2)} records in "
                 f"{float(compacted.group(3)) * 1000:.0f} ms" if compacted else "not compacted"))
        print(f"  next start:  replay {second[2] * 1000:.0f} ms of {second[1]} records, answering "
              f"after {second[0]:.2f} s, peak RSS {second[4]:.1f} MiB "
              f"({first[0] / second[0]:.1f}x faster than the first)")
        print(f"  client_refs: {jobs // 10} written, {first[5]} forgotten at the first start "
              f"(ended over 30 days before); a status request with the table full: "
              f"{second[6] * 1000:.1f} ms (median of 21)")
        if not compacted:
            sys.exit("FAILED: a journal of mostly forgotten jobs was not compacted")


if __name__ == "__main__":
    main()
