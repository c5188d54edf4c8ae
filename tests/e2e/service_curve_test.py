"""CURVE authentication of the service (issue 6, PROTOCOL.md section 4) on a
real master and real worker groups. Keys come from `h5io keygen`, and one
client's from pyzmq's zmq.auth.create_certificates (interoperability both
ways: pyzmq reads ours, the master and `h5io status` read pyzmq's).

An authorised client (`h5io submit --wait`, the Python example) submits and
the job completes on an authorised worker group; an authorised status
subscriber hears the events. Refused, all of them met with silence and named
in the master's log (once, however often they reconnect): a client with
valid CURVE keys not in authorized_clients_dir, a worker group's key used as
a client, a plain (NULL) client, a subscriber with an unknown key, and a
worker group holding a client's key (it never registers). SIGHUP reloads
the key directories: a key added is let in; a key removed is refused on its
next connection, and its connections made before are no longer served (a
client's requests go unanswered; a worker group is lost, and joins again
once its key is back; every status subscriber is cut off and must pass ZAP
again, so bob's stops hearing events while alice's reconnects); a broken
key file leaves the keys in force as they
were. The master keeps serving throughout and stops cleanly on SIGTERM."""
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import zmq
import zmq.auth

from service_harness import (Master, StatusWatcher, WorkerGroup, arguments, check, cleanup,
                             curve_client, example_scan, fresh_dirs, wait_for_groups)

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "examples",
                       "submit_and_follow.py")


def run(command, env=None, timeout=120):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            env=dict(os.environ, **(env or {})))
    return result, (f"{' '.join(command)}\nexit {result.returncode}\nstdout:\n{result.stdout}\n"
                    f"stderr:\n{result.stderr}")


