#!/usr/bin/env bash
# examples/analysis/plot_sweep.py on tiny sweeps: the gain study (gain x rule x 2 seeds),
# gain x flossing, and the loihi chip's weight bits x update rounding each give their
# figures as valid PNGs; a missing summary or one without ok rows exits 2 with one line.
# Usage: plot_sweep.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
study=$here/../../examples/studies/gain_study.toml
plot=$here/../../examples/analysis/plot_sweep.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A PNG: the 8 signature bytes and more than 5 kB.
check_png() {
  local f=$1
  test -f "$f" || { echo "missing: $f"; exit 1; }
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    || { echo "not a PNG: $f"; exit 1; }
  [ "$(stat -c %s "$f")" -gt 5000 ] || { echo "too small: $f ($(stat -c %s "$f") bytes)"; exit 1; }
}
quick=(--set train.iterations=5 --set lyapunov.steps=100 -q)

# 1. Gain x rule x 2 seeds; figures next to the summary by default.
"$exe" sweep "$study" -o gain --grid network.gain=0.5,2 --grid 'train.rule="eprop","bptt"' \
  --seeds 2 "${quick[@]}"
/usr/bin/python3 "$plot" gain/summary.h5 --title "gain study" > out.txt
cat out.txt
for f in final_loss final_accuracy lambda_max; do
  check_png gain/$f.png
  grep -q "gain/$f.png" out.txt
done
test ! -e gain/flossing_gain.png && test ! -e gain/loss_vs_bits.png

# 2. Gain x flossing: the flossing figure, written to -o.
"$exe" sweep "$study" -o floss --grid floss.enabled=false,true --grid network.gain=0.5,2 \
  --set floss.pre_epochs=3 --set floss.variant=\"local\" --seeds 1 "${quick[@]}"
/usr/bin/python3 "$plot" floss/summary.h5 -o floss_plots
check_png floss_plots/flossing_gain.png
check_png floss_plots/lambda_max.png

# 3. The loihi chip (LIF on sine, regression: no accuracy figure): loss vs weight bits.
"$exe" sweep "$study" -o bits --set network.model=\"lif\" --set chip.profile=\"loihi\" \
  --set task.name=\"sine\" --set network.n_out=1 --set readout.loss=\"mse\" \
  --set readout.tau=30.0 --set train.iterations=3 --set lyapunov.steps=100 -q \
  --grid chip.weight_bits=4,8 --grid 'chip.update_rounding="nearest","stochastic"'
/usr/bin/python3 "$plot" bits/summary.h5 -o bits_plots
check_png bits_plots/loss_vs_bits.png
check_png bits_plots/final_loss.png
test ! -e bits_plots/final_accuracy.png

# 4. Bad input: exit 2 with one line.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/expect_fail.sh"
expect_fail "missing.h5" /usr/bin/python3 "$plot" missing.h5
"$exe" sweep "$study" -o failed --grid task.coherence=2.0,3.0 -q 2> /dev/null || true
expect_fail "no rows" /usr/bin/python3 "$plot" failed/summary.h5 -o failed_plots
test ! -e failed_plots
expect_fail "not a grid key" /usr/bin/python3 "$plot" gain/summary.h5 --x network.n_rec
echo "plot_sweep.py: ok"
