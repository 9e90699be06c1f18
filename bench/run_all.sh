#!/usr/bin/env bash
# Runs the Brunel sparse-LIF benchmark in chaoschip and in Brian2, one thread each, and
# prints the comparison. Usage: bench/run_all.sh [BUILD_DIR]   (default: build; `make bench`)
#
# Writes bench/results/chaoschip_brunel.json (Google Benchmark), bench/results/brian2.json
# and bench/results/brunel.md (the table, date, CPU, flags; anything below the notes marker
# of an existing brunel.md is kept).
# Environment: BENCH_CPU (default 0) the CPU both are pinned to; BRIAN2_MODES (default
# numpy,cython,cpp_standalone); BENCH_SKIP_BRIAN2=1 reuses bench/results/brian2.json.
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=$here/results
cpu=${BENCH_CPU:-0}
python=/usr/bin/python3  # Debian's interpreter, which has python3-brian
mkdir -p "$results"

bin=""
for candidate in "$build/bin/bench_brunel" "$build/bench/bench_brunel"; do
  if [[ -x $candidate ]]; then bin=$candidate; break; fi
done
if [[ -z $bin ]]; then
  echo "run_all.sh: no bench_brunel in $build/bin or $build/bench (is libbenchmark-dev installed?" \
       "build with 'make build')" >&2
  exit 1
fi

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

echo "== chaoschip: $bin (pinned to CPU $cpu)"
taskset -c "$cpu" "$bin" --benchmark_out="$results/chaoschip_brunel.json" \
  --benchmark_out_format=json

if [[ ${BENCH_SKIP_BRIAN2:-0} != 1 ]]; then
  echo "== Brian2 (timed runs pinned to CPU $cpu)"
  "$python" "$here/brunel_brian2.py" --cpu "$cpu" --modes "${BRIAN2_MODES:-numpy,cython,cpp_standalone}" \
    --out "$results/brian2.json"
fi

echo "== comparison"
"$python" - "$results" "$build" "$bin" <<'EOF'
import json, os, re, subprocess, sys, time

results, build, binary = sys.argv[1:4]
with open(os.path.join(results, 'chaoschip_brunel.json')) as f:
    cc = json.load(f)
with open(os.path.join(results, 'brian2.json')) as f:
    b2 = json.load(f)

# chaoschip: the median over repetitions (or the single run) of each benchmark.
ours = {}
for b in cc['benchmarks']:
    name = b.get('run_name', b['name'])
    m = re.match(r'brunel/(\w+)/(\w+)_rate', name)
    if not m:
        continue
    key = (m.group(2), m.group(1))  # (low|high, whole_loop|propagation|deliver)
    if b.get('run_type') == 'aggregate':
        if b.get('aggregate_name') == 'median':
            ours[key] = b
    elif key not in ours or ours[key].get('run_type') != 'aggregate':
        ours.setdefault(key, b)

theirs = {}
for r in b2['results']:
    theirs.setdefault((r['setting'], r['benchmark']), {})[r['mode']] = r

def seconds(b):
    unit = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}[b.get('time_unit', 'ns')]
    return b['real_time'] * unit

def cpu_model():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        field = lambda k: (re.search(rf'^{k}:\s*(.+)$', out, re.M) or [None, '?'])[1].strip()
        return f"{field('Model name')} (family {field('CPU family')}, model {field('Model')})"
    except OSError:
        return 'unknown'

def compile_flags():
    try:
        with open(os.path.join(build, 'compile_commands.json')) as f:
            for e in json.load(f):
                if e['file'].endswith('bench/brunel.cpp'):
                    cmd = e.get('command') or ' '.join(e.get('arguments', []))
                    flags = [t for t in cmd.split() if t.startswith(('-O', '-D', '-m', '-f', '-std', '-g'))]
                    return cmd.split()[0] + ' ' + ' '.join(flags)
    except (OSError, ValueError, KeyError):
        pass
    return 'unknown (no compile_commands.json in the build directory)'

modes = ('numpy', 'cython', 'cpp_standalone')
lines = []
lines.append('| setting | benchmark | chaoschip rate (Hz) | chaoschip time (s) | chaoschip events/s | '
             + ' | '.join(f'Brian2 {m} events/s' for m in modes)
             + ' | Brian2 rate (Hz) | best Brian2 | ratio |')
