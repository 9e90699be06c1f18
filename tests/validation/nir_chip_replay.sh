#!/usr/bin/env bash
# NIR graphs on a chip (docs/nir.md, "Graphs on a chip"): a small graph written here with
# h5py (Input 3 -> Affine with bias -> CubaLIF 3 with a Linear recurrence -> Linear ->
# LIF 2), every neuron with its own tau, r, w_in, v_leak and threshold, runs on the loihi
# and spinnaker profiles with record.states. An independent NumPy implementation in this
# script maps NIR's parameters as docs/nir.md says (decays, sigma, thresholds, leak biases,
# Lava's weight mantissas and exponents / the fixed kernel's shifted 16-bit codes) and
# steps Lava's LIF and Dense / the fixed-point NIR update in integer arithmetic; the
# recorded integer states (/states/<node>/u, v, i) and spikes must match exactly.
# Usage: nir_chip_replay.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
rng = np.random.default_rng(7)
T, n_in = 400, 3
s = h5py.string_dtype()
with h5py.File("small.nir", "w") as f:
    f.create_dataset("version", data="0.2.0", dtype=s)
    g = f.create_group("node")
    g.create_dataset("type", data="NIRGraph", dtype=s)
    nodes = g.create_group("nodes")
    def node(name, type_, **params):
        n = nodes.create_group(name)
        n.create_dataset("type", data=type_, dtype=s)
        for k, v in params.items():
            n.create_dataset(k, data=np.asarray(v))
    node("input", "Input", shape=np.array([n_in], dtype=np.int64))
    node("fc", "Affine", weight=rng.normal(0, 1.5, (3, n_in)), bias=np.array([0.4, -0.3, 0.8]))
    node("cuba", "CubaLIF", tau_syn=np.array([2e-4, 5e-4, 1e-3]),
         tau_mem=np.array([1e-3, 2e-3, 7e-4]), r=np.array([10.0, 6.0, 4.0]),
         v_leak=np.array([0.0, 0.3, -0.2]), v_threshold=np.array([1.0, 0.8, 1.3]),
         v_reset=np.zeros(3), w_in=np.array([2.0, 1.0, 3.0]))
    node("rec", "Linear", weight=rng.normal(0, 1.0, (3, 3)))
    node("ff", "Linear", weight=rng.normal(0.5, 1.0, (2, 3)))
    node("lifb", "LIF", tau=np.array([5e-4, 1.5e-3]), r=np.array([3.0, 5.0]),
         v_leak=np.array([0.1, 0.0]), v_threshold=np.array([0.5, 0.9]), v_reset=np.zeros(2))
    node("output", "Output", shape=np.array([2], dtype=np.int64))
    edges = [["input", "fc"], ["fc", "cuba"], ["cuba", "rec"], ["rec", "cuba"],
             ["cuba", "ff"], ["ff", "lifb"], ["lifb", "output"]]
    g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=s)
with h5py.File("case.h5", "w") as f:
    f["input_spikes"] = (rng.random((T, n_in)) < 0.3).astype(np.uint8)
PY
cat > small.toml <<'TOML'
seed = 3
[network]
source = "nir"
file = "small.nir"
dt = 0.1
[nir]
dt = 1e-4
[task]
name = "file"
file = "case.h5"
steps = 400
[train]
rule = "none"
iterations = 1
[lyapunov]
when = []
[record]
states = true
TOML
"$exe" run small.toml --quiet --set chip.profile=loihi --set nir.integrator='"euler"' -o loihi.h5
"$exe" run small.toml --quiet --set chip.profile=spinnaker --set nir.integrator='"exact"' \
    --set nir.reset='"subtract"' -o spinnaker.h5
/usr/bin/python3 - <<'PY'
import h5py, numpy as np, tomllib

def read_nir():
    f = h5py.File("small.nir", "r")["node/nodes"]
    return {k: {p: f[k][p][()] for p in f[k] if p != "type"} for k in f}

def spikes(f, pop, T, n):
    z = np.zeros((T, n), dtype=np.int64)
    st = np.rint(f[f"spikes/{pop}/timestamps"][...] / 0.1).astype(int)
    np.add.at(z, (st, f[f"spikes/{pop}/node_ids"][...].astype(int)), 1)
    return z

