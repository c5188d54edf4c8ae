"""Runs the real service for the end-to-end tests: an h5io-master on free
loopback ports with its journal in the test's directory, worker groups
started with mpirun, and a small protocol client (pyzmq) to talk to it."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import zmq

from h5io_e2e import check


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin", required=True, help="directory of h5io, h5io-master, h5io-worker")
    parser.add_argument("--plugin-dir", required=True, action="append")
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--workdir", required=True)
    return parser.parse_args()


def fresh_dirs(workdir, *names):
    """WORKDIR/NAME for each name, created and emptied."""
    paths = [os.path.join(workdir, name) for name in names]
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    return paths


def example_scan(args, path, frames=64, rows=256, columns=64):
    """`h5io example` at PATH: a [frames, rows, columns] uint16 stack."""
    subprocess.run([os.path.join(args.bin, "h5io"), "example", "--output", path, "--frames",
                    str(frames), "--rows", str(rows), "--columns", str(columns), "--overwrite"],
                   check=True, capture_output=True)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def curve_client(sock, keys):
    """CURVE on a client socket: keys = (public, secret, master's public),
    Z85 bytes as zmq.auth.load_certificate returns them; None: plain."""
    if keys:
        sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = keys


class Master:
    """One h5io-master process. `config` entries override the defaults;
    `client_keys` (see curve_client) are what its own requests use."""

    def __init__(self, args, name="master", client_keys=None, **config):
        self.args = args
        self.client_keys = client_keys
        self.dir = os.path.join(args.workdir, name)
        shutil.rmtree(self.dir, ignore_errors=True)  # a fresh journal: no earlier run's jobs
        os.makedirs(self.dir)
        ports = [free_port() for _ in range(3)]
        self.client_endpoint = f"tcp://127.0.0.1:{ports[0]}"
        self.status_endpoint = f"tcp://127.0.0.1:{ports[1]}"
        self.worker_endpoint = f"tcp://127.0.0.1:{ports[2]}"
        self.config = {
            "client_endpoint": self.client_endpoint,
            "status_endpoint": self.status_endpoint,
            "worker_endpoint": self.worker_endpoint,
            "journal_dir": os.path.join(self.dir, "journal"),
            "plugin_dirs": args.plugin_dir,
            "heartbeat_ms": 250,
            "progress_interval_ms": 0,
        }
        self.config.update(config)
        self.config_file = os.path.join(self.dir, "master.json")
        self.log_file = os.path.join(self.dir, "master.log")
        self.process = None
        self.context = zmq.Context.instance()
        self.start()

    def start(self):
        with open(self.config_file, "w") as f:
            json.dump(self.config, f, indent=1)
        log = open(self.log_file, "a")
        self.process = subprocess.Popen(
            [os.path.join(self.args.bin, "h5io-master"), "--config", self.config_file],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"FAILED: h5io-master exited with {self.process.returncode}:\n{self.log()}")
            try:
                self.request({"type": "status"}, timeout=1.0)
                return
            except TimeoutError:
                continue
        sys.exit(f"FAILED: h5io-master did not answer within 30 s:\n{self.log()}")

    def log(self):
        with open(self.log_file) as f:
            return f.read()

    def request(self, message, timeout=30.0):
        """One request on a fresh REQ socket; the decoded reply."""
        s = self.context.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        curve_client(s, self.client_keys)
        s.connect(self.client_endpoint)
        try:
            s.send(message if isinstance(message, bytes) else
                   (message.encode() if isinstance(message, str) else json.dumps(message).encode()))
            if not s.poll(int(timeout * 1000)):
                raise TimeoutError(f"no reply to {str(message)[:80]}")
            return json.loads(s.recv())
        finally:
            s.close()

    def submit(self, **fields):
        return self.request({"type": "submit", **fields})

    def snapshot(self):
        return self.request({"type": "status"})

    def job(self, job_id):
        for job in self.snapshot()["jobs"]:
            if job["job"] == job_id:
                return job
        return None

    def wait_for(self, job_ids, timeout=300, states=("completed", "failed", "cancelled")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            jobs = {j["job"]: j for j in self.snapshot()["jobs"]}
            if all(jobs.get(i, {}).get("state") in states for i in job_ids):
                return jobs
            time.sleep(0.2)
        sys.exit(f"FAILED: jobs {job_ids} not finished within {timeout} s: "
                 f"{json.dumps(self.snapshot(), indent=1)}\nmaster log:\n{self.log()}")

    def alive(self):
        return self.process.poll() is None

    def kill_and_restart(self):
        """kill -9, then start again on the same config, ports and journal:
        what systemd's Restart= does after a crash."""
        self.process.kill()
        self.process.wait()
        self.start()

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class WorkerGroup:
    """mpirun -np RANKS h5io-worker, in its own process group."""

    def __init__(self, args, master, ranks=2, name="group", extra=(), launcher=()):
        """LAUNCHER: a command each rank runs h5io-worker through (e.g. prlimit)."""
        self.log_file = os.path.join(args.workdir, f"{name}.log")
        command = [args.mpiexec, "-n", str(ranks), "--oversubscribe", *launcher,
                   os.path.join(args.bin, "h5io-worker"), "--master", master.worker_endpoint,
                   "--heartbeat-ms", "250", "--name", name, *extra]
        for d in args.plugin_dir:
            command += ["--plugin-dir", d]
        self.process = subprocess.Popen(command, stdout=open(self.log_file, "w"),
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        with open(self.log_file) as f:
            return f.read()

    def ranks(self):
        """The h5io-worker processes mpirun started."""
        found = []
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/comm") as f:
                    name = f.read().strip()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid and name == "h5io-worker":
                found.append(int(pid))
        return found

    def rank_pids(self):
        """{MPI rank: pid} of the ranks mpirun started (from each process's
        OMPI_COMM_WORLD_RANK), so a test can kill rank 0 or another one."""
        pids = {}
        for pid in self.ranks():
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
                pids[int(env[b"OMPI_COMM_WORLD_RANK"])] = pid
            except (OSError, KeyError, ValueError):
                continue
        return pids

    def stop(self):
        """SIGTERM to the ranks (not mpirun, which would kill them): the group
        finishes its round, releases its job, says disconnect and exits."""
        if self.process.poll() is None:
            for pid in self.ranks():
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_for_groups(master, count, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(master.snapshot()["workers"]) >= count:
            return
        time.sleep(0.2)
    sys.exit(f"FAILED: {count} worker groups did not join within {timeout} s\n{master.log()}")


def completed_job(master, events, **fields):
    """Submits a job and waits on `events` (a SUB socket on the master's
    status endpoint, subscribed to "job.") for its job.completed event.
    Returns the event and the seconds from submit to seeing it; exits on a
    refusal, a failure or a cancel (benchmarks time real jobs only)."""
    started = time.perf_counter()
    reply = master.submit(**fields)
    if reply.get("type") != "accepted":
        sys.exit(f"FAILED: the service refused {fields}: {reply}")
    while True:
        topic, body = events.recv_multipart()
        event = json.loads(body)
        if event.get("job") != reply["job"]:
            continue
        if topic == b"job.completed":
            return event, time.perf_counter() - started
        if topic in (b"job.failed", b"job.cancelled"):
            sys.exit(f"FAILED: job {topic.decode()}: {event}")


class StatusWatcher(threading.Thread):
    """Subscribes to every topic and records (topic, event) in order. `keys`
    (see curve_client): the master's client keys unless given (None: plain)."""

    def __init__(self, master, keys=Ellipsis):
        super().__init__(daemon=True)
        self.socket = master.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        curve_client(self.socket, master.client_keys if keys is Ellipsis else keys)
        self.socket.connect(master.status_endpoint)
        self.events = []
        self.lock = threading.Lock()
        self.running = True
        self.start()

    def run(self):
        while self.running:
            if self.socket.poll(100):
                topic, body = self.socket.recv_multipart()
                with self.lock:
                    self.events.append((topic.decode(), json.loads(body)))

    def snapshot_events(self):
        with self.lock:
            return list(self.events)

    def close(self):
        self.running = False
        self.join()
        self.socket.close()


def cleanup(*things):
    for thing in things:
        try:
            thing.stop()
        except Exception as e:  # keep stopping the rest
            print(f"warning: stopping {thing}: {e}")


__all__ = ["arguments", "check", "curve_client", "Master", "WorkerGroup", "StatusWatcher",
           "wait_for_groups", "cleanup", "free_port", "fresh_dirs", "example_scan"]
