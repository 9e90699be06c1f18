#!/usr/bin/env bash
# The what-if example: float64 reference plus one row per (weight bits, rounding), printed
# and written to HDF5; coarser weights move the network further from the reference.
# Usage: whatif.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
examples=$(cd "$(dirname "$0")/../../examples" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$exe" whatif "$examples/whatif_bits.toml" -o table.h5 > table.txt
cat table.txt
[[ $(grep -c -E "nearest|stochastic" table.txt) -eq 10 ]]
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
g = h5py.File("table.h5", "r")["whatif"]
bits, d = g["weight_bits"][...], g["distance"][...]
r = g["rounding"].asstr()[...]
assert len(bits) == 11 and bits[0] == 0 and d[0] == 0.0
assert list(bits[1:]) == [16, 16, 8, 8, 6, 6, 4, 4, 2, 2], bits
assert set(r[1:]) == {"nearest", "stochastic"}
# 2-bit weights are far from float64; 16-bit ones close.
assert d[bits == 2].min() > 4 * d[bits == 16].max(), d
print("what-if table ok")
PY
# Settings a chip cannot take are named.
set +e
"$exe" whatif "$examples/whatif_bits.toml" --set chip.profile=loihi --bits 16 -o bad.h5 2>err.txt
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "chip.weight_bits" err.txt && test ! -e bad.h5
echo "1 passed, 0 failed"
