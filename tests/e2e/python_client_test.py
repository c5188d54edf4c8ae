"""proto/examples/submit_and_follow.py, the example acquisition software
copies, against a real master and worker group: a job followed to
completion (exit 0, its output written), a rejected submit (exit 1 with the
master's own text), and joining a running job late with --job (it rebuilds
the job's state from a snapshot and follows it to its end)."""
import os
import subprocess
import sys
import time

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, example_scan,
                             fresh_dirs, wait_for_groups)

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "examples",
                       "submit_and_follow.py")


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    scan = example_scan(args, os.path.join(indir, "scan.h5"))
    master = Master(args, output_roots=[outdir])
    group = WorkerGroup(args, master, 2, name="py_group")

    def example(*options):
        result = subprocess.run([sys.executable, EXAMPLE, "--master", master.client_endpoint,
                                 "--status", master.status_endpoint, *options],
                                capture_output=True, text=True, timeout=180)
        return result, (f"exit {result.returncode}\nstdout:\n{result.stdout}\n"
                        f"stderr:\n{result.stderr}\nmaster log:\n{master.log()[-3000:]}")

    try:
        wait_for_groups(master, 1)

        # Submitted and followed to completion.
        output = os.path.join(outdir, "sums.h5")
        result, detail = example("--input", scan, "--plugin", "benchmark", "--output", output)
        lines = result.stdout.splitlines()
        check(result.returncode == 0, f"a completed job exits 0\n{detail}")
        check(lines and lines[0].startswith("j0") and master.job(lines[0])["state"] == "completed",
              f"it prints the job id first, and the master says it completed\n{detail}")
        check(lines[-1] == f"completed {output}", f"then 'completed OUTPUT'\n{detail}")
        check(os.path.exists(output) and not os.path.exists(output + ".partial"),
              "the output exists, and no partial file is left")
        check("256/256 slices" in result.stderr, f"progress reaches 256/256 slices\n{detail}")

        # Rejected: the same request straight to the master gives the text to expect.
        bad = {"input": scan, "plugin": "no_such_library", "output": os.path.join(outdir, "x.h5")}
        reply = master.submit(**bad, params={})
        check(reply["type"] == "rejected" and reply["error"], f"the master rejects it: {reply}")
        result, detail = example("--input", bad["input"], "--plugin", bad["plugin"],
                                 "--output", bad["output"])
        check(result.returncode == 1 and result.stdout == "" and
              result.stderr.strip() == f"rejected: {reply['error']}",
              f"a rejected submit exits 1 with the master's text\n{detail}")

        # Late join: the job runs (slowed by a second group's absence: 8 units
        # on one group of 2 ranks) when the example starts following it.
        big = example_scan(args, os.path.join(indir, "big.h5"), frames=2048)
        late_output = os.path.join(outdir, "big_sums.h5")
        job = master.submit(input=big, plugin="benchmark", output=late_output)["job"]
        deadline = time.time() + 60
        while master.job(job)["state"] == "queued" and time.time() < deadline:
            time.sleep(0.05)
        joined_while = master.job(job)["state"]
        result, detail = example("--job", job)
        check(result.returncode == 0 and result.stdout.splitlines() == [job, f"completed {late_output}"],
              f"--job {job} follows a job submitted earlier to its end (joined while "
              f"{joined_while})\n{detail}")
        check(os.path.exists(late_output), "its output exists")
        # Joining a finished job ends at once; an unknown one is an error.
        result, detail = example("--job", job)
        check(result.returncode == 0 and result.stdout.splitlines()[-1] == f"completed {late_output}",
              f"--job on a finished job reports it at once\n{detail}")
        result, detail = example("--job", "j999999")
        check(result.returncode == 1 and "no longer lists j999999" in result.stderr,
              f"--job on an unknown job exits 1\n{detail}")
        result, detail = example("--plugin", "benchmark")
        check(result.returncode == 2 and "--input, --plugin and --output" in result.stderr,
              f"without --job, the submit options are required\n{detail}")
    finally:
        cleanup(group, master)
    print("PASSED")


if __name__ == "__main__":
    main()
