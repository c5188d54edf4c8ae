"""h5io submit, h5io status and proto/examples/submit_and_follow.py against a
scripted stand-in for the master (pyzmq): the requests they send, their exit
statuses and messages, and resynchronisation across a lost event and a
master restart (new epoch). The real master is tested elsewhere; this pins
the clients' side of PROTOCOL.md."""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import zmq

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--h5io", required=True)
parser.add_argument("--example", required=True, help="proto/examples/submit_and_follow.py")
args = parser.parse_args()
failures = []


def check(condition, message, detail=""):
    print(("ok: " if condition else "FAILED: ") + message)
    if not condition:
        print(detail)
        failures.append(message)


def free_port_pair():
    """A port p with p + 1 free too: the default status endpoint is port + 1."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65000:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                pass


class FakeMaster(threading.Thread):
    """Answers submit/status like the master and plays `script` after the
    first accepted submit: a list of (delay_s, action, arguments)."""

    def __init__(self, port, script, reject=None):
        super().__init__(daemon=True)
        self.port, self.script, self.reject = port, list(script), reject
        self.epoch, self.seq = "m-1", 0
        self.jobs, self.submits, self.status_requests = {}, [], 0
        self.silent = False
        self.stop = threading.Event()
        self.ready = threading.Event()

    def publish(self, topic, **fields):
        self.seq += 1
        body = dict(fields, seq=self.seq, time=time.time(), epoch=self.epoch)
        self.pub.send_multipart([topic.encode(), json.dumps(body).encode()])

    # ---- script actions: each updates the job table, as the master would
    def event(self, topic, lost=False, **fields):
        job = self.jobs.get(fields.get("job"))
        if job is not None:
            job.update({k: v for k, v in fields.items() if k not in ("rate", "eta", "reason")})
            job["state"] = {"job.queued": "queued", "job.started": "running",
                            "job.completed": "completed", "job.failed": "failed",
                            "job.cancelled": "cancelled"}.get(topic, job["state"])
        if lost:
            self.seq += 1  # published before anyone subscribed, or dropped: a gap
        else:
            self.publish(topic, **fields)

    def restart(self):
        self.epoch, self.seq = "m-2", 0
        self.publish("master.started", version="0.1.0", jobs_resumed=len(self.jobs))

    def go_silent(self):
        self.silent = True

    def run(self):
        ctx = zmq.Context()
        router = ctx.socket(zmq.ROUTER)
        router.bind(f"tcp://127.0.0.1:{self.port}")
        self.pub = ctx.socket(zmq.PUB)
        self.pub.bind(f"tcp://127.0.0.1:{self.port + 1}")
        self.ready.set()
        started, next_heartbeat = None, time.time()
        while not self.stop.is_set():
            if self.silent:
                time.sleep(0.05)
                continue
            if router.poll(20):
                envelope = router.recv_multipart()
                request = json.loads(envelope[-1])
                router.send_multipart(envelope[:-1] + [json.dumps(self.answer(request)).encode()])
                if request["type"] == "submit" and not self.reject and started is None:
                    started = time.time()
            now = time.time()
            if now >= next_heartbeat:
                self.publish("master.heartbeat", jobs_queued=0, jobs_running=1, workers=1)
                next_heartbeat = now + 0.3
            while started is not None and self.script and now >= started + self.script[0][0]:
                _, action, kwargs = self.script.pop(0)
                getattr(self, action)(**kwargs)
        router.close(0)
        self.pub.close(0)
        ctx.term()

    def answer(self, request):
        if request["type"] == "status":
            self.status_requests += 1
            return {"type": "snapshot", "seq": self.seq, "time": time.time(), "epoch": self.epoch,
                    "jobs": list(self.jobs.values()), "workers": [
                        {"group": "w-h-1", "host": "h", "ranks": 2, "job": None,
                         "units_leased": 0, "last_seen": time.time()}]}
        if request["type"] == "submit":
            self.submits.append(request)
            if self.reject:
                return {"type": "rejected", "error": self.reject}
            job = "j000001"
            self.jobs.setdefault(job, {"job": job, "state": "queued", "input": request["input"],
                                       "output": request["output"], "plugin": request["plugin"],
                                       "priority": request.get("priority", 0), "done": 0,
                                       "total": 8})
            return {"type": "accepted", "job": job}
        return {"type": "rejected", "error": "unexpected"}


def with_master(script, reject=None):
    master = FakeMaster(free_port_pair(), script, reject)
    master.start()
    master.ready.wait()
    return master


JOB = dict(job="j000001")
FULL_STORY = [
    (0.2, "event", dict(topic="job.queued", input="/in.h5", output="/o.h5", plugin="p",
                        priority=0, total=8, **JOB)),
    (0.4, "event", dict(topic="job.started", group="w-h-1", **JOB)),
    (0.6, "event", dict(topic="job.progress", done=2, total=8, rate=4.0, eta=1.5, **JOB)),
    (0.8, "event", dict(topic="job.progress", done=4, total=8, rate=4.0, eta=1.0, lost=True,
                        **JOB)),
    (1.0, "event", dict(topic="job.progress", done=6, total=8, rate=4.0, eta=0.5, **JOB)),
    (1.3, "restart", {}),
    (1.6, "event", dict(topic="job.completed", output="OUT", wall=1.6, **JOB)),
]


def story(output, last=None):
    steps = [(t, a, dict(k, output=output) if "output" in k else k) for t, a, k in FULL_STORY]
    return steps[:-1] + [last] if last else steps


def run(command, timeout=30):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


workdir = tempfile.mkdtemp(prefix="h5io-clients-")
os.chdir(workdir)
output = os.path.join(workdir, "sub", "recon.h5")

# ---- submit --wait: completes through a lost event and a master restart
master = with_master(story(output))
result = run([args.h5io, "submit", "--master", f"tcp://127.0.0.1:{master.port}",
              "--input", "scan.nxs", "--plugin", "tomo_fbp", "--output", "sub/../sub/recon.h5",
              "--param", "center=128.5", "--param", "ring=true", "--client-ref", "scan-17",
              "--priority", "3", "--wait", "--timeout", "5"])
detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
check(result.returncode == 0, "submit --wait exits 0 when the job completed", detail)
check(result.stdout.splitlines() == ["j000001", output],
      "submit --wait prints the job id, then the output path", detail)
sent = master.submits[0]
check(sent["input"] == os.path.join(workdir, "scan.nxs") and sent["output"] == output,
      "relative paths are sent absolute and normalised", json.dumps(sent))
check(sent["params"] == {"center": "128.5", "ring": "true"},
      "params are sent as the text typed", json.dumps(sent))
check(sent.get("client_ref") == "scan-17" and sent.get("priority") == 3,
      "client_ref and priority are sent", json.dumps(sent))
check(master.status_requests >= 3,
      f"resynchronised after the lost event and the restart ({master.status_requests} snapshots)")
check("running on worker group w-h-1" in result.stderr, "the start is reported", detail)
master.stop.set()

# ---- the Python example follows the same story
master = with_master(story(output))
result = run([sys.executable, args.example, "--master", f"tcp://127.0.0.1:{master.port}",
              "--input", "scan.nxs", "--plugin", "p", "--output", output, "--timeout", "5"])
detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
check(result.returncode == 0 and result.stdout.splitlines()[0] == "j000001",
      "submit_and_follow.py exits 0 when the job completed", detail)
check(master.status_requests >= 3,
      f"submit_and_follow.py resynchronised ({master.status_requests} snapshots)")
master.stop.set()

# ---- a failed job: exit 1 with the master's error
failed = (1.6, "event", dict(topic="job.failed", error="library 'p' failed in process", **JOB))
for name, command, expected in [
        ("h5io submit --wait", [args.h5io, "submit", "--wait"],
         "h5io: error: job j000001 failed: library 'p' failed in process"),
        ("submit_and_follow.py", [sys.executable, args.example],
         "failed: library 'p' failed in process")]:
    master = with_master(story(output, failed))
    result = run(command + ["--master", f"tcp://127.0.0.1:{master.port}", "--input", "a.h5",
                            "--plugin", "p", "--output", output])
    detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    check(result.returncode == 1 and expected in result.stderr,
          f"{name}: a failed job exits 1 with its error", detail)
    master.stop.set()

# ---- rejected: exit 1, the master's text, nothing on stdout
master = with_master([], reject="output '/o.h5' already exists")
result = run([args.h5io, "submit", "--master", f"tcp://127.0.0.1:{master.port}", "-i", "a.h5",
              "-p", "p", "-o", "/o.h5"])
check(result.returncode == 1 and result.stdout == "" and
      result.stderr == "h5io: error: output '/o.h5' already exists\n",
      "a rejected submit exits 1 with the master's text", result.stderr)
master.stop.set()

# ---- no master: exit 2 after --check-timeout (the submit's reply waits for
# the master's check, so it has its own, longer timeout than --timeout)
port = free_port_pair()
started = time.time()
result = run([args.h5io, "submit", "--master", f"tcp://127.0.0.1:{port}", "-i", "a.h5", "-p", "p",
              "-o", "o.h5", "--check-timeout", "0.5"])
check(result.returncode == 2 and result.stderr ==
      f"h5io: error: no reply from the master at tcp://127.0.0.1:{port} within 0.5 s\n"
      and time.time() - started < 5, "no master: exit 2 with a clear message", result.stderr)

# ---- the master goes silent during --wait: exit 2, not a hang
master = with_master([(0.5, "go_silent", {})])
result = run([args.h5io, "submit", "--wait", "--master", f"tcp://127.0.0.1:{master.port}",
              "-i", "a.h5", "-p", "p", "-o", "o.h5", "--timeout", "1"])
check(result.returncode == 2 and "no reply from the master" in result.stderr,
      "a master that goes silent ends --wait with exit 2", result.stderr)
master.stop.set()

# ---- status: table, --json, --follow (piped: one line per event) until Ctrl-C
master = with_master([])
endpoint = f"tcp://127.0.0.1:{master.port}"
run([args.h5io, "submit", "--master", endpoint, "-i", "a.h5", "-p", "tomo_fbp", "-o", "o.h5"])
result = run([args.h5io, "status", "--master", endpoint])
check(result.returncode == 0 and "j000001" in result.stdout and "queued" in result.stdout
      and "w-h-1" in result.stdout and "0/8 (0%)" in result.stdout,
      "status prints the jobs and worker groups", result.stdout + result.stderr)
result = run([args.h5io, "status", "--master", endpoint, "--json"])
check(result.returncode == 0 and json.loads(result.stdout)["type"] == "snapshot",
      "status --json prints the snapshot", result.stdout + result.stderr)
follow = subprocess.Popen([args.h5io, "status", "--master", endpoint, "--follow"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1.5)
follow.send_signal(signal.SIGINT)
out, err = follow.communicate(timeout=10)
check(follow.returncode == 0 and "master.heartbeat" in out and "-- snapshot" in out,
      "status --follow prints event lines until Ctrl-C", out + err)
master.stop.set()

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
