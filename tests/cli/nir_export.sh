#!/usr/bin/env bash
# `chaoschip export-nir` (docs/nir.md, "Exporting"):
# 1. import, export, import: every NIR file of tests/data/nir run (rule none) and exported
#    keeps every node, parameter and weight bit for bit (against the original read with h5py
#    and flattened here, and against `chaoschip info` of the original);
# 2. run, export, import, run: the braille graphs and two_lif_neurons driven by Bernoulli
#    input from a case file give the same /spikes and /states on the exported graph;
# 3. a config network (lif, alif; e-prop) exports the weights of /network/final (or
#    initial) exactly, the LIF and LI parameters of the mapping (closed forms computed
#    here), and every [neuron] key as exact metadata; a loihi run exports its codes x scale
#    with the profile in the metadata;
# 4. a trained imported graph (root attributes nir_w_in, nir_w_rec, nir_w_out) gets its
#    run's weights in the nodes named;
# 5. refusals: rate networks, the run file itself or a FIFO, device or directory as the
#    output, missing weights: exit 2 with one line, nothing written.
# Usage: nir_export.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$(realpath "$1")
data=$(realpath "$2")/nir
source "$(dirname "$0")/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
py=/usr/bin/python3

# ---- 1 and 2: NIR files through run, export-nir, run ----------------------------------
# One case file per input width: Bernoulli(0.2) input spikes, 200 steps.
$py - "$data" <<'PY'
import glob, os, sys
import h5py, numpy as np
rng = np.random.default_rng(13)
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.nir"))):
    nodes = h5py.File(path, "r")["node/nodes"]
    (n_in,) = [int(np.prod(g["shape"][()])) for g in nodes.values()
               if g["type"][()].decode() == "Input"]
    name = os.path.basename(path)[:-4]
    with h5py.File(f"case_{name}.h5", "w") as f:
        f["input_spikes"] = (rng.random((200, n_in)) < 0.2).astype(np.uint8)
