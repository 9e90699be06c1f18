#!/usr/bin/env bash
# Flossing through the executable beyond rate networks: local flossing of LIF and ALIF
# networks (surrogate Jacobians), on the loihi and fixed (spinnaker) kernels through the
# chip's update path
# (integer codes change), flossing during training (every N iterations), and the errors
# for what is not supported.
# Usage: flossing.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
common=(-q --set network.n_in=20 --set network.n_rec=40 --set task.steps=200
        --set floss.enabled=true --set floss.pre_epochs=5 --set floss.eta=0.01
        --set lyapunov.steps=200 --set lyapunov.warmup=50 --set record.spikes=false)
"$exe" run "${common[@]}" --set network.model=\"lif\" --set train.rule=\"none\" -o lif.h5
"$exe" run "${common[@]}" --set network.model=\"alif\" --set train.rule=\"none\" -o alif.h5
"$exe" run "${common[@]}" --set network.model=\"lif\" --set train.rule=\"none\" \
  --set chip.profile=\"loihi\" --set chip.update_rounding=\"stochastic\" -o loihi.h5
"$exe" run "${common[@]}" --set network.model=\"lif\" --set train.rule=\"none\" \
  --set chip.profile=\"spinnaker\" --set chip.update_rounding=\"stochastic\" -o spinnaker.h5
"$exe" run "${common[@]}" --set network.model=\"rate\" --set train.rule=\"eprop\" \
  --set train.iterations=6 --set floss.every=2 --set floss.epochs=3 -o during.h5
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for name in ("lif", "alif", "loihi", "spinnaker"):
    f = h5py.File(f"{name}.h5", "r")
    loss = f["floss/loss"][:]
    assert loss.shape == (5,) and np.all(np.isfinite(loss)), (name, loss)
    w0 = f["network/initial/w_rec"][:].astype(float)
    w1 = f["network/final/w_rec"][:].astype(float)
    changed = np.count_nonzero(w0 != w1)
    print(f"{name}: flossing loss {loss[0]:.3g} -> {loss[-1]:.3g}, {changed} recurrent weights changed")
    assert changed > 0, name
    if name in ("loihi", "spinnaker"):
        assert f["network/final/w_rec"].dtype == np.int32  # integer codes on the chip
f = h5py.File("during.h5", "r")
it = f["floss/iteration"][:]
assert list(it) == [0] * 5 + [2, 2, 2, 4, 4, 4, 6, 6, 6], it  # pre-epochs, then every 2
assert f["train/loss"].shape == (6,)
PY

source "$(dirname "${BASH_SOURCE[0]}")/../lib/expect_fail.sh"
expect_fail "floss.variant" "$exe" run "${common[@]}" --set network.model=\"lif\" --set floss.variant=\"bptt\" -o bad.h5
expect_fail "chip.kernel" "$exe" run "${common[@]}" --set network.model=\"lif\" --set chip.profile=\"xylo\" -o bad.h5
expect_fail "network.delay_rec" "$exe" run "${common[@]}" --set network.model=\"rate\" --set network.delay_rec=2 -o bad.h5
test ! -e bad.h5
echo "flossing: ok"
