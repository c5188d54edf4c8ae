"""Attack and bad-input tests for the real service (issue 6): at least 40
distinct hostile messages on the client and worker endpoints, none of them
already in service_errors_test.py. Every client attack gets a `rejected`
whose text names the problem (or, over the 16 MiB socket limit, is dropped
by the socket); every worker attack is dropped and logged (or answered with
`disconnect`, or refused as a foreign lease). A status subscriber sending
a subscription over 1 KiB is cut off. After every batch the master
answers a status request within 1 s, and at the end a real job on a real
2-rank worker group completes with the same output as `h5io run`."""
import json
import os
import subprocess
import time

import h5py
import numpy as np
import zmq

from service_harness import (Master, WorkerGroup, arguments, check, cleanup, example_scan,
                             fresh_dirs, wait_for_groups)

MiB = 1 << 20
attacks = set()  # distinct attack names, counted at the end


def still_answering(master, batch):
    """The master is up and answers a status request within 1 s."""
    start = time.time()
    try:
        reply = master.request({"type": "status"}, timeout=1.0)
    except TimeoutError:
        reply = {}
    up = master.alive() and reply.get("type") == "snapshot"
    check(up, f"after {batch}: the master answers status within 1 s "
              f"({time.time() - start:.3f} s)" + ("" if up else "\n" + master.log()[-3000:]))


def raw(message):
    return message if isinstance(message, bytes) else json.dumps(message).encode()


def client_attacks(master, name, cases):
    for case, message, expected in cases:
        attack = f"client: {case}"
        check(attack not in attacks, f"attack names are distinct ({attack})")
        attacks.add(attack)
        reply = master.request(raw(message))
        check(reply.get("type") == "rejected" and expected.lower() in reply["error"].lower(),
              f"{attack}: rejected naming the problem ({str(reply.get('error', reply))[:160]})")
    still_answering(master, name)


class Dealer:
    """A hand-made peer on the worker endpoint."""

    def __init__(self, master):
        self.socket = master.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(master.worker_endpoint)

    def send(self, *frames):
        self.socket.send_multipart([raw(f) for f in frames])

    def replies(self, wait_ms=300):
        """Every message waiting within wait_ms, decoded."""
        got = []
        while self.socket.poll(wait_ms):
            got.append(json.loads(self.socket.recv()))
            wait_ms = 50
        return got

    def close(self):
        self.socket.close()


def logged(master, before, expected, timeout=5.0):
    """The master log, past offset `before`, gains a line containing `expected`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        new = master.log()[before:]
        if expected.lower() in new.lower():
            return True
        time.sleep(0.05)
    return False


def worker_attacks(master, name, cases, dealer=None):
    own = dealer is None
    dealer = dealer or Dealer(master)
    for case, frames, expected in cases:
        attack = f"worker: {case}"
        check(attack not in attacks, f"attack names are distinct ({attack})")
        attacks.add(attack)
        before = len(master.log())
        dealer.send(*(frames if isinstance(frames, list) else [frames]))
        check(logged(master, before, expected),
              f"{attack}: dropped and logged ('{expected}' in {master.log()[before:][-300:]!r})")
    if own:
        dealer.close()
    still_answering(master, name)


def compare_outputs(a_path, b_path):
    """Every dataset equal in both files, but for the record of when and
    where each was made (the NXprocess and the entry's times)."""
    made = ("entry/process", "entry/start_time", "entry/end_time")
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        names = []
        a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) and
                     not n.startswith(made) else None)
        check(names, f"{a_path} holds datasets")
        for n in names:
            check(n in b and np.array_equal(a[n][...], b[n][...]),
                  f"dataset {n} equals h5io run's")


