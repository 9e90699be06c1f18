#!/usr/bin/env python3
"""One e-prop / BPTT training iteration of the 100-in / 100-rec / 1-out sine-wave network
(1000 steps) in PyTorch, one thread, float64: the peer of bench_eprop (bench/bench_eprop.cpp).

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 bench/eprop_torch.py [--cpu 0] [--out bench/results/eprop_torch.json]

The network and the learning rule are those of chaoschip's `lif` + e-prop (NEST's
eprop_iaf_bsshslm_2020 / eprop_readout_bsshslm_2020, interval-local alignment):

    v[t]   = alpha v[t-1] + c (W_in x[t] + W_rec z[t-1]) - v_th z[t-1]   alpha = exp(-dt/tau_m),
    z[t]   = H(v[t] - v_th)                                              c = 1 - alpha
    psi[t] = (gamma / v_th) max(0, 1 - |v[t] - v_th| / v_th)            (after the reset)
    y[t]   = kappa y[t-1] + (1 - kappa) W_out z[t]                       kappa = exp(-dt/tau_out)
    loss   = 1/2 sum_t (y[t] - y*[t])^2

e-prop with random feedback B: zbar_in[t] = alpha zbar_in[t-1] + c x[t], zbar_rec[t] =
alpha zbar_rec[t-1] + c z[t-1], e = psi zbar, ebar = kappa ebar + (1 - kappa) e,
L = B E, grad = sum_t L ebar + R sum_t e (firing-rate regulariser R = c_reg (n/T -
f_target) / T), grad_out = sum_t E zbar_out; SGD eta 1e-4, no autapses.

Three implementations, each one full training iteration (forward, gradient, SGD update):

  eprop_online  the online algorithm, step by step as a PyTorch user writes it: every step
                updates the state, the readout, the traces zbar and the per-synapse
                filtered eligibility ebar [n_rec, n_in + n_rec] and accumulates L ebar
                (in-place ops, input and recurrent matrices stacked into one).
  eprop_fast    the factorised e-prop (chaoschip's own formulation): a forward loop with
                three tensor ops per step (input currents precomputed by one matmul, the
                reset folded into the recurrent matrix), then everything vectorised: psi,
                the readout and zbar as parallel scans (ceil(log2 T) doubling steps), the
                learning signal filtered backwards, and the gradient as ONE matmul
                (psi (Ltilde + R))^T [x, z[t-1]]. Same numbers as eprop_online to round-off.
  bptt          the same forward with autograd: a torch.autograd.Function spike with psi as
                its backward (the reset term detached, as chaoschip's BPTT by default),
                loss + regulariser, loss.backward(), SGD step.

Data: the NEST regression case file (tests/data/nest_eprop_regression_case.h5: NEST's
example's initial weights, feedback, input spikes and target), i.e. the network of
chaoschip's eprop/sine_nest benchmark; the first iteration's loss is checked against NEST's
(101.96). Without h5py or the file (--data generated): seeded gaussian weights, Bernoulli
input p = 0.05 (step 0 silent) and a sum of sines as target.

Timing: time.perf_counter around each training iteration, `--warmup` (2) untimed iterations,
then the median (and min) of `--repeat` (10) timed ones; torch.set_num_threads(1), the
process pinned to --cpu.
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

DT = 1.0
TAU_M = 30.0
TAU_OUT = 30.0
V_TH = 0.03
GAMMA = 0.3
C_REG = 300.0
F_TARGET = 10.0 * DT * 1e-3  # 10 Hz = 0.01 spikes per step
ETA = 1e-4
W_MIN, W_MAX = -100.0, 100.0  # NEST's (and chaoschip's) weight clipping

ALPHA = math.exp(-DT / TAU_M)
C_IN = 1.0 - ALPHA
KAPPA = math.exp(-DT / TAU_OUT)
H = GAMMA / V_TH

DTYPE = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
CASE = os.path.join(HERE, '..', 'tests', 'data', 'nest_eprop_regression_case.h5')


# --------------------------------------------------------------------------- data

def load_case(path):
    import h5py
    with h5py.File(path, 'r') as f:
        d = {
            'w_in': f['weights_in_rec'][()].astype(np.float64),     # [n_rec, n_in]
            'w_rec': f['weights_rec_rec'][()].astype(np.float64),   # [n_rec, n_rec]
            'w_out': f['weights_rec_out'][()].astype(np.float64),   # [n_out, n_rec]
            'b': f['weights_out_rec'][()].astype(np.float64),       # [n_rec, n_out]
            'x': f['input_spikes'][()].astype(np.float64),          # [T, n_in]
            'target': f['target'][()].astype(np.float64),           # [T, n_out]
            'loss_nest': f['loss_nest_reference'][()].tolist(),
            'loss_numpy': f['numpy_reference/loss'][()].tolist(),
        }
    d['source'] = 'case file ' + os.path.relpath(path, os.path.join(HERE, '..'))
    return d


def generated(seed=1, n_in=100, n_rec=100, n_out=1, steps=1000, p=0.05):
    rng = np.random.default_rng(seed)
    x = (rng.random((steps, n_in)) < p).astype(np.float64)
    x[0] = 0.0
    t = np.arange(steps) / (steps - 1)
    y = np.zeros(steps)
    for period in (1000.0, 500.0, 333.0, 200.0):
        y += rng.uniform(0.5, 2.0) * np.sin(rng.uniform(0, 2 * np.pi)
                                            + 2 * np.pi * math.floor(steps / period) * t)
    y -= y[0]
    y /= max(np.abs(y).max(), 1e-6)
    w_rec = rng.standard_normal((n_rec, n_rec)) / math.sqrt(n_rec)
    np.fill_diagonal(w_rec, 0.0)
    return {
        'w_in': rng.standard_normal((n_rec, n_in)) / math.sqrt(n_in),
        'w_rec': w_rec,
        'w_out': rng.standard_normal((n_out, n_rec)) / math.sqrt(n_rec),
        'b': rng.standard_normal((n_rec, n_out)) * math.sqrt(n_out / n_rec),
        'x': x, 'target': y[:, None], 'source': f'generated (NumPy seed {seed})',
    }


class Net:
    """Weights [post, pre] and the (fixed) sequence, as float64 tensors."""

    def __init__(self, d):
        t = lambda a: torch.tensor(a, dtype=DTYPE)
        self.w_in, self.w_rec, self.w_out, self.b = t(d['w_in']), t(d['w_rec']), t(d['w_out']), t(d['b'])
        self.x, self.target = t(d['x']), t(d['target'])
        self.T, self.n_in = self.x.shape
        self.n_rec = self.w_rec.shape[0]
        self.eye = torch.eye(self.n_rec, dtype=DTYPE)

    def clone(self):
        c = object.__new__(Net)
        c.__dict__.update({k: (v.clone() if torch.is_tensor(v) else v) for k, v in self.__dict__.items()})
        return c

    def sgd(self, g_in, g_rec, g_out):
        """W -= eta grad, clipped to [w_min, w_max]; no autapses."""
        self.w_in.sub_(g_in, alpha=ETA).clamp_(W_MIN, W_MAX)
        self.w_rec.sub_(g_rec, alpha=ETA).clamp_(W_MIN, W_MAX).fill_diagonal_(0.0)
        self.w_out.sub_(g_out, alpha=ETA).clamp_(W_MIN, W_MAX)


# --------------------------------------------------------------------------- helpers

def scan(u, a):
    """s[t] = a s[t-1] + u[t] along dim 0 (s[-1] = 0), by ceil(log2 T) doubling steps
    (Hillis-Steele) between two buffers."""
    T = u.shape[0]
    if u.requires_grad:  # autograd (BPTT's readout): out-of-place steps
        s, k, p = u, 1, a
        while k < T:
            nxt = s.clone()
            nxt[k:].add_(s[:-k], alpha=p)
            s, k, p = nxt, 2 * k, p * p
        return s
    s, buf, k, p = u.clone(), torch.empty_like(u), 1, a
    while k < T:
        torch.add(s[k:], s[:-k], alpha=p, out=buf[k:])
        buf[:k].copy_(s[:k])
        s, buf, k, p = buf, s, 2 * k, p * p
    return s


def scan_backward(u, a):
    """s[t] = u[t] + a s[t+1] (s[T] = 0)."""
    return scan(u.flip(0), a).flip(0)


def surrogate(v):
    return H * torch.clamp(1.0 - (v - V_TH).abs() / V_TH, min=0.0)


def forward_loop(net):
    """The recursion with three tensor ops per step. Returns V [T, n] (after the reset) and
    Z [T, n] (spikes)."""
    T = net.T
    w_r = C_IN * net.w_rec - V_TH * net.eye          # reset by subtraction folded in
    V = torch.mm(net.x, net.w_in.t()).mul_(C_IN)      # c W_in x[t], then v[t] in place
    Z = torch.empty_like(V)
    v_rows, z_rows = V.unbind(0), Z.unbind(0)
    torch.ge(v_rows[0], V_TH, out=z_rows[0])
    for t in range(1, T):
        v = v_rows[t]
        v.add_(v_rows[t - 1], alpha=ALPHA).addmv_(w_r, z_rows[t - 1])
        torch.ge(v, V_TH, out=z_rows[t])
    return V, Z


# --------------------------------------------------------------------------- e-prop

def eprop_fast(net):
    """Factorised e-prop: forward loop, then vectorised gradient (one matmul)."""
    T = net.T
    V, Z = forward_loop(net)
    psi = surrogate(V)
    y = scan(torch.mm(Z, net.w_out.t()).mul_(1.0 - KAPPA), KAPPA)   # [T, n_out]
    E = y - net.target
    loss = 0.5 * float((E * E).sum())
    Eb = scan_backward(E, KAPPA)                                     # sum_{j>=t} kappa^(j-t) E[j]
    reg = C_REG * (Z.sum(0) / T - F_TARGET) / T
    factor = torch.mm(Eb, net.b.t()).mul_(1.0 - KAPPA).add_(reg).mul_(psi)   # psi (Ltilde + R)
    pre = torch.empty(T, net.n_in + net.n_rec, dtype=DTYPE)
    pre[:, :net.n_in] = net.x
    pre[0, net.n_in:] = 0.0
    pre[1:, net.n_in:] = Z[:-1]
    zbar = scan(pre.mul_(C_IN), ALPHA)
    g = torch.mm(factor.t(), zbar)                                   # [n_rec, n_in + n_rec]
    g_out = torch.mm(Eb.t(), Z).mul_(1.0 - KAPPA)
    return loss, g[:, :net.n_in], g[:, net.n_in:], g_out, Z


def eprop_online(net):
    """Online e-prop: everything step by step, per-synapse eligibility traces."""
    T, n, n_in = net.T, net.n_rec, net.n_in
    w_r = C_IN * net.w_rec - V_TH * net.eye
    i_in = torch.mm(net.x, net.w_in.t()).mul_(C_IN).unbind(0)   # c W_in x[t]
    xc = (C_IN * net.x).unbind(0)
    targets = net.target.unbind(0)
    b = net.b
    v = torch.zeros(n, dtype=DTYPE)
    z = torch.zeros(n, dtype=DTYPE)
    y = torch.zeros(net.w_out.shape[0], dtype=DTYPE)
    zbar = torch.zeros(n_in + n, dtype=DTYPE)        # [zbar_in, zbar_rec]
    zbar_in, zbar_rec = zbar[:n_in], zbar[n_in:]
    zbar_out = torch.zeros(n, dtype=DTYPE)
    ebar = torch.zeros(n, n_in + n, dtype=DTYPE)
    g = torch.zeros(n, n_in + n, dtype=DTYPE)
    e_sum = torch.zeros(n, n_in + n, dtype=DTYPE)    # sum_t e[t], for the regulariser
    g_out = torch.zeros_like(net.w_out)
    counts = torch.zeros(n, dtype=DTYPE)
    loss = torch.zeros((), dtype=DTYPE)
    for t in range(T):
        # neurons: v[t] = alpha v + c W_in x[t] + (c W_rec - v_th I) z[t-1]
        v.mul_(ALPHA).add_(i_in[t]).addmv_(w_r, z)
        # presynaptic traces (z still holds z[t-1])
        zbar.mul_(ALPHA)
        zbar_in.add_(xc[t])
        zbar_rec.add_(z, alpha=C_IN)
        psi = torch.clamp(V_TH - (v - V_TH).abs(), min=0.0).mul_(H / V_TH)
        z = (v >= V_TH).to(DTYPE)
        counts.add_(z)
        # readout, error, learning signal
        y.mul_(KAPPA).addmv_(net.w_out, z, alpha=1.0 - KAPPA)
        err = y - targets[t]
        loss.add_(err.dot(err), alpha=0.5)
        zbar_out.mul_(KAPPA).add_(z, alpha=1.0 - KAPPA)
        g_out.addr_(err, zbar_out)
        learning = torch.mv(b, err)
        # per-synapse eligibility: e = psi zbar, ebar = kappa ebar + (1 - kappa) e
        ebar.mul_(KAPPA).addr_(psi, zbar, alpha=1.0 - KAPPA)
        e_sum.addr_(psi, zbar)
        g.addcmul_(learning.unsqueeze(1), ebar)
    reg = C_REG * (counts / T - F_TARGET) / T
    g.addcmul_(reg.unsqueeze(1), e_sum)
    return float(loss), g[:, :n_in], g[:, n_in:], g_out, counts


# --------------------------------------------------------------------------- BPTT

class SpikeFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v >= V_TH).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        return grad * surrogate(v)


def bptt(net):
    """Surrogate-gradient BPTT through the same forward; the reset is not differentiated."""
    T = net.T
    w_in = net.w_in.clone().requires_grad_()
    w_rec = net.w_rec.clone().requires_grad_()
    w_out = net.w_out.clone().requires_grad_()
    i_in = torch.mm(net.x, w_in.t()).mul(C_IN).unbind(0)
    v = torch.zeros(net.n_rec, dtype=DTYPE)
    z = torch.zeros(net.n_rec, dtype=DTYPE)
    zs = []
    for t in range(T):
        v = ALPHA * v + i_in[t] + C_IN * torch.mv(w_rec, z) - V_TH * z.detach()
        z = SpikeFn.apply(v)
        zs.append(z)
    Z = torch.stack(zs)
    y = scan(torch.mm(Z, w_out.t()) * (1.0 - KAPPA), KAPPA)
    E = y - net.target
    loss = 0.5 * (E * E).sum()
    rate_err = Z.sum(0) / T - F_TARGET
    total = loss + 0.5 * C_REG * (rate_err * rate_err).sum()
    total.backward()
    return float(loss), w_in.grad, w_rec.grad, w_out.grad, Z.detach()


# --------------------------------------------------------------------------- driver

def train_step(method, net):
    loss, g_in, g_rec, g_out, _ = method(net)
    net.sgd(g_in, g_rec, g_out)
    return loss


def time_method(method, net0, warmup, repeat):
    net = net0.clone()
    losses, times = [], []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        loss = train_step(method, net)
        t1 = time.perf_counter()
        losses.append(loss)
        if i >= warmup:
            times.append(t1 - t0)
    return {
        'median_ms': 1e3 * statistics.median(times),
        'min_ms': 1e3 * min(times),
        'max_ms': 1e3 * max(times),
        'times_ms': [1e3 * t for t in times],
        'loss_first': losses[0],
        'loss_last': losses[-1],
    }


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def blas_library():
    """The BLAS library loaded in this process (torch's float64 matmuls go there; on Debian
    the libblas.so.3 alternative, or what LD_LIBRARY_PATH puts first)."""
    torch.mm(torch.ones(2, 2, dtype=DTYPE), torch.ones(2, 2, dtype=DTYPE))
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if line.rstrip().endswith('.so') or '.so.' in line}
    except OSError:
        return 'unknown'
    hits = sorted(os.path.realpath(l) for l in libs if 'blas' in os.path.basename(l).lower())
    return ', '.join(dict.fromkeys(hits)) or 'unknown'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cpu', type=int, default=None, help='pin the process to this CPU')
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--repeat', type=int, default=10)
    ap.add_argument('--data', choices=('case', 'generated'), default='case')
    ap.add_argument('--case', default=CASE)
    ap.add_argument('--methods', default='eprop_online,eprop_fast,bptt')
    ap.add_argument('--out', default=None, help='write the results as JSON')
    args = ap.parse_args()

    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    data = None
    if args.data == 'case':
        try:
            data = load_case(args.case)
        except (ImportError, OSError) as e:
            print(f'eprop_torch.py: case file unavailable ({e}); using generated data', file=sys.stderr)
    if data is None:
        data = generated()
    net = Net(data)

    # Cross-checks: the two e-prop implementations agree, and the first loss is NEST's.
    check = {}
    l_fast, gi_f, gr_f, go_f, Z = eprop_fast(net.clone())
    l_onl, gi_o, gr_o, go_o, counts = eprop_online(net.clone())
    rel = lambda a, b: float((a - b).abs().max() / b.abs().max().clamp(min=1e-300))
    check['loss_first_eprop_fast'] = l_fast
    check['loss_first_eprop_online'] = l_onl
    check['grad_rel_diff_online_vs_fast'] = max(rel(gi_o, gi_f), rel(gr_o, gr_f), rel(go_o, go_f))
    check['rate_hz_first_iteration'] = float(Z.sum()) / (net.T * net.n_rec * DT * 1e-3)
    l_bptt, gi_b, gr_b, go_b, _ = bptt(net.clone())
    check['loss_first_bptt'] = l_bptt
    # e-prop's output-weight gradient is exact: it must equal BPTT's.
    check['grad_out_rel_diff_eprop_vs_bptt'] = rel(go_f, go_b)
    if 'loss_nest' in data:
        check['loss_first_nest'] = data['loss_nest'][0]
        check['loss_numpy_reference'] = data['loss_numpy']
        n5 = net.clone()
        check['loss_5_iterations_eprop_fast'] = [train_step(eprop_fast, n5) for _ in range(5)]
    print('cross-check:', json.dumps(check, indent=1))
    if abs(check['grad_rel_diff_online_vs_fast']) > 1e-9:
        print('eprop_torch.py: WARNING: online and factorised e-prop disagree', file=sys.stderr)

    methods = {'eprop_online': eprop_online, 'eprop_fast': eprop_fast, 'bptt': bptt}
    results = {}
    for name in args.methods.split(','):
        r = time_method(methods[name], net, args.warmup, args.repeat)
        results[name] = r
        print(f'{name:13s} median {r["median_ms"]:8.2f} ms  min {r["min_ms"]:8.2f} ms  '
              f'loss {r["loss_first"]:.4f} -> {r["loss_last"]:.4f}')
    # Where eprop_fast's time goes: its forward loop alone (no update, same weights).
    times = []
    for i in range(args.warmup + args.repeat):
        t0 = time.perf_counter()
        forward_loop(net)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    breakdown = {'forward_loop_median_ms': 1e3 * statistics.median(times)}
    print(f'(eprop_fast forward loop alone: {breakdown["forward_loop_median_ms"]:.2f} ms)')

    out = {
        'torch': torch.__version__,
        'python': platform.python_version(),
        'numpy': np.__version__,
        'threads': torch.get_num_threads(),
        'cpu': cpu_model(),
        'pinned_cpu': args.cpu,
        'blas': blas_library(),
        'torch_cpu_capability': torch.backends.cpu.get_cpu_capability()
        if hasattr(torch.backends, 'cpu') and hasattr(torch.backends.cpu, 'get_cpu_capability') else None,
        'dtype': 'float64',
        'data': data['source'],
        'steps': net.T,
        'n_in': net.n_in,
        'n_rec': net.n_rec,
        'warmup': args.warmup,
        'repeat': args.repeat,
        'date': time.strftime('%Y-%m-%d %H:%M:%S'),
        'check': check,
        'results': results,
        'breakdown': breakdown,
    }
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
