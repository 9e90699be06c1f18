#!/usr/bin/env bash
# Simulating NIR graphs with `chaoschip run` (network.source = "nir"), against references
# computed in the test (tests/lib/nir_simulate_check.py, tests/lib/nir_reference.py):
#   1. lif_norse.nir driven by column 1 of NIR's norse trace: euler v equals column 2 to
#      1e-6 and the spikes column 3; exact v equals the zero-order-hold closed form to 1e-12
#      (the reference first reproduces the trace itself);
#   2. the four braille graphs: shapes (info and recorded widths: 12 inputs, 38 or 40
#      recurrent, 7 outputs); spikes identical to an independent NumPy simulation of NIR's
#      CubaLIF equations over 256 steps of Bernoulli input, both resets, both integrators
#      (v and i to 1e-9), with spikes in both layers; flat and subgraph versions identical;
#   3. two_lif_neurons.nir: LIF1's period is tau ln(v_leak / (v_leak - v_threshold)) within
#      one step, LIF1 and LIF2's traces equal their closed forms (1e-12);
# and bad input exits 2: input width, network.dt against nir.dt, a missing network.file.
# Usage: nir_simulate.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
data=$(cd "$2/nir" && pwd)
lib=$(cd "$(dirname "$0")/../lib" && pwd)
source "$lib/expect_fail.sh"
check() { /usr/bin/python3 "$lib/nir_simulate_check.py" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# config NAME GRAPH CASE INTEGRATOR RESET NIR_DT [EXTRA TOML LINES for [network]]:
# writes NAME.toml (absolute paths: the same under either rule for relative ones). One
# iteration: train.iterations (default 100) repeats the sequence, each recorded after the
# last, so that the states would have 100 T rows.
config() {
  cat > "$1.toml" <<EOF
seed = 1
[network]
source = "nir"
file = "$2"
${7:-}
[nir]
integrator = "$4"
reset = "$5"
dt = $6
[task]
name = "file"
file = "$work/$3"
[train]
rule = "none"
iterations = 1
[record]
states = true
spikes = true
EOF
}
run() { "$exe" run "$1.toml" -o "$1.h5" > "$1.log" 2>&1 || { cat "$1.log"; exit 1; }; }

# 1. lif_norse.nir against the norse trace (euler; network.dt given consistently) and the
#    closed form (exact).
check norse-case "$data" norse_case.h5
config norse_euler "$data/lif_norse.nir" norse_case.h5 euler value 1e-4 "dt = 0.1"
config norse_exact "$data/lif_norse.nir" norse_case.h5 exact value 1e-4
run norse_euler
run norse_exact
check norse "$data" norse_euler.h5 norse_exact.h5

# 2. The braille graphs, flat and subgraph, both resets and both integrators.
check braille-case braille_case.h5
for g in braille_noDelay_bias_zero braille_noDelay_noBias_subtract; do
  for name in $g ${g}_subgraph; do
    "$exe" info "$data/$name.nir" > "$name.txt"
    for integrator in euler exact; do
      for reset in value subtract; do
        config "$name.$integrator.$reset" "$data/$name.nir" braille_case.h5 $integrator $reset 1e-4
        run "$name.$integrator.$reset"
      done
    done
  done
done
check braille "$data" "$work"

# 3. two_lif_neurons.nir: its Input drives nothing; zero input for 2000 steps of 0.1 ms.
check two-lif-case two_lif_case.h5
config two_euler "$data/two_lif_neurons.nir" two_lif_case.h5 euler value 1e-4
config two_exact "$data/two_lif_neurons.nir" two_lif_case.h5 exact value 1e-4
run two_euler
run two_exact
check two-lif "$data" two_euler.h5 two_exact.h5

# 4. Bad input: exit 2 with one line, and no output file.
/usr/bin/python3 -c "
import h5py, numpy as np
h5py.File('narrow_case.h5', 'w')['input_spikes'] = np.zeros((10, 11), np.uint8)"
config narrow "$data/braille_noDelay_bias_zero.nir" narrow_case.h5 euler value 1e-4
expect_fail "input_spikes" "$exe" run narrow.toml -o bad.h5
grep "11" err.txt | grep -q "12" ||
  { echo "the width message names both widths, 11 and 12"; cat err.txt; exit 1; }
config bad_dt "$data/lif_norse.nir" norse_case.h5 euler value 1e-4 "dt = 1.0"
expect_fail "nir.dt" "$exe" run bad_dt.toml -o bad.h5
config no_graph "$work/missing.nir" norse_case.h5 euler value 1e-4
expect_fail "missing.nir" "$exe" run no_graph.toml -o bad.h5
sed '/^file = ".*missing.nir"$/d' no_graph.toml > no_file_key.toml
expect_fail "network.file" "$exe" run no_file_key.toml -o bad.h5
[ -z "$(ls bad.h5* 2> /dev/null)" ] || { echo "a failed run left an output file"; ls; exit 1; }
echo "nir_simulate: all checks passed"
