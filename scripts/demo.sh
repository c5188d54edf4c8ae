#!/usr/bin/env bash
# The main job end to end on a small built-in example, as the service runs
# it: builds h5io, writes a synthetic tomography scan as Diamond's beamlines
# do (NXtomo entry, frames in an external detector file, darks and flats at
# both ends), starts an h5io-master and one worker group of 2 MPI ranks on
# loopback, submits a tomo_fbp job and follows it to completion, then
# measures the volume against the phantom's ground truth and prints the
# command that opens it in silx.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source scripts/mpi-env.sh

example="$(pwd)/example"
mkdir -p "$example"
rm -rf "$example/journal" "$example/recon.h5" "$example/recon.h5.partial"
build/bin/h5io phantom --layout diamond --rows 32 --output "$example/scan.nxs" \
  --center-offset 3.5 --overwrite

# Ports 5555-5557 by default; H5IO_DEMO_PORT moves all three.
port=${H5IO_DEMO_PORT:-5555}
cat > "$example/master.json" <<JSON
{
  "client_endpoint": "tcp://127.0.0.1:$port",
  "status_endpoint": "tcp://127.0.0.1:$((port + 1))",
  "worker_endpoint": "tcp://127.0.0.1:$((port + 2))",
  "journal_dir": "$example/journal",
  "input_roots": ["$example"],
  "output_roots": ["$example"]
}
JSON
build/bin/h5io-master --config "$example/master.json" > "$example/master.log" 2>&1 &
master=$!
mpirun -np 2 build/bin/h5io-worker --master "tcp://127.0.0.1:$((port + 2))" \
  > "$example/worker.log" 2>&1 &
worker=$!
# SIGTERM to the ranks (not to mpirun): the group leaves the master cleanly.
trap 'pkill -TERM -P $worker 2>/dev/null; kill $master 2>/dev/null; wait $worker $master 2>/dev/null || true' EXIT

build/bin/h5io submit --master "tcp://127.0.0.1:$port" --plugin tomo_fbp \
  --input "$example/scan.nxs" --output "$example/recon.h5" --wait

echo
/usr/bin/python3 - "$example" <<'PY'
import sys
import h5py, numpy as np
d = sys.argv[1]
with h5py.File(f"{d}/recon.h5") as f, h5py.File(f"{d}/scan_truth.h5") as t:
    volume, truth = f["entry/reconstruction/data"][...], t["volume"][...]
    centers = f["entry/reconstruction/center"][...]
    units = f["entry/reconstruction/data"].attrs.get("units")
    x = f["entry/reconstruction/x"]
    voxel = f"{x[1] - x[0]:g} {x.attrs['units']}"
n = volume.shape[-1]
y, x = np.mgrid[:n, :n]
inside = (x - n // 2) ** 2 + (y - n // 2) ** 2 <= (0.95 * n / 2) ** 2
error = np.sqrt(np.mean((volume - truth)[:, inside] ** 2) / np.mean(truth[:, inside] ** 2))
print(f"volume {list(volume.shape)} float32 ({units}), voxel {voxel}; rotation centre found: "
      f"{centers.mean():.2f} px (true {n // 2 + 3.5}); relative RMSE vs ground truth: {error:.3f}")
PY
echo "Logs:       $example/master.log, $example/worker.log"
echo "Provenance: h5dump -g /entry/process $example/recon.h5"
build/bin/h5io preview "$example/recon.h5" --output "$example/preview.png"
echo "Output:     $example/recon.h5 (NeXus: NXentry /entry, NXdata /entry/reconstruction)"
echo "Preview:    $example/preview.png"
# From the repository's root, where this runs: silx finds the volume by the
# file's NeXus default and shows it on its z, y, x axes in micrometres.
echo "Open it:    silx view example/recon.h5"
