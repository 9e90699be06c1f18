#!/usr/bin/env bash
# Rate networks learn the NeuroGym-style tasks: e-prop (symmetric feedback) and BPTT each
# reach at least 90% accuracy on `decision` and on `dms` (examples/tasks/rate_dms.toml);
# so does e-prop on the continuous-time network (rate_ode, tau 10 ms: dt/tau = 0.1).
# Usage: rate_tasks.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for task in decision dms; do
  for rule in eprop bptt; do
    "$exe" run "$root/examples/tasks/rate_dms.toml" --quiet --set task.name=$task \
      --set train.rule=$rule --set train.iterations=120 -o "$work/$task-$rule.h5"
  done
  "$exe" run "$root/examples/tasks/rate_dms.toml" --quiet --set task.name=$task \
    --set network.model=\"rate_ode\" --set neuron.tau_m=10.0 --set train.iterations=120 \
    -o "$work/$task-eprop_ode.h5"
done
/usr/bin/python3 - "$work" <<'PY'
import sys, h5py
for task in ("decision", "dms"):
    for rule in ("eprop", "bptt", "eprop_ode"):
        acc = h5py.File(f"{sys.argv[1]}/{task}-{rule}.h5", "r")["train/accuracy"][...]
        final = acc[-20:].mean()
        print(f"{task:9s} {rule:6s} accuracy: first 10 iterations {acc[:10].mean():.2f}, last 20 {final:.3f}")
        assert final >= 0.9, (task, rule, final)
PY
echo "1 passed, 0 failed"
