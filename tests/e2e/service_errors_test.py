"""Submit validation on the real master: every bad submission gets a
`rejected` reply that names the problem, nothing is queued for it, the
master stays up, and bad traffic on the worker endpoint is dropped."""
import json
import os
import subprocess

import h5py
import numpy as np
import zmq

from service_harness import Master, arguments, check, cleanup, example_scan, fresh_dirs


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    scan = example_scan(args, os.path.join(indir, "scan.h5"), frames=16, rows=32, columns=16)
    plain = os.path.join(indir, "plain.h5")
    with h5py.File(plain, "w") as f:
        f["other"] = np.zeros((4, 4), np.float32)
    existing = os.path.join(outdir, "exists.h5")
    open(existing, "w").close()
    outside_in = os.path.join(args.workdir, "outside.h5")
    subprocess.run([os.path.join(args.bin, "h5io"), "example", "--output", outside_in,
                    "--overwrite", "--frames", "8", "--rows", "16", "--columns", "8"], check=True,
                   capture_output=True)

    # Ways out of the roots that look like ways in.
    link_in = os.path.join(indir, "link.h5")
    os.symlink(outside_in, link_in)
    os.symlink(args.workdir, os.path.join(outdir, "escape"))

    master = Master(args, input_roots=[indir], output_roots=[outdir], check_timeout_ms=2000)
    try:
        ok = {"type": "submit", "input": scan, "plugin": "benchmark",
              "output": os.path.join(outdir, "ok.h5")}

        def out(name):
            return os.path.join(outdir, name)

        cases = [
            ("unknown library", {**ok, "plugin": "nope"}, "library 'nope' not found"),
            ("library name with a path", {**ok, "plugin": "../evil"}, "library name"),
            ("missing input", {**ok, "input": os.path.join(indir, "missing.h5")},
             "cannot be opened"),
            ("relative input", {**ok, "input": "scan.h5"}, "must be an absolute path"),
            ("input outside the roots", {**ok, "input": outside_in},
             "outside the allowed input directories"),
            ("input by a symbolic link out of the roots", {**ok, "input": link_in},
             "outside the allowed input directories"),
            ("input by .. out of the roots", {**ok, "input": indir + "/../outside.h5"},
             "outside the allowed input directories"),
            ("output in a symbolic link to a directory out of the roots",
             {**ok, "output": out("escape/x.h5")}, "outside the allowed output directories"),
            ("output by .. out of the roots", {**ok, "output": out("../x.h5")},
             "outside the allowed output directories"),
            ("missing dataset", {**ok, "input": plain}, "/entry/data/data"),
            ("library crashing in its init",
             {**ok, "plugin": "configurable",
              "params": {"inputs": "/entry/data/data:1", "crash_in": "h5io_init"}},
             "library 'configurable' crashed while the master checked the job (segmentation"),
            ("library hanging in its init",
             {**ok, "plugin": "configurable",
              "params": {"inputs": "/entry/data/data:1", "hang_in": "h5io_init"}},
             "took longer than 2 s: library 'configurable' did not finish"),
            ("library refuses a parameter", {**ok, "params": {"axis": 7}}, "axis"),
            ("unknown parameter", {**ok, "params": {"axsi": 1}}, "unknown parameter 'axsi'"),
            ("output outside the roots", {**ok, "output": "/tmp/elsewhere.h5"},
             "outside the allowed output directories"),
            ("output directory missing", {**ok, "output": out("no/such/dir.h5")},
             "output directory"),
            ("output exists", {**ok, "output": existing}, "already exists"),
            ("output is a directory", {**ok, "output": outdir + "/"}, "does not name a file"),
            ("missing field", {k: v for k, v in ok.items() if k != "plugin"}, "plugin"),
            ("wrong type", {**ok, "priority": "high"}, "priority"),
            ("wrong params type", {**ok, "params": [1, 2]}, "params"),
            ("unknown field", {**ok, "inptu": scan}, "inptu"),
            ("unknown type", {"type": "sumbit"}, "unknown message type"),
            ("priority out of range", {**ok, "priority": 99999}, "priority"),
            ("cancel of an unknown job", {"type": "cancel", "job": "j999999"}, "no job"),
        ]
        raw_cases = [
            ("malformed JSON", b'{"type": "submit", "input": ', "not valid JSON"),
            ("not an object", b'[1, 2, 3]', "object"),
            ("invalid UTF-8", b'{"type": "submit", "input": "\xff\xfe"}', "UTF-8"),
            ("nesting bomb", b'{"a":' * 10000 + b'1' + b'}' * 10000, "nest"),
            ("oversized message",
             json.dumps({**ok, "params": {"x": "y" * (2 << 20)}}).encode(), "exceeds"),
        ]
        for name, message, expected in cases + raw_cases:
            reply = master.request(message)
            check(reply.get("type") == "rejected" and expected.lower() in reply["error"].lower(),
                  f"{name}: rejected with a clear reason ({reply.get('error', reply)!s:.160})")
        check(master.snapshot()["jobs"] == [], "nothing was queued by the bad submissions")

        # With no worker group the job waits: its output is taken meanwhile.
        reply = master.submit(**{k: v for k, v in ok.items() if k != "type"})
        check(reply["type"] == "accepted", f"a good submission is accepted ({reply})")
        job = reply["job"]
        again = master.submit(**{k: v for k, v in ok.items() if k != "type"})
        check(again["type"] == "rejected" and job in again["error"],
              f"a second job for the same output is refused ({again})")
        check(master.job(job)["state"] == "queued", "the job waits for a worker group")
        reply = master.request({"type": "cancel", "job": job})
        check(reply == {"type": "accepted", "job": job}, f"cancel of a queued job ({reply})")
        check(master.job(job)["state"] == "cancelled", "the job is cancelled")
        reply = master.request({"type": "cancel", "job": job})
        check(reply["type"] == "rejected" and "already ended" in reply["error"],
              f"a second cancel is refused ({reply})")

        # Junk on the worker endpoint is dropped; the master carries on.
        dealer = master.context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(master.worker_endpoint)
        for junk in (b"garbage", b'{"type":"done","job":"j000001","lease":5,"units":[0]}',
                     b'{"type":"ready"}', b'{"type":"submit"}', [b"a", b"b", b"c"]):
            dealer.send_multipart(junk if isinstance(junk, list) else [junk])
        check(dealer.poll(3000), "an unregistered worker is told to register")
        check(json.loads(dealer.recv()) == {"type": "disconnect"},
              "with a disconnect message (Majordomo)")
        dealer.close()

        check(master.alive() and master.snapshot()["type"] == "snapshot",
              "the master is still up and answering")

        # A second master on the same endpoints, and bad configuration files,
        # are refused at start with the reason.
        bad_configs = [
            ("endpoint in use", {**master.config, "journal_dir": os.path.join(args.workdir, "j2")},
             "is another master running?"),
            ("unknown key", {"journal_dir": "/tmp/j", "hearbeat_ms": 5}, "unknown key 'hearbeat_ms'"),
            ("missing journal", {}, "'journal_dir' is required"),
            ("bad watch rule", {"journal_dir": "/tmp/j", "watch": [{"dir": "/tmp"}]},
             "'plugin' or 'pipeline'"),
            ("watched directory missing",
             {"journal_dir": os.path.join(args.workdir, "j3"), "client_endpoint": "tcp://127.0.0.1:0",
              "status_endpoint": "tcp://127.0.0.1:0", "worker_endpoint": "tcp://127.0.0.1:0",
              "watch": [{"dir": "/nonexistent/scans", "plugin": "benchmark",
                         "output_dir": outdir}]},
             "watched directory '/nonexistent/scans' does not exist"),
        ]
        for name, config, expected in bad_configs:
            path = os.path.join(args.workdir, "bad_config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            result = subprocess.run([os.path.join(args.bin, "h5io-master"), "--config", path],
                                    capture_output=True, text=True, timeout=30)
            check(result.returncode == 1 and expected in result.stdout + result.stderr,
                  f"{name}: the master refuses to start, saying why "
                  f"({(result.stdout + result.stderr).strip()[-160:]})")
        with open(os.path.join(args.workdir, "bad_config.json"), "w") as f:
            f.write('{"journal_dir": ')
        result = subprocess.run([os.path.join(args.bin, "h5io-master"), "--config",
                                 os.path.join(args.workdir, "bad_config.json")],
                                capture_output=True, text=True, timeout=30)
        check(result.returncode == 1 and "not valid JSON" in result.stdout + result.stderr,
              "a configuration file that is not JSON is refused")
        check(master.alive(), "the running master was not disturbed")
        log = master.log()
        check("dropped" in log, "bad worker messages are logged")
    finally:
        cleanup(master)
    print("PASSED")


if __name__ == "__main__":
    main()
