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