def neurons(p, dt, euler, cuba):
    dec = (lambda tau: 1.0 - dt / tau) if euler else (lambda tau: np.exp(-dt / tau))
    dm = dec(p["tau_mem"] if cuba else p["tau"])
    into_v = (1.0 - dm) * p["r"]
    ds = dec(p["tau_syn"]) if cuba else np.zeros_like(dm)
    gain = (1.0 - ds) * p["w_in"] * into_v if cuba else into_v
    return ds, dm, gain, (1.0 - dm) * p["v_leak"], p["v_threshold"], p["v_reset"]

def lava_map(ds, dm, gain, leak, vth, mats, cuba):
    E = [gain[:, None] * w for w in mats]
    peaks = [np.abs(e).max() for e in E]
    m_all = max(max(peaks), 1e-300)
    e = 7
    while e > -16 and vth.max() * 254.0 * 2.0**e / m_all > 131071.0:
        e -= 1
    sigma = 254.0 * 64.0 * 2.0**e / m_all
    du = np.clip(np.rint(4096 * (1 - ds)) - 1, 0, 4095) if cuba else np.full(len(dm), 4095.0)
    dv = np.clip(np.rint(4096 * (1 - dm)), 0, 4095)
    th = np.rint(vth * sigma / 64.0)
    bias = leak * sigma
    bexp = np.zeros(len(bias)); bmant = np.zeros(len(bias))
    for i, b in enumerate(bias):
        k = 0
        while k < 30 and abs(np.rint(b / 2.0**k)) > 4095:
            k += 1
        bexp[i], bmant[i] = k, np.rint(b / 2.0**k)
    weights = []
    for E_k, pk in zip(E, peaks):
        ek = max(-24, e - int(np.floor(np.log2(m_all / pk)))) if pk > 0 else e
        codes = np.trunc(np.rint((sigma / (64.0 * 2.0**ek)) * E_k))
        assert codes.min() < 0 < codes.max(), "the test's matrices are mixed-sign"
        codes = np.clip(codes, -256, 255).astype(np.int64)
        weights.append(((codes >> 1) << 1, ek))  # 8 bits, mixed sign: k = 1
    to = lambda a: a.astype(np.int64)
    return to(du), to(dv), to(th), to(bmant), to(bexp), weights

def dense(codes, ek, x):
    acc = codes @ x
    return acc * 2**ek if ek >= 0 else acc >> -ek

def lava_step(u, v, a, du, dv, th, bias):
    def decay(x, f):
        p = x * f
        return np.where(p < 0, -((-p) >> 12), p >> 12)
    mx = 1 << 23
    c = decay(u, 4096 - (du + 1)) + a * 64
    u = np.where(c > mx, c - 2 * mx, c)
    u = np.where(c <= -mx, c + 2 * mx, u)
    v = np.clip(decay(v, 4096 - dv) + u + bias, -(mx - 1), mx - 1)
    z = (v > th * 64).astype(np.int64)
    return u, np.where(z == 1, 0, v), z

nir = read_nir()
dt = 1e-4
# ---- loihi (euler decays) ----
f = h5py.File("loihi.h5", "r")
x = spikes(f, "input", 400, 3)
cp = nir["cuba"]; lp = nir["lifb"]
c_n = neurons(cp, dt, True, True); l_n = neurons(lp, dt, True, False)
c_map = lava_map(*c_n[:5], [nir["fc"]["weight"], nir["rec"]["weight"], nir["fc"]["bias"][:, None]], True)
l_map = lava_map(*l_n[:5], [nir["ff"]["weight"]], False)
(cdu, cdv, cth, cbm, cbe, (W_in, W_rec, W_b)) = c_map
(ldu, ldv, lth, lbm, lbe, (W_ff,)) = l_map
cu = np.zeros(3, np.int64); cv = np.zeros(3, np.int64); zc = np.zeros(3, np.int64)
lu = np.zeros(2, np.int64); lv = np.zeros(2, np.int64); zl = np.zeros(2, np.int64)
one = np.ones(1, np.int64)
xprev = np.zeros(3, np.int64)
rec = {k: [] for k in ["cu", "cv", "zc", "lu", "lv", "zl"]}
for t in range(400):
    # Dense: spikes of step t-1 arrive at t; the always-on bias from step 0
    a_c = dense(W_in[0], W_in[1], xprev) + dense(W_rec[0], W_rec[1], zc) + dense(W_b[0], W_b[1], one)
    a_l = dense(W_ff[0], W_ff[1], zc)
    cu, cv, zc_new = lava_step(cu, cv, a_c, cdu, cdv, cth, cbm * 2**cbe)
    lu, lv, zl = lava_step(lu, lv, a_l, ldu, ldv, lth, lbm * 2**lbe)
    zc = zc_new
    xprev = x[t]
    for k, val in zip(rec, [cu, cv, zc, lu, lv, zl]):
        rec[k].append(val.copy())
