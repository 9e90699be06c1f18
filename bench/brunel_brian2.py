#!/usr/bin/python3
"""The Brunel sparse LIF benchmark in Brian2, the peer of bench/brunel.cpp.

Same network as the chaoschip benchmark (see bench/README.md): 10,000 LIF neurons (8,000
excitatory, 2,000 inhibitory), Bernoulli connectivity p = 0.1 without autapses, delta
synapses J = 0.1 mV (excitatory) and -g J (inhibitory) with a 1.5 ms delay, dt = 0.1 ms,
refractory 2 ms with the membrane held at V_r and input discarded (NEST iaf_psc_delta),
external Poisson drive eta * nu_thr * C_E per neuron with weight J (PoissonInput).

For each mode (numpy, cython, cpp_standalone) and each setting (low and high rate) it
measures, on one thread:
  whole_loop   the network with its drive, `steps` steps after `warmup` steps;
  propagation  a SpikeGeneratorGroup replaying the raster recorded in the whole loop
               through the same synapses onto a NeuronGroup without equations.
Timed: Brian2's own timer of the last run() (device._last_run_time), i.e. the simulation
loop only: no code generation, compilation, synapse creation or warm-up. In the runtime
modes that is Network.run's loop (after before_run); in cpp_standalone it is Network::run
inside the compiled binary (std::clock, one thread); the binary is run `--repeat` times
(median). events/s = sum over the window's spikes of the spiking neuron's fan-out / time.

Each measurement runs in a fresh subprocess (Brian2 devices are global state). The table
goes to stdout and all numbers to --out (JSON). Use Debian's /usr/bin/python3 (python3-brian).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

# Network constants (keep in sync with bench/brunel.cpp).
N_E, N_I = 8000, 2000
N = N_E + N_I
P_CONN = 0.1
J_MV = 0.1
DELAY_MS = 1.5
DT_MS = 0.1
TAU_MS, THETA_MV, VR_MV, TREF_MS = 20.0, 20.0, 10.0, 2.0
C_E = P_CONN * N_E
SETTINGS = {  # name: (g, eta)
    'low': (6.0, 1.0),
    'high': (6.0, 1.5),
}
MODES = ('numpy', 'cython', 'cpp_standalone')


def nu_thr_hz():
    return THETA_MV / (J_MV * C_E * TAU_MS) * 1e3


# --------------------------------------------------------------------------------------
# Worker: one measurement in a fresh interpreter.

def _setup(mode, workdir, seed):
    import brian2 as b2
    b2.prefs.logging.console_log_level = 'WARNING'
    if mode == 'cpp_standalone':
        b2.set_device('cpp_standalone', directory=workdir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0  # no OpenMP: one thread
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f'-j{os.cpu_count() or 1}']
    else:
        b2.prefs.codegen.target = mode
    b2.defaultclock.dt = DT_MS * b2.ms
    b2.seed(seed)
    return b2


def _synapses(b2, source, source_e, source_i, target, weights, discard_refractory, ns):
    """Synapses from `source` (= `source_e` then `source_i`, the excitatory and inhibitory
    neurons) to `target`. Returns (list of Synapses, function giving the fan-out array)."""
    cond = ' * int(not_refractory_post)' if discard_refractory else ''
    delay = DELAY_MS * b2.ms
    if weights == 'constant':
        # Two pathways with constant weights (Brian2's own Brunel example): no weight reads.
        s_e = b2.Synapses(source_e, target, on_pre=f'v_post += J{cond}', delay=delay,
                          namespace=ns, name='syn_e')
        s_e.connect(condition='i != j', p=P_CONN)  # i, j: indices in the subgroups
        s_i = b2.Synapses(source_i, target, on_pre=f'v_post += -g*J{cond}', delay=delay,
                          namespace=ns, name='syn_i')
        s_i.connect(condition=f'i + {N_E} != j', p=P_CONN)
        syns = [s_e, s_i]

        def fanout():
            import numpy as np
            return np.concatenate([np.bincount(np.asarray(s_e.i[:]), minlength=N_E),
                                   np.bincount(np.asarray(s_i.i[:]), minlength=N_I)])
    else:
        s = b2.Synapses(source, target, 'w : volt', on_pre=f'v_post += w{cond}', delay=delay,
                        namespace=ns, name='syn')
        s.connect(condition='i != j', p=P_CONN)
        s.w = f'J * int(i < {N_E}) - g*J * int(i >= {N_E})'
        syns = [s]

        def fanout():
            import numpy as np
            return np.bincount(np.asarray(s.i[:]), minlength=N)
    return syns, fanout


def _pin(cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def _timed_standalone_runs(b2, workdir, repeat, cpu):
    """Compiles, then runs the binary `repeat` times pinned; returns the loop times."""
    b2.device.build(directory=workdir, compile=True, run=False)
    _pin(cpu)
    times, walls = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        b2.device.run(directory=workdir, with_output=False, run_args=[])
        walls.append(time.perf_counter() - t0)
        times.append(float(b2.device._last_run_time))
    return times, walls


def worker_whole(a):
    import numpy as np
    b2 = _setup(a.mode, a.workdir, a.seed)
    g, eta = a.g, a.eta
    ns = dict(tau=TAU_MS * b2.ms, theta=THETA_MV * b2.mV, Vr=VR_MV * b2.mV, J=J_MV * b2.mV, g=g)
    G = b2.NeuronGroup(N, 'dv/dt = -v/tau : volt (unless refractory)', threshold='v >= theta',
                       reset='v = Vr', refractory=TREF_MS * b2.ms, method='exact', namespace=ns,
                       name='lif')
    G.v = 'rand() * theta'
    syns, fanout = _synapses(b2, G, G[:N_E], G[N_E:], G, a.weights, True, ns)
    rate_ext = eta * nu_thr_hz() * b2.Hz  # per external synapse; C_E of them per neuron
    drive = b2.PoissonInput(G, 'v', int(C_E), rate_ext, weight='J * int(not_refractory)')
    mon = b2.SpikeMonitor(G, name='spikes')
    net = b2.Network(G, *syns, drive, mon)
    warm, steps = a.warmup * DT_MS * b2.ms, a.steps * DT_MS * b2.ms
    net.run(warm, namespace=ns)
    if a.mode == 'cpp_standalone':
        net.run(steps, namespace=ns)
        times, walls = _timed_standalone_runs(b2, a.workdir, a.repeat, a.cpu)
    else:
        _pin(a.cpu)
        t0 = time.perf_counter()
        net.run(steps, namespace=ns)
        walls = [time.perf_counter() - t0]
        times = [float(b2.device._last_run_time)]
    t = np.asarray(mon.t_[:])
    i = np.asarray(mon.i[:])
    t0_s = a.warmup * DT_MS * 1e-3
    sel = t >= t0_s - 1e-9
    idx, ts = i[sel], t[sel] - t0_s
    fo = fanout()
    spikes = int(idx.size)
    events = int(fo[idx].sum())
    np.savez(a.raster, i=idx, t=ts)
    return dict(spikes=spikes, events=events, fanout_mean=float(fo.mean()),
                n_synapses=int(fo.sum()), times=times, walls=walls)


def worker_propagation(a):
    import numpy as np
    b2 = _setup(a.mode, a.workdir, a.seed)
    r = np.load(a.raster)
    idx = r['i'].astype(np.int64)
    # Put the spikes on the step grid (the monitor's times are multiples of dt).
    steps_of = np.rint(r['t'] / (DT_MS * 1e-3)).astype(np.int64)
    ns = dict(J=J_MV * b2.mV, g=a.g)
    sink = b2.NeuronGroup(N, 'v : volt', name='sink')  # no equations: no state update
    if a.weights == 'constant':
        # A SpikeGeneratorGroup has no subgroups: one generator per sign.
        exc = idx < N_E
        src_e = b2.SpikeGeneratorGroup(N_E, idx[exc], steps_of[exc] * DT_MS * b2.ms,
                                       name='replay_e')
        src_i = b2.SpikeGeneratorGroup(N_I, idx[~exc] - N_E, steps_of[~exc] * DT_MS * b2.ms,
                                       name='replay_i')
        sources = [src_e, src_i]
        syns, fanout = _synapses(b2, None, src_e, src_i, sink, a.weights, False, ns)
    else:
        src = b2.SpikeGeneratorGroup(N, idx, steps_of * DT_MS * b2.ms, name='replay')
        sources = [src]
        syns, fanout = _synapses(b2, src, None, None, sink, a.weights, False, ns)
    net = b2.Network(*sources, sink, *syns)
    steps = a.steps * DT_MS * b2.ms
    if a.mode == 'cpp_standalone':
        net.run(steps, namespace=ns)
        times, walls = _timed_standalone_runs(b2, a.workdir, a.repeat, a.cpu)
    else:
        net.run(0 * b2.ms, namespace=ns)  # code generation / compilation, untimed
        _pin(a.cpu)
        t0 = time.perf_counter()
        net.run(steps, namespace=ns)
        walls = [time.perf_counter() - t0]
        times = [float(b2.device._last_run_time)]
    fo = fanout()
    return dict(spikes=int(idx.size), events=int(fo[idx].sum()), fanout_mean=float(fo.mean()),
                n_synapses=int(fo.sum()), times=times, walls=walls)


# --------------------------------------------------------------------------------------
# Driver.

def run_worker(args, mode, setting, phase, raster, tmp):
    g, eta = SETTINGS[setting]
    workdir = os.path.join(tmp, f'{mode}_{setting}_{phase}')
    out = os.path.join(tmp, f'{mode}_{setting}_{phase}.json')
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', phase, '--mode', mode,
           '--g', str(g), '--eta', str(eta), '--steps', str(args.steps),
           '--warmup', str(args.warmup), '--seed', str(args.seed), '--weights', args.weights,
           '--repeat', str(args.repeat if mode == 'cpp_standalone' else 1),
           '--workdir', workdir, '--raster', raster, '--result', out]
    if args.cpu is not None:
        cmd += ['--cpu', str(args.cpu)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f'brian2 worker {mode}/{setting}/{phase} failed')
    with open(out) as f:
        res = json.load(f)
    seconds = statistics.median(res['times'])
    bio_s = args.steps * DT_MS * 1e-3
    res.update(mode=mode, setting=setting, benchmark=phase, g=g, eta=eta, seconds=seconds,
               events_per_second=res['events'] / seconds,
               rate_hz=res['spikes'] / (N * bio_s), bio_seconds=bio_s,
               subprocess_seconds=total)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--modes', default=','.join(MODES))
    ap.add_argument('--settings', default=','.join(SETTINGS))
    ap.add_argument('--steps', type=int, default=10000, help='timed steps (default 1 s)')
    ap.add_argument('--warmup', type=int, default=1000, help='untimed steps before')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--weights', choices=('constant', 'synaptic'), default='constant',
                    help='constant: one Synapses per sign with a constant weight (fastest); '
                         'synaptic: one Synapses with a per-synapse w (like chaoschip)')
    ap.add_argument('--repeat', type=int, default=3,
                    help='cpp_standalone: runs of the compiled binary (median)')
    ap.add_argument('--cpu', type=int, default=None,
                    help='pin the timed runs to this CPU (sched_setaffinity, as taskset)')
    ap.add_argument('--out', default=None, help='JSON results file')
    # Worker-only arguments.
    ap.add_argument('--worker', choices=('whole_loop', 'propagation'), help=argparse.SUPPRESS)
    ap.add_argument('--mode', help=argparse.SUPPRESS)
    ap.add_argument('--g', type=float, help=argparse.SUPPRESS)
    ap.add_argument('--eta', type=float, help=argparse.SUPPRESS)
    ap.add_argument('--workdir', help=argparse.SUPPRESS)
    ap.add_argument('--raster', help=argparse.SUPPRESS)
    ap.add_argument('--result', help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        res = (worker_whole if args.worker == 'whole_loop' else worker_propagation)(args)
        with open(args.result, 'w') as f:
            json.dump(res, f)
        return

    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = '1'
    import brian2
    modes = [m for m in args.modes.split(',') if m]
    settings = [s for s in args.settings.split(',') if s]
    results = []
    print(f'Brian2 {brian2.__version__}, Python {platform.python_version()}, '
          f'{args.steps} steps of {DT_MS} ms after {args.warmup} warm-up steps, '
          f'weights={args.weights}', flush=True)
    hdr = (f'{"mode":<15}{"setting":<8}{"benchmark":<13}{"rate Hz":>9}{"spikes":>9}'
           f'{"events":>12}{"time s":>9}{"events/s":>11}{"(process s)":>13}')
    print(hdr, flush=True)
    with tempfile.TemporaryDirectory(prefix='brunel_brian2_') as tmp:
        for mode in modes:
            for setting in settings:
                raster = os.path.join(tmp, f'raster_{mode}_{setting}.npz')
                for phase in ('whole_loop', 'propagation'):
                    r = run_worker(args, mode, setting, phase, raster, tmp)
                    results.append(r)
                    print(f'{mode:<15}{setting:<8}{phase:<13}{r["rate_hz"]:>9.2f}'
                          f'{r["spikes"]:>9}{r["events"]:>12.4g}{r["seconds"]:>9.3f}'
                          f'{r["events_per_second"]:>11.3g}{r["subprocess_seconds"]:>13.1f}',
                          flush=True)
    best = {}
    for r in results:
        key = (r['setting'], r['benchmark'])
        if key not in best or r['events_per_second'] > best[key]['events_per_second']:
            best[key] = r
    print('best mode:', ', '.join(f'{s}/{b}: {r["mode"]} {r["events_per_second"]:.3g} ev/s'
                                  for (s, b), r in sorted(best.items())))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        doc = dict(simulator='brian2', version=brian2.__version__,
                   python=platform.python_version(), steps=args.steps, warmup=args.warmup,
                   dt_ms=DT_MS, seed=args.seed, weights=args.weights, repeat=args.repeat,
                   cpu=args.cpu, settings={k: dict(g=v[0], eta=v[1]) for k, v in SETTINGS.items()},
                   date=time.strftime('%Y-%m-%d %H:%M:%S'), results=results)
        with open(args.out, 'w') as f:
            json.dump(doc, f, indent=1)


if __name__ == '__main__':
    main()
