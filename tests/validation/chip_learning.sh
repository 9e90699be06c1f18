#!/usr/bin/env bash
# Learning on a chip: e-prop on the sine task with NEST's settings (SGD, eta 1e-4), on the
# float64 profile and on the loihi profile (8-bit weights, pure low precision: no shadow
# weights, 7-bit presynaptic traces). With stochastic update rounding the loihi network
# learns to within 2x the float64 final loss; with round-to-nearest most updates are smaller than half a weight
# step and learning of W_in and W_rec stalls. The same on the spinnaker profile (fixed
# kernel: s16.15 state, 16-bit weights, 16-bit s4.11 traces): its truncating updates
# (toward zero) lose the small ones, stochastic rounding learns like float64.
# Usage: chip_learning.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
common=(--quiet --set train.rule=eprop --set train.iterations=300 --set train.optimizer=sgd --set train.eta=1e-4
        --set train.c_reg=300.0 --set record.spikes=false --set record.states=false)
"$exe" run "${common[@]}" -o float.h5
"$exe" run "${common[@]}" --set chip.profile=loihi --set chip.update_rounding=stochastic -o sr.h5
"$exe" run "${common[@]}" --set chip.profile=loihi --set chip.update_rounding=nearest -o rn.h5
"$exe" run "${common[@]}" --set chip.profile=spinnaker -o sp_tz.h5
"$exe" run "${common[@]}" --set chip.profile=spinnaker --set chip.update_rounding=stochastic \
  -o sp_sr.h5
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
def final(path, n=20):
    f = h5py.File(path, "r")
    loss = f["train/loss"][...]
    change = sum(np.abs(f["network/final/" + w][...].astype(float) -
                        f["network/initial/" + w][...].astype(float)).sum() for w in ("w_in", "w_rec"))
    return loss[-n:].mean(), loss[0], change
lf, lf0, _ = final("float.h5")
ls, ls0, cs = final("sr.h5")
ln, ln0, cn = final("rn.h5")
print(f"final loss (mean of the last 20 iterations): float64 {lf:.2f} (from {lf0:.2f}), "
      f"loihi stochastic {ls:.2f} (from {ls0:.2f}), loihi nearest {ln:.2f} (from {ln0:.2f})")
print(f"integer weight change (sum |codes|, W_in + W_rec): stochastic {cs:.0f}, nearest {cn:.0f}")
assert ls < 2.0 * lf, (ls, lf)   # stochastic rounding: within 2x of float64
assert ln > 1.25 * ls, (ln, ls)  # round-to-nearest: clearly worse
assert cn < 0.05 * cs, (cn, cs)  # ... because the updates vanish
lt, lt0, ct = final("sp_tz.h5")
lr, lr0, cr = final("sp_sr.h5")
print(f"spinnaker: toward zero {lt:.2f} (from {lt0:.2f}), stochastic {lr:.2f} (from {lr0:.2f}); "
      f"integer weight change: toward zero {ct:.0f}, stochastic {cr:.0f}")
assert lr < 1.25 * lf, (lr, lf)  # 16-bit weights, stochastic updates: like float64
assert lt > 1.5 * lr, (lt, lr)   # truncated updates: learning stalls
assert ct < 0.1 * cr, (ct, cr)
PY
echo "1 passed, 0 failed"
