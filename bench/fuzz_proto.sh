#!/bin/sh
# Fuzzes protocol v1 parsing (tests/fuzz/proto_fuzz.cpp) for SECONDS
# (default 600) with libFuzzer, ASan and UBSan, in its own build directory
# (build-fuzz, or $H5IO_FUZZ_BUILD), building only h5io_proto and the fuzzer.
# Prints executions, coverage and crashes found; exits 1 if any crash.
# Usage: bench/fuzz_proto.sh [SECONDS]
set -eu
seconds=${1:-600}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${H5IO_FUZZ_BUILD:-$source_dir/build-fuzz}
jobs=${H5IO_FUZZ_JOBS:-2}

mkdir -p "$build"
# CMAKE_CUDA_COMPILER=OFF skips the CUDA probe: nothing CUDA is built here.
cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CUDA_COMPILER=OFF \
  -DH5IO_FUZZ=ON -DH5IO_BUILD_BENCH=OFF -DH5IO_WERROR=ON >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 2; }
cmake --build "$build" -j"$jobs" --target h5io_proto_fuzz

# The fuzzer adds what it finds to a scratch corpus; the seeds stay as
# committed. Crash inputs land in $build/crashes.
work=$build/fuzz-run
rm -rf "$work"
mkdir -p "$work/corpus" "$build/crashes"
log=$work/fuzz.log
status=0
"$build/bin/h5io_proto_fuzz" -max_len=65536 -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$build/crashes/" -timeout=10 -rss_limit_mb=4096 \
  "$work/corpus" "$source_dir/tests/fuzz/corpus" >"$log" 2>&1 || status=$?

crashes=$(find "$build/crashes" -type f -newer "$work/corpus" | wc -l)
echo "proto fuzzing: ${seconds} s requested"
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' "$log" || true
tail_line=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
echo "last status line: $tail_line"
echo "coverage: $(echo "$tail_line" | grep -oE 'cov: [0-9]+' || echo '?') edges, $(echo "$tail_line" | grep -oE 'ft: [0-9]+' || echo '?') features"
echo "corpus: $(ls "$work/corpus" | wc -l) inputs"
echo "crashes found: $crashes (in $build/crashes); fuzzer exit status $status; log $log"
if [ "$crashes" -gt 0 ] || [ "$status" -ne 0 ]; then
  grep -E 'ERROR|finding|SUMMARY' "$log" | head -n 20
  exit 1
fi
