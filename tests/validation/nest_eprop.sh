#!/usr/bin/env bash
# NEST reproduction: e-prop in nest_bsshslm_2020 mode on NEST's regression case, through
# the real executable, gives NEST's reference losses for the 5 iterations (required: 1e-6
# relative; NEST's own TensorFlow reference differs from it by 6e-8) and the final weights
# of the reference run.
# Usage: nest_eprop.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
case_file=$2/nest_eprop_regression_case.h5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$work"
# NEST's sine-wave example is the regression case's network (same weights and input).
(cd "$root" && "$exe" run examples/sine_nest.toml --set train.iterations=5 -o "$work/out.h5" --quiet)
/usr/bin/python3 - "$case_file" <<'PY'
import sys, h5py, numpy as np
ref = h5py.File(sys.argv[1], "r")
out = h5py.File("out.h5", "r")
loss, nest = out["train/loss"][...], ref["loss_nest_reference"][...]
rel = np.abs(loss - nest) / np.abs(nest)
for i, (a, b, r) in enumerate(zip(loss, nest, rel)):
    print(f"iteration {i}: loss {a:.12f}  NEST {b:.12f}  relative error {r:.1e}")
assert rel.max() < 1e-6, rel
n = ref["numpy_reference"]
for name, ds in (("w_in", "weights_in_rec_after_update"), ("w_rec", "weights_rec_rec_after_update"),
                 ("w_out", "weights_rec_out_after_update")):
    w, w_ref = out["network/final/" + name][...], n[ds][-1]
    err = np.abs(w - w_ref).max() / np.abs(w_ref).max()
    print(f"final {name}: max relative difference to the reference run {err:.1e}")
    assert err < 1e-9, (name, err)
PY
echo "1 passed, 0 failed"
