"""What makes an h5io output a NeXus file the field's viewers open, checked
with the field's own tools: silx (Debian python3-silx) finds and validates
the NXdata groups and the default plot; nxsummary (Debian nexus-tools, the
NeXus C API) reads the entry, the NXprocess and every signal and axis.

nxsummary exits 0 whatever happens (a file it cannot open, a path that is
not there), so its output is what is checked: each item's label followed
by the value h5py reads."""
import json
import os
import subprocess
import tempfile
from xml.sax.saxutils import quoteattr

import h5py
import numpy as np
from silx.io.nxdata import NXdata, get_default, is_valid_nxdata

from h5io_e2e import check


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def nxdata_groups(f):
    """Paths of every NXdata group, each object once."""
    found = []
    f.visititems(lambda name, obj: found.append("/" + name) if isinstance(obj, h5py.Group)
                 and text(obj.attrs.get("NX_class", "")) == "NXdata" else None)
    return found


def axis_names(group):
    axes = group.attrs.get("axes")
    if axes is None:
        return []
    return [text(a) for a in (axes if isinstance(axes, np.ndarray) else [axes])]


def nxsummary(path, items):
    """Runs nxsummary on PATH with a configuration of (label, path,
    operation) items; returns {label: printed value}."""
    lines = ["<nxsummary>"]
    for label, where, operation in items:
        op = f" operation={quoteattr(operation)}" if operation else ""
        lines.append(f"  <item path={quoteattr(where)} label={quoteattr(label)}{op}/>")
    lines.append("</nxsummary>")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as config:
        config.write("\n".join(lines))
    try:
        result = subprocess.run(["nxsummary", "--verbose", "--config", config.name, path],
                                capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(config.name)
    output = result.stdout + result.stderr
    check("ERROR" not in output, f"nxsummary reads {os.path.basename(path)} without errors"
          + ("" if "ERROR" not in output else f":\n{output}"))
    printed = {}
    for line in result.stdout.splitlines():
        label, _, value = line.partition(":")
        printed[label] = value.strip()
    return printed


def dims_text(shape):
    """How nxsummary's DIMS prints a shape."""
    return str(shape[0]) if len(shape) == 1 else "[" + ",".join(str(n) for n in shape) + "]"


def check_nexus_output(path, default_signal, outputs, what):
    """PATH is a NeXus file: root -> entry -> NXdata chain, every NXdata
    valid for silx with an axis of the right length for each dimension,
    every output (library paths) the signal of one, silx's default plot
    the dataset at DEFAULT_SIGNAL, and nxsummary reads it all."""
    name = f"{what} ({os.path.basename(path)})"
    with h5py.File(path, "r") as f:
        check(text(f.attrs.get("default", "")) == "entry"
              and text(f["entry"].attrs.get("NX_class", "")) == "NXentry",
              f"{name}: the root's default is the NXentry /entry")
        entry_default = text(f["entry"].attrs.get("default", ""))
        default_group = f["entry"].get(entry_default) if entry_default else None
        check(isinstance(default_group, h5py.Group)
              and text(default_group.attrs.get("NX_class", "")) == "NXdata",
              f"{name}: the entry's default '{entry_default}' is an NXdata")
        signals = {}
        items = [("TITLE", "/entry/title", None), ("PROGRAM", "/entry/process/program", None),
                 ("VERSION", "/entry/process/version", None),
                 ("DATE", "/entry/process/date", None)]
        for k, group_path in enumerate(nxdata_groups(f)):
            group = f[group_path]
            nx = NXdata(group)
            check(is_valid_nxdata(group), f"{name}: silx validates {group_path} ({nx.issues})")
            signal = group[text(group.attrs["signal"])]
            signals[group_path] = signal
            names = axis_names(group)
            check(len(names) == signal.ndim, f"{name}: {group_path} names {signal.ndim} axes "
                  f"({names})")
            for d, axis_name in enumerate(names):
                axis = group[axis_name]
                check(axis.shape == (signal.shape[d],)
                      and int(group.attrs[f"{axis_name}_indices"]) == d,
                      f"{name}: {group_path}/{axis_name} spans dimension {d} "
                      f"({axis.shape} for {signal.shape})")
                items.append((f"AXIS{k}_{d}", f"{group_path}/{axis_name}", "DIMS"))
            items.append((f"SIGNAL{k}", f"{group_path}/{signal.name.rsplit('/', 1)[1]}", "DIMS"))
        for location in outputs:
            check(any(s.id == f[location].id for s in signals.values()),
                  f"{name}: output {location} is the signal of an NXdata")
        plotted = get_default(f)
        check(plotted is not None and plotted.signal.id == f[default_signal].id,
              f"{name}: silx's get_default finds {default_signal} from the root "
              f"({plotted.signal.name if plotted else None})")
        process = f["entry/process"]
        check(text(process.attrs["NX_class"]) == "NXprocess"
              and text(process["program"][()]) == "h5io" and process["sequence_index"][()] == 1
              and text(process["parameters"].attrs["NX_class"]) == "NXparameters",
              f"{name}: /entry/process is an NXprocess (program, version, date, NXparameters)")
        expected = {"TITLE": text(f["entry/title"][()]), "PROGRAM": "h5io",
                    "VERSION": text(process["version"][()]), "DATE": text(process["date"][()])}
        for k, group_path in enumerate(nxdata_groups(f)):
            group = f[group_path]
            expected[f"SIGNAL{k}"] = dims_text(signals[group_path].shape)
            for d, axis_name in enumerate(axis_names(group)):
                expected[f"AXIS{k}_{d}"] = dims_text(group[axis_name].shape)
    printed = nxsummary(path, items)
    wrong = {label: (printed.get(label), value) for label, value in expected.items()
             if printed.get(label) != value}
    check(not wrong, f"{name}: nxsummary prints the entry, the NXprocess and every signal's and "
          f"axis's dimensions as h5py reads them (differences: {wrong})")


def recorded_outputs(path):
    """The library's output locations, as the NXprocess records them."""
    with h5py.File(path, "r") as f:
        return [o["location"] for o in json.loads(f["entry/process/outputs"][()])]
