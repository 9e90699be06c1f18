#!/usr/bin/env bash
# NIR graphs through `chaoschip info`: NIR's reference files (tests/data/nir/) are listed
# node by node as h5py sees them, with the recurrent edge marked; damaged or invalid graphs
# made here with h5py (one per rule of docs/nir.md, "Validation") exit 2 with one line
# naming the node, edge or dataset.
# Usage: nir_files.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
data=$2/nir
source "$(dirname "$0")/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# 1. info on every reference graph; for the flat ones, every node's line against h5py.
for f in "$data"/*.nir; do
  "$exe" info "$f" > "$(basename "$f").txt"
done
/usr/bin/python3 - "$data" <<'PY'
import glob, os, re, sys
import h5py

data = sys.argv[1]
optional = {"LIF": ["v_reset"], "CubaLIF": ["v_reset", "w_in"], "IF": ["v_reset"],
            "CubaLI": ["w_in"]}
for path in sorted(glob.glob(os.path.join(data, "*.nir"))):
    name = os.path.basename(path)
    text = open(name + ".txt").read()
    f = h5py.File(path, "r")
    version = f["version"][()].decode() if "version" in f else None
    assert f"version: {version}" in text, (name, text)
    node_part = text.split("\nnodes:\n")[1].split("\nedges:\n")[0]
    lines = {l.split()[0]: l for l in node_part.splitlines()[1:] if l.strip()}
    if "subgraph" in name:
        assert "note: 'node/nodes/lif1/edges' names 'lif'" in text, text
        assert "lif1.lin -> lif1.lif1   (recurrent: closes a cycle)" in text, text
        continue
    nodes = f["node/nodes"]
    for node_name, node in nodes.items():
        kind = node["type"][()].decode()
        line = lines[node_name].split()
        assert line[1] == kind, (name, node_name, line)
        if kind in ("Input", "Output"):
            shape = ", ".join(str(s) for s in node["shape"][()])
            assert lines[node_name].endswith(f"shape [{shape}]"), lines[node_name]
            continue
        # Every parameter the file holds, with its shape, appears on the node's line.
        for p, d in node.items():
            if p == "type":
                continue
            shape = "[" + ", ".join(str(s) for s in d.shape) + "]"
            assert f"{p} {shape}" in lines[node_name], (name, node_name, p, lines[node_name])
        for p in optional.get(kind, []):
            n = node["v_threshold"].shape[0] if "v_threshold" in node else node["tau_mem"].shape[0]
            assert f"{p} [{n}]" in lines[node_name], (name, node_name, p)
    # Edges: one line each, as the file lists them.
    for a, b in f["node/edges"][()]:
        assert re.search(rf"^  {re.escape(a.decode())} -> {re.escape(b.decode())}\b", text, re.M), (a, b)
    n_rec = 1 if "braille" in name else 0
    assert text.count("(recurrent: closes a cycle)") == n_rec, (name, text)
    if "braille" in name:
        assert "lif1.w_rec -> lif1.lif   (recurrent: closes a cycle)" in text, text
print("info matches h5py")
PY
grep -q "7 nodes (45 neurons in 2 neuron nodes), 7 edges (1 recurrent)" \
  braille_noDelay_bias_zero.nir.txt
grep -q "7 nodes (47 neurons in 2 neuron nodes), 7 edges (1 recurrent)" \
  braille_noDelay_noBias_subtract_subgraph.nir.txt
grep -q "version: 0.1.1" lif_norse.nir.txt
# A NIR graph under another name is recognised by its root `node` group.
cp "$data/two_lif_neurons.nir" graph.h5
"$exe" info graph.h5 | grep -q "linear2 -> lif2"

# 2. One damaged or invalid graph per rule.
/usr/bin/python3 - <<'PY'
import h5py, numpy as np

def graph(path, nodes, edges, version="1.0.0", root_type="NIRGraph"):
    """nodes: name -> dict of datasets (a dict value is a nested group)."""
    with h5py.File(path, "w") as f:
        if version is not None:
            f.create_dataset("version", data=version, dtype=h5py.string_dtype())
        g = f.create_group("node")
        write_graph(g, nodes, edges, root_type)

def write_graph(g, nodes, edges, kind="NIRGraph"):
    if kind is not None:
        g.create_dataset("type", data=kind, dtype=h5py.string_dtype())
    ns = g.create_group("nodes")
    for name, fields in nodes.items():
        write_node(ns.create_group(name), fields)
    if edges is not None:
        g.create_dataset("edges", data=np.array(edges, dtype=object).reshape(-1, 2),
                         dtype=h5py.string_dtype())

def write_node(n, fields):
    if "nodes" in fields:  # a subgraph
        write_graph(n, fields["nodes"], fields["edges"])
        return
    for k, v in fields.items():
        if k == "type" or isinstance(v, str):
            n.create_dataset(k, data=v, dtype=h5py.string_dtype())
        elif callable(v):
            v(n, k)
        else:
            n.create_dataset(k, data=v)

def lif(n=2, **changes):
    d = {"type": "LIF", "tau": np.full(n, 0.01), "r": np.ones(n), "v_leak": np.zeros(n),
         "v_threshold": np.ones(n)}
    d.update(changes)
    return d

def base(**changes):
    nodes = {"in": {"type": "Input", "shape": np.array([3])},
             "w": {"type": "Affine", "weight": np.ones((2, 3), np.float32),
                   "bias": np.zeros(2, np.float32)},
             "lif1": lif(),
             "rec": {"type": "Linear", "weight": np.eye(2)},
             "out": {"type": "Output", "shape": np.array([2])}}
    edges = [("in", "w"), ("w", "lif1"), ("lif1", "rec"), ("rec", "lif1"), ("lif1", "out")]
    nodes.update(changes)
    return {k: v for k, v in nodes.items() if v is not None}, edges

n, e = base()
graph("good.nir", n, e)
graph("good_v01.nir", n, e, version=None)  # NIR 0.1 wrote no version

n, e = base(conv={"type": "Conv2d", "weight": np.ones((1, 1, 3, 3))})
graph("unsupported.nir", n, e)
n, e = base()
graph("missing_node.nir", n, e + [("lif1", "ghost")])
n, e = base(w={"type": "Affine", "weight": np.ones((2, 4)), "bias": np.zeros(2)})
graph("shape_mismatch.nir", n, e)
n, e = base(lif1=lif(tau=np.array([0.01, np.nan])))
graph("nan.nir", n, e)
n, e = base(lif1=lif(tau=np.array([0.01, -0.01])))
graph("negative_tau.nir", n, e)
n, e = base(lif1=lif(tau=np.array([0.0, 0.01])))
graph("zero_tau.nir", n, e)
graph("empty.nir", {}, [])
n, e = base(thr={"type": "Threshold", "threshold": np.ones(2)})
graph("cycle.nir", n, e + [("lif1", "thr"), ("thr", "lif1")])
with h5py.File("not_nir.nir", "w") as f:
    f.create_dataset("weights", data=np.ones(3))
with h5py.File("no_type.nir", "w") as f:
    f.create_group("node").create_group("nodes")
n, e = base(lif1=lif(tau="0.01"))
graph("string_param.nir", n, e)
n, e = base(lif1={k: v for k, v in lif().items() if k != "v_threshold"})
graph("missing_param.nir", n, e)
n, e = base(lif1=lif(r=np.ones(3)))
graph("inconsistent.nir", n, e)
huge = lambda g, k: g.create_dataset(k, shape=(1 << 20, 1 << 20), dtype=np.float32,
                                     chunks=(64, 64))
n, e = base(w={"type": "Affine", "weight": huge, "bias": np.zeros(2)})
graph("huge.nir", n, e)
n, e = base()
graph("version.nir", n, e, version="2.0.0")
n, e = base(w={"type": "Affine", "weight": np.ones((1, 2, 3)), "bias": np.zeros(2)})
graph("weight_3d.nir", n, e)
with h5py.File("edges_1d.nir", "w") as f:
    f.create_dataset("version", data="1.0.0", dtype=h5py.string_dtype())
    g = f.create_group("node")
    write_graph(g, base()[0], None)
    g.create_dataset("edges", data=np.array(["in", "w", "w"], dtype=object),
                     dtype=h5py.string_dtype())
sub = {"nodes": {"a": {"type": "Input", "shape": np.array([2])},
                 "b": {"type": "Input", "shape": np.array([2])},
                 "lif": lif(), "o": {"type": "Output", "shape": np.array([2])}},
       "edges": [("a", "lif"), ("b", "lif"), ("lif", "o")]}
n, e = base(lif1=None, rec=None, sub=sub)
graph("two_inputs.nir", n, [("in", "w"), ("w", "sub"), ("sub", "out")])
graph("root_single_node.nir", {}, [], root_type="LIF")
# Two levels of subgraphs, and an edge naming a node two levels down ("sub.inner.lif").
inner = {"nodes": {"i": {"type": "Input", "shape": np.array([2])},
                   "lif": lif(), "rec": {"type": "Linear", "weight": np.eye(2)},
                   "o": {"type": "Output", "shape": np.array([2])}},
         "edges": [("i", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "o")]}
outer = {"nodes": {"i": {"type": "Input", "shape": np.array([3])},
                   "w": {"type": "Affine", "weight": np.ones((2, 3)), "bias": np.zeros(2)},
                   "inner": inner, "o": {"type": "Output", "shape": np.array([2])}},
         "edges": [("i", "w"), ("w", "inner"), ("inner", "o")]}
graph("nested.nir", {"in": {"type": "Input", "shape": np.array([3])},
                     "in2": {"type": "Input", "shape": np.array([1])},
                     "w2": {"type": "Linear", "weight": np.ones((2, 1))},
                     "sub": outer, "out": {"type": "Output", "shape": np.array([2])}},
      [("in", "sub"), ("sub", "out"), ("in2", "w2"), ("w2", "sub.inner.lif")])
open("text.nir", "w").write("not hdf5\n")
# Damaged variable-length strings, which HDF5 1.10 would follow into gigabytes or a crash:
# the root `version` claims 2.4e9 characters; the string heap's signature is overwritten.
for name in ("vlen_length.nir", "vlen_heap.nir"):
    graph(name, *base())
    with h5py.File(name, "r") as f:
        off = f["version"].id.get_offset()  # its reference: length, heap address, index
    raw = bytearray(open(name, "rb").read())
    if name == "vlen_length.nir":
        raw[off:off + 4] = (0x93000000).to_bytes(4, "little")
    else:
        heap = int.from_bytes(raw[off + 4:off + 12], "little")
        assert raw[heap:heap + 4] == b"GCOL"
        raw[heap:heap + 4] = b"XXXX"
    open(name, "wb").write(raw)
with h5py.File("loop.nir", "w") as f:  # subgraphs that are hard links to the root graph
    f.create_dataset("version", data="1.0.0", dtype=h5py.string_dtype())
    g = f.create_group("node")
    write_graph(g, {"in": {"type": "Input", "shape": np.array([1])}}, [("in", "a")])
    g["nodes/a"] = g
    g["nodes/b"] = g
PY

"$exe" info good.nir | grep -q "rec -> lif1   (recurrent: closes a cycle)"
"$exe" info good_v01.nir | grep -q "version: none stated (NIR 0.1)"
"$exe" info nested.nir > nested.txt
/usr/bin/python3 - <<'PY'
text = open("nested.txt").read()
edges = [l.strip() for l in text.split("\nedges:\n")[1].splitlines()]
assert sorted(l.split("   (")[0].strip() for l in edges) == sorted([
    "in -> sub.w", "sub.w -> sub.inner.lif", "sub.inner.lif -> sub.inner.rec",
    "sub.inner.rec -> sub.inner.lif", "sub.inner.lif -> out", "in2 -> w2",
    "w2 -> sub.inner.lif"]), edges
assert "sub.inner.rec -> sub.inner.lif   (recurrent: closes a cycle)" in edges, edges
nodes = [l.split()[0] for l in text.split("\nnodes:\n")[1].split("\n\n")[0].splitlines()[1:]]
assert sorted(nodes) == ["in", "in2", "out", "sub.inner.lif", "sub.inner.rec", "sub.w", "w2"], nodes
PY
expect_fail "node 'conv' has type 'Conv2d', which chaoschip does not support" \
  "$exe" info unsupported.nir
expect_fail "edge 'lif1' -> 'ghost'.*there is no node 'ghost'" "$exe" info missing_node.nir
expect_fail "edge 'in' -> 'w': 'in' emits 3 values but node 'w' (Affine) takes 4" \
  "$exe" info shape_mismatch.nir
expect_fail "node 'lif1' (LIF): parameter 'tau' holds nan at \[1\]" "$exe" info nan.nir
expect_fail "node 'lif1' (LIF): parameter 'tau' holds -0.01 at \[1\], expected a time constant > 0" \
  "$exe" info negative_tau.nir
expect_fail "node 'lif1' (LIF): parameter 'tau' holds 0 at \[0\]" "$exe" info zero_tau.nir
expect_fail "the graph has no nodes" "$exe" info empty.nir
expect_fail "the cycle 'lif1' -> 'thr' -> 'lif1' passes no Affine or Linear node" \
  "$exe" info cycle.nir
expect_fail "not_nir.nir': not a NIR graph: there is no group 'node'" "$exe" info not_nir.nir
expect_fail "not a NIR graph: dataset 'node/type'" "$exe" info no_type.nir
expect_fail "dataset 'node/nodes/lif1/tau' has type string, expected floating-point or integer" \
  "$exe" info string_param.nir
expect_fail "node 'lif1' (LIF): parameter 'v_threshold' is missing" "$exe" info missing_param.nir
expect_fail "node 'lif1' (LIF): parameter 'r' has length 3 but 'tau' has length 2" \
  "$exe" info inconsistent.nir
expect_fail "dataset 'node/nodes/w/weight' has shape \[1048576, 1048576\] but holds only" \
  "$exe" info huge.nir
expect_fail "NIR version '2.0.0' is not supported, expected 0.1 to 1.x" "$exe" info version.nir
expect_fail "dataset 'node/nodes/w/weight' has shape \[1, 2, 3\], expected \[out, in\]" \
  "$exe" info weight_3d.nir
expect_fail "dataset 'node/edges' has type string and shape \[3\], expected strings \[edges, 2\]" \
  "$exe" info edges_1d.nir
expect_fail "subgraph 'sub' has 2 Input nodes" "$exe" info two_inputs.nir
expect_fail "dataset 'node/type' is 'LIF', expected 'NIRGraph'" "$exe" info root_single_node.nir
expect_fail "text.nir': not a readable HDF5 file" "$exe" info text.nir
expect_fail "dataset 'version': string 0 refers to a damaged or absurd heap object (2466250752 bytes" \
  "$exe" info vlen_length.nir
expect_fail "dataset 'version': string 0 refers to a damaged or absurd heap object" \
  "$exe" info vlen_heap.nir
expect_fail "'node/nodes/a' is a graph already read under another name" "$exe" info loop.nir
expect_fail "missing.nir': file not found" "$exe" info missing.nir
echo "nir_files: all checks passed"
