#!/bin/bash
# cmake --install into a scratch prefix, then use it as a site and a library
# author would: the layout is complete, the units point into the prefix, the
# installed h5io finds the installed plugins, and deploy/plugin-template
# builds against find_package(h5io) and runs under the installed h5io.
#   install_test.sh BUILD_DIR SOURCE_DIR
# Negative case: the template must NOT configure without the prefix (so the
# package, not some stray header, is what made it build).
set -uo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run_logged() { # run_logged LOG CMD...: quiet unless it fails
  if "${@:2}" > "$1" 2>&1; then return 0; fi
  sed 's/^/    /' "$1" | tail -40
  return 1
}

run_logged "$work/install.log" cmake --install "$build" --prefix "$prefix" \
  || { fail "cmake --install"; exit 1; }
pass "cmake --install --prefix $prefix"

libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
for f in bin/h5io bin/h5io-master bin/h5io-worker include/h5io/h5io_plugin.h \
         "$libdir/h5io/plugins/libh5io_benchmark.so" \
         lib/systemd/system/h5io-master.service "lib/systemd/system/h5io-worker@.service" \
         share/doc/h5io/examples/master.json share/doc/h5io/examples/worker-gpu.env \
         share/doc/h5io/examples/h5io-worker.sbatch share/doc/h5io/examples/mean.c \
         "$libdir/cmake/h5io/h5ioConfig.cmake"; do
  if [[ -e "$prefix/$f" ]]; then pass "installed $f"; else fail "missing $f"; fi
done
if grep -q "^ExecStart=$prefix/bin/h5io-master " "$prefix/lib/systemd/system/h5io-master.service"
then pass "the installed master unit runs $prefix/bin/h5io-master"
else fail "the installed master unit's ExecStart: $(grep ^ExecStart= "$prefix/lib/systemd/system/h5io-master.service")"; fi
if grep -q "$prefix/bin/h5io-worker --master" "$prefix/lib/systemd/system/h5io-worker@.service"
then pass "the installed worker unit runs $prefix/bin/h5io-worker"
else fail "the installed worker unit's ExecStart"; fi
# Nothing installed may point back into the build tree (RUNPATH included).
for bin in h5io h5io-master h5io-worker; do
  if readelf -d "$prefix/bin/$bin" | grep -E 'RPATH|RUNPATH' | grep -q "$build"; then
    fail "$bin keeps a RUNPATH into the build tree"
  elif ldd "$prefix/bin/$bin" | grep -q "not found"; then
    fail "$bin has unresolved libraries: $(ldd "$prefix/bin/$bin" | grep 'not found')"
  else pass "$bin resolves its libraries without the build tree"; fi
done

# Data to work on, from the installed h5io.
h5io="$prefix/bin/h5io"
run_logged "$work/example.log" "$h5io" example --output "$work/scan.h5" \
  && pass "h5io example" || fail "h5io example"

# The installed h5io finds the installed plugins by itself (<bin>/../lib/...).
run_logged "$work/bench.log" env H5IO_PLUGIN_PATH= "$h5io" run --plugin benchmark \
  --input "$work/scan.h5" --output "$work/bench.h5" -q \
  && pass "installed h5io runs the installed benchmark plugin" \
  || fail "installed h5io does not find its benchmark plugin"

# The plugin template, as a library author builds it.
tpl="$source/deploy/plugin-template"
if run_logged "$work/neg.log" env -u CMAKE_PREFIX_PATH cmake -S "$tpl" -B "$work/neg" \
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
     -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF >/dev/null 2>&1; then
  fail "the template configures without the installed h5io: the test proves nothing"
else pass "the template does not configure without the installed package (negative case)"; fi
run_logged "$work/tpl-configure.log" cmake -S "$tpl" -B "$work/tpl" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  && run_logged "$work/tpl-build.log" cmake --build "$work/tpl" \
  && pass "plugin template configured and built against $prefix" \
  || fail "plugin template did not build"
if [[ -f "$work/tpl/libh5io_mean.so" ]]; then pass "libh5io_mean.so built"
else fail "no libh5io_mean.so in $work/tpl"; fi
run_logged "$work/mean.log" env H5IO_PLUGIN_PATH= "$h5io" run --plugin-dir "$work/tpl" \
  --plugin mean --input "$work/scan.h5" --output "$work/mean.h5" -q \
  && pass "installed h5io runs the template's mean library" \
  || fail "h5io run --plugin mean failed"
if /usr/bin/python3 - "$work/mean.h5" "$work/scan.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1]) as out, h5py.File(sys.argv[2]) as scan:
    data = scan["/entry/data/data"][...]
    # The template slices dimension 1 (sinograms): one mean per detector row.
    want = data.transpose(1, 0, 2).reshape(data.shape[1], -1).mean(axis=1)
    got = out["/result/mean"][...]
    # Its NeXus axis, as the template describes it: the default plot is the
    # mean against the detector row.
    plot = out["entry"][out["entry"].attrs["default"]]
    axis = plot["row"]
    described = (plot["mean"].id == out["/result/mean"].id and list(plot.attrs["axes"]) == ["row"]
                 and axis.attrs["long_name"] == "detector row" and axis.shape == got.shape)
    sys.exit(0 if got.shape == want.shape and np.allclose(got, want) and described else 1)
PY
then pass "/result/mean holds each slice's mean, plotted against its row axis"
else fail "/result/mean is wrong, or its NeXus axis"; fi
# And the template's own install rule puts it where h5io looks.
run_logged "$work/tpl-install.log" cmake --install "$work/tpl" --prefix "$prefix" \
  && [[ -f "$prefix/$libdir/h5io/plugins/libh5io_mean.so" ]] \
  && pass "the template installs into $libdir/h5io/plugins" \
  || fail "the template's install rule"

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
