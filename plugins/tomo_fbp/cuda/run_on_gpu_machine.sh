#!/usr/bin/env bash
# Builds tomo_fbp's CUDA back end on its own (CUDA toolkit, CMake and a C++
# compiler only: no FFTW, HDF5, MPI or GTest) and runs its test and
# benchmark. Run from anywhere:
#   plugins/tomo_fbp/cuda/run_on_gpu_machine.sh [build-dir]
# Sizes default to what finishes in a few minutes on one A100/H100; the
# issue's full figures need VOLUME_SLICES=2048:
#   SIZES=2048,4096 VOLUME_SLICES=2048 plugins/tomo_fbp/cuda/run_on_gpu_machine.sh
# CUDA_ARCHITECTURES overrides the GPU architectures (default: 80-real;90,
# i.e. A100, H100/H200, and PTX for newer GPUs); "native" builds for the
# GPU present only, which is quickest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-${here}/../../../build-gpu}"
sizes="${SIZES:-2048,4096}"
volume_slices="${VOLUME_SLICES:-512}"
volume_size="${VOLUME_SIZE:-2048}"
architectures="${CUDA_ARCHITECTURES:-native}"

if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:${PATH}"
fi
echo "== configure (${build}, CUDA architectures ${architectures})"
cmake -S "${here}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="${architectures}" >/dev/null
echo "== build"
cmake --build "${build}" -j"$(nproc)" >/dev/null
command -v nvidia-smi >/dev/null 2>&1 &&
  nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.sm --format=csv || true

echo "== tomo_fbp_cuda_test"
status=0
"${build}/bin/tomo_fbp_cuda_test" || status=$?

echo "== tomo_fbp_cuda_bench --sizes ${sizes} --volume-slices ${volume_slices}"
"${build}/bin/tomo_fbp_cuda_bench" --sizes "${sizes}" --volume-slices "${volume_slices}" \
  --volume-size "${volume_size}" || status=$?
exit "${status}"
