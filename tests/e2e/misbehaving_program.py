#!/usr/bin/python3
"""An external program that fails on purpose, for external_process's tests:

    misbehaving_program.py MODE IN OUT SLICE

Every mode first says on stderr what it is about to do, so the tests can
check that the end of a program's output reaches the user's error message.
  exit1        exits with status 1
  hang         starts a grandchild (`sleep 31.5`) and sleeps: killed at the timeout
  nothing      exits 0 without writing OUT
  wrong_shape  writes a 3 x 5 float32 image
  garbage      writes text that is no TIFF
  copy         copies IN to OUT (behaves)
"""
import shutil
import subprocess
import sys
import time

import numpy as np
import tifffile

mode, source, target, slice_number = sys.argv[1:5]
print(f"misbehaving_program: {mode} on slice {slice_number}", file=sys.stderr, flush=True)
if mode == "exit1":
    print("Traceback: something went wrong inside", file=sys.stderr)
    sys.exit(1)
elif mode == "hang":
    subprocess.Popen(["/bin/sleep", "31.5"])
    time.sleep(30)
elif mode == "nothing":
    pass
elif mode == "wrong_shape":
    tifffile.imwrite(target, np.zeros((3, 5), np.float32))
elif mode == "garbage":
    with open(target, "w") as f:
        f.write("this is not a TIFF file\n" * 10)
elif mode == "copy":
    shutil.copyfile(source, target)
else:
    sys.exit(f"misbehaving_program: unknown mode {mode}")