lines.append('|' + '---|' * (lines[0].count('|') - 1))
summary = []
for setting in ('low', 'high'):
    for bench in ('whole_loop', 'propagation'):
        o = ours.get((setting, bench))
        t = theirs.get((setting, bench), {})
        if o is None:
            continue
        ev = o['items_per_second']
        cells = [f'{t[m]["events_per_second"]:.3g}' if m in t else '-' for m in modes]
        best = max(t.values(), key=lambda r: r['events_per_second']) if t else None
        ratio = ev / best['events_per_second'] if best else float('nan')
        b2rate = f'{best["rate_hz"]:.2f}' if best else '-'
        lines.append(f'| {setting} | {bench.replace("_", " ")} | {o["rate_Hz"]:.2f} | {seconds(o):.3f} | '
                     f'{ev:.3g} | ' + ' | '.join(cells) + f' | {b2rate} | '
                     f'{best["mode"] if best else "-"} | **{ratio:.2f}x** |')
        target = 2.0 if bench == 'whole_loop' else 1.0
        summary.append((setting, bench, ratio, target))
extra = []
for setting in ('low', 'high'):
    d = ours.get((setting, 'deliver'))
    if d:
        extra.append(f'| {setting} | {d["items_per_second"]:.3g} | {1e9 / d["items_per_second"]:.2f} |')

table = '\n'.join(lines)
print(table)
print()
for setting, bench, ratio, target in summary:
    verdict = 'meets' if ratio >= target else 'MISSES'
    print(f'{setting:>5} {bench:<12} {ratio:5.2f}x Brian2 best  ({verdict} the {target:g}x target)')

ctx = cc.get('context', {})
doc = f"""# Brunel sparse-LIF benchmark: chaoschip vs Brian2

Generated by `bench/run_all.sh` on {time.strftime('%Y-%m-%d %H:%M')} (chaoschip run {ctx.get('date', '?')}).

- CPU: {cpu_model()}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz; every timed run pinned to one CPU (taskset / sched_setaffinity), one thread.
- chaoschip: `{binary}`, compiled as `{compile_flags()}`; median of the repetitions.
- Brian2 {b2.get('version')} (Debian python3-brian), Python {b2.get('python')}, modes: runtime `numpy`, runtime `cython`, `cpp_standalone` (openmp_threads = 0); Brian2's default compiler flags (`-O3 -ffast-math -march=native`); weights: {b2.get('weights')}. Time = Brian2's timer of the simulation loop only (`device._last_run_time`: no code generation, compilation, synapse creation or warm-up); cpp_standalone: median of {b2.get('repeat')} runs of the binary.
- Network: 10,000 LIF (8,000 exc.), Bernoulli p = 0.1 without autapses (mean fan-out 1,000), J = 0.1 mV, -gJ, delay 1.5 ms, dt 0.1 ms, 1 s timed after 0.1 s warm-up; low rate g = 6, eta = 1.0; high rate g = 6, eta = 1.5.
- events/s = synaptic events of the recurrent network (spikes x the spiking neuron's fan-out) per second of wall time; the drive's events are not counted. ratio = chaoschip / best Brian2 mode; targets: >= 2x on the whole loop, >= 1x on propagation alone.

{table}

Bare delivery kernel (`csr_projection::deliver_spikes` into a `delay_buffer`, no network):

| setting | events/s | ns/event |
|---|---|---|
""" + '\n'.join(extra) + '\n'
path = os.path.join(results, 'brunel.md')
marker = '<!-- notes: kept by run_all.sh -->'
notes = ''
if os.path.exists(path):
    with open(path) as f:
        old = f.read()
    if marker in old:
        notes = old[old.index(marker):]
with open(path, 'w') as f:
    f.write(doc + ('\n' + notes if notes else '\n' + marker + '\n'))
print(f'\nwrote {path}')
EOF

# Fixed-point kernels against float64 on the same 1,000-neuron network.
chip_bin=""
for candidate in "$build/bin/bench_chip" "$build/bench/bench_chip"; do
  if [[ -x $candidate ]]; then chip_bin=$candidate; break; fi
done
if [[ -n $chip_bin ]]; then
  echo "== chip profiles: $chip_bin (pinned to CPU $cpu)"
  taskset -c "$cpu" "$chip_bin" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/chip.json" --benchmark_out_format=json
  "$python" - "$results" <<'PY'
