"""Prometheus metrics (issue 18), scraped by a real Prometheus server: a
master with `metrics_address` and a worker group of 2 ranks run two jobs
that complete and one whose library fails every time; a Prometheus server
started here (loopback, scrape interval 1 s, its data in this test's
directory) scrapes the master. Every counter and gauge Prometheus stores,
queried through its HTTP API, must match what the master's status snapshot
says; the histograms must answer histogram_quantile. A bad metrics_address
and a port already taken each stop the master at start with a message that
names the key."""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, example_scan,
                             free_port, fresh_dirs, wait_for_groups)

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class Prometheus:
    """A real Prometheus server scraping `target` every second."""

    def __init__(self, workdir, target):
        self.dir = os.path.join(workdir, "prometheus")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: h5io\n    static_configs:\n"
                    f"      - targets: ['{target}']\n")
        self.log_file = os.path.join(self.dir, "prometheus.log")
        self.process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=open(self.log_file, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                check(False, f"prometheus keeps running\n{self.log()}")
            try:
                if "Ready" in http_get(f"http://127.0.0.1:{self.port}/-/ready", timeout=1):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        check(False, f"prometheus ready within 60 s\n{self.log()}")

    def log(self):
        with open(self.log_file) as f:
            return f.read()

    def query(self, expression):
        """{frozenset(labels): value} of an instant query."""
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": expression}))
        reply = json.loads(http_get(url))
        if reply.get("status") != "success":
            check(False, f"prometheus answers {expression}: {reply}")
        result = {}
        for sample in reply["data"]["result"]:
            labels = {k: v for k, v in sample["metric"].items()
                      if k not in ("__name__", "job", "instance")}
            result[frozenset(labels.items())] = float(sample["value"][1])
        return result

    def targets_up(self):
        return self.query("up") == {frozenset(): 1.0}

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def expected_from(snapshot, version, checks):
    """The value each metric must have, from the master's status snapshot."""
    jobs = snapshot["jobs"]
    by_state = {state: 0 for state in ("queued", "running", "completed", "failed", "cancelled")}
    completed, failed = {}, {}
    for job in jobs:
        by_state[job["state"]] += 1
        if job["state"] == "completed":
            completed[job["plugin"]] = completed.get(job["plugin"], 0) + 1
        if job["state"] == "failed":
            failed[job["plugin"]] = failed.get(job["plugin"], 0) + 1
    labelled = lambda key, values: {frozenset({(key, k)}): float(v) for k, v in values.items()}
    return {
        "h5io_jobs": labelled("state", by_state),
        "h5io_units_done_total": {frozenset(): float(sum(j["units_done"] for j in jobs))},
        "h5io_jobs_completed_total": labelled("plugin", completed),
        "h5io_jobs_failed_total": labelled("plugin", failed),
        "h5io_worker_groups": {frozenset(): float(len(snapshot["workers"]))},
        "h5io_worker_ranks": {frozenset(): float(sum(w["ranks"] for w in snapshot["workers"]))},
        "h5io_groups_lost_total": {frozenset(): 0.0},
        "h5io_build_info": {frozenset({("version", version)}): 1.0},
        "h5io_submit_check_seconds_count": {frozenset(): float(checks)},
        "h5io_submit_checks_pending": {frozenset(): 0.0},
    }


def refused_at_start(args, workdir, name, metrics_address, expected):
    """h5io-master with this metrics_address exits at start naming it."""
    directory = os.path.join(workdir, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    config = os.path.join(directory, "master.json")
    ports = [free_port() for _ in range(3)]
    with open(config, "w") as f:
        json.dump({"client_endpoint": f"tcp://127.0.0.1:{ports[0]}",
                   "status_endpoint": f"tcp://127.0.0.1:{ports[1]}",
                   "worker_endpoint": f"tcp://127.0.0.1:{ports[2]}",
                   "journal_dir": os.path.join(directory, "journal"),
                   "metrics_address": metrics_address}, f)
    result = subprocess.run([os.path.join(args.bin, "h5io-master"), "--config", config],
                            capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    check(result.returncode != 0 and expected in output,
          f"metrics_address {metrics_address!r} stops the master at start: {expected!r}\n{output}")


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    scan = example_scan(args, os.path.join(indir, "scan.h5"), frames=32, rows=64, columns=32)
    metrics_address = f"127.0.0.1:{free_port()}"
    master = Master(args, metrics_address=metrics_address, max_attempts=2)
    group = prometheus = None
    try:
        # The endpoint answers before any job, in the text format.
        text = http_get(f"http://{metrics_address}/metrics")
        check('h5io_jobs{state="queued"} 0' in text and "# TYPE h5io_units_done_total counter"
              in text and 'h5io_event_loop_turn_seconds_bucket{le="+Inf"}' in text,
              "/metrics serves the text format before any job")
        # The shipped Grafana dashboard names only metrics the master serves.
        dashboard = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                 "deploy", "grafana", "h5io.json")
        with open(dashboard) as f:
            expressions = [t["expr"] for panel in json.load(f)["panels"]
                           for t in panel["targets"]]
        named = {m for e in expressions for m in re.findall(r"\bh5io_\w+", e)}
        declared = set(re.findall(r"^# TYPE (\w+) (?:counter|gauge)$", text, re.M))
        for histogram in re.findall(r"^# TYPE (\w+) histogram$", text, re.M):
            declared |= {histogram + suffix for suffix in ("_bucket", "_sum", "_count")}
        missing = sorted(named - declared)
        check(named and not missing,
              f"deploy/grafana/h5io.json uses {len(named)} metrics, all served: missing {missing}")
        prometheus = Prometheus(args.workdir, metrics_address)
        group = WorkerGroup(args, master, ranks=2)
        wait_for_groups(master, 1)

        submitted = []
        for i in range(2):
            reply = master.submit(input=scan, plugin="benchmark",
                                  output=os.path.join(outdir, f"ok{i}.h5"))
            check(reply.get("type") == "accepted", f"job {i} accepted: {reply}")
            submitted.append(reply["job"])
        reply = master.submit(input=scan, plugin="configurable",
                              output=os.path.join(outdir, "failing.h5"),
                              params={"inputs": "/entry/data/data:1", "fail_in": "process",
                                      "message": "detector on fire"})
        check(reply.get("type") == "accepted", f"failing job accepted: {reply}")
        submitted.append(reply["job"])
        # One refused at its check: counted in the check histogram too.
        reply = master.submit(input=scan, plugin="configurable",
                              output=os.path.join(outdir, "refused.h5"),
                              params={"inputs": "/entry/data/data:1", "fail_in": "h5io_init"})
        check(reply.get("type") == "rejected", f"a job refused by its check: {reply}")
        jobs = master.wait_for(submitted)
        check([jobs[j]["state"] for j in submitted] == ["completed", "completed", "failed"],
              f"two jobs completed, one failed: {[jobs[j]['state'] for j in submitted]}")

        version = re.search(r"h5io-master (\S+) ready", master.log()).group(1)
        snapshot = master.snapshot()
        expected = expected_from(snapshot, version, checks=4)
        # Units that failed: the failing job's units were charged max_attempts
        # (2) times each, and each charge but the last put them back.
        failing = jobs[submitted[2]]
        deadline = time.time() + 30
        seen = {}
        while time.time() < deadline:
            seen = {name: prometheus.query(name) for name in expected}
            if seen == expected:
                break
            time.sleep(0.5)
        for name, value in expected.items():
            check(seen.get(name) == value,
                  f"Prometheus's {name} is what the snapshot says: {seen.get(name)} == {value}")
        failed_units = prometheus.query("h5io_units_failed_total")[frozenset()]
        requeued = prometheus.query("h5io_units_requeued_total")[frozenset()]
        check(failed_units >= 2 and failed_units % 2 == 0 and requeued >= failed_units / 2,
              f"units failed ({failed_units:.0f}): each failing unit is charged twice "
              f"(max_attempts) before the job fails, and requeued after the first charge "
              f"({requeued:.0f} requeued); the job had {failing['units_total']} units")
        seq = prometheus.query("h5io_status_seq")[frozenset()]
        check(0 < seq <= master.snapshot()["seq"],
              f"h5io_status_seq ({seq:.0f}) is a seq the status endpoint has published")
        records = prometheus.query("h5io_journal_records")[frozenset()]
        check(records >= 1 + 3 + 3, f"h5io_journal_records counts the journal ({records:.0f})")
        turns = prometheus.query("h5io_event_loop_turn_seconds_count")[frozenset()]
        p99 = prometheus.query("histogram_quantile(0.99, h5io_event_loop_turn_seconds_bucket)")
        check(turns > 10 and 0 < p99[frozenset()] < 1.0,
              f"the loop-turn histogram: {turns:.0f} turns, p99 {p99[frozenset()] * 1e3:.2f} ms")
        check_p50 = prometheus.query("histogram_quantile(0.5, h5io_submit_check_seconds_bucket)")
        check(0 < check_p50[frozenset()] < 60,
              f"the submission-check histogram: p50 {check_p50[frozenset()]:.3f} s")
        check(master.alive(), "the master is still running")

        # Bad addresses stop the master at start, each with its reason.
        refused_at_start(args, args.workdir, "bad_address", "localhost",
                         "'metrics_address' is 'localhost'; expected HOST:PORT")
        refused_at_start(args, args.workdir, "taken_port", metrics_address,
                         f"cannot serve metrics on metrics_address '{metrics_address}'")
    finally:
        cleanup(*(x for x in (group, master, prometheus) if x))


if __name__ == "__main__":
    main()
