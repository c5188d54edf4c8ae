#!/usr/bin/python3
"""external_process on 2 ranks: `/bin/cp {in} {out}` gives back a uint16
and a float32 volume bitwise (HDF5 -> TIFF -> program -> TIFF -> HDF5);
the example program (scikit-image's iradon on each sinogram) agrees with
tomo_fbp on a phantom scan (correlation > 0.99 inside the mask); and each
failure (program missing, exit 1, hang past the timeout, no output, wrong
shape, garbage) is one error naming the slice with the end of the program's
output, leaves no output file, no temporary directory and no process."""
import glob
import os
import shutil
import time

import h5py
import numpy as np

from h5io_e2e import arguments, check, run_ok, run_plain
from tomo_common import disc_mask, normalised_sinograms, phantom, reconstruct

args = arguments(__doc__)
os.makedirs(args.workdir, exist_ok=True)
ranks = args.ranks or None
here = os.path.dirname(os.path.abspath(__file__))
source_root = os.path.dirname(os.path.dirname(here))
IRADON = os.path.join(source_root, "plugins", "external_process", "examples", "iradon_slice.py")
MISBEHAVE = os.path.join(here, "misbehaving_program.py")
rng = np.random.default_rng(5)


def fresh(name):
    path = os.path.join(args.workdir, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def stack_file(name, data):
    """data as /entry/data/data [frames, rows, cols]; slices on axis 1."""
    path = os.path.join(args.workdir, f"{name}.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("/entry/data/data", data=data, chunks=(data.shape[0], 1, data.shape[2]))
    return path


def external(source, output, tmpdir, *params, ok=True):
    command = ["run", "--plugin", "external_process", "--input", source, "--output", output,
               "--overwrite", "--param", f"tmpdir={tmpdir}"]
    for param in params:
        command += ["--param", param]
    return (run_ok if ok else run_plain)(args, *command, ranks=ranks)


def copy_round_trip(name, data, *params):
    tmpdir = fresh(f"tmp_{name}")
    output = os.path.join(args.workdir, f"copy_{name}.h5")
    started = time.monotonic()
    external(stack_file(name, data), output, tmpdir, "command=/bin/cp {in} {out}",
             "output_like_input=true", *params)
    wall = time.monotonic() - started
    with h5py.File(output, "r") as f:
        back = f["/external/data"][...]
        seconds = f["/external/seconds"][...]
    expected = data.transpose(1, 0, 2)  # slices along axis 1
    check(back.dtype == data.dtype and back.tobytes() == expected.tobytes(),
          f"{name}: HDF5 -> TIFF -> /bin/cp -> TIFF -> HDF5 is bitwise exact {back.shape}")
    check(os.listdir(tmpdir) == [], f"{name}: the temporary directory is left empty")
    print(f"figure: /bin/cp, {data.shape[1]} slices of {data.shape[0]}x{data.shape[2]} "
          f"{data.dtype}: {1000 * seconds.mean():.1f} ms per slice in the program, "
          f"{wall:.2f} s for the job on {args.ranks} ranks")


copy_round_trip("uint16", rng.integers(0, 65536, size=(40, 12, 63), dtype=np.uint16),
                "output_dtype=uint16")
copy_round_trip("float32", rng.standard_normal((30, 9, 1)).astype(np.float32))  # type like input

# The example program against tomo_fbp on the same phantom.
size, angles, rows = 128, 180, 4
scan, _ = phantom(args, "phantom", "--layout", "nxtomo", "--size", str(size), "--angles",
                  str(angles), "--rows", str(rows), "--seed", "3")
sinograms, theta = normalised_sinograms(scan)  # [rows, P, cols]
check(np.allclose(np.rad2deg(theta), np.arange(angles) * 180 / angles), "angles even over 180")
sino_file = stack_file("sinograms", sinograms.transpose(1, 0, 2).astype(np.float32))
tmpdir = fresh("tmp_iradon")
output = os.path.join(args.workdir, "iradon.h5")
started = time.monotonic()
external(sino_file, output, tmpdir,
         f"command=/usr/bin/python3 {IRADON} --angles 180 {{in}} {{out}}",
         f"output_shape={size},{size}")
wall = time.monotonic() - started
with h5py.File(output, "r") as f:
    theirs = f["/external/data"][...]
    seconds = f["/external/seconds"][...]
ours, _ = reconstruct(args, scan, os.path.join(args.workdir, "fbp.h5"), f"center={size // 2}",
                      ranks=ranks)
mask = disc_mask(size)
corr = np.corrcoef(ours[:, mask].ravel(), theirs[:, mask].ravel())[0, 1]
check(theirs.shape == (rows, size, size), f"iradon volume {theirs.shape}")
check(corr > 0.99, f"iradon through external_process agrees with tomo_fbp (correlation {corr:.5f})")
check(os.listdir(tmpdir) == [], "iradon: the temporary directory is left empty")
print(f"figure: iradon_slice.py at N={size}, P={angles}: {seconds.mean():.2f} s per slice, "
      f"{wall:.2f} s for {rows} slices on {args.ranks} ranks")


def sleepers():
    """Processes still running the hang mode's grandchild."""
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if words[:2] == [b"/bin/sleep", b"31.5"]:
            found.append(cmdline)
    return found


failing_input = stack_file("failing", rng.standard_normal((8, 3, 16)).astype(np.float32))


def refused(name, expected, said_by_program, *params, shape="output_shape=8,16"):
    tmpdir = fresh(f"tmp_{name}")
    output = os.path.join(args.workdir, f"{name}.h5")
    started = time.monotonic()
    shape_params = [shape] if shape else []
    result = external(failing_input, output, tmpdir, *shape_params, *params, ok=False)
    elapsed = time.monotonic() - started
    text = result.stdout + result.stderr
    said = [line for line in text.splitlines() if line.startswith("h5io: error:")]
    check(result.returncode != 0 and len(said) == 1, f"{name}: one error, exit {result.returncode}")
    check(expected in said[0], f"  it says '{expected}': {said[0][:300]}")
    if said_by_program:
        check("slice " in said[0], "  it names the slice")
        check(said_by_program in text, f"  it quotes the program's output '{said_by_program}'")
    check(not glob.glob(output + "*"), "  no output file")
    check(os.listdir(tmpdir) == [], "  no temporary directory left")
    return elapsed


def misbehave(mode):
    return f"command=/usr/bin/python3 {MISBEHAVE} {mode} {{in}} {{out}} {{slice}}"


refused("missing", "/no/such/program does not exist", None, "command=/no/such/program {in} {out}")
refused("exit1", "exited with status 1", "something went wrong inside", misbehave("exit1"))
elapsed = refused("hang", "timed out after 1 s", "misbehaving_program: hang on slice",
                  misbehave("hang"), "timeout=1")
check(elapsed < 15, f"  the hang was cut short ({elapsed:.1f} s)")
deadline = time.monotonic() + 5
while sleepers() and time.monotonic() < deadline:
    time.sleep(0.1)
check(not sleepers(), "  the program's own child was killed with it")
refused("nothing", "wrote no result", "misbehaving_program: nothing on slice", misbehave("nothing"))
refused("wrong_shape", "wrote an image of [3, 5] float32 but [8, 16] float32 was expected",
        "misbehaving_program: wrong_shape on slice", misbehave("wrong_shape"))
refused("garbage", "wrote a result h5io cannot read", "misbehaving_program: garbage on slice",
        misbehave("garbage"))
refused("unknown_placeholder", "unknown placeholder {input}", None,
        "command=/bin/cp {input} {out}")
refused("no_shape", "give output_shape=ROWS,COLS", None, "command=/bin/cp {in} {out}", shape=None)
