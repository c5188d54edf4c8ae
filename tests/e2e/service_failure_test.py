"""A library that fails on one slice, through the service: the failing
units are retried, quarantined after 3 attempts, and the job fails with the
library's own error text, with no file under the output name; meanwhile
another job completes, and the worker group stays in service. A job
cancelled while its group is still starting it (before the partial file
exists) leaves no partial file behind either."""
import os
import subprocess
import time

from service_harness import Master, WorkerGroup, arguments, check, cleanup, wait_for_groups


def main():
    args = arguments(__doc__)
    outdir = os.path.join(args.workdir, "out")
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        os.remove(os.path.join(outdir, name))
    scan = os.path.join(args.workdir, "scan.h5")
    subprocess.run([os.path.join(args.bin, "h5io"), "example", "--output", scan, "--overwrite",
                    "--frames", "16", "--rows", "64", "--columns", "16"], check=True,
                   capture_output=True)
    master = Master(args, output_roots=[outdir])
    group = WorkerGroup(args, master, 2, name="failure_group")
    try:
        wait_for_groups(master, 1)
        bad_output = os.path.join(outdir, "bad.h5")
        bad = master.submit(input=scan, plugin="configurable", output=bad_output, priority=5,
                            params={"inputs": "/entry/data/data:1", "fail_in": "process",
                                    "fail_at": 40, "message": "flats saturated on slice 40"})
        good_output = os.path.join(outdir, "good.h5")
        good = master.submit(input=scan, plugin="benchmark", output=good_output)
        check(bad["type"] == good["type"] == "accepted", f"both accepted ({bad}, {good})")
        jobs = master.wait_for([bad["job"], good["job"]], timeout=180)

        failed = jobs[bad["job"]]
        check(failed["state"] == "failed", f"the failing job failed ({failed['state']})")
        error = failed.get("error", "")
        check("failed 3 times" in error and "quarantined" in error,
              f"after 3 attempts its unit was quarantined: {error}")
        check("flats saturated on slice 40" in error and "slice 40" in error,
              "the error carries the library's own text and the slice")
        check(not os.path.exists(bad_output) and not os.path.exists(bad_output + ".partial"),
              "no file is left under the failed job's output name (nor its partial)")
        check(jobs[good["job"]]["state"] == "completed" and os.path.exists(good_output),
              "the other job completed")

        # Cancelled while the group is still in the library's init, before it
        # creates the partial file: the master's own deletion comes too
        # early, so the group must delete the file it then creates.
        slow_output = os.path.join(outdir, "slow_start.h5")
        slow = master.submit(input=scan, plugin="configurable", output=slow_output,
                             params={"inputs": "/entry/data/data:1", "init_sleep_ms": 1500})
        check(slow["type"] == "accepted", f"the slow-starting job is accepted ({slow})")
        deadline = time.time() + 30
        while master.job(slow["job"])["state"] != "running" and time.time() < deadline:
            time.sleep(0.05)
        check(master.job(slow["job"])["state"] == "running", "the group started it")
        reply = master.request({"type": "cancel", "job": slow["job"]})
        check(reply == {"type": "accepted", "job": slow["job"]}, f"cancelled ({reply})")

        # The group stays in service: one more job runs on it.
        again = master.submit(input=scan, plugin="benchmark",
                              output=os.path.join(outdir, "again.h5"))
        check(master.wait_for([again["job"]], timeout=120)[again["job"]]["state"] == "completed",
              "the group takes more work after the failure and the cancel")
        check(not os.path.exists(slow_output) and not os.path.exists(slow_output + ".partial"),
              "the job cancelled while starting left no file (nor its partial)")
        check("the job has ended, so its partial output is deleted" in group.log(),
              "the group deleted the partial file it created after the cancel")
        check(len(master.snapshot()["workers"]) == 1, "and is still registered")
        log = master.log()
        check(log.count("back in the queue") >= 2, "the failed unit was retried (see master log)")
    finally:
        cleanup(group, master)
    print("PASSED")


if __name__ == "__main__":
    main()
