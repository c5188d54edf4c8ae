"""`h5io status --follow` against a real master and worker group. In a
pseudo-terminal it draws a live view redrawn in place (cursor hidden, cursor
up and rewrite, lines cut to the terminal's width, a full redraw after a
resize) with a progress bar, the job ids, their states, a failed job's error
and the group; Ctrl-C (typed into the terminal) ends it with status 0 and
the cursor shown again. Piped, the same command prints one plain line per
event and no escape codes."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, example_scan,
                             fresh_dirs, wait_for_groups)

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Where a new frame starts: cursor up over the last one, or home + clear.
REDRAW = re.compile(r"\r\x1b\[\d+A|\x1b\[H\x1b\[2J")
BAR = re.compile(r"\[[#-]{20}\]")


class PtyProcess:
    """A command on its own pseudo-terminal, which is its controlling
    terminal, so a typed Ctrl-C (0x03) reaches it as SIGINT."""

    def __init__(self, command, columns, rows=40):
        self.fd, slave = os.openpty()
        self.resize(columns, rows, fd=slave)
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def resize(self, columns, rows=40, fd=None):
        fcntl.ioctl(self.fd if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, columns, 0, 0))

    def read(self):
        while True:
            if not select.select([self.fd], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the other side is closed
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def text(self):
        with self.lock:
            return self.data.decode(errors="replace")

    def wait_for(self, pattern, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, ESCAPE.sub("", self.text())):
                return
            time.sleep(0.1)
        check(False, f"{what}\n--- terminal output (end):\n{self.text()[-3000:]!r}")

    def type(self, data):
        os.write(self.fd, data)


def last_frame(output):
    """The last complete frame, escape codes stripped: what the screen shows."""
    complete = [f for f in REDRAW.split(output) if f.endswith("\x1b[J")]  # ends with clear-below
    return ESCAPE.sub("", complete[-1] if complete else "").replace("\r", "").rstrip("\n")


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    scan = example_scan(args, os.path.join(indir, "scan.h5"))

    master = Master(args, output_roots=[outdir])
    group = WorkerGroup(args, master, 2, name="live_group")
    live = piped = None
    try:
        wait_for_groups(master, 1)
        status = [os.path.join(args.bin, "h5io"), "status", "--follow", "--master",
                  master.client_endpoint, "--status", master.status_endpoint]
        live = PtyProcess(status, columns=150)
        piped = subprocess.Popen(status, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        live.wait_for(r"group live_group +2 ranks on \S+ +idle", "the view lists the idle group")
        started = time.time()

        good = master.submit(input=scan, plugin="benchmark",
                             output=os.path.join(outdir, "sums.h5"))
        bad = master.submit(input=scan, plugin="configurable", output=os.path.join(outdir, "bad.h5"),
                            params={"inputs": "/entry/data/data:0", "fail_in": "process",
                                    "fail_at": 3, "message": "detector\ngone\x1b[2J dark"})
        check(good["type"] == bad["type"] == "accepted", f"jobs accepted ({good}, {bad})")
        jobs = master.wait_for([good["job"], bad["job"]], timeout=180)
        check(jobs[good["job"]]["state"] == "completed", f"the benchmark job completed: {jobs}")
        check(jobs[bad["job"]]["state"] == "failed", f"the configurable job failed: {jobs}")
        live.wait_for(rf"{good['job']} +completed +\[#{{20}}\] 100%",
                      "the view shows the job completed with a full bar")
        live.wait_for(rf"{bad['job']} +failed .*error: .*detector gone", "and the failure's error")
        live.wait_for(r"groups: 1 ", "the header counts the group")
        time.sleep(1.2)  # a redraw after both ended, at least the 1 s tick
        frame = last_frame(live.text())
        print("--- a frame, escape codes stripped:\n" + frame + "\n---")

        output = live.text()
        check("\x1b[?25l" in output, "the cursor is hidden while the view is drawn")
        redraws = len(REDRAW.findall(output))
        elapsed = time.time() - started + 1
        check("\x1b[K" in output, "redrawn lines are cleared to their end")
        check(BAR.search(frame), "a progress bar is drawn")
        check(re.search(rf"{good['job']} +completed .* 256/256 slices", frame),
              "the job line has done/total slices")
        check(re.search(r"^h5io master tcp://127\.0\.0\.1:\d+ +epoch m-\S+ +jobs: 0 queued, "
                        r"0 running +groups: 1 +last event \d\d:\d\d:\d\d", frame, re.M),
              "the header names the master, epoch, counts and last event")
        check("live_group" in frame, "the group's name is shown")
        check("\x1b[2J dark" not in output and "detector gone" in frame,
              "control characters from the master's error text are not passed to the terminal")
        check(redraws <= 12 * elapsed + 5,
              f"at most ~10 redraws a second ({redraws} in {elapsed:.1f} s)")
        check(all(len(line) <= 149 for line in frame.splitlines()),
              "lines fit the terminal's 150 columns")

        # A narrower terminal: redrawn from the top, lines cut to the new width.
        mark = len(live.text())
        live.resize(60)
        time.sleep(1.5)  # at least one redraw (heartbeats, and the 1 s tick)
        after = live.text()[mark:]
        check("\x1b[H\x1b[2J" in after, "after a resize the view is redrawn from the top")
        narrow = last_frame(after)
        check(narrow and all(len(line) <= 59 for line in narrow.splitlines())
              and any(len(line) == 59 for line in narrow.splitlines()),
              f"lines are cut to the new 60 columns:\n{narrow}")

        redraws = len(REDRAW.findall(live.text()))
        check(redraws >= 4, f"the view is redrawn in place ({redraws} redraws)")

        # Ctrl-C typed into the terminal.
        live.type(b"\x03")
        code = live.process.wait(timeout=10)
        time.sleep(0.3)  # the last bytes reach the reader
        output = live.text()
        check(code == 0, f"Ctrl-C ends the live view with status 0 (got {code})")
        check(output.rfind("\x1b[?25h") > output.rfind("\x1b[?25l"),
              "and the cursor is shown again")

        piped.send_signal(signal.SIGINT)
        out, err = piped.communicate(timeout=10)
        check(piped.returncode == 0, f"piped, SIGINT ends it with status 0 ({err})")
        check("\x1b" not in out, "piped output has no escape codes")
        check(re.search(rf"^\d\d:\d\d:\d\d job\.completed job={good['job']}\b", out, re.M)
              and re.search(rf"^\d\d:\d\d:\d\d job\.progress .*job={good['job']}\b", out, re.M)
              and re.search(rf"^\d\d:\d\d:\d\d job\.failed .*job={bad['job']}\b", out, re.M),
              f"piped, one plain line per event:\n{out[:2000]}")
    finally:
        for process in (live.process if live else None, piped):
            if process and process.poll() is None:
                process.kill()
                process.wait()
        cleanup(group, master)
    print("PASSED")


if __name__ == "__main__":
    main()
