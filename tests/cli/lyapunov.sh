#!/usr/bin/env bash
# The lyapunov command: on a config (untrained network), on a run file (its weights before
# and after training), and along a recorded trajectory, which must give the spectrum the
# simulation gave, to round-off; results independent of --threads; bad input exits 2.
# Usage: lyapunov.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > rate.toml <<'TOML'
seed = 5
[network]
model = "rate"
n_in = 10
n_rec = 80
gain = 2.5
[neuron]
alpha = 0.5
[task]
name = "sine"
steps = 300
[train]
rule = "none"
iterations = 1
[lyapunov]
k = 80
steps = 600
warmup = 100
TOML
sed -e 's/model = "rate"/model = "rate_ode"/' -e 's/alpha = 0.5/tau_m = 2.0/' \
    -e 's/k = 80/k = 10/' rate.toml > ode.toml

# A config: the spectrum of the initial weights, written to NAME.lyap.h5 here, with its
# trajectory; then the same spectrum from that recorded trajectory alone.
for model in rate ode; do
  "$exe" lyapunov $model.toml --set record.states=true --threads 2 -q
  test -f $model.lyap.h5
  "$exe" lyapunov $model.lyap.h5 -o $model.replay.h5 -q
done
"$exe" lyapunov rate.toml -o rate.t1.h5 --threads 1 -q

/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for model in ("rate", "ode"):
    sim = h5py.File(f"{model}.lyap.h5", "r")["lyapunov/before"]
    rep = h5py.File(f"{model}.replay.h5", "r")["lyapunov/before"]
    assert sim.attrs["source"] == "simulated" and rep.attrs["source"] == "recorded states"
    a, b = sim["exponents"][:], rep["exponents"][:]
    assert sim["exponents"].attrs["unit"] == "1/step"
    assert np.all(np.diff(a) <= 0), "not descending"
    err = np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300))
    print(f"{model}: lambda_max {a[0]:.6f}, log replay max rel. difference {err:.2e}")
    assert err < 1e-12, err
    conv = sim["convergence"][:]
    assert conv.shape[1] == a.size and np.allclose(np.sort(conv[-1])[::-1], a, rtol=1e-12)
    assert sim["cond"].shape[0] >= 600
f = h5py.File("rate.lyap.h5", "r")
assert f["states/recurrent/h"].shape == (701, 80)
assert f["states/recurrent"].attrs["trajectory"] == "lyapunov"
for a in ("chaoschip_version", "git_revision", "created", "config"):
    assert a in f.attrs, a
assert f["network/initial/w_rec"].shape == (80, 80)
# Full spectrum (k = N): threads do not change a bit.
t1 = h5py.File("rate.t1.h5", "r")["lyapunov/before/exponents"][:]
assert np.array_equal(t1, f["lyapunov/before/exponents"][:]), "threads changed the result"
ky = f["lyapunov/before"].attrs["kaplan_yorke_dimension"]
assert 0 < ky < 80, ky
PY

# A run: spectra before and after training in the run file; `lyapunov RUN.h5` recomputes
# both from the stored weights (training states are not a replayable trajectory).
cat > train.toml <<'TOML'
seed = 2
[network]
model = "rate"
n_in = 5
n_rec = 30
gain = 1.5
[neuron]
alpha = 0.3
[task]
name = "sine"
steps = 200
[train]
rule = "eprop"
optimizer = "adam"
eta = 0.01
iterations = 5
[lyapunov]
k = 5
steps = 400
warmup = 100
twin = true
[record]
states = true
TOML
"$exe" run train.toml -o train.h5 -q
"$exe" lyapunov train.h5 -q
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
run, lyap = h5py.File("train.h5", "r"), h5py.File("train.lyap.h5", "r")
for g in ("before", "after"):
    a, b = run[f"lyapunov/{g}/exponents"][:], lyap[f"lyapunov/{g}/exponents"][:]
    assert a.shape == (5,) and np.array_equal(a, b), (g, a, b)
    assert "twin_lambda_max" in run[f"lyapunov/{g}"].attrs
assert not np.array_equal(run["lyapunov/before/exponents"][:], run["lyapunov/after/exponents"][:])
assert run["states/recurrent"].attrs["trajectory"] == "training"
PY

