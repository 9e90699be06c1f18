#!/usr/bin/env bash
# Training that survives being killed. For LIF + e-prop + Adam (spikes recorded), rate +
# BPTT (SGD with momentum, flossing during training) and the loihi profile with stochastic
# update rounding: a run with train.checkpoint_every = 1 is killed with SIGKILL at a random
# iteration, resumed from OUT.ckpt, and must write the uninterrupted run's file bit for bit
# (every dataset and attribute but the creation time and the checkpoint_every line of the
# config). Then SIGINT: exit 130, one line with the resume command, no OUT, the checkpoint;
# the printed command resumes to the same file. And the refusals (exit 2, naming the file):
# a resume with another config, a missing, corrupt or foreign checkpoint, a fresh run over
# an existing checkpoint.
# Usage: checkpoint.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$(realpath "$1")
source "$(dirname "${BASH_SOURCE[0]}")/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
cd "$work"

# The training iterations a checkpoint holds (nothing while it does not exist).
ckpt_iteration() {
  { h5dump -d /training/iteration "$1" 2> /dev/null || true; } |
    sed -n 's/^ *(0): \([0-9]*\)$/\1/p'
}

# Every dataset and attribute of A equals B's, bit for bit (NaN equal to NaN).
same_file() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
def config(f):  # the resolved config, without the key that only says how often to checkpoint
    return [l for l in f.attrs["config"].splitlines() if not l.startswith("checkpoint_every")]
def attrs(o, skip=()):
    return {k: o.attrs[k] for k in o.attrs if k not in skip}
def same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape: return False
    if x.dtype.kind in "fciub": return x.tobytes() == y.tobytes()
    return np.array_equal(x, y)
names, other = {}, set()
a.visititems(lambda n, o: names.update({n: o}))  # (a non-None return would stop the visit)
b.visit(lambda n: other.add(n))
assert set(names) == other, (set(names) ^ other)
assert config(a) == config(b)
assert attrs(a, ("created", "config")).keys() == attrs(b, ("created", "config")).keys()
for k, v in attrs(a, ("created", "config")).items(): assert same(v, b.attrs[k]), k
count = 0
for n, o in names.items():
    assert attrs(o).keys() == attrs(b[n]).keys(), n
    for k, v in attrs(o).items(): assert same(v, b[n].attrs[k]), (n, k)
    if isinstance(o, h5py.Dataset):
        assert same(o[()], b[n][()]), n
        count += 1
assert "train/loss" in names and "network/final/w_rec" in names
print(f"  {count} datasets identical, final loss {a['train/loss'][-1]:.6g}")
PY
}

# kill_resume NAME ITERATIONS ARGS...: the uninterrupted run NAME_a.h5; the same run with a
# checkpoint every iteration, SIGKILLed once its checkpoint holds a random iteration, then
# resumed into NAME_b.h5.
kill_resume() {
  local name=$1 iterations=$2
  shift 2
  local args=(-q "$@" --set train.iterations="$iterations")
  "$exe" run "${args[@]}" -o "${name}_a.h5"
  test ! -e "${name}_a.h5.ckpt"
  local target=$((2 + RANDOM % (iterations / 2 - 2)))  # leaves time to be caught
  "$exe" run "${args[@]}" --set train.checkpoint_every=1 -o "${name}_b.h5" &
  local pid=$! at=""
  while kill -0 "$pid" 2> /dev/null; do
    at=$(ckpt_iteration "${name}_b.h5.ckpt")
    if [ -n "$at" ] && [ "$at" -ge "$target" ]; then
      kill -9 "$pid"
      break
    fi
    sleep 0.02
  done
  wait "$pid" && { echo "$name: finished before it could be killed"; exit 1; }
  test ! -e "${name}_b.h5"
  at=$(ckpt_iteration "${name}_b.h5.ckpt")
  [ "$at" -ge "$target" ] && [ "$at" -lt "$iterations" ]
  echo "$name: killed (SIGKILL) with the checkpoint at iteration $at/$iterations (target $target)"
  # A fresh run would overwrite the checkpoint: refused.
  expect_fail "${name}_b.h5.ckpt" "$exe" run "${args[@]}" -o "${name}_b.h5"
  "$exe" run "${args[@]}" --set train.checkpoint_every=1 -o "${name}_b.h5" \
    --resume "${name}_b.h5.ckpt"
  test ! -e "${name}_b.h5.ckpt"
  [ -z "$(ls -A | grep '^\.')" ] || { echo "temporary files left"; ls -A; exit 1; }
  same_file "${name}_a.h5" "${name}_b.h5"
}

