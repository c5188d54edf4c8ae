#!/bin/bash
# systemd-analyze verify on the h5io units, strictly: systemd only warns
# (exit status 0) about unknown keys and bad values, so any diagnostic counts
# as a failure. Then the same check must fail on units broken on purpose,
# or it proves nothing. Also a syntax check of the Slurm script.
#   verify_units.sh UNIT_DIR SBATCH_SCRIPT
# UNIT_DIR holds the units as configured for the build tree (ExecStart= in
# this build's bin/, which verify requires to exist).
set -uo pipefail
unit_dir=$1
sbatch=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# verify_strict FILE: 0 when systemd-analyze accepts FILE without a word.
verify_strict() {
  local out rc
  out=$(systemd-analyze verify --man=no "$1" 2>&1)
  rc=$?
  [[ $rc -eq 0 && -z "$out" ]] && return 0
  printf '%s\n' "$out" | sed 's/^/    /'
  return 1
}

expect() { # expect ok|fail DESCRIPTION FILE
  local want=$1 what=$2 file=$3 got=ok
  verify_strict "$file" || got=fail
  if [[ $got == "$want" ]]; then
    echo "PASS: $what ($got)"
  else
    echo "FAIL: $what: expected $want, got $got"
    failures=$((failures + 1))
  fi
}

# A template is verified as an instance of itself.
cp "$unit_dir/h5io-master.service" "$work/h5io-master.service"
cp "$unit_dir/h5io-worker@.service" "$work/h5io-worker@test.service"
expect ok "h5io-master.service" "$work/h5io-master.service"
expect ok "h5io-worker@.service (as h5io-worker@test)" "$work/h5io-worker@test.service"

# Negative cases: each must be caught.
# One directory each: verify also loads the units a unit names (After=).
mkdir "$work/bad" "$work/bad1" "$work/bad2"
sed 's/^Type=notify$/Type=notifyy/' "$work/h5io-master.service" > "$work/bad/h5io-master.service"
expect fail "master with a bad Type= value" "$work/bad/h5io-master.service"
sed 's/^KillMode=mixed$/KilMode=mixed/' "$work/h5io-worker@test.service" \
  > "$work/bad1/h5io-worker@test.service"
expect fail "worker with a misspelt key" "$work/bad1/h5io-worker@test.service"
sed 's|^ExecStart=[^ ]*/h5io-master|ExecStart=/nonexistent/h5io-master|' \
  "$work/h5io-master.service" > "$work/bad2/h5io-master.service"
expect fail "master whose ExecStart= binary is missing" "$work/bad2/h5io-master.service"
# The negative cases must have changed something.
for f in "$work/bad/h5io-master.service" "$work/bad1/h5io-worker@test.service" \
         "$work/bad2/h5io-master.service"; do
  if cmp -s "$f" "$work/$(basename "$f")"; then
    echo "FAIL: negative case $f is identical to the unit: its sed no longer matches"
    failures=$((failures + 1))
  fi
done

# What the units must say (the choices deploy/README.md documents).
require() { # require FILE REGEX
  if grep -Eq -- "$2" "$1"; then echo "PASS: $(basename "$1") has $2"
  else echo "FAIL: $(basename "$1") lacks $2"; failures=$((failures + 1)); fi
}
m="$work/h5io-master.service"
w="$work/h5io-worker@test.service"
for re in '^Type=notify$' '^WatchdogSec=30$' '^Restart=on-failure$' '^User=h5io$' \
          '^StateDirectory=h5io$' '^NoNewPrivileges=yes$' '^PrivateTmp=yes$' \
          '^ProtectSystem=(full|strict)$' '--config /etc/h5io/master.json'; do
  require "$m" "$re"
done
for re in '^EnvironmentFile=/etc/h5io/worker-%i.env$' '^KillMode=mixed$' '^KillSignal=SIGTERM$' \
          '^User=h5io$' 'ExecStart=.*(mpirun|mpiexec) -np \$\{H5IO_RANKS\}.*h5io-worker --master \$\{H5IO_MASTER\}'; do
  require "$w" "$re"
done

if bash -n "$sbatch"; then echo "PASS: $(basename "$sbatch") parses"
else echo "FAIL: $(basename "$sbatch") has a syntax error"; failures=$((failures + 1)); fi

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
