#!/usr/bin/python3
"""Seconds per slice of scikit-image's filtered back-projection, the common
Python baseline that tomo_fbp is compared with (bench/fbp_bench.cpp --iradon
runs this under /usr/bin/python3 and divides).

Times skimage.transform.iradon(filter_name="ramp", interpolation="linear",
circle=True) on one N x N float32 sinogram from N angles over 180 degrees
(a disc, so the numbers are realistic; iradon's cost does not depend on
them). iradon's work is linear in the number of angles, so --angles times a
subset and scales; the output says so."""
import argparse
import time

import numpy as np
from skimage.transform import iradon


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="N: detector columns and angles")
    parser.add_argument("--angles", type=int, default=0,
                        help="time on this many of the N angles and scale (0 = all)")
    args = parser.parse_args()
    n = args.size
    p = args.angles if 0 < args.angles < n else n
    theta = np.linspace(0.0, 180.0, n, endpoint=False)[:p]
    u = np.arange(n) - n // 2
    radius = 0.4 * n
    column = np.where(np.abs(u) < radius, 2.0 * np.sqrt(np.maximum(radius**2 - u**2, 0)), 0)
    sinogram = np.repeat(column[:, None], p, axis=1).astype(np.float32) * (1.0 / n)
    start = time.perf_counter()
    iradon(sinogram, theta=theta, filter_name="ramp", interpolation="linear", circle=True)
    seconds = (time.perf_counter() - start) * n / p
    scaled = f" (timed on {p} of {n} angles, scaled)" if p < n else ""
    print(f"skimage {__import__('skimage').__version__} iradon N={n} P={n}{scaled}")
    print(f"seconds_per_slice={seconds:.4f}")


if __name__ == "__main__":
    main()
