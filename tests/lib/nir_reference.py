"""An independent NumPy simulator of NIR graphs, the reference of tests/cli/nir_simulate.sh.

It shares no code with chaoschip: it reads the .nir file with h5py, flattens nested
subgraphs itself, finds the edges that close cycles by its own depth-first search and
steps NIR's equations with the conventions of docs/nir.md (a spike is a unit pulse held
for one step; feed-forward edges deliver within the step, an edge closing a cycle one
step later; Affine biases every step; recorded v is after the reset). The zero-order-hold
("exact") step is a matrix exponential of the neuron's augmented linear system, computed
here by scaling and squaring, not the closed forms the simulator uses.

Supported node types: Input, Output, Affine, Linear, Scale, LIF, CubaLIF (enough for the
graphs of tests/data/nir/).
"""
import math

import h5py
import numpy as np

NEURONS = ("LIF", "CubaLIF")
# NIR's optional parameters and their defaults (NIR 0.1 files have neither).
DEFAULTS = {"v_reset": 0.0, "w_in": 1.0}


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


class Graph:
    """A flat graph: nodes[name] = (type, {parameter: float64 array}), edges [(src, dst)]."""

    def __init__(self):
        self.nodes = {}
        self.edges = []

    def size_in(self, name):
        kind, p = self.nodes[name]
        if kind in ("Affine", "Linear"):
            return p["weight"].shape[1]
        return self.size_out(name)

    def size_out(self, name):
        kind, p = self.nodes[name]
        if kind in ("Input", "Output"):
            return int(np.prod(p["shape"]))
        if kind in ("Affine", "Linear"):
            return p["weight"].shape[0]
        if kind == "Scale":
            return p["scale"].shape[0]
        return p["v_threshold"].shape[0]


def _read_params(group):
    params = {}
    for key, ds in group.items():
        if key in ("type", "metadata") or not isinstance(ds, h5py.Dataset):
            continue
        if ds.dtype.kind in "iuf":
            params[key] = np.array(ds[()], dtype=np.float64, ndmin=1)
    if "v_threshold" in params or "tau_syn" in params:
        n = params["v_threshold"].shape[0]
        for key, value in DEFAULTS.items():
            if key not in params and (key != "w_in" or "tau_syn" in params):
                params[key] = np.full(n, value)
    return params


def _read_group(group, prefix, graph):
    """Adds `group`'s nodes and edges to `graph`, names prefixed; returns its Input and
    Output node names (full). Inner Input/Output nodes are kept as identity nodes."""
    names = list(group["nodes"].keys())
    edges_ds = group["edges"]
    edges = [(_text(a), _text(b)) for a, b in edges_ds[()]] if edges_ds.ndim == 2 else []
    kinds = {n: _text(group["nodes"][n]["type"][()]) for n in names}
    if prefix:
        # NIR's braille subgraph files call the inner CubaLIF `lif` in the edges but store
        # it as `lif1`: map the one unknown edge name to the one node no edge names.
        used = {n for e in edges for n in e}
        unknown = [n for n in used if n not in names]
        unnamed = [n for n in names if n not in used and kinds[n] not in ("Input", "Output")]
        if len(unknown) == 1 and len(unnamed) == 1:
            edges = [tuple(unnamed[0] if n == unknown[0] else n for n in e) for e in edges]
    ports = {}
    for name in names:
        node = group["nodes"][name]
        full = prefix + name
        if kinds[name] == "NIRGraph":
            ports[name] = _read_group(node, full + ".", graph)
        else:
            graph.nodes[full] = (kinds[name], _read_params(node))

    def resolve(name, end):
        if name in ports:  # an edge to or from a whole subgraph: its Input or Output
            return ports[name][0 if end == "dst" else 1]
        return prefix + name

    for a, b in edges:
        graph.edges.append((resolve(a, "src"), resolve(b, "dst")))
    inputs = [prefix + n for n in names if kinds[n] == "Input"]
    outputs = [prefix + n for n in names if kinds[n] == "Output"]
    return (inputs[0] if inputs else None, outputs[0] if outputs else None)