PY
for f in "$data"/*.nir; do
  name=$(basename "$f" .nir)
  reset=value
  [[ $name == *subtract* ]] && reset=subtract
  integrator=exact
  [[ $name == braille* ]] && integrator=euler
  cat >"$name.toml" <<TOML
[network]
source = "nir"
file = "$f"
[nir]
integrator = "$integrator"
reset = "$reset"
dt = 1e-4
[task]
name = "file"
file = "case_$name.h5"
[train]
rule = "none"
iterations = 1
[record]
states = true
[lyapunov]
when = []
TOML
  "$exe" run "$name.toml" -o "A_$name.h5" -q
  "$exe" export-nir "A_$name.h5" -o "$name.nir" >"export_$name.txt"
  grep -q "^wrote $name.nir (NIR graph: " "export_$name.txt"
  "$exe" run "$name.toml" -o "B_$name.h5" -q --set network.file="\"$name.nir\""
  # info of the original and of the export: the same node and edge tables.
  "$exe" info "$f" | sed -n '/^nodes:$/,$p' >"info_orig_$name.txt"
  "$exe" info "$name.nir" | sed -n '/^nodes:$/,$p' >"info_export_$name.txt"
  diff "info_orig_$name.txt" "info_export_$name.txt"
done
$py - "$data" <<'PY'
import glob, os, sys
import h5py, numpy as np

# NIR's parameters per type (docs/nir.md), optional ones with their defaults.
PARAMS = {
    "Affine": ["weight", "bias"], "Linear": ["weight"], "Scale": ["scale"], "Delay": ["delay"],
    "LIF": ["tau", "r", "v_leak", "v_threshold", "v_reset"],
    "CubaLIF": ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"],
    "LI": ["tau", "r", "v_leak"], "CubaLI": ["tau_syn", "tau_mem", "r", "v_leak", "w_in"],
    "IF": ["r", "v_threshold", "v_reset"], "I": ["r"], "Threshold": ["threshold"],
}
DEFAULTS = {"v_reset": 0.0, "w_in": 1.0}

def flatten(group, prefix=""):
    """Nodes of a NIR graph group by flattened name; inner Input/Output nodes dropped."""
    out = {}
    for name, node in group["nodes"].items():
        kind = node["type"][()].decode()
        if kind == "NIRGraph":
            out.update(flatten(node, prefix + name + "."))
        elif not (prefix and kind in ("Input", "Output")):
            out[prefix + name] = node
    return out

def value(node, p, n):
    if p in node:
        v = np.asarray(node[p][()], dtype=np.float64)  # float32 -> float64 is exact
        return v if p == "weight" else v.reshape(-1)
    return np.full(n, DEFAULTS[p])

for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.nir"))):
    name = os.path.basename(path)[:-4]
    orig = flatten(h5py.File(path, "r")["node"])
    out_file = h5py.File(name + ".nir", "r")
    assert out_file["version"][()].decode() == "1.0.0"
    out = flatten(out_file["node"])
    assert sorted(orig) == sorted(out), (name, sorted(orig), sorted(out))
    count = 0
    for node_name, o in orig.items():
        e = out[node_name]
        kind = o["type"][()].decode()
        assert e["type"][()].decode() == kind, (name, node_name)
        if kind in ("Input", "Output"):
            assert np.array_equal(o["shape"][()], e["shape"][()]), (name, node_name)
            continue
        n = max(np.size(o[p][()]) for p in PARAMS[kind] if p in o and p != "weight") \
            if kind not in ("Linear",) else 0
        for p in PARAMS[kind]:
            assert e[p].dtype == np.float64, (name, node_name, p, e[p].dtype)
            want = value(o, p, n)
            got = np.asarray(e[p][()])
            if p != "weight" and got.ndim == 1 and want.size == 1 and got.size > 1:
                want = np.full(got.size, want[0])  # a scalar parameter read as length 1
            assert want.shape == got.shape and np.array_equal(
                want.view(np.uint64), got.view(np.uint64)), (name, node_name, p)
            count += want.size
    if "subgraph" not in name:  # the same edges (a subgraph file's are joined by reading)
        edges = lambda f: sorted(tuple(x.decode() for x in row) for row in f["node/edges"][()])
        assert edges(h5py.File(path, "r")) == edges(out_file), name
    meta = out_file["node/metadata"]
    assert meta["chaoschip.source"][()].decode() == f"A_{name}.h5"
    assert meta["chaoschip.weights"][()].decode() == "final"
    print(f"import, export, import: {name}: {len(orig)} nodes, {count} values bit for bit")

# Run A on the original, run B on its export: the same spikes and states.
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.nir"))):
    name = os.path.basename(path)[:-4]
    if not (name.startswith("braille") or name == "two_lif_neurons"):
        continue
    a, b = h5py.File(f"A_{name}.h5", "r"), h5py.File(f"B_{name}.h5", "r")
    spikes = 0
    for group in ("spikes", "states"):
        keys = lambda f: sorted(k for k, v in f[group].items())
        assert keys(a) == keys(b), (name, group, keys(a), keys(b))
        for pop in a[group]:
            for ds in a[group][pop]:
                x, y = a[group][pop][ds][()], b[group][pop][ds][()]
                assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), \
                    (name, group, pop, ds)
                if group == "spikes" and ds == "node_ids" and pop != "input":
                    spikes += x.size
    assert spikes > 0, f"{name}: no spikes to compare"
    print(f"run, export, import, run: {name}: {spikes} spikes and every state identical")
PY

# ---- 3: config networks --------------------------------------------------------------
cat >net.toml <<'TOML'
[network]
n_in = 5
n_rec = 8
n_out = 2
[neuron]
tau_m = 20.0
v_th = 0.03
t_ref = 2.0
[task]
steps = 100
[train]
iterations = 3
[lyapunov]
when = []
TOML
"$exe" run net.toml -o lif.h5 -q
"$exe" export-nir lif.h5 -o lif.nir | grep -q "^wrote lif.nir (NIR graph: 7 nodes, 10 neurons, 7 edges; final weights of lif.h5)$"
"$exe" export-nir lif.h5 -o lif_initial.nir --weights initial -q
"$exe" run net.toml -o alif.h5 -q --set network.model='"alif"' \
  --set neuron.regular_spike_arrival=true --set readout.tau=0.0 --set network.delay_rec=2 \
  --set network.dt=0.5 --set neuron.reset='"value"' --set neuron.v_reset=-0.01
"$exe" export-nir alif.h5 -o alif.nir -q
"$exe" run net.toml -o loihi.h5 -q --set chip.profile='"loihi"'
"$exe" export-nir loihi.h5 -o loihi.nir -q
for f in lif lif_initial alif loihi; do "$exe" info "$f.nir" >"info_$f.txt"; done
grep -q "chaoschip.chip.profile = loihi" info_loihi.txt
$py -c 'import h5py; m = h5py.File("loihi.nir", "r")["node/nodes/recurrent/metadata"]; assert m["chaoschip.chip.profile"][()] == b"loihi"'
$py <<'PY'
import math, tomllib
import h5py, numpy as np

def exact(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return x.shape == y.shape and np.array_equal(x.view(np.uint64), y.view(np.uint64))

def check(run, nir, weights="final", codes=False):
    r, g = h5py.File(run, "r"), h5py.File(nir, "r")
    cfg = tomllib.loads(r.attrs["config"])
    net, neu = cfg["network"], cfg["neuron"]
    nodes = g["node/nodes"]
    readout = cfg["readout"]["tau"] > 0
    order = ["input", "w_in", "recurrent", "w_rec", "w_out"] + (["readout"] if readout else []) + ["output"]
    assert list(nodes) == order, list(nodes)
    edges = [tuple(x.decode() for x in row) for row in g["node/edges"][()]]
    tail = [("w_out", "readout"), ("readout", "output")] if readout else [("w_out", "output")]
    assert edges == [("input", "w_in"), ("w_in", "recurrent"), ("recurrent", "w_rec"),
                     ("w_rec", "recurrent"), ("recurrent", "w_out")] + tail, edges
    types = {k: nodes[k]["type"][()].decode() for k in order}
    assert types == {"input": "Input", "w_in": "Linear", "recurrent": "LIF", "w_rec": "Linear",
                     "w_out": "Linear", "output": "Output", **({"readout": "LI"} if readout else {})}
    assert list(nodes["input"]["shape"][()]) == [net["n_in"]]
    assert list(nodes["output"]["shape"][()]) == [net["n_out"]]
    # Weights: /network/<weights> exactly; on a chip, the int32 codes times their scale.
    for w in ("w_in", "w_rec", "w_out"):
        d = r[f"network/{weights}/{w}"]
        if codes and w != "w_out":
            assert d.dtype == np.int32, (w, d.dtype)
            scale = np.asarray(d.attrs["scale"], np.float64).reshape(-1)
            want = d[()].astype(np.float64) * (scale[0] if scale.size == 1 else scale[:, None])
        else:
            assert d.dtype == np.float64
            want = d[()]
        assert exact(nodes[w]["weight"][()], want), (run, w)
    # LIF: tau in s, r = c_in / (1 - exp(-dt/tau_m)), c_in = 1 or 1 - exp(-dt/tau_m).
    rec, n = nodes["recurrent"], net["n_rec"]
    a = math.exp(-net["dt"] / neu["tau_m"])
    c_in = 1.0 if neu["regular_spike_arrival"] else 1.0 - a
    for p, v in {"tau": neu["tau_m"] / 1000, "r": c_in / (1.0 - a), "v_leak": 0.0,
                 "v_threshold": neu["v_th"], "v_reset": neu["v_reset"]}.items():
        assert rec[p].dtype == np.float64 and exact(rec[p][()], np.full(n, v)), (run, p, rec[p][()], v)
    if readout:
        li = nodes["readout"]
        for p, v in {"tau": cfg["readout"]["tau"] / 1000, "r": 1.0, "v_leak": 0.0}.items():
            assert exact(li[p][()], np.full(net["n_out"], v)), (run, p)
        assert float(li["metadata/chaoschip.readout.tau"][()].decode()) == cfg["readout"]["tau"]
    # Metadata: every [neuron] key, exact; the model, delay, dt and where the graph is from.
    meta = {k: v[()].decode() for k, v in rec["metadata"].items()}
    def text(v):
        if isinstance(v, bool): return "true" if v else "false"
        return str(v) if isinstance(v, (int, str)) else None
    for key, v in neu.items():
        m = meta.pop(f"chaoschip.neuron.{key}")
        assert (float(m) == v and repr(float(m)) == repr(float(v))) if isinstance(v, float) else m == text(v), (key, m, v)
    assert meta.pop("chaoschip.model") == net["model"]
    assert meta.pop("chaoschip.network.delay_rec") == str(net["delay_rec"])
    if codes:  # the chip's layer names its profile
        assert meta.pop("chaoschip.chip.profile") == cfg["chip"]["profile"]
    assert not meta, meta
    gm = {k: v[()].decode() for k, v in g["node/metadata"].items()}
    assert float(gm.pop("chaoschip.dt_ms")) == net["dt"]
    assert gm.pop("chaoschip.source") == run and gm.pop("chaoschip.weights") == weights
    assert gm.pop("chaoschip.version")
    chip = {k[len("chaoschip.chip."):]: gm.pop(k) for k in list(gm) if k.startswith("chaoschip.chip.")}
    if codes:
        assert chip.pop("profile") == "loihi"
        for key, v in cfg["chip"].items():
            if key != "profile":
                assert chip.pop(key) == text(v), key
        assert not chip, chip
    else:
        assert not chip, chip
    assert not gm, gm
    print(f"{nir}: {net['model']}, weights of /network/{weights}{' (codes x scale)' if codes else ''}, "
          f"tau {rec['tau'][0]}, r {rec['r'][0]!r}, v_threshold {rec['v_threshold'][0]} as the mapping says")

check("lif.h5", "lif.nir")
check("lif.h5", "lif_initial.nir", weights="initial")
check("alif.h5", "alif.nir")
check("loihi.h5", "loihi.nir", codes=True)
f = h5py.File("lif.h5", "r")
assert not np.array_equal(f["network/initial/w_rec"][()], f["network/final/w_rec"][()]), "no training?"
PY

# ---- 4: a trained imported graph: the run's weights in the nodes it names ------------
# (A run file made here from the braille run: root attributes naming the weight nodes and
# /network/final weights of the graph's shapes, its config sized to them.)
$py <<'PY'
import h5py, numpy as np
rng = np.random.default_rng(5)
with h5py.File("A_braille_noDelay_bias_zero.h5", "r") as src, h5py.File("trained.h5", "w") as f:
    for k, v in src.attrs.items():
        f.attrs[k] = v
    cfg = f.attrs["config"].replace("n_in = 100", "n_in = 12").replace(
        "n_rec = 100", "n_rec = 38").replace("n_out = 1\n", "n_out = 7\n")
    f.attrs["config"] = cfg
    src.copy("nir", f)
    f.attrs["nir_w_in"], f.attrs["nir_w_rec"], f.attrs["nir_w_out"] = "fc1", "lif1.w_rec", "fc2"
    for group in ("initial", "final"):
        for w, shape in (("w_in", (38, 12)), ("w_rec", (38, 38)), ("w_out", (7, 38))):
            f[f"network/{group}/{w}"] = rng.normal(size=shape)
PY
"$exe" export-nir trained.h5 -o trained.nir -q
"$exe" export-nir trained.h5 -o trained_initial.nir -q --weights initial
$py <<'PY'
import h5py, numpy as np
r = h5py.File("trained.h5", "r")
orig = h5py.File("braille_noDelay_bias_zero.nir", "r")["node/nodes"]
for nir, group in (("trained.nir", "final"), ("trained_initial.nir", "initial")):
    g = h5py.File(nir, "r")["node/nodes"]
    for node, w in (("fc1", "w_in"), ("lif1.w_rec", "w_rec"), ("fc2", "w_out")):
        assert np.array_equal(g[node]["weight"][()], r[f"network/{group}/{w}"][()]), (nir, node)
        assert np.array_equal(g[node]["bias"][()], orig[node]["bias"][()]), (nir, node)
    for p in orig["lif1.lif"]:
        assert np.array_equal(g["lif1.lif"][p][()], orig["lif1.lif"][p][()]), p
print("trained imported graph: the run's weights in fc1, lif1.w_rec, fc2; the rest as imported")
PY

# ---- 4c: export, import, train: the same losses as the config network ----------------
# Runs where this build trains imported graphs in the trainable shape (docs/nir.md,
# "Training an imported graph"); skipped where training an imported graph is refused.
for variant in "" "--set train.rule=\"bptt\"" \
  "--set network.model=\"alif\" --set neuron.regular_spike_arrival=true" \
  "--set neuron.tau_syn=5.0 --set neuron.t_ref=2.0 --set readout.tau=0.0" \
  "--set chip.profile=\"loihi\""; do
  eval "\"\$exe\" run net.toml -o c.h5 -q $variant"
  "$exe" export-nir c.h5 -o c.nir --weights initial -q
  set +e
  eval "\"\$exe\" run net.toml -o i.h5 -q $variant --set network.source='\"nir\"' --set network.file='\"c.nir\"'" 2>err.txt
  rc=$?
  set -e
  if [[ $rc -eq 2 ]] && grep -q "train.rule" err.txt; then
    echo "skipped: export, import, train (this build does not train imported graphs)"
    break
  fi
  [[ $rc -eq 0 ]] || { cat err.txt; exit 1; }
  # The trained imported graph exported: the config network's final weights.
  "$exe" export-nir c.h5 -o c_final.nir -q
  "$exe" export-nir i.h5 -o i_final.nir -q
  $py - "$variant" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File("c.h5", "r")["train/loss"][()], h5py.File("i.h5", "r")["train/loss"][()]
assert a.shape == b.shape and np.all(np.abs(a - b) <= 1e-12 * np.abs(a)), (a, b)
c, i = h5py.File("c_final.nir", "r")["node/nodes"], h5py.File("i_final.nir", "r")["node/nodes"]
for w in ("w_in", "w_rec", "w_out"):
    assert np.allclose(c[w]["weight"][()], i[w]["weight"][()], rtol=1e-12, atol=1e-15), w
print(f"export, import, train [{sys.argv[1] or 'lif, e-prop'}]: {a.size} losses, "
      f"largest relative difference {np.max(np.abs(a - b) / np.abs(a)):.3g}; the trained graph "
      f"exports the config network's final weights")
PY
done

# ---- 5: refusals ----------------------------------------------------------------------
cp lif.h5 lif.orig
"$exe" run net.toml -o rate.h5 -q --set network.model='"rate"'
expect_fail "'network.model': got \"rate\", expected a spiking model" "$exe" export-nir rate.h5 -o rate.nir
"$exe" run net.toml -o rate_ode.h5 -q --set network.model='"rate_ode"' --set train.iterations=1
expect_fail "'network.model': got \"rate_ode\"" "$exe" export-nir rate_ode.h5 -o rate.nir
expect_fail "never writes over its input" "$exe" export-nir lif.h5 -o lif.h5
expect_fail "never writes over its input" "$exe" export-nir lif.h5 -o "$work/./lif.h5"
ln lif.h5 hard.h5
expect_fail "never writes over its input" "$exe" export-nir lif.h5 -o hard.h5
cmp lif.h5 lif.orig
mkfifo pipe.nir
expect_fail "FIFO" "$exe" export-nir lif.h5 -o pipe.nir
[[ -p pipe.nir ]]
expect_fail "FIFO" "$exe" export-nir pipe.nir -o x.nir
mkdir dir.nir
expect_fail "dir.nir" "$exe" export-nir lif.h5 -o dir.nir
[[ -d dir.nir ]]
if mknod null.nir c 1 3 2>/dev/null; then
  expect_fail "character device" "$exe" export-nir lif.h5 -o null.nir
  [[ -c null.nir ]]
else
  echo "skipped: a character device in the working directory (mknod not permitted)"
fi
if unshare -m true 2>/dev/null; then
  # /dev/null on a throwaway tmpfs /dev in a private mount namespace, never the real one.
  unshare -m bash -c '
    mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 99
    "$0" export-nir lif.h5 -o /dev/null 2>dev_err.txt
    echo "exit $?" >dev_result.txt
    [ -c /dev/null ] && echo "still a character device" >>dev_result.txt
    echo "dev: $(ls -A /dev | tr "\n" " ")" >>dev_result.txt' "$exe"
  [[ $(cat dev_result.txt) == "exit 2"$'\n'"still a character device"$'\n'"dev: null " ]]
  grep -qF "'/dev/null': is a character device" dev_err.txt
else
  echo "skipped: /dev/null as the output (unshare -m not permitted)"
fi
$py <<'PY'
import h5py
for name, drop in (("no_initial.h5", "network/initial"), ("no_w_rec.h5", "network/final/w_rec")):
    with h5py.File("lif.h5", "r") as src, h5py.File(name, "w") as f:
        for k, v in src.attrs.items():
            f.attrs[k] = v
        src.copy("network", f)
        del f[drop]
PY
expect_fail "group '/network/initial' is missing" "$exe" export-nir no_initial.h5 -o x.nir --weights initial
"$exe" export-nir no_initial.h5 -o x.nir -q  # the final weights are there
rm x.nir
expect_fail "network/final/w_rec" "$exe" export-nir no_w_rec.h5 -o x.nir
expect_fail "attribute 'config' is missing" "$exe" export-nir lif.nir -o x.nir
expect_fail "missing.h5" "$exe" export-nir missing.h5 -o x.nir
expect_fail "--weights" "$exe" export-nir lif.h5 -o x.nir --weights best
$py <<'PY'
import h5py
with h5py.File("trained.h5", "r") as src, h5py.File("bad_node.h5", "w") as f:
    for k, v in src.attrs.items():
        f.attrs[k] = v
    f.attrs["nir_w_rec"] = "lif1.lif"
    src.copy("nir", f)
    src.copy("network", f)
PY
expect_fail "root attribute 'nir_w_rec' names 'lif1.lif', not a weight node" \
  "$exe" export-nir bad_node.h5 -o x.nir
[[ ! -e x.nir ]]
[[ -z $(find . -name '*.tmp*') ]]
echo "refusals: exit 2 with one line each, nothing written"
