#!/usr/bin/env bash
# Installs what h5io needs and builds it into build/ (Release, warnings as
# errors). Incremental when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DH5IO_WERROR=ON
cmake --build build -j"$(nproc)"
