#!/usr/bin/env bash
# Feeds malformed inputs through the real executable: each must exit 2 with one message
# naming the offending key or file, and leave no output file (nor a temporary one) behind.
# Usage: bad_input.sh CHAOSCHIP DATA_DIR
set -u
exe=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
py=/usr/bin/python3
case_file="$data/nest_eprop_regression_case.h5"

mkdir adir
head -c 2000 "$case_file" > truncated.h5
echo "not hdf5 at all" > text.h5
"$py" - <<PY
import h5py, numpy as np
src = h5py.File("$case_file", "r")
with h5py.File("no_target.h5", "w") as f:
    f["input_spikes"] = src["input_spikes"][...]
with h5py.File("bad_weights.h5", "w") as f:
    for k in ("weights_in_rec", "weights_rec_out", "weights_out_rec"):
        f[k] = src[k][...]
    f["weights_rec_rec"] = np.zeros((100, 99))
with h5py.File("string_target.h5", "w") as f:
    f["input_spikes"] = src["input_spikes"][...]
    f["target"] = np.array([b"a"] * 1000)
PY

failures=0
count=0
# check NAME EXPECTED_SUBSTRING ARGS... : runs chaoschip ARGS, wants exit 2, the substring on
# stderr and no file out.h5 or temporary file in the working directory.
check() {
  local name=$1 expect=$2
  shift 2
  count=$((count + 1))
  rm -f out.h5
  local before
  before=$(ls -A | sort)
  "$exe" "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  local after
  after=$(ls -A | grep -v -e '^stdout.txt$' -e '^stderr.txt$' | sort)
  local problem=""
  [[ $rc -eq 2 ]] || problem="exit code $rc, expected 2"
  grep -qF -- "$expect" stderr.txt || problem="$problem; stderr lacks '$expect'"
  [[ $(wc -l <stderr.txt) -le 2 ]] || problem="$problem; more than one message line"
  [[ "$after" == "$(echo "$before" | grep -v -e '^stdout.txt$' -e '^stderr.txt$')" ]] ||
    problem="$problem; files appeared: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
  if [[ -n "$problem" ]]; then
    echo "FAIL [$name]: $problem"
    sed 's/^/    stderr: /' stderr.txt
    failures=$((failures + 1))
  else
    echo "ok   [$name]: $(head -1 stderr.txt)"
  fi
}
cfg() {  # cfg FILE TOML
  printf '%s\n' "$2" >"$1"
}

cfg unknown_key.toml $'[network]\nn_rec = 10\nfoo = 1'
check "unknown key" "network.foo" run unknown_key.toml -o out.h5
cfg unknown_section.toml $'[netwrk]\nn_rec = 10'
check "unknown section" "netwrk" run unknown_section.toml -o out.h5
cfg wrong_type.toml $'[network]\nn_rec = "ten"'
check "wrong type" "network.n_rec" run wrong_type.toml -o out.h5
cfg neg_tau.toml $'[neuron]\ntau_m = -5.0'
check "negative tau" "neuron.tau_m" run neg_tau.toml -o out.h5
cfg zero_rec.toml $'[network]\nn_rec = 0'
check "n_rec = 0" "network.n_rec" run zero_rec.toml -o out.h5
cfg zero_dt.toml $'[network]\ndt = 0.0'
check "dt = 0" "network.dt" run zero_dt.toml -o out.h5
cfg bad_model.toml $'[network]\nmodel = "izhikevich"'
check "unknown model" "network.model" run bad_model.toml -o out.h5
cfg bad_phi.toml $'[neuron]\nphi = "sigmoid"'
check "unknown phi" "neuron.phi" run bad_phi.toml -o out.h5
cfg nan_gain.toml $'[network]\ngain = nan'
check "gain = nan" "network.gain" run nan_gain.toml -o out.h5
cfg bad_when.toml $'[lyapunov]\nwhen = ["sometimes"]'
check "lyapunov.when" "lyapunov.when" run bad_when.toml -o out.h5
cfg bad_chip.toml $'[chip]\nprofile = "truenorth"'
check "unknown chip profile" "chip.profile" run bad_chip.toml -o out.h5
cfg syntax.toml $'[network\nn_rec = 10'
check "TOML syntax error" "syntax.toml" run syntax.toml -o out.h5
check "missing config file" "nope.toml" run nope.toml -o out.h5
check "config is a directory" "adir" run adir -o out.h5
cfg missing_case.toml $'[network]\ninit = "file"\nfile = "nope.h5"\n[train]\nrule = "none"'
check "missing case file" "nope.h5" run missing_case.toml -o out.h5
cfg truncated.toml $'[network]\ninit = "file"\nfile = "truncated.h5"\n[train]\nrule = "none"'
check "truncated HDF5 file" "truncated.h5" run truncated.toml -o out.h5
cfg textfile.toml $'[network]\ninit = "file"\nfile = "text.h5"\n[train]\nrule = "none"'
check "not an HDF5 file" "text.h5" run textfile.toml -o out.h5
cfg dir_case.toml $'[network]\ninit = "file"\nfile = "adir"\n[train]\nrule = "none"'
check "directory as case file" "adir" run dir_case.toml -o out.h5
cfg shape.toml $'[network]\nn_rec = 50\ninit = "file"\nfile = "'"$case_file"$'"\n[train]\nrule = "none"'
check "dataset of the wrong shape (n_rec)" "weights_in_rec" run shape.toml -o out.h5
cfg bad_weights.toml $'[network]\ninit = "file"\nfile = "bad_weights.h5"\n[train]\nrule = "none"'
check "dataset of the wrong shape (file)" "weights_rec_rec" run bad_weights.toml -o out.h5
cfg no_target.toml $'[task]\nname = "file"\nfile = "no_target.h5"\n[train]\nrule = "none"'
check "missing dataset" "target" run no_target.toml -o out.h5
cfg string_target.toml $'[task]\nname = "file"\nfile = "string_target.h5"\n[train]\nrule = "none"'
check "dataset of the wrong type" "target" run string_target.toml -o out.h5
cfg no_file_key.toml $'[network]\ninit = "file"'
check "init = file without a file" "network.file" run no_file_key.toml -o out.h5
check "--set without =" "network.gain" run --set network.gain -o out.h5
check "--set unknown key" "network.bogus" run --set network.bogus=1 -o out.h5
check "--set wrong type" "network.n_rec" run --set network.n_rec=1.5 -o out.h5
check "--set out of range" "neuron.v_th" run --set neuron.v_th=-1.0 -o out.h5
check "output is a directory" "adir" run --set train.iterations=1 -o adir
check "output directory missing" "missing/out.h5" run --set train.iterations=1 -o missing/out.h5
check "unknown option" "--bogus" run --bogus -o out.h5
cfg badprofile.toml $'base = "spinnaker"\nweight_bitz = 4'
check "unknown key in a chip profile file" "weight_bitz" run --set chip.profile=badprofile.toml -o out.h5
check "missing chip profile file" "nope_chip.toml" run --set chip.profile=nope_chip.toml -o out.h5
check "weight bits a chip cannot take" "chip.weight_bits" run --set chip.profile=loihi --set chip.weight_bits=12 -o out.h5
check "fixed-point kernel on a rate network" "network.model" run --set chip.profile=loihi --set network.model=rate --set train.rule=none -o out.h5
check "info on a missing file" "nope.h5" info nope.h5
check "info on a text file" "text.h5" info text.h5
check "info on a truncated file" "truncated.h5" info truncated.h5
check "info on a directory" "adir" info adir

echo "$((count - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
