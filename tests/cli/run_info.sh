#!/usr/bin/env bash
# The run command with the embedded default writes chaoschip-run.h5 with the contract
# paths; `info` summarises it; --version, --help and chips answer with exit 0.
# Usage: run_info.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$exe" --version | grep -q "chaoschip"
"$exe" --help | grep -q "run"
"$exe" run --help | grep -q -- "--set"
"$exe" chips | grep -q "float64"

"$exe" run --quiet
test -f chaoschip-run.h5
ls -A | grep -q tmp && { echo "temporary file left behind"; exit 1; }

/usr/bin/python3 - <<'PY'
import h5py, numpy as np, tomllib
f = h5py.File("chaoschip-run.h5", "r")
for a in ("chaoschip_version", "git_revision", "created", "config"):
    assert a in f.attrs, a
cfg = tomllib.loads(f.attrs["config"])
n_in, n_rec, n_out = cfg["network"]["n_in"], cfg["network"]["n_rec"], cfg["network"]["n_out"]
shapes = {"w_in": (n_rec, n_in), "w_rec": (n_rec, n_rec), "w_out": (n_out, n_rec),
          "feedback": (n_rec, n_out)}
for name, shape in shapes.items():
    assert f["network/initial/" + name].shape == shape, name
    assert f["network/initial/" + name].dtype == np.float64
for name in ("w_in", "w_rec", "w_out"):
    assert f["network/final/" + name].shape == shapes[name]
assert np.all(np.diag(f["network/initial/w_rec"][...]) == 0), "autapses"
steps = cfg["train"]["iterations"] * cfg["task"]["steps"]
for pop in ("recurrent", "input"):
    g = f["spikes/" + pop]
    assert g.attrs["sorting"] == "by_time"
    ts, ids = g["timestamps"][...], g["node_ids"][...]
    assert ts.dtype == np.float64 and ids.dtype == np.uint64
    assert len(ts) == len(ids) > 0, pop
    assert np.all(np.diff(ts) >= 0) and ts.max() < steps * cfg["network"]["dt"]
v = f["states/recurrent/v"]
assert v.shape == (steps, n_rec), v.shape
assert f["states/readout/y"].shape == (steps, n_out)
assert f["train/loss"].shape == (cfg["train"]["iterations"],)
# The recorded spikes are exactly the threshold crossings of the recorded membrane.
ts, ids = f["spikes/recurrent/timestamps"][...], f["spikes/recurrent/node_ids"][...]
vv = v[...]
crossings = np.argwhere(vv >= cfg["neuron"]["v_th"])
assert len(crossings) == len(ts), (len(crossings), len(ts))
print("run file ok:", len(ts), "recurrent spikes,", steps, "steps")
# The embedded default's gain study: gains x {float64, loihi}, trained with e-prop.
st = f["study"]
gains, profiles = st["network.gain"][...], st["chip.profile"].asstr()[...]
loss = st["final_loss"][...]
assert list(gains) == [0.5, 2, 8] * 2 and list(profiles) == ["float64"] * 3 + ["loihi"] * 3
assert np.all(np.isfinite(loss)) and np.all(np.isfinite(st["lambda_max_after"][...]))
assert loss[0] < loss[2] and loss[3] < loss[5], loss  # learning degrades with the gain
print("gain study:", dict(zip(map(float, gains), map(float, loss))))
PY

"$exe" info chaoschip-run.h5 > info.txt
grep -q "recurrent" info.txt
grep -q "w_rec" info.txt
grep -qi "spikes" info.txt
h5dump -H chaoschip-run.h5 > /dev/null

# --set overrides reach the resolved config; -o names the output.
"$exe" run --quiet --set network.gain=1.7 --set network.model=rate --set train.iterations=2 -o rate.h5
/usr/bin/python3 -c "
import h5py, tomllib
c = tomllib.loads(h5py.File('rate.h5','r').attrs['config'])
assert c['network']['gain'] == 1.7 and c['network']['model'] == 'rate', c['network']
"
# A diverging network is a numerical failure: exit 3, no output file.
set +e
"$exe" run --quiet --set network.model=rate --set neuron.phi=linear --set network.gain=50.0 \
  --set network.autapses=true -o diverged.h5 2>err.txt
rc=$?
set -e
[[ $rc -eq 3 ]] || { echo "divergence: exit $rc, expected 3"; cat err.txt; exit 1; }
grep -q "step" err.txt
test ! -e diverged.h5
echo "1 passed, 0 failed"
