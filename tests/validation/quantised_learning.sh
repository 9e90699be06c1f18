#!/usr/bin/env bash
# Learning with 4-bit weights on the float64 kernel (the simplest what-if: quantised
# weights, float state), the rate network of examples/tasks/rate_dms.toml on dms, e-prop
# with Adam (eta 5e-3), 100 iterations. chips.md's comparison: direct low-precision updates
# (round-to-nearest loses every update below half a weight step; stochastic rounding keeps
# the expected update) against a float64 shadow weight that is re-quantised each update.
# Usage: quantised_learning.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
common=(--quiet --set train.iterations=100 --set lyapunov.when=[])
"$exe" run "$here/../../examples/tasks/rate_dms.toml" "${common[@]}" -o float.h5
for mode in direct shadow; do
  for r in nearest stochastic; do
    "$exe" run "$here/../../examples/tasks/rate_dms.toml" "${common[@]}" \
      --set chip.weight_bits=4 --set "chip.update_rounding=\"$r\"" \
      --set "chip.update_mode=\"$mode\"" -o "$mode-$r.h5"
  done
done
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
def stats(path):
    f = h5py.File(path, "r")
    loss, acc = f["train/loss"][...], f["train/accuracy"][...]
    changed = None
    if "chip" in f:
        changed = sum(int((f["network/final/" + w][...] != f["network/initial/" + w][...]).sum())
                      for w in ("w_in", "w_rec"))
    return loss[-10:].mean(), acc[-20:].mean(), changed
rows = {name: stats(name + ".h5") for name in
        ("float", "direct-nearest", "direct-stochastic", "shadow-nearest", "shadow-stochastic")}
print("| weights | updates | final loss (last 10) | accuracy (last 20) | codes changed (W_in + W_rec) |")
print("|---|---|---|---|---|")
for name, (l, a, c) in rows.items():
    mode, _, r = name.partition("-")
    print(f"| {'float64' if name == 'float' else '4-bit'} | {mode if r == '' else mode + ', ' + r} "
          f"| {l:.3f} | {a:.3f} | {'-' if c is None else c} |")
assert rows["direct-nearest"][2] == 0                        # every update lost
assert rows["direct-stochastic"][0] < 0.7 * rows["direct-nearest"][0]
assert rows["shadow-nearest"][1] >= 0.95                      # the shadow keeps them
assert rows["shadow-nearest"][0] < 0.2 * rows["direct-nearest"][0]
assert rows["direct-nearest"][1] < 0.9
PY
echo "1 passed, 0 failed"