def main():
    args = arguments(__doc__)
    indir, outdir = fresh_dirs(args.workdir, "in", "out")
    scan = example_scan(args, os.path.join(indir, "scan.h5"), frames=16, rows=64, columns=16)

    master = Master(args, input_roots=[indir], output_roots=[outdir])
    group = None
    try:
        ok = {"type": "submit", "input": scan, "plugin": "benchmark",
              "output": os.path.join(outdir, "never.h5")}
        long = "x" * 5120
        deep = lambda n: "[" * n + "1" + "]" * n

        # ---- client endpoint: malformed JSON and framing ----------------------------
        client_attacks(master, "malformed JSON", [
            ("trailing comma", b'{"type":"status",}', "not valid JSON"),
            ("single quotes", b"{'type':'status'}", "not valid JSON"),
            ("unterminated string", b'{"type":"status', "not valid JSON"),
            ("two objects in one frame", b'{"type":"status"}{"type":"status"}', "not valid JSON"),
            ("NaN literal", b'{"type":"submit","priority":NaN}', "not valid JSON"),
            ("number beyond double", b'{"type":"cancel","job":"j1","x":1e999}', "not valid JSON"),
            ("lone surrogate escape", b'{"type":"cancel","job":"\\ud800"}', "not valid JSON"),
            ("raw NUL inside a string", b'{"type":"cancel","job":"j\x00"}', "NUL byte at byte 25"),
            ("NUL after the object", b'{"type":"status"}\x00{"x":1}', "NUL byte at byte 17"),
            ("top-level string", b'"status"', "must be a JSON object"),
            ("top-level null", b"null", "must be a JSON object"),
            ("empty frame", b"", "empty message"),
            ("whitespace only", b" \r\n\t ", "empty message"),
        ])

        # ---- client endpoint: type, and worker messages sent to clients' socket -----
        client_attacks(master, "message types", [
            ("no type", {"job": "j000001"}, 'has no "type"'),
            ("type is a number", {"type": 5}, "field 'type' must be a string, got number"),
            ("type is null", {"type": None}, "field 'type' must be a string, got null"),
            ("type in capitals", {"type": "STATUS"}, "unknown message type 'STATUS'"),
            ("worker ready to clients",
             {"type": "ready", "protocol": 1, "group": "g", "host": "h", "ranks": 1, "credit": 1},
             "unknown message type 'ready'"),
            ("worker done to clients", {"type": "done", "job": "j000001", "lease": 1, "units": [0]},
             "unknown message type 'done'"),
            ("worker failed to clients",
             {"type": "failed", "job": "j000001", "lease": 1, "units": [], "error": "x"},
             "unknown message type 'failed'"),
            ("worker finished to clients", {"type": "finished", "job": "j000001", "lease": 1},
             "unknown message type 'finished'"),
            ("worker heartbeat to clients", {"type": "heartbeat"},
             "unknown message type 'heartbeat'"),
        ])

        # ---- client endpoint: every field of submit, cancel, status mistyped --------
        client_attacks(master, "field types", [
            ("submit input is a number", {**ok, "input": 1}, "'input' must be a string, got number"),
            ("submit input is an object", {**ok, "input": {"a": 1}},
             "'input' must be a string, got object"),
            ("submit plugin is an array", {**ok, "plugin": ["benchmark"]},
             "'plugin' must be a string, got array"),
            ("submit output is null", {**ok, "output": None}, "'output' must be a string, got null"),
            ("submit output is a boolean", {**ok, "output": True},
             "'output' must be a string, got boolean"),
            ("submit params is a string", {**ok, "params": "axis=0"}, "'params' must be an object"),
            ("submit param value is an object", {**ok, "params": {"axis": {"v": 0}}},
             "'params.axis' must be a string, number or boolean, got object"),
            ("submit param value is an array", {**ok, "params": {"axis": [0]}},
             "got array"),
            ("submit param value is null", {**ok, "params": {"axis": None}}, "got null"),
            ("submit client_ref is a number", {**ok, "client_ref": 7},
             "'client_ref' must be a string"),
            ("submit client_ref is empty", {**ok, "client_ref": ""},
             "'client_ref' must not be empty"),
            ("submit priority is fractional", {**ok, "priority": 1.5}, "got 1.5"),
            ("submit priority is 3.0", {**ok, "priority": 3.0}, "'priority' must be a whole number"),
            ("submit priority is a boolean", {**ok, "priority": True}, "got boolean"),
            ("submit priority below range", {**ok, "priority": -1001}, "from -1000 to 1000"),
            ("submit priority beyond 64 bits", {**ok, "priority": 2**64 + 1}, "priority"),
            ("submit input is empty", {**ok, "input": ""}, "'input' must not be empty"),
            ("submit without output", {k: v for k, v in ok.items() if k != "output"},
             "missing field 'output'"),
            ("submit without input", {k: v for k, v in ok.items() if k != "input"},
             "missing field 'input'"),
            ("status with a field", {"type": "status", "verbose": True},
             "unknown field 'verbose' in status"),
            ("cancel job is a number", {"type": "cancel", "job": 1},
             "'job' must be a string, got number"),
            ("cancel job is null", {"type": "cancel", "job": None}, "got null"),
            ("cancel job is an array", {"type": "cancel", "job": ["j000001"]}, "got array"),
            ("cancel job is empty", {"type": "cancel", "job": ""}, "'job' must not be empty"),
            ("cancel without job", {"type": "cancel"}, "missing field 'job'"),
            ("cancel with an extra field", {"type": "cancel", "job": "j1", "force": True},
             "unknown field 'force' in cancel"),
            # Brackets inside a string are text, not nesting: refused as an
            # unknown job, not as a bomb.
            ("cancel of a job named like a bomb", {"type": "cancel", "job": "[" * 100},
             "there is no job"),
        ])

        # ---- client endpoint: huge and deep --------------------------------------------
        client_attacks(master, "huge and deep", [
            ("5 KB input path", {**ok, "input": "/" + long}, "'input' is 5121 bytes long"),
            ("5 KB output path", {**ok, "output": "/" + long}, "'output' is 5121 bytes long"),
            ("5 KB plugin name", {**ok, "plugin": long}, "'plugin' is 5120 bytes long"),
            ("5 KB client_ref", {**ok, "client_ref": long}, "'client_ref' is 5120 bytes long"),
            ("5 KB cancel job id", {"type": "cancel", "job": long}, "'job' is 5120 bytes long"),
            ("5 KB param key", {**ok, "params": {long: 1}}, "a key of 'params' is 5120 bytes"),
            ("5 KB param value", {**ok, "params": {"axis": long}}, "is 5120 bytes long"),
            ("5 KB unknown field name", {**ok, long: 1}, "unknown field 'xxxx"),
            ("params with 10000 entries", {**ok, "params": {f"p{i}": i for i in range(10000)}},
             "has 10000 entries; the limit is 256"),
            ("depth bomb in params",
             b'{"type":"submit","params":{"a":' + deep(10).encode() + b"}}", "nesting deeper"),
            ("depth bomb in cancel job",
             b'{"type":"cancel","job":' + b'{"a":' * 50 + b"1" + b"}" * 50 + b"}",
             "nesting deeper"),
            ("depth bomb of 500000 brackets", deep(500000).encode(), "nesting deeper"),
            ("depth bomb, unclosed", b'{"type":"status","x":' + b"[" * 100000, "nesting deeper"),
            ("15 MiB message (under the socket limit)",
             b'{"type":"status","pad":"' + b"p" * (15 * MiB) + b'"}', "exceeds the 1048576-byte"),
        ])

        # ---- client endpoint: invalid and overlong UTF-8, NUL escapes ---------------
        client_attacks(master, "encoding", [
            ("invalid UTF-8 in a key", b'{"typ\xc3e":"status"}', "invalid UTF-8 at byte 5"),
            ("lone continuation byte in a value", b'{"type":"cancel","job":"j\x80"}',
             "invalid UTF-8"),
            ("overlong 2-byte slash in a path",
             b'{"type":"submit","input":"/in/..\xc0\xafetc/passwd"}', "invalid UTF-8"),
            ("overlong 3-byte slash in a path",
             b'{"type":"submit","input":"/in/..\xe0\x80\xafetc"}', "invalid UTF-8"),
            ("overlong 4-byte NUL", b'{"type":"cancel","job":"\xf0\x80\x80\x80"}', "invalid UTF-8"),
            ("UTF-8 encoded surrogate", b'{"type":"cancel","job":"\xed\xa0\x80"}', "invalid UTF-8"),
            ("code point past U+10FFFF", b'{"type":"cancel","job":"\xf4\x90\x80\x80"}',
             "invalid UTF-8"),
            ("truncated sequence at the end", b'{"type":"status"}\xe2\x82', "invalid UTF-8"),
            ("escaped NUL in the input path", {**ok, "input": scan + "\u0000.txt"}, "NUL"),
            ("escaped NUL in the output path", {**ok, "output": ok["output"] + "\u0000x"}, "NUL"),
            ("escaped NUL in the library name", {**ok, "plugin": "benchmark\u0000evil"}, "NUL"),
        ])

        # ---- client endpoint: framing --------------------------------------------------
        for frames in (3, 5):
            attack = f"client: {frames} frames of garbage from a DEALER"
            attacks.add(attack)
            dealer = master.context.socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.connect(master.client_endpoint)
            dealer.send_multipart([os.urandom(16) for _ in range(frames)])
            check(dealer.poll(3000), f"{attack}: answered")
            reply = json.loads(dealer.recv_multipart()[-1])
            check(reply["type"] == "rejected" and "one JSON frame" in reply["error"],
                  f"{attack}: rejected ({reply})")
            dealer.close()
        attack = "client: REQ request of 3 frames"
        attacks.add(attack)
        req = master.context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(master.client_endpoint)
        req.send_multipart([b'{"type":"status"}', b"x", b"y"])
        check(req.poll(3000), f"{attack}: answered")
        reply = json.loads(req.recv())
        check(reply["type"] == "rejected" and "several" in reply["error"], f"{attack}: {reply}")
        req.close()
        # Over ZMQ_MAXMSGSIZE the socket drops the message (and the peer)
        # unread: no reply, and the master goes on.
        attack = "client: 17 MiB message over the socket limit"
        attacks.add(attack)
        req = master.context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(master.client_endpoint)
        req.send(b'{"type":"status","pad":"' + b"p" * (17 * MiB) + b'"}')
        check(not req.poll(1500), f"{attack}: dropped unanswered")
        req.close()
        still_answering(master, "client framing")
        check(master.snapshot()["jobs"] == [], "no client attack queued a job")

        # ---- worker endpoint: malformed and mistyped -----------------------------------
        ready = {"type": "ready", "protocol": 1, "group": "fake", "host": "nowhere", "ranks": 2,
                 "credit": 4}
        dropped = "dropped a bad message"
        worker_attacks(master, "worker malformed", [
            ("empty object", b"{}", 'has no "type"'),
            ("empty frame", b"", "empty message"),
            ("truncated JSON", b'{"type":"ready","protocol":', "not valid JSON"),
            ("full submit", {**ok}, "unknown message type 'submit'"),
            ("status request", {"type": "status"}, "unknown message type 'status'"),
            ("cancel request", {"type": "cancel", "job": "j000001"}, "unknown message type 'cancel'"),
            ("ready of protocol 2", {**ready, "protocol": 2}, "protocol version 2 is not supported"),
            ("ready of protocol 0", {**ready, "protocol": 0}, "protocol version 0 is not supported"),
            ("ready with protocol as a string", {**ready, "protocol": "1"}, "'protocol' must be"),
            ("ready with negative credit", {**ready, "credit": -1}, "'credit' must be"),
            ("ready with huge credit", {**ready, "credit": 10**12}, "'credit' must be"),
            ("ready with zero ranks", {**ready, "ranks": 0}, "'ranks' must be"),
            ("ready with negative ranks", {**ready, "ranks": -5}, "'ranks' must be"),
            ("ready with 2^40 ranks", {**ready, "ranks": 2**40}, "'ranks' must be"),
            ("ready with 2^70 ranks", {**ready, "ranks": 2**70}, "'ranks' must be"),
            ("ready with heartbeat of 1 ms", {**ready, "heartbeat_ms": 1}, "'heartbeat_ms' must be"),
            ("ready without group", {k: v for k, v in ready.items() if k != "group"},
             "missing field 'group'"),
            ("ready with a 5 KB group name", {**ready, "group": long}, "5120 bytes long"),
            ("ready with invalid UTF-8 host",
             b'{"type":"ready","protocol":1,"group":"g","host":"\xff","ranks":1,"credit":1}',
             "invalid UTF-8"),
            ("done with 200000 units",
             {"type": "done", "job": "j000001", "lease": 1, "units": [0] * 200000},
             "has 200000 elements; the limit is 100000"),
            ("done with a negative unit", {"type": "done", "job": "j1", "lease": 1, "units": [-1]},
             "units[0]"),
            ("done with no units", {"type": "done", "job": "j1", "lease": 1, "units": []},
             "at least 1 element"),
            ("done with negative lease", {"type": "done", "job": "j1", "lease": -1, "units": [0]},
             "'lease' must be"),
            ("done with lease as a string", {"type": "done", "job": "j1", "lease": "1",
                                             "units": [0]}, "'lease' must be"),
            ("done with a depth bomb in units",
             b'{"type":"done","job":"j1","lease":1,"units":' + deep(20).encode() + b"}",
             "nesting deeper"),
            ("failed without error", {"type": "failed", "job": "j1", "lease": 1, "units": []},
             "missing field 'error'"),
            ("finished with an extra field",
             {"type": "finished", "job": "j1", "lease": 1, "units": [0]}, "unknown field 'units'"),
            ("heartbeat with an extra field", {"type": "heartbeat", "load": 9},
             "unknown field 'load'"),
            ("3 frames of garbage", [b"\x00\xff", b"a", b"b"], "message of 3 frames"),
            ("5 frames of garbage", [os.urandom(8) for _ in range(5)], "message of 5 frames"),
        ])
        check(master.log().count(dropped) >= 20, "bad worker messages are logged as dropped")

        # Over the socket limit on the worker endpoint: dropped unread.
        attack = "worker: 17 MiB message over the socket limit"
        attacks.add(attack)
        big = Dealer(master)
        big.send(b'{"type":"heartbeat","pad":"' + b"p" * (17 * MiB) + b'"}')
        time.sleep(0.5)
        big.close()
        still_answering(master, "worker oversize")

        # ---- worker endpoint: leases that are not the sender's --------------------------
        # An unregistered peer is told to register (Majordomo), whatever it claims.
        stranger = Dealer(master)
        for case, message in [
                ("failed from an unregistered peer",
                 {"type": "failed", "job": "j000001", "lease": 0, "units": [0], "error": "x"}),
                ("finished from an unregistered peer",
                 {"type": "finished", "job": "j000001", "lease": 0})]:
            attacks.add(f"worker: {case}")
            stranger.send(message)
            check(stranger.replies() == [{"type": "disconnect"}], f"{case}: told to register")
        stranger.close()

        # A fake group registers with a real `ready`; it holds no lease, so
        # results for jobs that do not exist are refused and logged.
        fake = Dealer(master)
        fake.send(ready)
        deadline = time.time() + 5
        while time.time() < deadline and not any(
                w["group"] == "fake" for w in master.snapshot()["workers"]):
            time.sleep(0.05)
        check(any(w["group"] == "fake" for w in master.snapshot()["workers"]),
              "the fake group registered")
        worker_attacks(master, "unknown jobs", [
            ("done for a job that does not exist",
             {"type": "done", "job": "j999999", "lease": 0, "units": [0]}, "refusing a message"),
            ("failed for a job that does not exist",
             {"type": "failed", "job": "j999998", "lease": 3, "units": [0], "error": "x"},
             "refusing a message"),
            ("finished for a job that does not exist",
             {"type": "finished", "job": "j999997", "lease": 9}, "refusing a message"),
            ("done for the largest lease", {"type": "done", "job": "j000001",
                                            "lease": 2**63 - 1, "units": [2**63 - 1]},
             "refusing a message"),
        ], dealer=fake)

        # A flood of 10 000 heartbeats: the master keeps up.
        attacks.add("worker: flood of 10000 heartbeats")
        for _ in range(10000):
            fake.send({"type": "heartbeat"})
        still_answering(master, "heartbeat flood")
        fake.send({"type": "disconnect"})
        fake.replies(200)
        deadline = time.time() + 5
        while time.time() < deadline and master.snapshot()["workers"]:
            time.sleep(0.05)
        check(master.snapshot()["workers"] == [], "the fake group left before the real job")

        # ---- a real group and a real job; forged results from other peers -------------
        group = WorkerGroup(args, master, ranks=2, name="real")
        wait_for_groups(master, 1)
        output = os.path.join(outdir, "real.h5")
        reply = master.submit(input=scan, plugin="benchmark", output=output)
        check(reply["type"] == "accepted", f"a real job is accepted ({reply})")
        job = reply["job"]
        deadline = time.time() + 30
        lease = holder = None
        while time.time() < deadline and lease is None:
            for line in master.log().splitlines():
                if f"[{job}] leased to group " in line and "(lease " in line:
                    holder = line.split("leased to group ")[1].split(" (lease ")[0]
                    lease = int(line.split("(lease ")[1].split(",")[0])
            time.sleep(0.05)
        check(lease is not None, f"the master logged {job}'s lease")
        # The right job and lease, from a peer that registered under the
        # same group name: refused, the group is the peer, not its name.
        impostor = Dealer(master)
        impostor.send({**ready, "group": holder})
        worker_attacks(master, "forged results", [
            ("forged done with the real job and lease",
             {"type": "done", "job": job, "lease": lease, "units": [0, 1]}, "refusing a message"),
            ("forged failed with the real job and lease",
             {"type": "failed", "job": job, "lease": lease, "units": [0], "error": "forged"},
             "refusing a message"),
            ("forged finished with the real job and lease",
             {"type": "finished", "job": job, "lease": lease}, "refusing a message"),
            ("done for the real job under another lease",
             {"type": "done", "job": job, "lease": lease + 1000, "units": [0]},
             "refusing a message"),
        ], dealer=impostor)
        impostor.send({"type": "disconnect"})
        impostor.close()
        final = master.wait_for([job], timeout=120)
        completed = final[job]["state"] == "completed"
        check(completed, f"the real job completes despite the forgeries ({final[job]['state']})" +
              ("" if completed else f"\n{final[job]}\n{group.log()}"))
        # Its lease has ended: a result for it now is stale, even from a
        # registered peer.
        late = Dealer(master)
        late.send({**ready, "group": "late"})
        worker_attacks(master, "expired lease", [
            ("done for an ended lease",
             {"type": "done", "job": job, "lease": lease, "units": [0]}, "refusing a message"),
        ], dealer=late)
        late.send({"type": "disconnect"})
        late.close()

        reference = os.path.join(args.workdir, "reference.h5")
        if os.path.exists(reference):
            os.remove(reference)
        result = subprocess.run(
            [os.path.join(args.bin, "h5io"), "run", "--plugin", "benchmark", "--input", scan,
             "--output", reference, "--overwrite",
             *sum((["--plugin-dir", d] for d in args.plugin_dir), [])],
            capture_output=True, text=True, timeout=300)
        check(result.returncode == 0, f"h5io run succeeds: {result.stderr}")
        compare_outputs(output, reference)
        check(not os.path.exists(output + ".partial"), "no partial file is left")
        # ---- status endpoint: a subscription over the 1 KiB limit -------------------
        # The PUB socket drops the connection: the subscriber hears nothing,
        # not even what its other (empty: everything) subscription asks for.
        greedy = master.context.socket(zmq.SUB)
        greedy.setsockopt(zmq.LINGER, 0)
        greedy.setsockopt(zmq.SUBSCRIBE, b"")
        greedy.setsockopt(zmq.SUBSCRIBE, b"j" * 4096)
        greedy.connect(master.status_endpoint)
        modest = master.context.socket(zmq.SUB)
        modest.setsockopt(zmq.LINGER, 0)
        modest.setsockopt(zmq.SUBSCRIBE, b"")
        modest.setsockopt(zmq.SUBSCRIBE, b"j" * 1000)
        modest.connect(master.status_endpoint)
        check(modest.poll(3000) and not greedy.poll(1000),
              "a subscriber sending a 4 KiB subscription is cut off; one of 1000 bytes is served")
        attacks.add("4 KiB subscription")
        greedy.close()
        modest.close()

        check(master.alive(), "the master is still up")
        check(len(attacks) >= 40, f"at least 40 distinct attacks ({len(attacks)})")
        print(f"{len(attacks)} distinct attacks")
    finally:
        cleanup(*(x for x in (group, master) if x))
    print("PASSED")


if __name__ == "__main__":
    main()