def read_graph(path):
    graph = Graph()
    with h5py.File(path, "r") as f:
        _read_group(f["node"], "", graph)
    return graph


def top_inputs(graph):
    return [n for n, (k, _) in graph.nodes.items() if k == "Input" and "." not in n]


def back_edges(graph):
    """Indices of the edges that close a cycle: back edges of a depth-first search from
    the top-level Input nodes, then from every node not reached."""
    out = {n: [] for n in graph.nodes}
    for idx, (a, b) in enumerate(graph.edges):
        out[a].append((idx, b))
    state = {}
    back = set()

    def visit(node):
        state[node] = "open"
        for idx, nxt in out[node]:
            if state.get(nxt) == "open":
                back.add(idx)
            elif nxt not in state:
                visit(nxt)
        state[node] = "done"

    for start in top_inputs(graph) + list(graph.nodes):
        if start not in state:
            visit(start)
    return back


def topological_order(graph, back):
    incoming = {n: 0 for n in graph.nodes}
    for idx, (_, b) in enumerate(graph.edges):
        if idx not in back:
            incoming[b] += 1
    ready = [n for n in graph.nodes if incoming[n] == 0]
    order = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for idx, (a, b) in enumerate(graph.edges):
            if a == n and idx not in back:
                incoming[b] -= 1
                if incoming[b] == 0:
                    ready.append(b)
    assert len(order) == len(graph.nodes), "a cycle without a back edge"
    return order


def expm(m):
    """Matrix exponential by scaling and squaring a Taylor series (accurate to round-off
    for the small, well-conditioned matrices of one neuron step)."""
    norm = np.abs(m).sum(axis=0).max()
    s = max(0, int(math.ceil(math.log2(norm))) + 1) if norm > 0 else 0
    a = m / 2.0**s
    term = np.eye(m.shape[0])
    total = term.copy()
    for k in range(1, 30):
        term = term @ a / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


def zoh_propagators(kind, p, dt):
    """Per neuron, the one-step propagator of the augmented system with the input I held:
    LIF on [v, I, 1], CubaLIF on [v, i, I, 1]."""
    props = []
    for j in range(p["v_threshold"].shape[0]):
        if kind == "LIF":
            tau, r, vl = p["tau"][j], p["r"][j], p["v_leak"][j]
            m = np.array([[-1 / tau, r / tau, vl / tau], [0, 0, 0], [0, 0, 0]])
        else:
            tm, ts = p["tau_mem"][j], p["tau_syn"][j]
            r, vl, w = p["r"][j], p["v_leak"][j], p["w_in"][j]
            m = np.array([[-1 / tm, r / tm, 0, vl / tm], [0, -1 / ts, w / ts, 0],
                          [0, 0, 0, 0], [0, 0, 0, 0]])
        props.append(expm(m * dt))
    return np.array(props)


class Neuron:
    def __init__(self, kind, p, dt, integrator, reset):
        self.kind, self.p, self.dt = kind, p, dt
        self.integrator, self.reset = integrator, reset
        n = p["v_threshold"].shape[0]
        self.v = np.zeros(n)
        self.i = np.zeros(n)
        # Smallest |v - v_threshold| before a reset so far: how far every spike decision
        # was from a tie (round-off of another summation order moves v by ~1e-15).
        self.margin = np.inf
        if integrator == "exact":
            self.prop = zoh_propagators(kind, p, dt)

    def step(self, inp):
        p, dt = self.p, self.dt
        if self.integrator == "euler":
            if self.kind == "LIF":
                self.v = self.v + dt / p["tau"] * (p["v_leak"] - self.v + p["r"] * inp)
            else:  # the current first, then the membrane with the new current
                self.i = self.i + dt / p["tau_syn"] * (-self.i + p["w_in"] * inp)
                self.v = self.v + dt / p["tau_mem"] * (p["v_leak"] - self.v + p["r"] * self.i)
        else:
            P, one = self.prop, np.ones_like(self.v)
            if self.kind == "LIF":
                x = np.stack([self.v, inp, one], axis=1)
                self.v = np.einsum("nk,nk->n", P[:, 0, :], x)
            else:
                x = np.stack([self.v, self.i, inp, one], axis=1)
                self.v = np.einsum("nk,nk->n", P[:, 0, :], x)
                self.i = np.einsum("nk,nk->n", P[:, 1, :], x)
        z = self.v > p["v_threshold"]
        self.margin = min(self.margin, float(np.abs(self.v - p["v_threshold"]).min()))
        if self.reset == "value":
            self.v = np.where(z, p["v_reset"], self.v)
        else:
            self.v = self.v - p["v_threshold"] * z
        return z.astype(np.float64)


