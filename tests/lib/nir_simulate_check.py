"""The checks of tests/cli/nir_simulate.sh: case files for `chaoschip run` on NIR graphs, and
the run files compared with references computed here (nir_reference.py, closed forms, NIR's
norse trace). Usage: nir_simulate_check.py COMMAND ARGS... (see main()). Exits non-zero with
the first mismatch."""
import os
import re
import sys

import h5py
import numpy as np

import nir_reference as ref

NORSE_DT = 1e-4  # s: lif_norse.nir was exported with Norse's dt (the trace's step)
BRAILLE_DT = 1e-4  # s: snnTorch's export, tau_syn = dt / (1 - alpha) with alpha = 0.55
BRAILLE_T, BRAILLE_P, BRAILLE_SEED = 256, 0.2, 13
TWO_LIF_DT, TWO_LIF_T = 1e-4, 2000  # 0.2 s: about 11 periods of 17.9 ms


def write_case(path, x):
    with h5py.File(path, "w") as f:
        f["input_spikes"] = np.asarray(x, dtype=np.uint8)


def spike_raster(run, node, t_steps, n, dt_ms):
    """/spikes/<node> as a [T, n] 0/1 array; timestamps must be whole steps (t * dt ms)."""
    assert "spikes" in run and node in run["spikes"], f"no /spikes/{node} in {run.filename}"
    group = run["spikes"][node]
    ts, ids = group["timestamps"][()], group["node_ids"][()]
    assert group["timestamps"].dtype == np.float64 and group["node_ids"].dtype == np.uint64
    steps = np.rint(ts / dt_ms).astype(np.int64)
    assert np.all(np.abs(ts - steps * dt_ms) <= 1e-9 * dt_ms * max(1, t_steps)), (node, ts)
    assert np.all(np.diff(ts) >= 0), f"/spikes/{node} not sorted by time"
    assert steps.size == 0 or (steps.min() >= 0 and steps.max() < t_steps), (node, steps)
    assert ids.size == 0 or ids.max() < n, (node, ids.max(), n)
    z = np.zeros((t_steps, n))
    z[steps, ids.astype(np.int64)] = 1
    assert z.sum() == ts.size, f"/spikes/{node}: a neuron spikes twice in one step"
    return z


def state(run, node, var, t_steps, n):
    path = f"states/{node}/{var}"
    assert path in run, f"no /{path} in {run.filename}"
    data = run[path]
    assert data.dtype == np.float64, (path, data.dtype)
    assert data.shape == (t_steps, n), (path, data.shape, (t_steps, n))
    return data[()]


def close(got, want, tol, what):
    """|got - want| <= tol * max(1, max |want|), elementwise; prints the worst error."""
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(got - want).max())
    assert err <= tol * scale, f"{what}: max error {err:.3e} > {tol:.0e} * {scale:.3g}"
    return err


# 1. lif_norse.nir against NIR's norse trace and the closed form.
def norse_reference(data):
    """The trace's columns, and the reference traces after checking them against it."""
    trace = np.loadtxt(os.path.join(data, "lif_norse_trace.csv"), delimiter=",")
    x, v_norse, z_norse = trace[:, :1], trace[:, 1], trace[:, 2]
    graph = ref.read_graph(os.path.join(data, "lif_norse.nir"))
    euler, _ = ref.simulate(graph, x, NORSE_DT, "euler", "value")
    # Self-check first: the reference must reproduce Norse before it judges anything.
    err = close(euler["1"]["v"][:, 0], v_norse, 1e-6, "reference euler vs norse column 2")
    assert np.array_equal(euler["1"]["z"][:, 0], z_norse), "reference spikes vs norse column 3"
    # Exact: the closed form of tau v' = v_leak - v + r I over a step with I held.
    _, p = graph.nodes["1"]
    tau, r, vl, th = p["tau"][0], p["r"][0], p["v_leak"][0], p["v_threshold"][0]
    a = np.exp(-NORSE_DT / tau)
    w = graph.nodes["0"][1]["weight"][0, 0]
    b = graph.nodes["0"][1]["bias"][0]
    v, vs, zs = 0.0, [], []
    for xt in x[:, 0]:
        drive = vl + r * (w * xt + b)
        v = drive + (v - drive) * a
        zs.append(float(v > th))
        v = 0.0 if v > th else v  # v_reset = 0 (NIR 0.1 has none: the default)
        vs.append(v)
    closed = np.array(vs), np.array(zs)
    exact, _ = ref.simulate(graph, x, NORSE_DT, "exact", "value")
    close(exact["1"]["v"][:, 0], closed[0], 1e-12, "reference exact (expm) vs closed form")
    assert np.array_equal(exact["1"]["z"][:, 0], closed[1])
    print(f"norse reference: euler within {err:.1e} of column 2, {int(z_norse.sum())} spikes;"
          f" exact {int(closed[1].sum())} spikes")
    return trace, closed


