#!/usr/bin/python3
"""h5io-master speaks systemd's notify protocol (sd_notify(3)) for real.

The test plays systemd: it owns the NOTIFY_SOCKET datagram socket, sets
WATCHDOG_USEC, starts the master and checks READY=1 (after the endpoints are
bound: a client can connect), STATUS=, WATCHDOG=1 arriving steadily,
RELOADING=1 then READY=1 on SIGHUP (systemctl reload), and STOPPING=1 on
SIGTERM. Negative cases: without WATCHDOG_USEC no WATCHDOG=1
may come, and without NOTIFY_SOCKET the master still serves and stops.

    sd_notify_test.py --master BIN/h5io-master
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

failures = 0


def check(ok, what):
    global failures
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures += 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(work):
    ports = [free_port() for _ in range(3)]
    config = {
        "client_endpoint": f"tcp://127.0.0.1:{ports[0]}",
        "status_endpoint": f"tcp://127.0.0.1:{ports[1]}",
        "worker_endpoint": f"tcp://127.0.0.1:{ports[2]}",
        "input_roots": [work],
        "output_roots": [work],
        "journal_dir": os.path.join(work, "journal"),
    }
    path = os.path.join(work, "master.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path, ports[0]


def receive(sock, seconds):
    """Every notification that arrives within `seconds`, with its time."""
    messages = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        messages.append((time.monotonic(), data.decode()))
    return messages


def lines(messages):
    return [line for _, text in messages for line in text.splitlines()]


def start(master, config, env):
    return subprocess.Popen([master, "--config", config], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--master", required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        config, client_port = write_config(work)
        notify_path = os.path.join(work, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        base = {k: v for k, v in os.environ.items()
                if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}

        # 1. Under "systemd", watchdog 1 s: fed every 500 ms (loop turns <= 100 ms).
        env = dict(base, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="1000000")
        proc = start(args.master, config, env)
        first = receive(sock, 1.5)
        ready = [t for t, text in first if "READY=1" in text.splitlines()]
        check(len(ready) == 1, f"READY=1 arrives once ({lines(first)[:6]})")
        if ready:
            # READY=1 promises bound endpoints: a client can connect now.
            with socket.create_connection(("127.0.0.1", client_port), timeout=2):
                pass
            check(True, "the client endpoint accepts connections after READY=1")
        check(any(l.startswith("STATUS=") for l in lines(first)), "STATUS= lines arrive")
        more = receive(sock, 2.0)
        pings = [t for t, text in more if "WATCHDOG=1" in text.splitlines()]
        check(len(pings) >= 3, f"WATCHDOG=1 keeps arriving: {len(pings)} in 2 s (>= 3)")
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        check(bool(gaps) and max(gaps) < 1.0,
              f"no gap reaches WATCHDOG_USEC (largest {max(gaps, default=0):.3f} s)")
        check(proc.poll() is None, "the master is still running")
        receive(sock, 0.1)
        proc.send_signal(signal.SIGHUP)
        reload = [l for l in lines(receive(sock, 1.0)) if l != "WATCHDOG=1"]
        check("RELOADING=1" in reload and "READY=1" in reload and
              reload.index("RELOADING=1") < reload.index("READY=1") and
              any(l.startswith("MONOTONIC_USEC=") for l in reload),
              f"SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1 ({reload})")
        check(proc.poll() is None, "the master runs on after SIGHUP")
        rc, out = stop(proc)
        last = receive(sock, 1.0)
        check("STOPPING=1" in lines(last), f"STOPPING=1 on SIGTERM ({lines(last)})")
        check(rc == 0, f"exit status 0 after SIGTERM (got {rc})" + ("" if rc == 0 else "\n" + out))

        # 2. Negative: no WATCHDOG_USEC, no watchdog pings (but READY=1).
        env = dict(base, NOTIFY_SOCKET=notify_path)
        proc = start(args.master, config, env)
        got = receive(sock, 1.5)
        check("READY=1" in lines(got), "READY=1 without a watchdog")
        check("WATCHDOG=1" not in lines(got), "no WATCHDOG=1 when WATCHDOG_USEC is unset")
        rc, out = stop(proc)
        check(rc == 0, f"exit status 0 (got {rc})")
        check("STOPPING=1" in lines(receive(sock, 1.0)), "STOPPING=1 again")

        # 3. Not under systemd: nothing to talk to, serves and stops as before.
        proc = start(args.master, config, dict(base))
        time.sleep(1.0)
        check(proc.poll() is None, "runs without NOTIFY_SOCKET")
        rc, out = stop(proc)
        check(rc == 0, f"exit status 0 without NOTIFY_SOCKET (got {rc})" + ("" if rc == 0 else "\n" + out))
        check(not receive(sock, 0.3), "nothing sent without NOTIFY_SOCKET")

        # 4. A master that cannot start says why in STATUS= and never READY=1.
        with open(config) as f:
            broken = json.load(f)
        broken["journal_dir"] = os.path.join(work, "master.json", "not-a-dir")
        bad_config = os.path.join(work, "broken.json")
        with open(bad_config, "w") as f:
            json.dump(broken, f)
        proc = start(args.master, bad_config, dict(base, NOTIFY_SOCKET=notify_path))
        proc.communicate(timeout=10)
        got = lines(receive(sock, 0.5))
        check(proc.returncode != 0, f"a broken configuration fails (exit {proc.returncode})")
        check("READY=1" not in got and any(l.startswith("STATUS=failed") for l in got),
              f"no READY=1, STATUS=failed: ... instead ({got})")

    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