rec = {k: np.array(v) for k, v in rec.items()}
assert f["states/cuba/u"].dtype == np.int64
checks = [("cuba/u", rec["cu"]), ("cuba/v", rec["cv"]), ("lifb/u", rec["lu"]), ("lifb/v", rec["lv"])]
for name, ref in checks:
    got = f["states/" + name][...]
    assert np.array_equal(got, ref), (name, np.argwhere(got != ref)[:5])
assert np.array_equal(spikes(f, "cuba", 400, 3), rec["zc"]), "loihi cuba spikes"
assert np.array_equal(spikes(f, "lifb", 400, 2), rec["zl"]), "loihi lifb spikes"
assert len(cdu) == 3 and len(set(cdu)) == 3 and len(set(cth)) == 3, "per-neuron parameters"
print("loihi: states and spikes match;", rec["zc"].sum(), "+", rec["zl"].sum(), "spikes; du",
      cdu, "dv", cdv, "vth", cth, "bias", cbm * 2**cbe)

# ---- spinnaker (fixed kernel: s16.15, u0.32 decays floored, 16-bit codes toward zero) ----
f = h5py.File("spinnaker.h5", "r")
x = spikes(f, "input", 400, 3)
sigma, unit = 2.0**15, 2.0**32
def fixed_map(ds, dm, gain, leak, vth, vreset, mats):
    dec = lambda a: np.minimum(np.rint(a * unit), unit - 1).astype(np.int64)
    ws = []
    for w in mats:
        Es = sigma * (gain[:, None] * w)
        q = 2.0**15 - 1; m = np.abs(Es).max(); sh = 0
        while m / 2.0**sh > q and sh < 62:
            sh += 1
        codes = np.clip(np.trunc(Es / 2.0**sh), -q, q).astype(np.int64)
        ws.append(codes << sh)
    r = lambda a: np.rint(a).astype(np.int64)
    return dec(ds), dec(dm), r(leak * sigma), r(vth * sigma), ws
def fit(x):
    return np.clip(x, -(1 << 31), (1 << 31) - 1)
def mul(x, c):
    return (x.astype(object) * c.astype(object) >> 32).astype(np.int64)
c_n = neurons(cp, dt, False, True); l_n = neurons(lp, dt, False, False)
(cas, cam, cleak, cth, (Win, Wrec, Wb)) = fixed_map(*c_n, [nir["fc"]["weight"], nir["rec"]["weight"], nir["fc"]["bias"][:, None]])
(_, lam, lleak, lth, (Wff,)) = fixed_map(*l_n, [nir["ff"]["weight"]])
ci = np.zeros(3, np.int64); cv = np.zeros(3, np.int64); zc = np.zeros(3, np.int64)
lv = np.zeros(2, np.int64)
out = {k: [] for k in ["ci", "cv", "zc", "lv", "zl"]}
for t in range(400):
    # Feed-forward edges deliver within the step, the recurrence one step later.
    ci = fit(mul(ci, cas) + Win @ x[t] + Wrec @ zc + Wb[:, 0])
    cv = fit(mul(cv, cam) + ci + cleak)
    zc = (cv > cth).astype(np.int64)
    cv = np.where(zc == 1, fit(cv - cth), cv)  # nir.reset = "subtract"
    lv = fit(mul(lv, lam) + Wff @ zc + lleak)
    zl = (lv > lth).astype(np.int64)
    lv = np.where(zl == 1, fit(lv - lth), lv)
    for k, val in zip(out, [ci, cv, zc, lv, zl]):
        out[k].append(val.copy())
out = {k: np.array(v) for k, v in out.items()}
for name, ref in [("cuba/i", out["ci"]), ("cuba/v", out["cv"]), ("lifb/v", out["lv"])]:
    got = f["states/" + name][...]
    assert got.dtype == np.int64, name
    assert np.array_equal(got, ref), (name, np.argwhere(got != ref)[:5])
assert np.array_equal(spikes(f, "cuba", 400, 3), out["zc"]), "spinnaker cuba spikes"
assert np.array_equal(spikes(f, "lifb", 400, 2), out["zl"]), "spinnaker lifb spikes"
assert out["zc"].sum() > 5 and out["zl"].sum() > 5, "the test needs spikes"
print("spinnaker: states and spikes match;", out["zc"].sum(), "+", out["zl"].sum(), "spikes")
PY