def _stateless(kind, p, x):
    if kind == "Affine":
        return p["weight"] @ x + p["bias"]
    if kind == "Linear":
        return p["weight"] @ x
    if kind == "Scale":
        return p["scale"] * x
    assert kind in ("Input", "Output"), f"unsupported node type {kind}"
    return x


def simulate(graph, x, dt, integrator="exact", reset="value"):
    """x: [T, n_in] input of the top-level Input. Returns {node: {"v", "i", "z"}} ([T, n];
    v after the reset, z the spikes) and {node: margin} (the closest call to a tie)."""
    back = back_edges(graph)
    order = topological_order(graph, back)
    into = {n: [(idx, a) for idx, (a, b) in enumerate(graph.edges) if b == n] for n in order}
    neurons = {n: Neuron(k, p, dt, integrator, reset)
               for n, (k, p) in graph.nodes.items() if k in NEURONS}
    (top,) = top_inputs(graph)

    def evaluate(prev, x_t, step_neurons):
        out = {}
        for n in order:
            kind, p = graph.nodes[n]
            inp = np.zeros(graph.size_in(n))
            for idx, a in into[n]:
                inp = inp + (prev[a] if idx in back else out[a])
            if n == top:
                out[n] = np.asarray(x_t, dtype=np.float64)
            elif kind in NEURONS:
                out[n] = neurons[n].step(inp) if step_neurons else np.zeros(graph.size_out(n))
            else:
                out[n] = _stateless(kind, p, inp)
        return out

    # Step -1: no input, no spikes; a weight node on a cycle then emits its bias, which the
    # cycle's delayed edge delivers at step 0 (biases are added every step).
    zeros = {n: np.zeros(graph.size_out(n)) for n in order}
    prev = evaluate(zeros, np.zeros(graph.size_out(top)), step_neurons=False)
    rec = {n: {"v": [], "i": [], "z": []} for n in neurons}
    for x_t in x:
        prev = evaluate(prev, x_t, step_neurons=True)
        for n, cell in neurons.items():
            rec[n]["v"].append(cell.v.copy())
            rec[n]["i"].append(cell.i.copy())
            rec[n]["z"].append(prev[n].copy())
    traces = {n: {k: np.array(v) for k, v in r.items()} for n, r in rec.items()}
    return traces, {n: cell.margin for n, cell in neurons.items()}


def self_check():
    """The matrix exponential against closed forms, before anything relies on it."""
    assert np.allclose(expm(np.diag([-0.5, 0.3])), np.diag(np.exp([-0.5, 0.3])), rtol=1e-15)
    assert np.allclose(expm(np.array([[0.0, 2.0], [0.0, 0.0]])), [[1, 2], [0, 1]], rtol=1e-15)
    # Two decays a, b with coupling c: off-diagonal c (e^b - e^a) / (b - a).
    a, b, c = -0.45, -0.1, 3.0
    e = expm(np.array([[a, c], [0.0, b]]))
    want = np.array([[math.exp(a), c * (math.exp(b) - math.exp(a)) / (b - a)], [0, math.exp(b)]])
    assert np.abs(e - want).max() < 1e-14 * np.abs(want).max(), e - want
