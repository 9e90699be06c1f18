#!/usr/bin/env bash
# The config and profile loaders accept only what they should and name exactly what is
# wrong: each bad case exits 2 with one line naming the key and the file and line (or
# --set / --bits / --grid), and leaves no output behind. Also: relative paths in a config
# are relative to its folder (an example runs from any directory), whatif never trains,
# and "no CONFIG" is not "an empty CONFIG".
# Usage: config_faults.sh CHAOSCHIP DATA_DIR
set -u
exe=$1
data=$2
examples=$(cd "$(dirname "$0")/../../examples" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
py=/usr/bin/python3
# Small and fast: every run below takes well under a second.
small=(--set network.n_in=5 --set network.n_rec=10 --set task.steps=20 --set train.iterations=1
  --set 'lyapunov.when=[]')

failures=0
count=0
report() {  # report NAME PROBLEM
  count=$((count + 1))
  if [[ -n "$2" ]]; then
    echo "FAIL [$1]: $2"
    sed 's/^/    stderr: /' stderr.txt 2>/dev/null
    failures=$((failures + 1))
  else
    echo "ok   [$1]: $(head -1 stderr.txt 2>/dev/null)"
  fi
}
# bad NAME 'TEXT...' ARGS...: chaoschip ARGS must exit 2 with one stderr line containing
# every tab-separated TEXT, and no new file in the working directory.
bad() {
  local name=$1 texts=$2
  shift 2
  local before after problem=""
  before=$(ls -A | grep -v -e '^stdout.txt$' -e '^stderr.txt$' | sort)
  "$exe" "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  after=$(ls -A | grep -v -e '^stdout.txt$' -e '^stderr.txt$' | sort)
  [[ $rc -eq 2 ]] || problem="exit code $rc, expected 2"
  [[ $(wc -l <stderr.txt) -eq 1 ]] || problem="$problem; not one message line"
  local IFS=$'\t'
  for t in $texts; do
    grep -qF -- "$t" stderr.txt || problem="$problem; stderr lacks '$t'"
  done
  [[ "$after" == "$before" ]] ||
    problem="$problem; files appeared: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
  report "$name" "$problem"
}
# lacks NAME TEXT: the last message must not contain TEXT.
lacks() {
  if grep -qF -- "$2" stderr.txt; then report "$1" "message contains '$2'"; else report "$1" ""; fi
}
cfg() {  # cfg FILE TOML
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1"
}

# --- a section that is not a table, with --set naming a key inside it
cfg aot.toml $'[[network]]\nn_in = 3'
bad "[[network]] + --set network.n_in" $'\'network\' (line 1 of aot.toml)\texpected a table ([network])' \
  run aot.toml --set network.n_in=5 -o out.h5
cfg five.toml 'network = 5'
bad "network = 5 + --set network.n_in" $'\'network\' (line 1 of five.toml): got 5' \
  run five.toml --set network.n_in=5 -o out.h5
cfg lyap.toml 'lyapunov = "x"'
bad "lyapunov = \"x\" + --set lyapunov.steps" $'\'lyapunov\' (line 1 of lyap.toml)\tgot "x"' \
  run lyap.toml --set lyapunov.steps=50 -o out.h5
cfg twotrain.toml $'[[train]]\n[[train]]'
bad "two [[train]] + --set train.iterations" $'\'train\' (line 1 of twotrain.toml)\texpected a table ([train])' \
  run twotrain.toml --set train.iterations=2 -o out.h5

# --- duplicate grid keys: refused before any point runs (no sweep directory at all)
cfg sweep.toml ''
bad "duplicate --grid key" $'--grid network.gain\ttwice' \
  sweep sweep.toml --grid network.gain=1,2 --grid network.gain=3,4 -o sw "${small[@]}"

# --- chip fields: the documented ranges, no "unset" values, no "" in enumerations
bad "chip.weight_bits = -1" $'\'chip.weight_bits\' (--set): got -1\t0 (float) or an integer in [2, 32]' \
  run --set chip.weight_bits=-1 -o out.h5
bad "chip.max_spikes = -1" $'\'chip.max_spikes\' (--set): got -1\tan integer in [1, 1024]' \
  run --set chip.max_spikes=-1 -o out.h5
cfg wb33.toml $'[chip]\nweight_bits = 33'
bad "chip.weight_bits = 33" $'\'chip.weight_bits\' (line 2 of wb33.toml)\t0 (float) or an integer in [2, 32]' \
  run wb33.toml -o out.h5
lacks "33: no [-1, 32]" "[-1, 32]"
bad "chip.weight_bits = 1" "0 (float) or an integer in [2, 32]" run --set chip.weight_bits=1 -o out.h5
bad "chip.kernel = \"\"" $'\'chip.kernel\'\tone of "float64", "fixed", "loihi", "xylo"' \
  run --set 'chip.kernel=""' -o out.h5
lacks "kernel: no \"\" allowed" 'one of ""'
bad "chip.quantizer = \"\"" "'chip.quantizer'" run --set 'chip.quantizer=""' -o out.h5
lacks "quantizer: no \"\" allowed" 'one of ""'

# --- profile files: errors at their own file and line; bases from files
cfg chips/wide.toml $'base = "spinnaker"\nweight_bits = 40'
bad "profile file value via --set" $'\'chip.weight_bits\' (line 2 of '"$work"$'/chips/wide.toml)' \
  run --set chip.profile=chips/wide.toml -o out.h5
lacks "profile file value: not (--set)" "(--set)"
cfg chips/base.toml $'base = "spinnaker"\nweight_bits = 6'
cfg chips/derived.toml $'base = "base.toml"\nstate_bits = 20'
cfg configs/uses_profile.toml $'[chip]\nprofile = "../chips/derived.toml"'
mkdir -p elsewhere
(cd elsewhere && "$exe" run ../configs/uses_profile.toml -o "$work/prof.h5" -q "${small[@]}" \
  --set train.rule=none) 2>stderr.txt
rc=$?
problem=""
[[ $rc -eq 0 ]] || problem="exit $rc"
[[ -z "$problem" ]] && { "$py" - "$work/prof.h5" "$work/chips/derived.toml" <<'PY' || problem="stored chip section"; }
import sys, h5py
c = h5py.File(sys.argv[1], "r").attrs["config"]
c = c.decode() if isinstance(c, bytes) else c
chip = c[c.index("[chip]"):c.index("[task]")]
assert f'profile = "{sys.argv[2]}"' in chip, chip   # absolute, relative to the config
assert "weight_bits = 6" in chip and "state_bits = 20" in chip and 'kernel = "fixed"' in chip, chip
PY
report "profile base = \"base.toml\" next to the profile, config from another folder" "$problem"
cfg chips/nobase.toml $'base = "missing.toml"'
bad "profile base file missing" $'\'base\' (line 1 of '"$work"$'/chips/nobase.toml)\tmissing.toml' \
  run --set chip.profile=chips/nobase.toml -o out.h5
cfg chips/loop.toml 'base = "loop.toml"'
bad "profile base loop" "'base' (line 1 of $work/chips/loop.toml)" \
  run --set chip.profile=chips/loop.toml -o out.h5

# --- whatif: the --bits settings are checked first; whatif never trains
cfg small.toml $'[network]\nn_in = 5\nn_rec = 10\n[task]\nsteps = 50\n[train]\niterations = 2'
bad "whatif --bits -4" $'\'chip.weight_bits\' (--bits): got -4' whatif small.toml --bits -4 -o w.h5
bad "whatif --bits 1" $'\'chip.weight_bits\' (--bits): got 1' whatif small.toml --bits 16,1 -o w.h5
problem=""
"$exe" whatif small.toml --set chip.profile=xylo -o xylo.h5 >stdout.txt 2>stderr.txt ||
  problem="whatif on xylo failed"
[[ -z "$problem" ]] && { "$exe" whatif small.toml --set chip.profile=xylo --set train.rule=none \
  -o xylo_none.h5 >/dev/null 2>>stderr.txt || problem="whatif on xylo (rule none) failed"; }
[[ -z "$problem" ]] && { "$py" - <<'PY' || problem="tables differ"; }
import h5py, numpy as np
a, b = h5py.File("xylo.h5", "r")["whatif"], h5py.File("xylo_none.h5", "r")["whatif"]
assert len(a["weight_bits"]) == 11, a["weight_bits"][...]
for k in ("weight_bits", "rate_hz", "distance", "loss"):
    assert np.array_equal(a[k][...], b[k][...], equal_nan=True), k   # nothing was trained
c = h5py.File("xylo.h5", "r").attrs["config"]
c = c.decode() if isinstance(c, bytes) else c
assert 'rule = "none"' in c, "the stored config is what was simulated"
PY
report "whatif on xylo does not train (same table as train.rule = none)" "$problem"

# --- relative paths: an example with a case file, from another directory
problem=""
(cd elsewhere && "$exe" run "$examples/sine_nest.toml" --set train.rule=none \
  --set train.iterations=1 --set 'lyapunov.when=["before"]' --set lyapunov.steps=20 \
  --set lyapunov.warmup=0 -o "$work/nest.h5" -q) 2>stderr.txt || problem="run from elsewhere failed"
# The stored config names the case file absolutely: lyapunov on the run file, from elsewhere.
mkdir -p third
[[ -z "$problem" ]] && { (cd third && "$exe" lyapunov "$work/nest.h5" -o "$work/nest.lyap.h5" -q \
  --set 'lyapunov.when=["before"]') 2>>stderr.txt || problem="lyapunov RUN.h5 from elsewhere failed"; }
report "examples/sine_nest.toml from another directory, then lyapunov RUN.h5" "$problem"
# --set paths are relative to the current directory.
cp "$data/nest_eprop_regression_case.h5" elsewhere/case.h5
problem=""
(cd elsewhere && "$exe" run "$examples/sine_nest.toml" --set train.rule=none \
  --set train.iterations=1 --set 'lyapunov.when=[]' --set task.file=case.h5 \
  --set network.file=case.h5 -o "$work/nest2.h5" -q) 2>stderr.txt || problem="run failed"
grep -q "file = \"$work/elsewhere/case.h5\"" <("$py" -c "
import h5py; c = h5py.File('$work/nest2.h5', 'r').attrs['config']
print(c.decode() if isinstance(c, bytes) else c)") || problem="$problem; --set path not resolved in the current directory"
report "--set task.file=case.h5 is relative to the current directory" "$problem"
# A relative case file in a config is relative to that config's folder.
cfg configs/case.toml $'[network]\ninit = "file"\nfile = "missing_case.h5"\n[train]\nrule = "none"'
bad "a config's missing case file is looked for next to the config" "$work/configs/missing_case.h5" \
  run configs/case.toml -o out.h5

# --- no CONFIG (the embedded default experiment) is not an empty CONFIG (the key defaults)
cfg empty.toml ''
problem=""
"$exe" run -o none.h5 -q "${small[@]}" 2>stderr.txt || problem="run without CONFIG failed"
"$exe" run empty.toml -o empty.h5 -q "${small[@]}" 2>>stderr.txt || problem="run empty.toml failed"
[[ -z "$problem" ]] && { "$py" - <<'PY' || problem="the two runs do not differ as documented"; }
import h5py
none, empty = h5py.File("none.h5", "r"), h5py.File("empty.h5", "r")
assert "states" in none, "the embedded default records states"
assert "states" not in empty, "record.states defaults to false"
PY
"$exe" run --help >help.txt 2>&1
grep -q "embedded default" help.txt && grep -q "empty file" help.txt ||
  problem="$problem; run --help does not explain it"
report "no CONFIG vs an empty CONFIG (and run --help)" "$problem"

echo "$((count - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
