"""Validates every message h5io_proto encodes (printed by h5io_proto_samples)
against the JSON Schemas in proto/schema/, checks that every message the
schemas define has a sample, and that malformed messages fail validation
(so the schemas really constrain something)."""
import argparse
import json
import pathlib
import subprocess
import sys

import jsonschema

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--samples", required=True, help="the h5io_proto_samples binary")
parser.add_argument("--schemas", required=True, help="proto/schema")
args = parser.parse_args()

schemas = {path.name: json.loads(path.read_text())
           for path in pathlib.Path(args.schemas).glob("*.schema.json")}
failures = []


def validator(file, definition=None):
    """A validator for the whole file, or for one of its $defs."""
    schema = dict(schemas[file])
    if definition is not None:
        for key in ("oneOf", "anyOf"):
            schema.pop(key, None)
        schema["$ref"] = "#/$defs/" + definition.replace("~", "~0").replace("/", "~1")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check(condition, message):
    print(("ok: " if condition else "FAILED: ") + message)
    if not condition:
        failures.append(message)


# ---- every sample the C++ encoders produce is valid, for its definition and its file
lines = subprocess.run([args.samples], check=True, capture_output=True,
                       text=True).stdout.splitlines()
check(len(lines) >= 30, f"{len(lines)} samples printed")
covered = set()
for line in lines:
    file, definition, text = line.split(" ", 2)
    message = json.loads(text)
    covered.add((file, definition))
    errors = [e.message for e in validator(file, definition).iter_errors(message)]
    errors += [e.message for e in validator(file).iter_errors(message)]
    check(not errors, f"{file} {definition}: {text[:80]} {errors[:2]}")

# ---- every message the schemas define has a sample
helpers = {"name", "text", "count", "time", "params", "unit_range", "job_row", "worker_row",
           "request", "reply", "worker_to_master", "master_to_worker", "steps"}
for file, schema in schemas.items():
    for definition in schema["$defs"]:
        if definition not in helpers:
            check((file, definition) in covered, f"{file} {definition} has a sample")

# ---- malformed messages fail
SUBMIT = {"type": "submit", "input": "/a.h5", "plugin": "p", "output": "/b.h5"}
EVENT = {"seq": 1, "time": 1.0, "epoch": "m-1"}
bad = [
    ("client.schema.json", "submit", {k: v for k, v in SUBMIT.items() if k != "output"}),
    ("client.schema.json", "submit", {**SUBMIT, "inptu": "/a.h5"}),
    ("client.schema.json", "submit", {**SUBMIT, "priority": 5000}),
    ("client.schema.json", "submit", {**SUBMIT, "priority": 1.5}),
    ("client.schema.json", "submit", {**SUBMIT, "input": ""}),
    ("client.schema.json", "submit", {**SUBMIT, "input": "x" * 5000}),
    ("client.schema.json", "submit", {**SUBMIT, "params": {"a": [1]}}),
    ("client.schema.json", "submit", {**SUBMIT, "params": {str(i): i for i in range(257)}}),
    ("client.schema.json", None, {"type": "sumbit"}),
    ("client.schema.json", "cancel", {"type": "cancel"}),
    ("client.schema.json", "snapshot", {"type": "snapshot", **EVENT, "jobs": [{"job": "j1"}],
                                        "workers": []}),
    ("client.schema.json", "snapshot", {"type": "snapshot", **EVENT, "workers": [],
                                        "jobs": [{"job": "j1", "state": "sleeping"}]}),
    ("status.schema.json", "job.progress", {**EVENT, "job": "j1", "done": 1, "total": 2,
                                            "rate": 1.0}),
    ("status.schema.json", "job.progress", {"time": 1.0, "epoch": "m", "job": "j1", "done": 1,
                                            "total": 2, "rate": 1.0, "eta": None}),
    ("status.schema.json", "job.failed", {**EVENT, "job": "j1", "error": 3}),
    ("status.schema.json", "job.cancelled", {**EVENT, "job": "j1", "extra": 1}),
    ("worker.schema.json", "ready", {"type": "ready", "protocol": 2, "group": "g", "host": "h",
                                     "ranks": 1, "credit": 1}),
    ("worker.schema.json", "done", {"type": "done", "job": "j", "lease": -1, "units": [1]}),
    ("worker.schema.json", "done", {"type": "done", "job": "j", "lease": 1, "units": []}),
    ("worker.schema.json", "units", {"type": "units", "job": "j", "lease": 1,
                                     "units": [{"unit": 0, "first": 0, "count": 0}]}),
    ("worker.schema.json", None, {"type": "heartbeat", "at": 1}),
    ("worker.schema.json", None, {"type": "submit"}),
]
for file, definition, message in bad:
    errors = list(validator(file, definition).iter_errors(message))
    check(bool(errors), f"{file} {definition or '(any)'} refuses {json.dumps(message)[:70]}")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
