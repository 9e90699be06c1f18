#!/usr/bin/env bash
# Flossing alone (train.rule = "none") moves lambda_1 of a rate network to within 0.05 of
# 0, for both variants: from about ln 0.5 (g = 0.5, the plain map h <- W tanh(h)) and from
# a clearly positive value (g = 3, the leaky map with alpha = 0.5). lambda_1 is measured by
# the Lyapunov engine before and after (1000 counted steps), not by the flossing windows.
# The run file records /floss/{loss,exponents,iteration} per epoch.
# Usage: flossing_alone.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > floss.toml <<'TOML'
seed = 1
[network]
model = "rate"
n_in = 5
n_rec = 100
[task]
name = "none"
steps = 100
[train]
rule = "none"
optimizer = "adam"
iterations = 1
[floss]
enabled = true
eta = 0.01
pre_epochs = 200
[lyapunov]
k = 1
steps = 1000
warmup = 200
[record]
spikes = false
TOML

for variant in local bptt; do
  "$exe" run floss.toml -o low_$variant.h5 -q --set floss.variant=\"$variant\" \
    --set network.gain=0.5 --set neuron.alpha=1.0
  "$exe" run floss.toml -o high_$variant.h5 -q --set floss.variant=\"$variant\" \
    --set network.gain=3.0 --set neuron.alpha=0.5
done

/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for variant in ("local", "bptt"):
    for case, check_before in (("low", lambda l: abs(l - np.log(0.5)) < 0.1),
                               ("high", lambda l: l > 0.03)):
        f = h5py.File(f"{case}_{variant}.h5", "r")
        before = f["lyapunov/before/exponents"][0]
        after = f["lyapunov/after/exponents"][0]
        loss = f["floss/loss"][:]
        assert f["floss/exponents"].shape == (200, 1) and f["floss/iteration"][:].max() == 0
        first = int(np.argmax(np.abs(f["floss/exponents"][:, 0]) < 0.05))
        print(f"{variant:5s} {case:4s}: lambda_1 {before:+.4f} -> {after:+.4f}; "
              f"flossing loss {loss[0]:.3g} -> {loss[-1]:.3g}; first window within 0.05 at epoch {first}")
        assert check_before(before), (variant, case, before)
        assert abs(after) < 0.05, (variant, case, after)
PY
echo "flossing alone: ok"