import json, os, sys
results = sys.argv[1]
data = json.load(open(os.path.join(results, "chip.json")))
med = {b["run_name"].split("/")[1]: b for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
base = med["float64"]["real_time"]
rows = ["| profile | ms per 1000 steps | ratio to float64 | rate (Hz) |", "|---|---|---|---|"]
for name in ("float64", "loihi", "xylo", "spinnaker"):
    b = med[name]
    rows.append(f"| {name} | {b['real_time']:.2f} | {b['real_time'] / base:.2f}x | {b['rate_Hz']:.1f} |")
text = "\n".join(rows)
print(text)
with open(os.path.join(results, "chip.md"), "w") as f:
    f.write("# Fixed-point kernels vs float64 (bench_chip)\n\n1,000 LIF neurons, 100 inputs, dense "
            "weights, 1,000 steps per iteration, one thread; median of 5 repetitions. Target: "
            "each fixed-point kernel within 2x of float64.\n\n" + text + "\n")
PY
fi

# ==== e-prop training speed: bench_eprop vs PyTorch (bench/eprop_torch.py); NEST quoted.
# Writes bench/results/eprop.json (Google Benchmark), eprop_torch.json (PyTorch with the
# system BLAS), eprop_torch_openblas.json (PyTorch again with an OpenBLAS, when one is found
# and is not already the system's) and eprop.md (the table; text below the notes marker
# of an existing eprop.md is kept). Environment: BENCH_SKIP_TORCH=1 reuses the PyTorch
# JSON files; EPROP_TORCH_BLAS=DIR names a directory holding the libblas.so.3 for the
# second PyTorch run (default: the first of /usr/lib/x86_64-linux-gnu/openblas-{serial,
# pthread,openmp} present).
eprop_bin=""
for candidate in "$build/bin/bench_eprop" "$build/bench/bench_eprop"; do
  if [[ -x $candidate ]]; then eprop_bin=$candidate; break; fi
done
if [[ -n $eprop_bin ]]; then
  echo "== e-prop: $eprop_bin (pinned to CPU $cpu)"
  taskset -c "$cpu" "$eprop_bin" --benchmark_repetitions=5 --benchmark_display_aggregates_only=true \
    --benchmark_out="$results/eprop.json" --benchmark_out_format=json
  if [[ ${BENCH_SKIP_TORCH:-0} != 1 ]]; then
    echo "== PyTorch e-prop / BPTT (system BLAS, pinned to CPU $cpu)"
    taskset -c "$cpu" "$python" "$here/eprop_torch.py" --cpu "$cpu" --out "$results/eprop_torch.json"
    rm -f "$results/eprop_torch_openblas.json"
    torch_blas=${EPROP_TORCH_BLAS:-}
    if [[ -z $torch_blas ]]; then
      system_blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
      for d in /usr/lib/x86_64-linux-gnu/openblas-{serial,pthread,openmp}; do
        if [[ -e $d/libblas.so.3 && $system_blas != "$(readlink -f "$d/libblas.so.3")" ]]; then
          torch_blas=$d; break
        fi
      done
    fi
    if [[ -n $torch_blas ]]; then
      echo "== PyTorch e-prop / BPTT with the BLAS in $torch_blas (pinned to CPU $cpu)"
      LD_LIBRARY_PATH=$torch_blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} taskset -c "$cpu" \
        "$python" "$here/eprop_torch.py" --cpu "$cpu" --out "$results/eprop_torch_openblas.json"
    fi
  fi
  "$python" - "$results" "$build" "$eprop_bin" <<'PY'
import json, os, re, statistics, subprocess, sys, time

results, build, binary = sys.argv[1:4]
NEST_MS = 235.0  # NEST 3.10, one thread, 2-core machine: quoted from the issue, not measured
cc = json.load(open(os.path.join(results, 'eprop.json')))
runs = {}
for b in cc['benchmarks']:
    if b.get('run_type') == 'aggregate' or b.get('error_occurred'):
        continue
    name = '/'.join(b.get('run_name', b['name']).split('/')[:2])
    runs.setdefault(name, []).append(b)
unit = {'ns': 1e-6, 'us': 1e-3, 'ms': 1.0, 's': 1e3}
def ours(name):
    rs = runs.get(name)
    if not rs:
        return None
    ms = [r['real_time'] * unit[r.get('time_unit', 'ns')] for r in rs]
    return {'median': statistics.median(ms), 'min': min(ms), 'n': len(ms),
            'rate': rs[-1].get('rate_Hz'), 'loss_first': rs[-1].get('loss_first'),
            'loss_last': rs[-1].get('loss_last'), 'setup': statistics.median(r.get('setup_ms', 0) for r in rs)}

