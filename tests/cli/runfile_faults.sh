#!/usr/bin/env bash
# Run files read back: `lyapunov RUN.h5` checks every dataset and attribute it uses against
# the file's config and docs/file_format.md (exit 2, one line naming the file and the
# dataset or attribute, no output file); files that stored numbers as strings are still
# read; `info` shows codes with their scale, spectra in the order measured, Kaplan-Yorke
# explained for k = 1, and summarises a sweep's summary.h5 instead of walking its points.
# Usage: runfile_faults.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/../lib/expect_fail.sh"

cat > rate.toml <<'TOML'
seed = 3
[network]
model = "rate"
n_in = 4
n_rec = 10
gain = 2.5
[neuron]
alpha = 0.5
[task]
name = "sine"
steps = 50
[train]
rule = "eprop"
iterations = 2
[lyapunov]
k = 2
steps = 100
warmup = 20
TOML
"$exe" run rate.toml -o run.h5 -q
"$exe" run rate.toml -o q4.h5 -q --set chip.weight_bits=4
"$exe" lyapunov rate.toml -o traj.h5 -q --set record.states=true

# h5py edits, as a user would make them: bad.py SOURCE TARGET 'python statements on f'.
cat > bad.py <<'PY'
import shutil, sys
import h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    exec(sys.argv[3])
PY
bad() { /usr/bin/python3 bad.py "$@"; }
# fails PATTERN FILE: `lyapunov FILE` exits 2 with PATTERN and the file named, no output.
fails() {
  expect_fail "$1" "$exe" lyapunov "$2" -o out.lyap.h5 -q
  grep -qF -- "$2" err.txt || { echo "file not named: $(cat err.txt)"; exit 1; }
  test ! -e out.lyap.h5
}

# w_rec of another shape than the config's n_rec.
bad run.h5 shape.h5 'del f["network/initial/w_rec"]; f["network/initial/w_rec"] = np.zeros((10, 9))'
fails "dataset '/network/initial/w_rec' has shape \[10, 9\], expected \[10, 10\] (network.n_rec = 10)" shape.h5
# A config attribute that disagrees with the weights (was: exit 3, tangent vectors NaN).
bad run.h5 n_rec.h5 'f.attrs["config"] = f.attrs["config"].replace("n_rec = 10", "n_rec = 20")'
fails "dataset '/network/initial/w_in' has shape \[10, 4\], expected \[20, 4\] (network.n_rec = 20" n_rec.h5
bad run.h5 toml.h5 'f.attrs["config"] = "[network\nn_rec = 10"'
fails "config attribute" toml.h5
bad run.h5 gain.h5 'f.attrs["config"] = f.attrs["config"].replace("gain = 2.5", "gain = \"high\"")'
fails "network.gain" gain.h5
bad run.h5 noconfig.h5 'del f.attrs["config"]'
fails "attribute 'config' is missing" noconfig.h5
expect_fail "network.n_rec = 12" "$exe" lyapunov run.h5 -o out.lyap.h5 --set network.n_rec=12
# int32 codes without their scale (were used as weights), and on a float64 profile.
bad q4.h5 noscale.h5 'del f["network/initial/w_rec"].attrs["scale"]'
fails "dataset '/network/initial/w_rec' holds int32 codes without their 'scale' attribute" noscale.h5
bad run.h5 int.h5 'w = f["network/final/w_rec"][...]; del f["network/final/w_rec"]; f["network/final/w_rec"] = np.round(w * 100).astype(np.int32); f["network/final/w_rec"].attrs["scale"] = 0.01'
fails "dataset '/network/final/w_rec' has type int32, expected float64 (int32 codes only" int.h5
# Codes beyond the profile's bits (were accepted).
bad q4.h5 code.h5 'w = f["network/initial/w_rec"]; x = w[...]; x[2, 3] = 100; w[...] = x'
fails "dataset '/network/initial/w_rec' holds code 100 at \[2, 3\], outside \[-7, 7\] (chip.profile = \"float64\", chip.weight_bits = 4)" code.h5
bad q4.h5 scale.h5 'f["network/final/w_in"].attrs["scale"] = np.ones(3)'
fails "attribute 'scale' of '/network/final/w_in' has 3" scale.h5
# Non-finite and wrongly typed float weights.
bad run.h5 nan.h5 'w = f["network/initial/w_out"]; x = w[...]; x[0, 4] = np.nan; w[...] = x'
fails "dataset '/network/initial/w_out' holds a non-finite value (nan) at \[0, 4\]" nan.h5
bad run.h5 f32.h5 'w = f["network/initial/w_in"][...]; del f["network/initial/w_in"]; f["network/initial/w_in"] = w.astype(np.float32)'
fails "dataset '/network/initial/w_in' has type float32, expected float64" f32.h5
# The recorded trajectory's attributes (t0 = "abc" was exit 1 "internal error: stoll";
# weights = "middle" was taken as "initial").
bad traj.h5 t0.h5 'f["states/recurrent"].attrs["t0"] = "abc"'
fails "attribute 't0' of '/states/recurrent' is \"abc\", expected an integer step >= 0" t0.h5
bad traj.h5 t0neg.h5 'f["states/recurrent"].attrs["t0"] = np.int64(-2)'
fails "attribute 't0' of '/states/recurrent' is -2" t0neg.h5
bad traj.h5 middle.h5 'f["states/recurrent"].attrs["weights"] = "middle"'
fails "attribute 'weights' of '/states/recurrent' is \"middle\", expected one of \"final\", \"initial\"" middle.h5
bad traj.h5 kind.h5 'f["states/recurrent"].attrs["trajectory"] = "replay"'
fails "attribute 'trajectory' of '/states/recurrent' is \"replay\"" kind.h5
bad traj.h5 cols.h5 'h = f["states/recurrent/h"][...]; del f["states/recurrent/h"]; f["states/recurrent/h"] = h[:, :9]'
fails "dataset '/states/recurrent/h' has shape \[121, 9\], expected \[121, 10\]" cols.h5
bad traj.h5 hnan.h5 'h = f["states/recurrent/h"]; x = h[...]; x[5, 1] = np.inf; h[...] = x'
fails "dataset '/states/recurrent/h' holds a non-finite value (inf) at \[5, 1\]" hnan.h5

