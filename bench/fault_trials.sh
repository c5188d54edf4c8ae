#!/usr/bin/env bash
# Runs the service fault tests (tests/e2e/service_faults_test.py) N times per
# fault (default 10) against a build, and prints a table per fault: trials,
# completed, identical (bitwise equal to `h5io run`), lost, duplicated.
# Usage: bench/fault_trials.sh [N]   (BUILD=dir, default build-faults)
set -euo pipefail
trials=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILD:-$root/build-faults}" && pwd)
work=${WORKDIR:-$build/fault_trials}
mkdir -p "$work"
# Open MPI refuses root and more ranks than cores without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export PYTHONPATH="$root/tests/e2e${PYTHONPATH:+:$PYTHONPATH}"
plugin_dirs=()
for d in "$build"/lib*/h5io/plugins "$build/tests/plugins"; do
  [[ -d $d ]] && plugin_dirs+=(--plugin-dir "$d")
done
status=0
/usr/bin/python3 "$root/tests/e2e/service_faults_test.py" --trials "$trials" --table "$work/table.json" \
  --bin "$build/bin" "${plugin_dirs[@]}" --mpiexec "$(command -v mpirun)" \
  --workdir "$work" >"$work/run.log" 2>&1 || status=$?
grep -E '^(rank0|rankN|master|crash|stop|diskfull) trial|^trial ' "$work/run.log" || true
if [[ -f $work/table.json ]]; then
  python3 - "$work/table.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print(f"\n{'fault':8} {'trials':>6} {'completed':>9} {'identical':>9} {'lost':>4} {'duplicated':>10}")
for fault, r in rows.items():
    print(f"{fault:8} {r['trials']:6} {r['completed']:9} {r['identical']:9} {r['lost']:4} "
          f"{r['duplicated']:10}")
PY
fi
if [[ $status -ne 0 ]]; then
  echo "service_faults_test failed ($status); last lines of $work/run.log:"
  tail -20 "$work/run.log"
fi
exit $status
