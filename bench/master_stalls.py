#!/usr/bin/env python3
"""What holds h5io-master's event loop besides submission checks: the scan
watcher's rescan of a large directory, and a CURVE key reload (SIGHUP) of
many authorised keys. For each, starts h5io-master from BIN (and, with
--baseline-bin, from another build too, runs interleaved), lets it work,
stops it and reads its own loop-turn summary ("event loop: N turns; p50 ...,
p99 ..., max ..."): the longest turn is how long the master answered nothing.

* watcher: a watched directory of --scans empty *.nxs files whose outputs
  all exist (so none is submitted: the cost is the rescan and the backlog);
* reload: --keys client keys in authorized_clients_dir, three SIGHUPs.

  /usr/bin/python3 bench/master_stalls.py --bin build/bin [--baseline-bin OTHER/bin]
      [--scans 50000] [--keys 2000] [--rounds 3]"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import zmq


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoints():
    return {f"{name}_endpoint": f"tcp://127.0.0.1:{free_port()}"
            for name in ("client", "status", "worker")}


def run_master(binary, workdir, config, action, settle):
    """Starts h5io-master on `config`, waits until it answers, runs `action`
    (given the process), waits `settle` s, stops it: the log's turn maxima."""
    shutil.rmtree(os.path.join(workdir, "journal"), ignore_errors=True)
    config = {**config, **endpoints(), "journal_dir": os.path.join(workdir, "journal")}
    path = os.path.join(workdir, "master.json")
    with open(path, "w") as f:
        json.dump(config, f)
    log_path = os.path.join(workdir, "master.log")
    with open(log_path, "w") as log:
        master = subprocess.Popen([os.path.join(binary, "h5io-master"), "--config", path],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        context = zmq.Context.instance()
        deadline = time.time() + 60
        while time.time() < deadline:
            if master.poll() is not None:
                sys.exit(f"h5io-master exited:\n{open(log_path).read()}")
            if "ready:" in open(log_path).read():
                break
            time.sleep(0.05)
        action(master)
        time.sleep(settle)
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)
    text = open(log_path).read()
    found = re.search(r"event loop: (\d+) turns; p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, "
                      r"max ([0-9.]+) ms", text)
    if not found:
        sys.exit(f"no loop summary in the master's log:\n{text[-2000:]}")
    return {"turns": int(found.group(1)), "p99": float(found.group(3)),
            "max": float(found.group(4))}


def watcher_setup(workdir, scans):
    scans_dir = os.path.join(workdir, "scans")
    out_dir = os.path.join(workdir, "out")
    for d in (scans_dir, out_dir):
        os.makedirs(d, exist_ok=True)
    for i in range(scans):
        for path in (os.path.join(scans_dir, f"s{i:06d}.nxs"),
                     os.path.join(out_dir, f"s{i:06d}_recon.h5")):
            if not os.path.exists(path):
                open(path, "w").close()
    return {"rescan_ms": 2000, "watch": [{"dir": scans_dir, "pattern": "*.nxs",
                                           "plugin": "benchmark", "output_dir": out_dir}]}


def reload_setup(workdir, binary, keys):
    curve = os.path.join(workdir, "curve")
    clients, workers = os.path.join(curve, "clients"), os.path.join(curve, "workers")
    os.makedirs(clients, exist_ok=True)
    os.makedirs(workers, exist_ok=True)
    if not os.path.exists(os.path.join(curve, "master.key_secret")):
        subprocess.run([os.path.join(binary, "h5io"), "keygen", "master", "-d", curve],
                       check=True, capture_output=True)
    for i in range(keys):
        path = os.path.join(clients, f"user{i:05d}.key")
        if not os.path.exists(path):
            public, _ = zmq.curve_keypair()
            with open(path, "w") as f:
                f.write(f'metadata\ncurve\n    public-key = "{public.decode()}"\n')
    return {"curve": {"secret_key_file": os.path.join(curve, "master.key_secret"),
                      "authorized_clients_dir": clients, "authorized_workers_dir": workers}}


def sighups(master):
    for _ in range(3):
        master.send_signal(signal.SIGHUP)
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory holding h5io-master and h5io")
    parser.add_argument("--baseline-bin", help="another build to compare with, run interleaved")
    parser.add_argument("--scans", type=int, default=50000)
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/h5io-master-stalls")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    builds = [("this build", args.bin)]
    if args.baseline_bin:
        builds.insert(0, ("baseline", args.baseline_bin))
    cases = [
        (f"watcher rescan of {args.scans} processed scans",
         watcher_setup(args.workdir, args.scans), lambda master: None, 6.0),
        (f"CURVE reload of {args.keys} client keys, 3 SIGHUPs",
         reload_setup(args.workdir, args.bin, args.keys), sighups, 1.0),
    ]
    for title, config, action, settle in cases:
        best = {name: None for name, _ in builds}
        for _ in range(args.rounds):
            for name, binary in builds:  # interleaved
                turns = run_master(binary, args.workdir, config, action, settle)
                if best[name] is None or turns["max"] < best[name]["max"]:
                    best[name] = turns
        print(f"{title} (best of {args.rounds}):")
        for name, _ in builds:
            t = best[name]
            print(f"  {name:10s} longest loop turn {t['max']:9.1f} ms, p99 {t['p99']:7.2f} ms "
                  f"({t['turns']} turns)")
        if args.baseline_bin:
            print(f"  longest turn: {best['baseline']['max'] / best['this build']['max']:.0f}x "
                  f"shorter than the baseline's")


if __name__ == "__main__":
    main()