# Spiking models: surrogate exponents; a chip profile: the dequantised dynamics, labelled.
cat > lif.toml <<'TOML'
[network]
model = "lif"
n_in = 20
n_rec = 50
[task]
name = "sine"
steps = 200
[lyapunov]
k = 3
steps = 300
warmup = 50
TOML
"$exe" lyapunov lif.toml -q --set record.states=true
"$exe" lyapunov lif.lyap.h5 -o lif.replay.h5 -q
"$exe" lyapunov lif.toml -o alif.h5 -q --set network.model=\"alif\" --set neuron.tau_syn=5.0 \
  --set record.states=true --set lyapunov.k=6
"$exe" lyapunov alif.h5 -o alif.replay.h5 -q
"$exe" lyapunov lif.toml -o loihi.h5 --set chip.profile=\"loihi\" -q
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
assert h5py.File("lif.lyap.h5", "r")["lyapunov/before"].attrs["jacobian"] == "surrogate"
j = h5py.File("loihi.h5", "r")["lyapunov/before"].attrs["jacobian"]
assert j == "surrogate, dequantized (loihi)", j
# LIF and ALIF logs (v, i_syn, a): spikes and pseudo-derivatives follow from them, so the
# replayed spectrum is the simulated one.
for a, b in (("lif.lyap.h5", "lif.replay.h5"), ("alif.h5", "alif.replay.h5")):
    x = h5py.File(a, "r")["lyapunov/before/exponents"][:]
    y = h5py.File(b, "r")["lyapunov/before/exponents"][:]
    print(a, "surrogate exponents", x[:3], "replay max difference", np.max(np.abs(x - y)))
    assert np.array_equal(x, y), (x, y)
PY

# Trained chip runs: the spectrum after training, measured online, is the one of the
# chip's final codes, the same that `lyapunov RUN.h5` computes from the file (before this
# was checked, the online measurement re-mapped Loihi's state-unit weights).
"$exe" run lif.toml -o loihi_train.h5 -q --set chip.profile=\"loihi\" --set train.rule=\"eprop\" \
  --set train.iterations=5 --set train.eta=1e-3 --set record.spikes=false
"$exe" lyapunov loihi_train.h5 -q
"$exe" run rate.toml -o q4_train.h5 -q --set chip.weight_bits=4 --set train.rule=\"eprop\" \
  --set train.iterations=5 --set train.eta=0.05 --set record.states=false \
  --set chip.update_rounding=\"stochastic\"
"$exe" lyapunov q4_train.h5 -q
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for name in ("loihi_train", "q4_train"):
    run, lyap = h5py.File(name + ".h5", "r"), h5py.File(name + ".lyap.h5", "r")
    codes = sum(int((run["network/final/" + w][...] != run["network/initial/" + w][...]).sum())
                for w in ("w_in", "w_rec"))
    assert codes > 0, name  # training moved the codes
    for g in ("before", "after"):
        a, b = run[f"lyapunov/{g}/exponents"][:], lyap[f"lyapunov/{g}/exponents"][:]
        print(name, g, a, b)
        assert np.array_equal(a, b), (name, g, a, b)
PY

# Bad input: exit 2, one line naming the key or file, no output file.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/expect_fail.sh"
expect_fail "lyapunov.k" "$exe" lyapunov rate.toml -o bad.h5 --set lyapunov.k=500
expect_fail "network.delay_rec" "$exe" lyapunov rate.toml -o bad.h5 --set network.delay_rec=2
expect_fail "lyapunov.twin" "$exe" lyapunov lif.toml -o bad.h5 --set lyapunov.twin=true
expect_fail "never writes over its input" "$exe" lyapunov rate.lyap.h5 -o rate.lyap.h5
expect_fail "missing.toml" "$exe" lyapunov missing.toml -o bad.h5
expect_fail "lyapunov.warmup" "$exe" lyapunov rate.lyap.h5 -o bad.h5 --set lyapunov.warmup=5000
expect_fail "neuron.t_ref" "$exe" lyapunov lif.lyap.h5 -o bad.h5 --set neuron.t_ref=3.0
test ! -e bad.h5
ls -A | grep -q tmp && { echo "temporary file left behind"; exit 1; }
echo "lyapunov command: ok"
