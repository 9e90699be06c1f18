#!/usr/bin/env bash
# Every command of README.md's "Using it" block, as a user types it (my.toml: an empty
# config, all documented defaults; long ones shrunk with --set), doing what its comment
# says: exit 0, the output file, and a training run's last loss well below its first.
# Usage: readme_commands.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
touch my.toml

# learned FILE: /train/loss has 100 finite values and the last is below half the first.
learned() {
  /usr/bin/python3 - "$1" <<'PY'
import sys, h5py, numpy as np
loss = h5py.File(sys.argv[1], "r")["train/loss"][...]
assert len(loss) == 100 and np.all(np.isfinite(loss)), loss
assert loss[-1] < 0.5 * loss[0], f"{sys.argv[1]}: loss {loss[0]:.4g} -> {loss[-1]:.4g}"
print(f"{sys.argv[1]}: loss {loss[0]:.4g} -> {loss[-1]:.4g}")
PY
}

# run: embedded default -> chaoschip-run.h5 (+ gain study in /study)
"$exe" run > out.txt
grep -q "^gain study (/study)" out.txt
/usr/bin/python3 -c "import h5py; f = h5py.File('chaoschip-run.h5', 'r'); assert 'study' in f"
rm chaoschip-run.h5

# run my.toml -o out.h5 --set network.gain=1.5 --set network.model=rate
"$exe" run my.toml -o out.h5 --set network.gain=1.5 --set network.model=rate -q
learned out.h5

# info out.h5: what is in a run file
"$exe" info out.h5 | grep -q "rate"

# info examples/nir/braille_noDelay_bias_zero.nir: a NIR graph (the recurrent edge marked)
"$exe" info "$root/examples/nir/braille_noDelay_bias_zero.nir" | grep -q "CubaLIF"

# export-nir chaoschip-run.h5 -o net.nir: a run's network as a NIR graph (the run shrunk)
"$exe" run my.toml --set train.iterations=2 --set task.steps=100 -q
"$exe" export-nir chaoschip-run.h5 -o net.nir | grep -q "^wrote net.nir (NIR graph: 7 nodes"
"$exe" info net.nir | grep -q "recurrent  *LIF"
rm chaoschip-run.h5

# run examples/nir/braille_chip.toml -o braille.h5: a NIR graph as the network (shrunk)
"$exe" run "$root/examples/nir/braille_chip.toml" -o braille.h5 -q --set task.steps=200 \
  --set lyapunov.k=3 --set lyapunov.steps=100 --set lyapunov.warmup=10 --set record.states=true
/usr/bin/python3 -c 'import h5py; f = h5py.File("braille.h5", "r"); assert f["states/lif1.lif/v"].shape == (400, 38) and "lif2" in f["spikes"]'

# chips: chip profiles and their key numbers
"$exe" chips | grep -q "^loihi"

# run my.toml --set chip.profile=loihi: bit-accurate Loihi (Lava)
"$exe" run my.toml --set chip.profile=loihi -q
learned chaoschip-run.h5
/usr/bin/python3 -c "import h5py; f = h5py.File('chaoschip-run.h5', 'r'); assert 'chip' in f"
rm chaoschip-run.h5

# whatif examples/whatif_bits.toml: float64 vs 16..2-bit weights
"$exe" whatif "$root/examples/whatif_bits.toml" > out.txt
grep -q "float64" out.txt && grep -q "^wrote chaoschip-whatif.h5" out.txt
test -f chaoschip-whatif.h5

# run my.toml --set chip.weight_bits=4 --set chip.update_mode=shadow: learning on 4-bit weights
"$exe" run my.toml --set chip.weight_bits=4 --set chip.update_mode=shadow -q
learned chaoschip-run.h5
rm chaoschip-run.h5

# lyapunov examples/rate_chaos.toml --set lyapunov.k=200: full spectrum (shrunk; -o: the
# default location is not part of this test)
"$exe" lyapunov "$root/examples/rate_chaos.toml" --set lyapunov.k=200 --set lyapunov.steps=100 \
  --set lyapunov.warmup=20 -o rate_chaos.lyap.h5 -q
/usr/bin/python3 -c "
import h5py, numpy as np
e = h5py.File('rate_chaos.lyap.h5', 'r')['lyapunov/before/exponents'][...]
assert e.shape == (200,) and np.all(np.isfinite(e)), e.shape"

# lyapunov out.h5: spectra of a run's weights (before/after training); out.h5 is in the
# current directory, so next to the input and the current directory are the same place
"$exe" lyapunov out.h5 -q
/usr/bin/python3 -c "
import h5py
f = h5py.File('out.lyap.h5', 'r')
assert 'before' in f['lyapunov'] and 'after' in f['lyapunov'], list(f['lyapunov'])"

# run my.toml --set floss.enabled=true --set floss.pre_epochs=100: flossing
"$exe" run my.toml --set floss.enabled=true --set floss.pre_epochs=100 -q
learned chaoschip-run.h5
/usr/bin/python3 -c "
import h5py
f = h5py.File('chaoschip-run.h5', 'r')
assert len(f['floss/loss']) == 100, list(f['floss'])"

# sweep examples/studies/gain_study.toml -o gain --grid ... --seeds 3 (shrunk)
small=(--set train.iterations=2 --set lyapunov.steps=50 --set lyapunov.warmup=10 -q)
"$exe" sweep "$root/examples/studies/gain_study.toml" -o gain \
  --grid network.gain=0.5,1,1.5,2,2.5,3 --grid 'train.rule="eprop","bptt","none"' --seeds 3 \
  "${small[@]}"
[ "$(grep -c ',ok,' gain/summary.csv)" -eq 54 ] || { cat gain/summary.csv; exit 1; }
test -f gain/summary.h5

# mpirun -n 4 ... sweep: the same sweep shared across MPI ranks (when MPI is there)
if command -v mpirun > /dev/null && "$exe" --help > /dev/null &&
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" mpirun --allow-run-as-root --oversubscribe -n 4 "$exe" sweep \
    "$root/examples/studies/gain_study.toml" -o gain4 --grid network.gain=0.5,1,1.5,2,2.5,3 \
    --grid 'train.rule="eprop","bptt","none"' --seeds 3 "${small[@]}" 2> mpi.txt; then
  cmp gain/summary.csv gain4/summary.csv
else
  echo "mpirun not available or built without MPI: MPI line skipped"
  cat mpi.txt 2> /dev/null || true
fi

# --help: every command and option
"$exe" --help | grep -q "sweep"
echo "README commands: ok"
