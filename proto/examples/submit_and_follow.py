#!/usr/bin/python3
"""Submit a job to the h5io master and follow it to its end (protocol v1).

    submit_and_follow.py --master tcp://host:5555 --input /data/scan.nxs \
        --plugin tomo_fbp --output /data/recon.h5 [--param center=128.5 ...]
    submit_and_follow.py --master tcp://host:5555 --job j000042   # follow a submitted job

For a master that requires CURVE (PROTOCOL.md section 4) add --key NAME.key_secret
--master-key MASTER.key (or set $H5IO_KEY and $H5IO_MASTER_KEY); `h5io keygen` and
pyzmq's zmq.auth.create_certificates write such files.

Exit 0 only when the job completed. Needs pyzmq (Debian: python3-zmq)."""
import argparse, json, os, sys, time
import zmq, zmq.auth

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--master", default="tcp://127.0.0.1:5555")
p.add_argument("--status", help="status endpoint (default: the master's port + 1)")
p.add_argument("--input"); p.add_argument("--plugin"); p.add_argument("--output")
p.add_argument("--param", action="append", default=[], help="KEY=VALUE")
p.add_argument("--job", help="follow this job (submitted earlier) instead of submitting one")
p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
p.add_argument("--check-timeout", type=float, default=90.0,
               help="seconds to wait for the submit's reply: it comes once the master has "
                    "checked the job (its check_timeout_ms, 60 s by default)")
p.add_argument("--key", default=os.environ.get("H5IO_KEY"), help="this client's secret key file")
p.add_argument("--master-key", default=os.environ.get("H5IO_MASTER_KEY"),
               help="the master's public key file")
args = p.parse_args()
if not args.job and not (args.input and args.plugin and args.output):
    p.error("--input, --plugin and --output are needed to submit (or --job to follow one)")
if bool(args.key) != bool(args.master_key):
    p.error("CURVE needs both --key and --master-key (or neither)")
curve = None
if args.key:   # (public, secret) of this client, then the master's public key
    curve = (*zmq.auth.load_certificate(args.key), zmq.auth.load_certificate(args.master_key)[0])
    if curve[1] is None: p.error(f"{args.key} holds no secret-key: give NAME.key_secret")
host, port = args.master.rsplit(":", 1)
status_endpoint = args.status or f"{host}:{int(port) + 1}"
ctx = zmq.Context()

def secure(s):
    """CURVE, when keys are given; a master that refuses them stays silent."""
    if curve: s.curve_publickey, s.curve_secretkey, s.curve_serverkey = curve
    return s

def request(message, timeout=None):
    """One request on a fresh REQ socket (a timed-out REQ socket is stuck)."""
    with secure(ctx.socket(zmq.REQ)) as s:
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, int((timeout or args.timeout) * 1000))
        s.connect(args.master); s.send_json(message)
        try: return s.recv_json()
        except zmq.Again: sys.exit(f"no reply from the master at {args.master}")

# 1. Subscribe first (to everything: seq counts all topics), so no event is lost.
sub = secure(ctx.socket(zmq.SUB)); sub.setsockopt(zmq.LINGER, 0)
sub.setsockopt(zmq.SUBSCRIBE, b""); sub.connect(status_endpoint)
# 2. Submit (absolute paths: the master may run elsewhere; values as text),
#    or join a job submitted earlier: the snapshot below says where it is.
if args.job:
    job = args.job
else:
    reply = request({"type": "submit", "input": os.path.abspath(args.input),
                     "plugin": args.plugin, "output": os.path.abspath(args.output),
                     "params": dict(kv.split("=", 1) for kv in args.param)},
                    timeout=args.check_timeout)
    if reply["type"] != "accepted": sys.exit(f"rejected: {reply['error']}")
    job = reply["job"]
print(job, flush=True)
state = {}                        # our job's row, as in the snapshot
epoch, seq = None, -1

def resync():
    """3. Snapshot: events up to its seq are in it; later ones follow in order."""
    global epoch, seq, state
    snap = request({"type": "status"})
    epoch, seq = snap["epoch"], snap["seq"]
    state = next((j for j in snap["jobs"] if j["job"] == job), None)
    if state is None: sys.exit(f"the master no longer lists {job}")

resync()
while state["state"] not in ("completed", "failed", "cancelled"):
    if not sub.poll(int(args.timeout * 1000)): resync(); continue   # silence: ask
    topic, body = sub.recv_multipart(); event = json.loads(body)
    if event["epoch"] == epoch and event["seq"] <= seq: continue    # 4. already in the snapshot
    if event["epoch"] != epoch or event["seq"] != seq + 1:          # 5. gap or restart
        resync()
        if event["epoch"] != epoch or event["seq"] != seq + 1: continue
    seq = event["seq"]
    if event.get("job") != job: continue
    topic = topic.decode()
    if topic == "job.progress":
        print(f"{event['done']}/{event['total']} slices", file=sys.stderr)
    elif topic in ("job.completed", "job.failed", "job.cancelled"):
        state.update(event, state=topic.split(".")[1])
if state["state"] == "failed": print(f"failed: {state.get('error')}", file=sys.stderr)
print(state["state"], state.get("output", ""))
sys.exit(0 if state["state"] == "completed" else 1)
