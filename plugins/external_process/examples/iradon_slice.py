#!/usr/bin/python3
"""Reconstructs one sinogram into one slice with scikit-image's iradon: the
example external program of h5io's external_process library.

    iradon_slice.py [--angles DEGREES | --angles-file FILE] [--center C]
                    [--filter NAME] SINOGRAM.tif SLICE.tif

SINOGRAM.tif holds [projections, columns] values of -log(I/I0) (any numeric
type); SLICE.tif receives [columns, columns] float32, linear attenuation in
1/pixel (ramp filter and linear interpolation by default, as tomo_fbp).

    h5io run --plugin external_process --input sinograms.h5 --output recon.h5 \\
      --param command="/usr/bin/python3 iradon_slice.py --angles 180 {in} {out}" \\
      --param output_shape=2048,2048
"""
import argparse
import sys

import numpy as np
import tifffile
from skimage.transform import iradon


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sinogram", help="input TIFF [projections, columns]")
    parser.add_argument("slice", help="output TIFF [columns, columns] float32")
    angles = parser.add_mutually_exclusive_group()
    angles.add_argument("--angles", type=float, default=180.0,
                        help="projections evenly spaced over this many degrees, starting at 0, "
                             "the end excluded (default 180)")
    angles.add_argument("--angles-file", help="text file of one angle in degrees per projection")
    parser.add_argument("--center", type=float,
                        help="detector column of the rotation axis (default columns // 2)")
    parser.add_argument("--filter", default="ramp",
                        help="ramp, shepp-logan, cosine, hamming or hann (default ramp)")
    return parser.parse_args()


def main():
    args = arguments()
    sinogram = tifffile.imread(args.sinogram)
    if sinogram.ndim != 2:
        sys.exit(f"iradon_slice: {args.sinogram} holds an array of shape {sinogram.shape}; "
                 "expected a sinogram [projections, columns]")
    sinogram = sinogram.astype(np.float64)
    projections, columns = sinogram.shape
    if args.angles_file:
        theta = np.loadtxt(args.angles_file, ndmin=1)
    else:
        theta = np.arange(projections) * args.angles / projections
    if len(theta) != projections:
        sys.exit(f"iradon_slice: {len(theta)} angles for {projections} projections")
    if args.center is not None and args.center != columns // 2:
        # iradon puts the axis at columns // 2: move the given one there.
        u = np.arange(columns)
        shift = args.center - columns // 2
        sinogram = np.stack([np.interp(u + shift, u, p, left=0, right=0) for p in sinogram])
    image = iradon(sinogram.T, theta=theta, filter_name=args.filter, interpolation="linear",
                   circle=True)
    tifffile.imwrite(args.slice, image.astype(np.float32))


if __name__ == "__main__":
    main()
