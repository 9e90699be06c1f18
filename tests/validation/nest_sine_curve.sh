#!/usr/bin/env bash
# NEST's sine-wave example (examples/sine_nest.toml): e-prop follows NEST 3.10's learning
# curve, loss 101.96 at the first iteration and 61.4 at iteration 200.
# Usage: nest_sine_curve.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
"$exe" run examples/sine_nest.toml --set train.iterations=200 -o "$work/sine.h5" --quiet
/usr/bin/python3 - "$work/sine.h5" <<'PY'
import sys, h5py
loss = h5py.File(sys.argv[1], "r")["train/loss"][...]
print(f"iteration 1: {loss[0]:.2f} (NEST 101.96); iteration 200: {loss[199]:.2f} (NEST 61.4)")
assert abs(loss[0] - 101.96) < 0.005, loss[0]
assert abs(loss[199] - 61.4) < 0.05, loss[199]
PY
echo "1 passed, 0 failed"
