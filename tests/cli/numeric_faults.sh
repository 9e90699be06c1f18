#!/usr/bin/env bash
# Numerical faults a new user found: no hang, no out-of-memory crash, no non-finite result
# written with exit 0, a note before a large output, progress lines off a terminal.
# Usage: numeric_faults.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
touch empty.toml
fast=(--set task.steps=100 --set train.iterations=2 --set lyapunov.steps=100
      --set lyapunov.warmup=10)

# expect_numerical PATTERN COMMAND...: exit 3, one line naming PATTERN, no output file.
expect_numerical() {
  expect_exit 3 "$@"
  [ ! -e out.h5 ] || { echo "a failed run left out.h5: $*"; exit 1; }
}

# ode_tol = 1e-100 (inside (0, 0.01]) hung: now the floor's integration, in well under 10 s.
start=$SECONDS
timeout 60 "$exe" run empty.toml -q -o tol.h5 --set network.model=rate_ode \
  --set neuron.ode_tol=1e-100 "${fast[@]}"
test -f tol.h5
[ $((SECONDS - start)) -lt 10 ] || { echo "ode_tol = 1e-100 took $((SECONDS - start)) s"; exit 1; }
# A system dopri5 cannot step through stops with exit 3 naming the step size.
expect_numerical "rate_ode (dopri5) at step .*: the adaptive step size fell to .* ms after 20001 steps" \
  timeout 60 "$exe" run empty.toml -q -o out.h5 --set network.model=rate_ode \
  --set neuron.tau_m=1e-9 "${fast[@]}"

# Out of memory: refused before anything is allocated, naming the keys and both sizes.
mem="more than the .* this machine has available (MemAvailable)"
expect_fail "this run needs about .* TB of memory, $mem: weights .*network.n_rec = 10000000" \
  timeout 10 "$exe" run empty.toml -o out.h5 --set network.n_rec=10000000
expect_fail "this run needs about .* GB of memory, $mem: .*network.n_out = 10000000" \
  timeout 10 "$exe" run empty.toml -o out.h5 --set network.n_out=10000000
expect_fail "this run needs about .* TB of memory, $mem: .*task.steps = 1000000000" \
  timeout 10 "$exe" run empty.toml -o out.h5 --set task.steps=1000000000
expect_fail "this run needs about .* TB of memory, $mem: .*task.steps = 4611686018427387904" \
  timeout 10 "$exe" run empty.toml -o out.h5 --set task.steps=4611686018427387904
expect_fail "this spectrum needs about .* TB of memory, $mem: .*network.n_rec = 10000000" \
  timeout 10 "$exe" lyapunov empty.toml -o out.h5 --set network.n_rec=10000000
expect_fail "this what-if study needs about .* TB of memory, $mem: .*task.steps = 1000000000" \
  timeout 10 "$exe" whatif empty.toml -o out.h5 --set task.steps=1000000000
expect_fail "this sweep needs about .* TB of memory, $mem: .*network.n_rec = 1000000" \
  timeout 10 "$exe" sweep empty.toml -o sweep --seeds 1000000 --set network.n_rec=1000000
# The table of a sweep alone: 10^6 seeds x 10^6 grid points.
v=$(seq -s, 1 100)
expect_fail "this sweep needs about .* TB of memory, $mem: sweep table .* (--seeds 1000000 x 1000000 grid points)" \
  timeout 10 "$exe" sweep empty.toml -o sweep --seeds 1000000 --grid "network.gain=$v" \
  --grid "network.input_gain=$v" --grid "neuron.v_th=$v"
[ ! -e out.h5 ] && [ ! -e sweep ] || { echo "a refused command left output"; exit 1; }
# A case file declaring input_spikes of shape (2^31, 5): checked before it is read.
/usr/bin/python3 - <<'PY'
import h5py
with h5py.File("huge_case.h5", "w") as f:
    f.create_dataset("input_spikes", shape=(2**31, 5), dtype="i8", chunks=(4096, 5))
    f.create_dataset("target", shape=(2**31, 1), dtype="f8", chunks=(4096, 1))
PY
expect_fail "reading this case file needs about .* GB of memory, $mem: input_spikes \[2147483648, 5\].*task.file = '.*huge_case.h5'" \
  timeout 10 "$exe" run empty.toml -o out.h5 --set task.name=file --set task.file=huge_case.h5 \
  --set network.n_in=5

# Non-finite results: exit 3, nothing written.
expect_numerical "lyapunov at step .*: R_ii = 0 for tangent vector 0 (the Jacobian is singular" \
  "$exe" run empty.toml -o out.h5 --set neuron.tau_m=1e-300 "${fast[@]}"
expect_numerical "lyapunov at step .*: R_ii = 0" \
  "$exe" run empty.toml -o out.h5 --set network.model=rate --set train.eta=1e308 "${fast[@]}"
# Weights allowed to grow without bound: a diverging training loss is exit 3 too.
expect_numerical "training loss of iteration 1 at step 200: the loss is not finite" \
  "$exe" run empty.toml -o out.h5 --set network.model=rate --set train.eta=1e200 \
  --set train.optimizer=sgd --set train.w_max=1e308 --set train.w_min=-1e308 "${fast[@]}"
expect_numerical "lyapunov at step .*: R_ii = 0" \
  "$exe" lyapunov empty.toml -o out.h5 --set neuron.tau_m=1e-300 --set lyapunov.steps=100

# A run that will write more than 1 GB says so before it starts (stopped after 2 s here).
set +e
timeout 2 "$exe" run empty.toml -o big.h5 --set network.model=rate_ode --set network.n_rec=1000 \
  --set train.rule=none --set train.iterations=200 --set record.states=true \
  --set 'lyapunov.when=[]' > out.txt 2> err.txt
set -e
grep -q "chaoschip: this run will write about 1.6 GB to big.h5" err.txt ||
  { echo "no note of the output size"; cat err.txt; exit 1; }
[ ! -e big.h5 ] || { echo "an interrupted run left big.h5"; exit 1; }

# Progress off a terminal: plain lines on stderr (every 10 s; shortened here), no ANSI codes.
CHAOSCHIP_PROGRESS_INTERVAL=0.001 "$exe" run empty.toml -o progress.h5 \
  --set train.iterations=60 --set 'lyapunov.when=[]' > out.txt 2> err.txt
grep -q "^chaoschip: iteration [0-9]*/60  step [0-9]*/60000  loss .*  ETA " err.txt ||
  { echo "no progress line on stderr"; cat err.txt; exit 1; }
! grep -q $'\033' err.txt out.txt || { echo "ANSI codes off a terminal"; exit 1; }
grep -q "^wrote progress.h5" out.txt
# --quiet: nothing.
CHAOSCHIP_PROGRESS_INTERVAL=0.05 "$exe" run empty.toml -q -o quiet.h5 \
  --set train.iterations=30 --set 'lyapunov.when=[]' > out.txt 2> err.txt
[ ! -s err.txt ] && [ ! -s out.txt ] || { echo "--quiet printed something"; exit 1; }
echo "numeric faults: ok"
