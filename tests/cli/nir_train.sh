#!/usr/bin/env bash
# Training imported NIR graphs (docs/nir.md, "Training an imported graph"; issue 13, must-show
# 4c). Graphs written here with h5py:
# 1. a foreign graph in the trainable shape (Input -> Linear -> NIR LIF with a Linear
#    recurrence -> Linear -> LI -> Output) trains with e-prop and BPTT on the sine task and
#    its loss falls; the run file keeps the graph, names the weight nodes, and records
#    /states and /spikes under the graph's node names;
# 2. shapes and settings that cannot train exit 2 naming the shape, the key and why;
# 3. a chaoschip network (lif; alif with e-prop) written as a NIR graph with the metadata of
#    docs/nir.md trains with the same losses as its config run, to 1e-12, with e-prop and BPTT.
# Usage: nir_train.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
data=$2/nir
source "$(dirname "$0")/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > writer.py <<'PY'
import h5py, numpy as np

def write_graph(path, nodes, edges, metadata=None):
    """nodes: name -> dict (type, arrays, and an optional 'metadata' dict of strings)."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.0", dtype=h5py.string_dtype())
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        ns = g.create_group("nodes")
        for name, fields in nodes.items():
            n = ns.create_group(name)
            for k, v in fields.items():
                if k == "metadata":
                    m = n.create_group("metadata")
                    for mk, mv in v.items():
                        m.create_dataset(mk, data=mv, dtype=h5py.string_dtype())
                elif isinstance(v, str):
                    n.create_dataset(k, data=v, dtype=h5py.string_dtype())
                else:
                    n.create_dataset(k, data=v)
        g.create_dataset("edges", data=np.array(edges, dtype=object).reshape(-1, 2),
                         dtype=h5py.string_dtype())
        if metadata:
            m = g.create_group("metadata")
            for mk, mv in metadata.items():
                m.create_dataset(mk, data=mv, dtype=h5py.string_dtype())

EDGES = [("input", "w_in"), ("w_in", "recurrent"), ("recurrent", "w_rec"),
         ("w_rec", "recurrent"), ("recurrent", "w_out"), ("w_out", "readout"),
         ("readout", "output")]

def shape(n_in, n_rec, n_out, w_in, w_rec, w_out, lif, readout_tau, **changes):
    nodes = {"input": {"type": "Input", "shape": np.array([n_in])},
             "w_in": {"type": "Linear", "weight": w_in},
             "recurrent": lif,
             "w_rec": {"type": "Linear", "weight": w_rec},
             "w_out": {"type": "Linear", "weight": w_out},
             "readout": {"type": "LI", "tau": np.full(n_out, readout_tau),
                         "r": np.ones(n_out), "v_leak": np.zeros(n_out)},
             "output": {"type": "Output", "shape": np.array([n_out])}}
    nodes.update(changes)
    return nodes
PY

# 1. A foreign NIR LIF network (seconds, NIR's parameters) in the trainable shape.
/usr/bin/python3 - <<'PY'
import numpy as np
from writer import write_graph, shape, EDGES
rng = np.random.default_rng(7)
n_in, n_rec, n_out = 20, 40, 1
lif = {"type": "LIF", "tau": np.full(n_rec, 0.02), "r": np.full(n_rec, 20.0),
       "v_leak": np.zeros(n_rec), "v_threshold": np.ones(n_rec), "v_reset": np.zeros(n_rec)}
w_in = rng.normal(0, 1, (n_rec, n_in)) / np.sqrt(n_in)
w_rec = rng.normal(0, 1, (n_rec, n_rec)) / np.sqrt(n_rec)
np.fill_diagonal(w_rec, 0)
w_out = rng.normal(0, 1, (n_out, n_rec)) / np.sqrt(n_rec)
nodes = shape(n_in, n_rec, n_out, w_in, w_rec, w_out, lif, 0.02)
write_graph("foreign.nir", nodes, EDGES)
# Variants that cannot train.
cuba = {"type": "CubaLIF", "tau_syn": np.full(n_rec, 0.005), "tau_mem": np.full(n_rec, 0.02),
        "r": np.ones(n_rec), "v_leak": np.zeros(n_rec), "v_threshold": np.ones(n_rec)}
write_graph("cuba.nir", dict(nodes, recurrent=cuba), EDGES)
write_graph("bias.nir", dict(nodes, w_out={"type": "Affine", "weight": w_out,
                                           "bias": np.full(n_out, 0.5)}), EDGES)
mixed = dict(lif, tau=np.linspace(0.01, 0.03, n_rec))
write_graph("mixed_tau.nir", dict(nodes, recurrent=mixed), EDGES)
# No readout node: w_out straight to the Output (an instantaneous readout).
direct = {k: v for k, v in nodes.items() if k != "readout"}
write_graph("direct.nir", direct, EDGES[:5] + [("w_out", "output")])
PY

cat > foreign.toml <<'EOF'
seed = 3
[network]
source = "nir"
file = "foreign.nir"
[task]
name = "sine"
steps = 200
[train]
rule = "eprop"
iterations = 40
optimizer = "adam"
eta = 5e-3
c_reg = 0.0
[lyapunov]
when = []
[record]
states = true
spikes = true
EOF
"$exe" run foreign.toml -o eprop.h5 > /dev/null
"$exe" run foreign.toml -o bptt.h5 --set 'train.rule="bptt"' > /dev/null
"$exe" run foreign.toml -o direct.h5 --set 'network.file="direct.nir"' \
  --set train.iterations=5 > /dev/null
"$exe" run foreign.toml -o none.h5 --set 'train.rule="none"' --set train.iterations=2 \
  --set 'lyapunov.when=["before"]' --set lyapunov.steps=200 --set lyapunov.warmup=50 > /dev/null
# The spectra of a trained graph: in the run, and from its run file (the graph's NIR LIF).
spectra=(--set 'lyapunov.when=["before","after"]' --set lyapunov.steps=200 --set lyapunov.warmup=50)
"$exe" run foreign.toml -o spectra.h5 --set train.iterations=3 "${spectra[@]}" > /dev/null
"$exe" lyapunov spectra.h5 -o spectra.lyap.h5 "${spectra[@]}" > /dev/null
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
for name in ("eprop", "bptt"):
    with h5py.File(f"{name}.h5", "r") as f:
        loss = f["train/loss"][()]
        assert len(loss) == 40 and np.all(np.isfinite(loss)), loss
        first, last = loss[:5].mean(), loss[-5:].mean()
        print(f"{name}: loss {first:.4g} (first 5) -> {last:.4g} (last 5)")
        assert last < 0.7 * first, (name, first, last)
        # The graph is kept, the weight nodes named; trained weights differ from the graph's.
        assert f.attrs["model"] == "nir_lif", f.attrs["model"]
        assert (f.attrs["nir_w_in"], f.attrs["nir_w_rec"], f.attrs["nir_w_out"]) == \
            ("w_in", "w_rec", "w_out")
        g = f["nir/node/nodes"]
        assert np.array_equal(g["w_rec/weight"][()], f["network/initial/w_rec"][()])
        assert not np.array_equal(f["network/final/w_rec"][()], f["network/initial/w_rec"][()])
        # Recorded under the graph's node names.
        assert f["states/recurrent/v"].shape == (40 * 200, 40), f["states/recurrent/v"].shape
        assert f["states/readout/y"].shape == (40 * 200, 1)
        assert set(f["spikes"].keys()) == {"input", "recurrent"}, list(f["spikes"].keys())
        # Spikes where the recorded (post-reset) v was reset to v_reset = 0 and above none.
        v = f["states/recurrent/v"][()]
        assert v.max() <= 1.0 + 1e-12, v.max()
with h5py.File("direct.h5", "r") as f:
    assert len(f["train/loss"][()]) == 5
    assert "output" in f["states"], list(f["states"].keys())
with h5py.File("spectra.h5", "r") as a, h5py.File("spectra.lyap.h5", "r") as b:
    for when in ("before", "after"):
        ea, eb = a[f"lyapunov/{when}/exponents"][()], b[f"lyapunov/{when}/exponents"][()]
        assert np.array_equal(ea, eb), (when, ea, eb)
        assert a[f"lyapunov/{when}"].attrs["jacobian"] == "surrogate"
with h5py.File("none.h5", "r") as f:
    assert len(f["train/loss"][()]) == 2  # a trainable graph run through the trainer
    assert "network/final" in f
    assert f["lyapunov/before/exponents"].shape == (1,)
print("foreign graph trains")
PY

# 2. Refusals (exit 2, one line naming the key, the shape and why).
expect_exit 2 'train.rule.*CubaLIF recurrent layer .recurrent.: no e-prop' \
  "$exe" run foreign.toml -o x.h5 --set 'network.file="cuba.nir"'
expect_exit 2 'train.rule.*lif1.lif .CubaLIF, 38, recurrent..*CubaLIF recurrent layer .lif1.lif.: no e-prop' \
  "$exe" run foreign.toml -o x.h5 --set "network.file=\"$data/braille_noDelay_bias_zero.nir\"" \
  --set task.steps=20
expect_exit 2 "train.rule.*'w_out' .Affine. has a non-zero bias" \
  "$exe" run foreign.toml -o x.h5 --set 'network.file="bias.nir"'
expect_exit 2 'neuron.tau.*one value for all neurons' \
  "$exe" run foreign.toml -o x.h5 --set 'network.file="mixed_tau.nir"'
expect_exit 2 'chip.profile.*"float64" for a graph whose LIF layer runs as NIR' \
  "$exe" run foreign.toml -o x.h5 --set 'chip.profile="loihi"'
expect_exit 2 'train.reset_gradient' \
  "$exe" run foreign.toml -o x.h5 --set 'train.rule="bptt"' --set train.reset_gradient=true
expect_exit 2 'floss.enabled' \
  "$exe" run foreign.toml -o x.h5 --set floss.enabled=true
test ! -e x.h5
# Heterogeneous taus still simulate (no training): the per-neuron model.
"$exe" run foreign.toml -o mixed.h5 --set 'network.file="mixed_tau.nir"' \
  --set 'train.rule="none"' --set train.iterations=1 > /dev/null

# 3. A chaoschip network, run from its config and from its NIR graph with metadata.
# (lif on loihi: the chip kernel maps the imported weights as it maps the config's.)
for model in lif alif lif/loihi; do
  profile=float64
  [ "$model" = lif/loihi ] && model=lif && profile=loihi
  for rule in eprop bptt; do
    [ "$model/$rule" = alif/bptt ] && continue
    [ "$profile/$rule" = loihi/bptt ] && continue
    cat > config.toml <<EOF
seed = 5
[network]
model = "$model"
n_in = 12
n_rec = 25
n_out = 2
gain = 1.5
[neuron]
tau_m = 20.0
v_th = 0.05
tau_a = 300.0
n_adaptive = 10
[readout]
tau = 25.0
[task]
name = "sine"
steps = 150
[train]
rule = "$rule"
iterations = 15
[chip]
profile = "$profile"
[lyapunov]
when = ["after"]
steps = 200
warmup = 50
EOF
    "$exe" run config.toml -o config.h5 > /dev/null
    # The float initial weights (a chip run stores its codes): the same seed's draw.
    "$exe" run config.toml -o weights.h5 --set 'chip.profile="float64"' --set train.iterations=1 \
      --set 'lyapunov.when=["before"]' --set lyapunov.steps=1 --set lyapunov.warmup=0 > /dev/null
    /usr/bin/python3 - <<'PY'
import math, tomllib
import h5py, numpy as np
from writer import write_graph, shape, EDGES

def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%.17g" % v
    return str(v)

with h5py.File("config.h5", "r") as f:
    cfg = tomllib.loads(f.attrs["config"])
with h5py.File("weights.h5", "r") as f:
    w = {k: f[f"network/initial/{k}"][()] for k in ("w_in", "w_rec", "w_out")}
    assert all(x.dtype == np.float64 for x in w.values())
net, neuron = cfg["network"], cfg["neuron"]
dt, tau_m = net["dt"], neuron["tau_m"]
n_in, n_rec, n_out = w["w_in"].shape[1], w["w_in"].shape[0], w["w_out"].shape[0]
alpha = math.exp(-dt / tau_m)
c_in = 1.0 if neuron["regular_spike_arrival"] else 1.0 - alpha
lif = {"type": "LIF", "tau": np.full(n_rec, tau_m / 1000), "r": np.full(n_rec, c_in / (1 - alpha)),
       "v_leak": np.zeros(n_rec), "v_threshold": np.full(n_rec, neuron["v_th"]),
       "v_reset": np.full(n_rec, neuron["v_reset"]),
       "metadata": {"chaoschip.model": net["model"],
                    "chaoschip.network.delay_rec": text(net["delay_rec"]),
                    **{f"chaoschip.neuron.{k}": text(v) for k, v in neuron.items()}}}
nodes = shape(n_in, n_rec, n_out, w["w_in"], w["w_rec"], w["w_out"], lif,
              cfg["readout"]["tau"] / 1000)
nodes["readout"]["metadata"] = {"chaoschip.readout.tau": text(cfg["readout"]["tau"])}
write_graph("exported.nir", nodes, EDGES,
            {"chaoschip.dt_ms": text(dt), "chaoschip.source": "config.h5",
             "chaoschip.weights": "initial"})
PY
    "$exe" run config.toml -o graph.h5 --set 'network.source="nir"' \
      --set 'network.file="exported.nir"' > /dev/null
    MODEL=$model RULE=$rule PROFILE=$profile /usr/bin/python3 - <<'PY'
import os
import h5py, numpy as np
with h5py.File("config.h5", "r") as a, h5py.File("graph.h5", "r") as b:
    la, lb = a["train/loss"][()], b["train/loss"][()]
    assert len(la) == len(lb) == 15
    err = np.max(np.abs(la - lb))
    print(f"{os.environ['MODEL']} {os.environ['RULE']} {os.environ['PROFILE']}: 15 losses, max |config - graph| = {err:.3g}")
    assert err <= 1e-12, (la, lb)
    assert la[-1] < la[0], la
    for k in ("w_in", "w_rec", "w_out"):
        d = np.max(np.abs(a[f"network/final/{k}"][()] - b[f"network/final/{k}"][()]))
        assert d <= 1e-12, (k, d)
    assert np.array_equal(a["network/initial/feedback"][()], b["network/initial/feedback"][()])
    assert b.attrs["model"] == os.environ["MODEL"]
    ea = a["lyapunov/after/exponents"][()]
    eb = b["lyapunov/after/exponents"][()]
    assert np.max(np.abs(ea - eb)) <= 1e-12, (ea, eb)
PY
  done
done
echo "nir_train: ok"