torch_runs = []
for fname, label in (('eprop_torch.json', 'system BLAS'), ('eprop_torch_openblas.json', 'OpenBLAS')):
    path = os.path.join(results, fname)
    if os.path.exists(path):
        torch_runs.append((label, json.load(open(path))))

def cpu_model():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        field = lambda k: (re.search(rf'^{k}:\s*(.+)$', out, re.M) or [None, '?'])[1].strip()
        return f"{field('Model name')} (family {field('CPU family')}, model {field('Model')})"
    except OSError:
        return 'unknown'

def compile_flags():
    try:
        with open(os.path.join(build, 'compile_commands.json')) as f:
            for e in json.load(f):
                if e['file'].endswith('models/src/eprop.cpp'):
                    cmd = e.get('command') or ' '.join(e.get('arguments', []))
                    flags = [t for t in cmd.split() if t.startswith(('-O', '-m', '-f', '-std', '-g', '-DNDEBUG'))]
                    return cmd.split()[0] + ' ' + ' '.join(flags)
    except (OSError, ValueError, KeyError):
        pass
    return 'unknown (no compile_commands.json in the build directory)'

rows = ['| implementation | data | ms per iteration (median) | min | rate (Hz) | loss (first -> last iteration run) |',
        '|---|---|---|---|---|---|']
labels = [('eprop/sine_nest', 'chaoschip e-prop', "NEST's sine example (case file)"),
          ('eprop/sine_generated', 'chaoschip e-prop', 'generated sine'),
          ('bptt/sine_generated', 'chaoschip BPTT', 'generated sine'),
          ('bptt/sine_nest', 'chaoschip BPTT', "NEST's sine example (case file)")]
cc_res = {}
for key, impl, data in labels:
    o = ours(key)
    if o is None:
        continue
    cc_res[key] = o
    rows.append(f"| {impl} | {data} | **{o['median']:.2f}** | {o['min']:.2f} | {o['rate']:.1f} | "
                f"{o['loss_first']:.6g} -> {o['loss_last']:.4g} |")
torch_best = {}
names = {'eprop_online': 'PyTorch e-prop online', 'eprop_fast': 'PyTorch e-prop factorised',
         'bptt': 'PyTorch BPTT'}
for label, t in torch_runs:
    rate = t['check'].get('rate_hz_first_iteration')
    for m in ('eprop_online', 'eprop_fast', 'bptt'):
        r = t['results'].get(m)
        if r is None:
            continue
        kind = 'bptt' if m == 'bptt' else 'eprop'
        if kind not in torch_best or r['median_ms'] < torch_best[kind][0]:
            torch_best[kind] = (r['median_ms'], f"{names[m]} ({label})")
        data = 'case file' if t['data'].startswith('case') else t['data']
        rows.append(f"| {names[m]} ({label}) | {data} | **{r['median_ms']:.2f}** | {r['min_ms']:.2f} | "
                    f"{rate:.1f} (iteration 1) | {r['loss_first']:.6g} -> {r['loss_last']:.4g} |")

ratios = ['| ratio | value | target |', '|---|---|---|']
summary = []
def ratio(name, num, den, target=None):
    if num is None or den is None:
        return
    v = num / den
    verdict = '' if target is None else (f'>= {target:g}x: **{"met" if v >= target else "MISSED"}**')
    ratios.append(f'| {name} | **{v:.1f}x** | {verdict} |')
    summary.append(f'{name}: {v:.1f}x' + (f' ({verdict.replace("*", "")})' if target else ''))
e_nest = cc_res.get('eprop/sine_nest', {}).get('median')
e_gen = cc_res.get('eprop/sine_generated', {}).get('median')
b_gen = cc_res.get('bptt/sine_generated', {}).get('median')
b_nest = cc_res.get('bptt/sine_nest', {}).get('median')
if 'eprop' in torch_best:
    ratio(f"best PyTorch e-prop [{torch_best['eprop'][1]}] / chaoschip e-prop (NEST sine, same data)",
          torch_best['eprop'][0], e_nest, 20)
    ratio(f"best PyTorch e-prop / chaoschip e-prop (generated sine)", torch_best['eprop'][0], e_gen)