# Files written before numbers were stored as numbers: t0 and steps as strings, /chip/
# integers as float64. Still read, with the same result.
/usr/bin/python3 - <<'PY'
import h5py
f = h5py.File("traj.h5", "r")
g = f["states/recurrent"]
assert g.attrs["t0"] == 0 and g.attrs["t0"].dtype == "int64", g.attrs["t0"]
assert f["lyapunov/before"].attrs["steps"].dtype == "int64"
assert f.attrs["dt"].dtype == "float64"
PY
bad traj.h5 old.h5 'f["states/recurrent"].attrs["t0"] = "0"; f.attrs["dt"] = "1"'
"$exe" lyapunov traj.h5 -o new.lyap.h5 -q
"$exe" lyapunov old.h5 -o old.lyap.h5 -q
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
a = h5py.File("new.lyap.h5", "r")["lyapunov/before"]
b = h5py.File("old.lyap.h5", "r")["lyapunov/before"]
assert a.attrs["source"] == b.attrs["source"] == "recorded states"
assert np.array_equal(a["exponents"][:], b["exponents"][:])
PY
# The valid chip file still works: codes times scale, not re-mapped.
"$exe" lyapunov q4.h5 -o q4.lyap.h5 -q

# info: spectra before, then after; codes with their scale; no "nan".
"$exe" info run.h5 > info.txt
b=$(grep -n "^lyapunov before" info.txt | cut -d: -f1)
a=$(grep -n "^lyapunov after" info.txt | cut -d: -f1)
[ -n "$b" ] && [ -n "$a" ] && [ "$b" -lt "$a" ] || { echo "lyapunov order"; cat info.txt; exit 1; }
"$exe" info q4.h5 > info.txt
grep -Eq "w_rec +\[10, 10\] +int32 codes in \[-?[0-9]+, [0-9]+\] x scale [0-9.]+ +mean" info.txt ||
  { echo "codes without scale"; cat info.txt; exit 1; }
# Kaplan-Yorke for k = 1 on a chaotic network: explained, not "nan".
"$exe" lyapunov rate.toml -o k1.h5 --set lyapunov.k=1 --set network.n_rec=50 \
  --set network.gain=6.0 --set 'lyapunov.input="none"' --set lyapunov.steps=300 > k1.txt
"$exe" info k1.h5 >> k1.txt
grep -q "lambda_max 0\.0" k1.txt || { echo "expected a chaotic network"; cat k1.txt; exit 1; }
[ "$(grep -c "Kaplan-Yorke n/a (k = 1 and lambda_1 >= 0: the dimension is >= 1" k1.txt)" -eq 2 ] ||
  { cat k1.txt; exit 1; }
! grep -qi "nan" k1.txt

# info on a sweep's summary.h5: the sweep, not every linked point.
"$exe" sweep rate.toml -o sw --grid network.gain=0.5,1 --grid 'train.rule="eprop","bogus"' -q \
  2> /dev/null || true
"$exe" info sw/summary.h5 > info.txt
grep -q "sweep summary: 4 points: 2 ok, 2 failed, 0 missing" info.txt
grep -q "grid network.gain (2 values): 0.5, 1" info.txt
grep -q "grid train.rule (2 values): eprop, bogus" info.txt
grep -q "failed: point_0001.h5: .*train.rule" info.txt
grep -q "/points/\* .*2 external links (not followed)" info.txt
! grep -q "w_rec\|/points/point_" info.txt || { echo "walked the points"; cat info.txt; exit 1; }

ls -A | grep -q tmp && { echo "temporary file left behind"; exit 1; }
echo "run file faults: ok"
