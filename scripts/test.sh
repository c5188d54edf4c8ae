#!/usr/bin/env bash
# Builds h5io and runs the whole test suite: unit tests, MPI tests with 1, 2
# and 4 ranks, the h5io command's error handling, and end-to-end runs checked
# with h5py/numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source scripts/mpi-env.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 600
