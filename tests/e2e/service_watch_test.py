"""The scan watcher and restarts: a scan renamed into a watched directory is
submitted exactly once, also across master restarts (a clean stop, and
kill -9); a scan that arrives while the master is down is found by the rescan;
marker and quiet rules wait until the scan is finished; an accepted job
survives kill -9 of the master and completes after the restart, with the
worker group reconnecting by itself."""
import os
import shutil
import signal
import subprocess
import time

from service_harness import Master, WorkerGroup, arguments, check, cleanup, wait_for_groups


def example(args, path, frames=16):
    subprocess.run([os.path.join(args.bin, "h5io"), "example", "--output", path, "--overwrite",
                    "--frames", str(frames), "--rows", "32", "--columns", "16"], check=True,
                   capture_output=True)


def watched_jobs(master):
    return [j for j in master.snapshot()["jobs"] if j.get("client_ref", "").startswith("watch:")]


def wait_until(condition, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    check(False, what)


def main():
    args = arguments(__doc__)
    dirs = {name: os.path.join(args.workdir, name)
            for name in ("staging", "renamed", "marked", "quiet", "out", "in")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    shutil.rmtree(os.path.join(args.workdir, "master"), ignore_errors=True)
    rule = {"plugin": "benchmark", "output_dir": dirs["out"], "pattern": "*.h5",
            "output_suffix": "_sums.h5"}
    watch = [
        {**rule, "dir": dirs["renamed"]},
        {**rule, "dir": dirs["marked"], "finished": {"when": "marker", "marker": ".done"}},
        {**rule, "dir": dirs["quiet"], "finished": {"when": "quiet", "quiet_ms": 800}},
    ]
    master = Master(args, watch=watch, rescan_ms=500, output_roots=[dirs["out"]])
    group = WorkerGroup(args, master, 2, name="watch_group")
    try:
        wait_for_groups(master, 1)
        # Renamed in: submitted once, completes.
        example(args, os.path.join(dirs["staging"], "a.h5"))
        os.rename(os.path.join(dirs["staging"], "a.h5"), os.path.join(dirs["renamed"], "a.h5"))
        wait_until(lambda: len(watched_jobs(master)) == 1, "scan a.h5 is submitted")
        job_a = watched_jobs(master)[0]["job"]
        master.wait_for([job_a])
        check(master.job(job_a)["state"] == "completed", f"the watched scan's job completed")
        check(os.path.exists(os.path.join(dirs["out"], "a_sums.h5")),
              "its output is <output_dir>/<stem><suffix>")

        # Written in place with a marker rule: nothing until the marker appears.
        example(args, os.path.join(dirs["marked"], "m.h5"))
        time.sleep(1.5)  # three rescans
        check(len(watched_jobs(master)) == 1, "a scan without its marker is not submitted")
        open(os.path.join(dirs["marked"], "m.h5.done"), "w").close()
        wait_until(lambda: len(watched_jobs(master)) == 2, "the marker submits m.h5")

        # Quiet rule: submitted once the file stays unchanged for 0.8 s.
        quiet = os.path.join(dirs["quiet"], "q.h5")
        example(args, quiet)
        start = time.time()
        wait_until(lambda: len(watched_jobs(master)) == 3, "the quiet rule submits q.h5")
        check(time.time() - start >= 0.7, f"only after the file was quiet "
              f"({time.time() - start:.2f} s)")
        master.wait_for([j["job"] for j in watched_jobs(master)])

        # Clean restart; a scan arrives while the master is down.
        master.stop()
        example(args, os.path.join(dirs["staging"], "b.h5"))
        os.rename(os.path.join(dirs["staging"], "b.h5"), os.path.join(dirs["renamed"], "b.h5"))
        master.start()
        wait_until(lambda: len(watched_jobs(master)) == 4, "the rescan after restart submits b.h5")
        refs = sorted(j["client_ref"] for j in watched_jobs(master))
        check(len(set(refs)) == len(refs) == 4, f"each scan exactly once: {refs}")
        check(all(j.get("submitted_by") == "scan watcher" for j in watched_jobs(master)),
              "the jobs record that the scan watcher submitted them (replayed after a restart)")
        job_b = [j["job"] for j in watched_jobs(master) if j["client_ref"].endswith("/b.h5")][0]
        master.wait_for([job_b], timeout=120)
        check(master.job(job_b)["state"] == "completed",
              "the worker group reconnected by itself and did b.h5\n" + group.log()[-2000:])

        # kill -9 of the master with an accepted job that no group has started.
        group.stop()
        scan = os.path.join(dirs["in"], "c.h5")
        example(args, scan, frames=24)
        reply = master.submit(input=scan, plugin="benchmark",
                              output=os.path.join(dirs["out"], "c_sums.h5"))
        check(reply["type"] == "accepted", f"job c accepted ({reply})")
        master.stop(signal.SIGKILL)
        master.start()
        check(master.job(reply["job"])["state"] == "queued",
              "after kill -9 the accepted job is still there, queued")
        group = WorkerGroup(args, master, 2, name="watch_group2")
        master.wait_for([reply["job"]], timeout=120)
        check(master.job(reply["job"])["state"] == "completed", "and completes after the restart")
        check(len(watched_jobs(master)) == 4, "no watched scan was submitted twice")
    finally:
        cleanup(group, master)
    print("PASSED")


if __name__ == "__main__":
    main()
