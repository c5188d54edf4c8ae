#!/usr/bin/env bash
# Installs the Debian 12 packages h5io builds, runs and tests with.
# Safe to run again: when everything is present it changes nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libhdf5-openmpi-dev hdf5-tools openmpi-bin libopenmpi-dev
  libzmq3-dev cppzmq-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libsystemd-dev
  libfftw3-dev libtiff-dev libpng-dev
  prometheus-cpp-dev   # the master's /metrics endpoint
  libyaml-cpp-dev      # pipeline files (h5io run/submit --pipeline)
  libgtest-dev libgmock-dev   # GTest's CMake config names the gmock libraries too
  python3 python3-h5py python3-numpy python3-skimage   # independent checkers in the tests
  python3-tifffile libtiff-tools   # TIFF checkers (tests), and the iradon example program
  python3-jsonschema python3-zmq   # protocol schema test, Python client example and its test
  python3-silx nexus-tools   # NeXus checkers (tests): silx's NXdata rules, nxsummary (NeXus C API)
  silx   # `silx view`, which the demo's result opens in
  systemd   # systemd-analyze verifies the units in deploy/ (tests)
  prometheus   # a real Prometheus server scrapes the master in a test
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "h5io: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