def eventually(condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def logged(master, text, timeout=10.0):
    return eventually(lambda: text in master.log(), timeout)


def no_replies(master, who, wait=2.0):
    """Each (name, keys) in `who` sends a status request on its own REQ
    socket; the names of those that got a reply within `wait` seconds."""
    sockets = []
    for name, keys in who:
        s = master.context.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        curve_client(s, keys)
        s.connect(master.client_endpoint)
        s.send_json({"type": "status"})
        sockets.append((name, s))
    deadline = time.time() + wait
    answered = []
    for name, s in sockets:
        if s.poll(max(1, int((deadline - time.time()) * 1000))):
            answered.append(name)
        s.close()
    return answered


def main():
    args = arguments(__doc__)
    indir, outdir, keys, clients, workers = fresh_dirs(args.workdir, "in", "out", "keys",
                                                       "clients", "workers")
    h5io = os.path.join(args.bin, "h5io")
    key = lambda name, secret=True: os.path.join(keys, name + (".key_secret" if secret else ".key"))

    # ---- h5io keygen ----------------------------------------------------------
    for name in ("master", "alice", "gpu", "mallory", "carol"):
        result, detail = run([h5io, "keygen", name, "--dir", keys])
        check(result.returncode == 0 and key(name) in result.stdout and
              "authorized_clients_dir" in result.stdout and "--master-key" in result.stdout,
              f"h5io keygen {name} writes the pair and says where each file goes\n{detail}")
        check(stat.S_IMODE(os.stat(key(name)).st_mode) == 0o600, f"{name}.key_secret is 0600")
    first = zmq.auth.load_certificate(key("alice"))
    result, detail = run([h5io, "keygen", "alice", "--dir", keys])
    check(result.returncode == 1 and "exists; --force replaces" in result.stderr and
          zmq.auth.load_certificate(key("alice")) == first,
          f"keygen refuses to overwrite a pair without --force\n{detail}")
    result, detail = run([h5io, "keygen", "alice", "--dir", keys, "--force"])
    check(result.returncode == 0 and zmq.auth.load_certificate(key("alice")) != first,
          f"keygen --force replaces it\n{detail}")
    # pyzmq's key pair for bob; its secret file has the umask's mode.
    zmq.auth.create_certificates(keys, "bob")
    for name, where in (("alice", clients), ("bob", clients), ("gpu", workers)):
        shutil.copy(key(name, secret=False), where)

    master_public = zmq.auth.load_certificate(key("master", secret=False))[0]
    check(len(master_public) == 40 and
          zmq.auth.load_certificate(key("master"))[0] == master_public,
          "pyzmq reads the keys h5io keygen wrote")

    def client_keys(name):
        public, secret = zmq.auth.load_certificate(key(name))
        return public, secret, master_public

    def key_text(name):
        return zmq.auth.load_certificate(key(name, secret=False))[0].decode()

    scan = example_scan(args, os.path.join(indir, "scan.h5"), frames=16, rows=64, columns=16)
    master = Master(args, client_keys=client_keys("alice"), input_roots=[indir],
                    output_roots=[outdir],
                    curve={"secret_key_file": key("master"), "authorized_clients_dir": clients,
                           "authorized_workers_dir": workers})
    group = rogue = None
    watchers = []
    try:
        log = master.log()
        check(f"CURVE: 2 client keys from {clients}" in log and
              f"CURVE: 1 worker group key from {workers}" in log and
              master_public.decode() in log,
              f"the master says how many keys it loaded from where\n{log}")

        # Subscribers: authorised (pyzmq's bob), unknown key (mallory), plain.
        good = StatusWatcher(master, keys=client_keys("bob"))
        unknown = StatusWatcher(master, keys=client_keys("mallory"))
        plain = StatusWatcher(master, keys=None)
        watchers = [good, unknown, plain]

        # An authorised worker group, and one holding a client's key.
        curve_args = lambda name: ["--key", key(name), "--master-key", key("master", False)]
        group = WorkerGroup(args, master, ranks=2, name="gpu", extra=curve_args("gpu"))
        rogue = WorkerGroup(args, master, ranks=1, name="rogue", extra=curve_args("alice"))
        wait_for_groups(master, 1)
        check(logged(master, f"refused a connection to the worker endpoint from 127.0.0.1: "
                             f"CURVE public key {key_text('alice')} is not authorised"),
              f"the master logs the refused worker group's key\n{master.log()[-3000:]}")
        check(eventually(lambda: "CURVE: this group's public key is" in rogue.log()) and
              rogue.process.poll() is None,
              f"the refused group runs on, unanswered\n{rogue.log()}")

        # ---- authorised clients: h5io submit --wait (keys from the environment)
        output = os.path.join(outdir, "alice.h5")
        result, detail = run([h5io, "submit", "--wait", "--master", master.client_endpoint,
                              "-i", scan, "-p", "benchmark", "-o", output],
                             env={"H5IO_KEY": key("alice"),
                                  "H5IO_MASTER_KEY": key("master", False)})
        check(result.returncode == 0 and result.stdout.splitlines()[-1] == output and
              os.path.exists(output), f"an authorised client's job completes\n{detail}")
        job = result.stdout.splitlines()[0]
        started = [e for topic, e in good.snapshot_events()
                   if topic == "job.started" and e["job"] == job]
        check(started and started[0]["group"] == "gpu",
              f"on the authorised worker group ({started}), which the authorised subscriber hears")

        # The Python example with pyzmq's key pair for bob.
        output = os.path.join(outdir, "bob.h5")
        result, detail = run([sys.executable, EXAMPLE, "--master", master.client_endpoint,
                              "--input", scan, "--plugin", "benchmark", "--output", output,
                              "--key", key("bob"), "--master-key", key("master", False)])
        check(result.returncode == 0 and result.stdout.splitlines()[-1] == f"completed {output}",
              f"the Python example with pyzmq's keys completes a job\n{detail}")
        by = {j["output"]: j.get("submitted_by") for j in master.snapshot()["jobs"]}
        check(by == {os.path.join(outdir, "alice.h5"): "alice", output: "bob"},
              f"each job records the name of the key that submitted it ({by})")

        # h5io reads pyzmq's secret file once it is private.
        status = [h5io, "status", "--json", "--master", master.client_endpoint, "--timeout", "1.5"]
        os.chmod(key("bob"), 0o644)
        result, detail = run(status + ["--key", key("bob"), "--master-key", key("master", False)])
        check(result.returncode == 1 and "(mode 0644)" in result.stderr and
              f"chmod 600 '{key('bob')}'" in result.stderr,
              f"a secret key others may read is refused, saying how to fix it\n{detail}")
        os.chmod(key("bob"), 0o600)
        result, detail = run(status + ["--key", key("bob"), "--master-key", key("master", False)])
        check(result.returncode == 0 and '"type":"snapshot"' in result.stdout,
              f"h5io status with pyzmq's key pair\n{detail}")
        result, detail = run(status + ["--key", key("bob"), "--master-key", key("bob")])
        check(result.returncode == 2 and "authorized_clients_dir" in result.stderr,
              f"the wrong master key: no reply, with a hint\n{detail}")
        check(logged(master, "a connection to the client endpoint failed its handshake: the peer "
                             "encrypted for another public key: its --master-key must be this "
                             f"master's, {master_public.decode()}"),
              f"the master says a client holds a wrong master key\n{master.log()[-2000:]}")

        # ---- refused clients: silence, and a line in the log -----------------
        answered = no_replies(master, [("mallory", client_keys("mallory")),
                                       ("worker key", client_keys("gpu")), ("plain", None)])
        check(answered == [], f"no reply to unauthorised or plain clients (answered: {answered})")
        for endpoint in ("client", "status"):
            # libzmq reports a mismatch, or a close if the peer saw it first.
            where = f"a connection to the {endpoint} endpoint failed its handshake: the peer "
            check(eventually(lambda: where + "does not use CURVE" in master.log() or
                             where + "closed it mid-handshake" in master.log()),
                  f"the master says a plain peer tried the {endpoint} endpoint")
        check(logged(master, f"refused a connection to the client endpoint from 127.0.0.1: "
                             f"CURVE public key {key_text('mallory')} is not authorised: no "
                             f"NAME.key in {clients} holds it"),
              f"the master names the refused client key\n{master.log()[-3000:]}")
        check(logged(master, f"the client endpoint from 127.0.0.1: CURVE public key "
                             f"{key_text('gpu')} is not authorised"),
              "and the worker group's key used as a client")
        result, detail = run(status + ["--key", key("mallory"),
                                       "--master-key", key("master", False)])
        check(result.returncode == 2 and "no reply from the master" in result.stderr and
              "is this client's public key in its authorized_clients_dir" in result.stderr,
              f"h5io status with an unknown key: exit 2 and a hint\n{detail}")
        result, detail = run(status)
        check(result.returncode == 2 and "no reply from the master" in result.stderr,
              f"h5io status without keys: exit 2\n{detail}")
        result, detail = run(status + ["--key", key("alice")])
        check(result.returncode == 1 and "--key given without --master-key" in result.stderr,
              f"--key without --master-key is an error\n{detail}")

        # Reconnecting over and over does not flood the log.
        for _ in range(5):
            check(no_replies(master, [("mallory", client_keys("mallory"))], wait=0.3) == [],
                  "mallory again: no reply")
        lines = [line for line in master.log().splitlines() if key_text("mallory") in line]
        check(len([l for l in lines if "client endpoint" in l]) == 1 and
              len([l for l in lines if "status endpoint" in l]) == 1,
              "each refused key is logged once per endpoint, however often it comes back:\n" +
              "\n".join(lines))
        rogue_lines = [l for l in master.log().splitlines()
                       if "worker endpoint" in l and key_text("alice") in l]
        check(len(rogue_lines) == 1, f"the rogue group's retries are logged once: {rogue_lines}")

        # ---- the snapshot and the subscribers -------------------------------
        snapshot = master.snapshot()
        check([w["group"] for w in snapshot["workers"]] == ["gpu"],
              f"the group with a client's key never registered: {snapshot['workers']}")
        topics = [topic for topic, _ in good.snapshot_events()]
        check("job.completed" in topics and "master.heartbeat" in topics,
              f"the authorised subscriber heard the jobs ({len(topics)} events)")
        check(unknown.snapshot_events() == [] and plain.snapshot_events() == [],
              "subscribers with an unknown key or none hear nothing")
        check(f"the status endpoint from 127.0.0.1: CURVE public key {key_text('mallory')}"
              in master.log(), "the master names the refused subscriber's key")

        # ---- SIGHUP: the key directories are read again ----------------------
        check(no_replies(master, [("carol", client_keys("carol"))]) == [],
              "carol is not authorised yet")
        # bob's connections, made before the reload that removes his key.
        alice_watcher = StatusWatcher(master, keys=client_keys("alice"))
        watchers.append(alice_watcher)
        check(eventually(lambda: len(alice_watcher.snapshot_events()) > 0),
              "alice's subscriber hears events")
        bob = master.context.socket(zmq.REQ)
        bob.setsockopt(zmq.LINGER, 0)
        curve_client(bob, client_keys("bob"))
        bob.connect(master.client_endpoint)
        bob.send_json({"type": "status"})
        check(bob.poll(5000) and bob.recv_json()["type"] == "snapshot",
              "bob is answered before the reload")
        shutil.copy(key("carol", secret=False), clients)
        os.remove(os.path.join(clients, "bob.key"))
        master.process.send_signal(signal.SIGHUP)
        check(logged(master, "SIGHUP: CURVE keys reloaded: client keys: added carol; removed bob "
                             "(2 now)"),
              f"the master logs which keys the reload added and removed\n{master.log()[-2000:]}")
        check(no_replies(master, [("carol", client_keys("carol")), ("bob", client_keys("bob")),
                                  ("alice", client_keys("alice"))]) == ["carol", "alice"],
              "after the reload carol gets answers, bob (removed) does not, alice still does")
        check(logged(master, "status subscribers were disconnected"),
              "the master cut off every status subscriber")
        time.sleep(0.5)  # events sent before the cut may still be on their way
        heard = len(good.snapshot_events()), len(alice_watcher.snapshot_events())
        bob.send_json({"type": "status"})
        check(not bob.poll(2000), "nor on bob's connection made before the reload")
        check(len(good.snapshot_events()) == heard[0],
              f"bob's subscriber hears nothing after the reload "
              f"({len(good.snapshot_events()) - heard[0]} events)")
        check(eventually(lambda: len(alice_watcher.snapshot_events()) > heard[1] + 2),
              "alice's subscriber reconnected by itself and hears events again")
        bob.close()
        check(logged(master, "dropped a message on the client endpoint: its connection was let in "
                             f"with CURVE public key {key_text('bob')}, which a reload has since "
                             "removed"),
              f"the master says why it dropped bob's request\n{master.log()[-2000:]}")

        # A worker group whose key is removed is lost; with its key back it joins again.
        os.rename(os.path.join(workers, "gpu.key"), os.path.join(args.workdir, "gpu.key"))
        master.process.send_signal(signal.SIGHUP)
        check(logged(master, "worker keys: removed gpu (0 now)"), "the group's key is removed")
        check(eventually(lambda: master.snapshot()["workers"] == [], timeout=20),
              f"the master no longer hears the group and forgets it\n{master.log()[-2000:]}")
        os.rename(os.path.join(args.workdir, "gpu.key"), os.path.join(workers, "gpu.key"))
        master.process.send_signal(signal.SIGHUP)
        check(eventually(lambda: [w["group"] for w in master.snapshot()["workers"]] == ["gpu"],
                         timeout=60),
              f"with its key back the group joins again\n{group.log()[-2000:]}")
        with open(os.path.join(clients, "broken.key"), "w") as f:
            f.write("curve\n    public-key = \"not a key\"\n")
        master.process.send_signal(signal.SIGHUP)
        check(logged(master, "SIGHUP: CURVE keys not reloaded:") and
              "broken.key" in master.log().split("SIGHUP: CURVE keys not reloaded:")[-1],
              f"a broken key file is named and the reload refused\n{master.log()[-2000:]}")
        check(no_replies(master, [("carol", client_keys("carol")), ("bob", client_keys("bob"))])
              == ["carol"], "the keys in force before the broken reload still apply")
        os.remove(os.path.join(clients, "broken.key"))

        # ---- still serving; a clean stop ------------------------------------
        check(master.alive() and master.snapshot()["type"] == "snapshot",
              "the master is alive and answering")
        for w in watchers:
            w.close()
        watchers = []
        group.stop()
        rogue.stop()
        started = time.time()
        master.process.send_signal(signal.SIGTERM)
        code = master.process.wait(timeout=15)
        check(code == 0 and "h5io-master stopping" in master.log(),
              f"SIGTERM stops the master and its ZAP thread cleanly in "
              f"{time.time() - started:.1f} s (exit {code})")
    finally:
        for w in watchers:
            w.close()
        cleanup(*(t for t in (group, rogue) if t), master)
    print("PASSED")


if __name__ == "__main__":
    main()