def cmd_norse_case(data, out):
    trace, _ = norse_reference(data)
    write_case(out, trace[:, :1])


def cmd_norse(data, euler_h5, exact_h5):
    trace, (v_closed, z_closed) = norse_reference(data)
    t_steps = trace.shape[0]
    with h5py.File(euler_h5, "r") as run:
        v = state(run, "1", "v", t_steps, 1)[:, 0]
        z = spike_raster(run, "1", t_steps, 1, NORSE_DT * 1e3)[:, 0]
        err = close(v, trace[:, 1], 1e-6, "euler v vs norse column 2")
        assert np.array_equal(z, trace[:, 2]), ("euler spikes vs column 3", np.nonzero(z))
    with h5py.File(exact_h5, "r") as run:
        v = state(run, "1", "v", t_steps, 1)[:, 0]
        z = spike_raster(run, "1", t_steps, 1, NORSE_DT * 1e3)[:, 0]
        err_exact = close(v, v_closed, 1e-12, "exact v vs closed form")
        assert np.array_equal(z, z_closed), ("exact spikes", np.nonzero(z), np.nonzero(z_closed))
    print(f"lif_norse: euler v within {err:.1e} of norse, spikes at steps "
          f"{np.nonzero(trace[:, 2])[0].tolist()}; exact within {err_exact:.1e} of the closed form")


# 2. The braille graphs against the NumPy reference.
BRAILLE = {"braille_noDelay_bias_zero": 38, "braille_noDelay_noBias_subtract": 40}


def braille_input():
    rng = np.random.default_rng(BRAILLE_SEED)
    return (rng.random((BRAILLE_T, 12)) < BRAILLE_P).astype(np.uint8)


def cmd_braille_case(out):
    write_case(out, braille_input())


def info_nodes(path):
    """`chaoschip info` node lines: name -> (type, in width, out width)."""
    text = open(path).read()
    part = text.split("\nnodes:\n")[1].split("\nedges:\n")[0]
    nodes = {}
    for line in part.splitlines()[1:]:
        tok = line.split()
        if not tok:
            continue
        if len(tok) > 4 and tok[3] == "->":
            nodes[tok[0]] = (tok[1], int(tok[2]), int(tok[4]))
        else:
            nodes[tok[0]] = (tok[1], int(tok[2]), int(tok[2]))
    return text, nodes


def check_braille_shapes(name, graph, info_txt):
    n_rec = BRAILLE[name.replace("_subgraph", "")]
    text, nodes = info_nodes(info_txt)
    assert re.search(rf"\({n_rec + 7} neurons in 2 neuron nodes\)", text), text
    neurons = [n for n, (k, _) in graph.nodes.items() if k in ref.NEURONS]
    rec = [n for n in neurons if graph.size_out(n) == n_rec]
    assert len(neurons) == 2 and len(rec) == 1, neurons
    (inp,) = ref.top_inputs(graph)
    assert nodes[inp] == ("Input", 12, 12), nodes[inp]
    assert nodes[rec[0]] == ("CubaLIF", n_rec, n_rec), (rec, nodes)
    (out,) = [n for n in neurons if n not in rec]
    assert nodes[out] == ("CubaLIF", 7, 7), (out, nodes)
    # Every flattened node of the h5py reading, with its type and widths (the subgraph's
    # own Input/Output nodes disappear in chaoschip's flattening).
    for n, (kind, _) in graph.nodes.items():
        if kind in ("Input", "Output") and "." in n:
            continue
        assert nodes[n] == (kind, graph.size_in(n), graph.size_out(n)), (n, nodes.get(n))
    return rec[0], out, n_rec


