#!/usr/bin/env bash
# The worked example of docs/nir.md ("Worked example: braille on a chip"), shortened: the
# braille graph's info, whatif over weight bits on loihi and spinnaker (the table's shape,
# the file's /whatif rows), and run with its recurrent layer's spectrum on loihi. Also: at
# 16-bit weights the spinnaker run of the graph spikes nearly as the float run (quantified
# from the two run files), and what a kernel cannot run is exit 2 naming it.
# Usage: nir_whatif.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
source "$(dirname "$0")/../lib/expect_fail.sh"
examples=$(cd "$(dirname "$0")/../../examples" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cfg=$examples/nir/braille_chip.toml
short=(--set task.steps=1000 --set train.iterations=1)

"$exe" info "$examples/nir/braille_noDelay_bias_zero.nir" > info.txt
grep -q "7 nodes (45 neurons in 2 neuron nodes), 7 edges (1 recurrent)" info.txt

"$exe" whatif "$cfg" "${short[@]}" --set chip.profile=loihi --bits 8,6,4,3,2 -o loihi.h5 > loihi.txt
"$exe" whatif "$cfg" "${short[@]}" --set chip.profile=spinnaker --bits 16,12,8,6,4,3,2 \
    -o spinnaker.h5 > spinnaker.txt
cat loihi.txt spinnaker.txt
[[ $(grep -c -E "^loihi .*(nearest|stochastic)" loihi.txt) -eq 10 ]]
[[ $(grep -c -E "^spinnaker .*(nearest|stochastic)" spinnaker.txt) -eq 14 ]]
[[ $(grep -c "^float64 " spinnaker.txt) -eq 1 ]]
# Loihi's weights are 8-bit mantissas: 16 bits is refused before anything runs.
expect_fail "chip.weight_bits" "$exe" whatif "$cfg" "${short[@]}" --set chip.profile=loihi \
    --bits 16 -o bad.h5
test ! -e bad.h5

"$exe" run "$cfg" "${short[@]}" --set chip.profile=loihi --set lyapunov.k=5 \
    --set lyapunov.steps=300 --set lyapunov.warmup=100 --set record.states=true -o run.h5 --quiet
"$exe" export-nir run.h5 -o run.nir --quiet  # the worked example's last step
"$exe" info run.nir | grep -q "7 nodes (45 neurons in 2 neuron nodes)"
# The export of the loihi run holds the weights the chip's 8-bit codes stand for: at most
# 255 values per node, within half a code step of the graph's float weights.
/usr/bin/python3 - "$examples/nir/braille_noDelay_bias_zero.nir" <<'PY'
import sys, h5py, numpy as np
ex, orig = h5py.File("run.nir", "r")["node/nodes"], h5py.File(sys.argv[1], "r")["node/nodes"]
for name in ["fc1", "lif1.w_rec", "fc2"]:
    w, w0 = ex[name]["weight"][...], orig[name]["weight"][...].astype(float)
    assert len(np.unique(w)) <= 255 and not np.array_equal(w, w0), name
    step = np.abs(w0).max() / 127
    assert np.abs(w - w0).max() <= step, (name, np.abs(w - w0).max(), step)
    assert ex["lif1.lif"]["metadata"]["chaoschip.chip.profile"][()] == b"loihi"
PY
"$exe" run "$cfg" "${short[@]}" --set 'lyapunov.when=[]' -o float.h5 --quiet
"$exe" run "$cfg" "${short[@]}" --set 'lyapunov.when=[]' --set chip.profile=spinnaker -o s16.h5 --quiet

/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for name, bits in [("loihi.h5", [8, 6, 4, 3, 2]), ("spinnaker.h5", [16, 12, 8, 6, 4, 3, 2])]:
    g = h5py.File(name, "r")["whatif"]
    b, d, rate = g["weight_bits"][...], g["distance"][...], g["rate_hz"][...]
    assert list(b) == [0] + [x for x in bits for _ in range(2)], b
    assert d[0] == 0.0 and rate[0] > 0 and np.all((d >= 0) & (d <= 1)), d
    # 2-bit weights silence or scramble the recurrent layer; the finest weights do not.
    assert d[b == 2].min() > 0.5 and d[1] < 0.05, (name, d)
f = h5py.File("run.h5", "r")
e = f["lyapunov/after/exponents"][...]
assert e.shape == (5,) and np.all(np.isfinite(e)) and np.all(np.diff(e) <= 1e-12), e
assert f["states/lif1.lif/u"].dtype == np.int64 and f["states/lif1.lif/v"].shape == (1000, 38)

# 16-bit weights on the spinnaker kernel against float64: spike counts per neuron and the
# spike trains of the recurrent layer.
def trains(path):
    g = h5py.File(path, "r")["spikes/lif1.lif"]
    z = np.zeros((1000, 38), dtype=int)
    np.add.at(z, (np.rint(g["timestamps"][...] / 0.1).astype(int), g["node_ids"][...].astype(int)), 1)
    return z
a, b = trains("float.h5"), trains("s16.h5")
same = (a == b).all(axis=1).mean()
count = np.abs(a.sum(0) - b.sum(0)).sum() / max(a.sum(), 1)
print(f"16-bit spinnaker vs float64: {a.sum()} vs {b.sum()} spikes, {100 * same:.1f}% of steps "
      f"identical, per-neuron count difference {100 * count:.2f}%")
assert a.sum() > 500 and same > 0.98 and count < 0.01
PY

# What the kernels cannot run: xylo does not run graphs; Lava resets v to 0.
expect_fail "chip.kernel" "$exe" run "$cfg" "${short[@]}" --set chip.profile=xylo -o x.h5
expect_fail "nir.reset" "$exe" run "$cfg" "${short[@]}" --set chip.profile=loihi \
    --set nir.reset='"subtract"' -o x.h5
test ! -e x.h5
echo "1 passed, 0 failed"