small=(--set task.steps=200 --set lyapunov.steps=200 --set lyapunov.warmup=50)
lif=("${small[@]}" --set network.n_in=50 --set network.n_rec=40 --set network.model=\"lif\"
     --set train.rule=\"eprop\" --set train.optimizer=\"adam\" --set train.eta=5e-3)
kill_resume lif_eprop_adam 40 "${lif[@]}"
kill_resume rate_bptt 60 "${small[@]}" --set network.model=\"rate\" --set network.n_rec=60 \
  --set train.rule=\"bptt\" --set train.optimizer=\"sgd\" --set train.momentum=0.9 \
  --set train.eta=0.01 --set task.name=\"dms\" --set task.steps=100 --set task.delay=10 \
  --set network.n_out=2 --set readout.loss=\"cross_entropy\" --set floss.enabled=true \
  --set floss.variant=\"bptt\" --set floss.pre_epochs=2 --set floss.every=3 \
  --set floss.epochs=1 --set floss.steps=20 --set floss.warmup=5 --set train.batch=2
kill_resume loihi_stochastic 40 "${lif[@]}" --set chip.profile=\"loihi\" \
  --set chip.update_rounding=\"stochastic\" --set record.spikes=false
# Stochastic rounding really ran on the chip's codes (the random stream mattered).
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
f = h5py.File("loihi_stochastic_a.h5", "r")
assert f["network/final/w_rec"].dtype == np.int32
assert np.count_nonzero(f["network/final/w_rec"][:] != f["network/initial/w_rec"][:]) > 0
PY

# SIGINT: the run checkpoints (here every 25 iterations, so its file shows training runs)
# and stops at the next iteration with the command that resumes it.
args=(-q "${lif[@]}" --set train.iterations=200)
"$exe" run "${args[@]}" -o int_a.h5
"$exe" run "${args[@]}" --set train.checkpoint_every=25 -o int_b.h5 2> int_err.txt &
pid=$!
until [ -e int_b.h5.ckpt ] || ! kill -0 "$pid" 2> /dev/null; do sleep 0.02; done
kill -INT "$pid" || true
rc=0
wait "$pid" || rc=$?
cat int_err.txt
[ "$rc" -eq 130 ] || { echo "SIGINT: expected exit 130, got $rc"; exit 1; }
[ "$(wc -l < int_err.txt)" -eq 1 ]
at=$(ckpt_iteration int_b.h5.ckpt)
grep -q "^chaoschip: interrupted at iteration $at/200; resume with: chaoschip run -o int_b.h5 .*--set train.checkpoint_every=25 --resume int_b.h5.ckpt$" int_err.txt
[ "$at" -ge 25 ] && [ "$at" -lt 200 ]
test ! -e int_b.h5
[ -z "$(ls -A | grep '^\.')" ] || { echo "temporary files left"; ls -A; exit 1; }

# Refusals, each naming the file: another config, missing, not HDF5, a run file.
expect_fail "int_b.h5.ckpt.*train.eta = 0.005 in the checkpoint, 0.001 now" \
  "$exe" run "${args[@]}" --set train.eta=1e-3 -o int_b.h5 --resume int_b.h5.ckpt
expect_fail "'missing.ckpt': file not found" "$exe" run "${args[@]}" -o x.h5 --resume missing.ckpt
echo "not a checkpoint" > corrupt.ckpt
expect_fail "'corrupt.ckpt': not a readable HDF5 file" \
  "$exe" run "${args[@]}" -o x.h5 --resume corrupt.ckpt
expect_fail "'int_a.h5': is not a chaoschip checkpoint" \
  "$exe" run "${args[@]}" -o x.h5 --resume int_a.h5
test ! -e x.h5 && test -e int_b.h5.ckpt

# The printed command, as a user pastes it.
command=$(sed 's/^.*resume with: chaoschip //' int_err.txt)
eval "\"$exe\" $command"
test ! -e int_b.h5.ckpt
same_file int_a.h5 int_b.h5
echo "checkpoint: ok"