def cmd_braille(data, work):
    x = braille_input()
    dt_ms = BRAILLE_DT * 1e3
    spikes = {}  # (graph, reset, integrator) -> {node role: raster}
    closest = np.inf
    for stem in sorted(BRAILLE):
        for name in (stem, stem + "_subgraph"):
            graph = ref.read_graph(os.path.join(data, name + ".nir"))
            rec, out, n_rec = check_braille_shapes(name, graph, os.path.join(work, name + ".txt"))
            for reset in ("value", "subtract"):
                for integrator in ("euler", "exact"):
                    want, margin = ref.simulate(graph, x, BRAILLE_DT, integrator, reset)
                    closest = min([closest] + list(margin.values()))
                    tag = f"{name} {integrator} reset={reset}"
                    h5 = os.path.join(work, f"{name}.{integrator}.{reset}.h5")
                    with h5py.File(h5, "r") as run:
                        got_in = spike_raster(run, "input", BRAILLE_T, 12, dt_ms)
                        assert np.array_equal(got_in, x), f"{tag}: /spikes/input"
                        got, worst = {}, 0.0
                        for node, n in ((rec, n_rec), (out, 7)):
                            z = spike_raster(run, node, BRAILLE_T, n, dt_ms)
                            bad = np.argwhere(z != want[node]["z"])
                            assert bad.size == 0, (
                                f"{tag}: {node} spikes differ from the reference at [step,"
                                f" neuron] {bad[:5].tolist()} ({len(bad)} in all; closest"
                                f" call in the reference {margin[node]:.2e})")
                            assert z.sum() > 0, f"{tag}: no spikes in {node}"
                            for var in ("v", "i"):
                                worst = max(worst, close(state(run, node, var, BRAILLE_T, n),
                                                         want[node][var], 1e-9,
                                                         f"{tag}: {node} {var}"))
                            got[node] = z
                    spikes[(stem, name != stem, reset, integrator)] = [got[rec], got[out]]
                    print(f"{tag}: {int(got[rec].sum())} recurrent and {int(got[out].sum())}"
                          f" output spikes, as the reference; v, i within {worst:.1e}")
    for (stem, sub, reset, integrator), z in spikes.items():
        if sub:
            flat = spikes[(stem, False, reset, integrator)]
            assert all(np.array_equal(a, b) for a, b in zip(z, flat)), (stem, reset, integrator)
    print(f"flat and subgraph versions: identical spikes; closest reference call {closest:.1e}")


# 3. two_lif_neurons.nir: the self-driven LIF's period, the second LIF's closed form.
def cmd_two_lif_case(out):
    write_case(out, np.zeros((TWO_LIF_T, 1)))


def cmd_two_lif(data, euler_h5, exact_h5):
    graph = ref.read_graph(os.path.join(data, "two_lif_neurons.nir"))
    p1, p2 = graph.nodes["lif1"][1], graph.nodes["lif2"][1]
    w2 = graph.nodes["linear2"][1]["weight"][0, 0]
    tau, vl, th = p1["tau"][0], p1["v_leak"][0], p1["v_threshold"][0]
    period = tau * np.log(vl / (vl - th))  # s, from v = v_leak (1 - e^(-t/tau)) after a reset
    dt, dt_ms = TWO_LIF_DT, TWO_LIF_DT * 1e3
    n = np.arange(TWO_LIF_T)
    for integrator, h5 in (("euler", euler_h5), ("exact", exact_h5)):
        # One step's decay and input gain of tau v' = v_leak - v + r I.
        a = (1 - dt / tau) if integrator == "euler" else np.exp(-dt / tau)
        a2 = (1 - dt / p2["tau"][0]) if integrator == "euler" else np.exp(-dt / p2["tau"][0])
        with h5py.File(h5, "r") as run:
            z1 = spike_raster(run, "lif1", TWO_LIF_T, 1, dt_ms)[:, 0]
            v1 = state(run, "lif1", "v", TWO_LIF_T, 1)[:, 0]
            v2 = state(run, "lif2", "v", TWO_LIF_T, 1)[:, 0]
            z2 = spike_raster(run, "lif2", TWO_LIF_T, 1, dt_ms) if "lif2" in run["spikes"] \
                else np.zeros((TWO_LIF_T, 1))
        steps = np.nonzero(z1)[0]
        isi = np.diff(steps) * dt
        assert len(isi) >= 5, f"{integrator}: only {len(steps)} spikes of lif1"
        worst = float(np.abs(isi - period).max())
        assert worst < dt, f"{integrator}: intervals {isi} vs period {period} (dt {dt})"
        # LIF1 between resets: v = v_leak (1 - a^m), m steps after the last reset (v0 = 0).
        last = np.maximum.accumulate(np.where(z1 > 0, n, -1))
        m = np.where(z1 > 0, 0, n - last)
        close(v1, vl * (1 - a**m), 1e-12, f"{integrator}: lif1 v between spikes")
        # LIF2: the sum of decaying pulses, each spike of LIF1 a unit pulse held for one step
        # through linear2 in the same step; it stays below its threshold.
        gain = (dt / p2["tau"][0] if integrator == "euler" else 1 - a2) * p2["r"][0] * w2
        want = np.array([gain * np.sum(a2 ** (t - steps[steps <= t])) for t in n])
        err = close(v2, want, 1e-12, f"{integrator}: lif2 v vs the closed form")
        assert z2.sum() == 0 and want.max() < p2["v_threshold"][0]
        print(f"two_lif {integrator}: {len(steps)} spikes, intervals {sorted(set(np.diff(steps)))}"
              f" steps vs period {period / dt:.3f} steps; lif2 within {err:.1e} of the closed form")


def main():
    commands = {"norse-case": cmd_norse_case, "norse": cmd_norse,
                "braille-case": cmd_braille_case, "braille": cmd_braille,
                "two-lif-case": cmd_two_lif_case, "two-lif": cmd_two_lif}
    ref.self_check()
    commands[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