if 'bptt' in torch_best:
    ratio(f"best PyTorch BPTT [{torch_best['bptt'][1]}] / chaoschip BPTT (generated sine)",
          torch_best['bptt'][0], b_gen)
    ratio(f"best PyTorch BPTT / chaoschip BPTT (NEST sine, same data)", torch_best['bptt'][0], b_nest)
ratio(f'NEST 3.10 ({NEST_MS:g} ms, quoted from the issue, not measured here) / chaoschip e-prop (NEST sine)',
      NEST_MS, e_nest, 20)

t0 = torch_runs[0][1] if torch_runs else {}
checks = t0.get('check', {})
blas = '; '.join(f"{label}: `{t.get('blas')}`" for label, t in torch_runs)
ctx = cc.get('context', {})
table, rtable = '\n'.join(rows), '\n'.join(ratios)
print(table + '\n\n' + rtable)
doc = f"""# e-prop training speed: chaoschip vs PyTorch (vs NEST, quoted)

Generated by `bench/run_all.sh` on {time.strftime('%Y-%m-%d %H:%M')} (chaoschip run {ctx.get('date', '?')}).

- CPU: {cpu_model()}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz; every timed run pinned to one CPU (taskset), one thread. Load average at the chaoschip run: {', '.join(f'{x:.2f}' for x in ctx.get('load_avg', [])) or '?'}.
- chaoschip: `{binary}` (`bench/bench_eprop.cpp`), the library compiled as `{compile_flags()}`. Time per training iteration = (time of `io::run_experiment` with 21 iterations - time with 1) / 20 (setup cancels); median (and min) of {max((o['n'] for o in cc_res.values()), default=0)} repetitions of 5 such measurements.
- PyTorch {t0.get('torch', '?')} (Debian python3-torch), Python {t0.get('python', '?')}, float64, `torch.set_num_threads(1)`; BLAS: {blas or '?'}. Median (and min) of {t0.get('repeat', '?')} training iterations after {t0.get('warmup', '?')} warm-up ones (`bench/eprop_torch.py`).
- NEST: {NEST_MS:g} ms per 1000-step iteration of its own sine-wave example (NEST 3.10, one thread, 2-core machine) is the figure quoted in the issue; NEST is not run here.
- Network: 100 Bernoulli input spike trains (p = 0.05 per step, step 0 silent), 100 LIF (tau_m 30 ms, dt 1 ms, v_th 0.03, reset by subtraction, psi = (0.3/v_th) max(0, 1 - |v - v_th|/v_th)), leaky readout (tau 30 ms), MSE; e-prop with random feedback, firing-rate regularisation c_reg 300, f_target 10 Hz; SGD eta 1e-4; 1000 steps, batch 1. One iteration = forward pass, gradient, update.
- PyTorch "online" filters the per-synapse eligibility traces step by step (ebar = kappa ebar + (1 - kappa) psi zbar, gradient += L ebar); "factorised" runs a 3-op-per-step forward loop and computes the same gradient as one matmul with the learning signal filtered backwards (chaoschip's formulation). Cross-checks (case file): first-iteration loss {checks.get('loss_first_eprop_fast', float('nan')):.6f} (NEST {checks.get('loss_first_nest', float('nan')):.6f}); online vs factorised gradient max. rel. difference {checks.get('grad_rel_diff_online_vs_fast', float('nan')):.1e}; first 5 losses = the NumPy reference's to round-off: {checks.get('loss_5_iterations_eprop_fast') is not None and all(abs(a - b) < 1e-9 * abs(b) for a, b in zip(checks.get('loss_5_iterations_eprop_fast', []), checks.get('loss_numpy_reference', [])))}.

{table}

{rtable}

The chaoschip rate column is the recurrent layer's mean rate over the 21-iteration run;
PyTorch's, the first iteration's. chaoschip's forward pass is event-driven (its cost grows
with the rate), PyTorch's is dense.
"""
path = os.path.join(results, 'eprop.md')
marker = '<!-- notes: kept by run_all.sh -->'
notes = ''
if os.path.exists(path):
    old = open(path).read()
    if marker in old:
        notes = old[old.index(marker):]
with open(path, 'w') as f:
    f.write(doc + ('\n' + notes if notes else '\n' + marker + '\n'))
print('\n'.join(summary))
print(f'wrote {path}')
PY
fi
