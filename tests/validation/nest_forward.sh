#!/usr/bin/env bash
# Forward dynamics against NEST: the first iteration of NEST's e-prop regression test
# (iaf_bsshslm_2020 LIF, readout, the case file's weights and input) does not depend on
# learning, so an untrained run must give NEST's first reference loss and the reference
# run's spike raster exactly.
# Usage: nest_forward.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
case_file=$2/nest_eprop_regression_case.h5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$work"
# NEST's sine-wave example is the regression case's network (same weights and input).
(cd "$root" && "$exe" run examples/sine_nest.toml --set train.rule=none --set train.iterations=1 --set record.spikes=true -o "$work/out.h5" --quiet)
/usr/bin/python3 - "$case_file" <<'PY'
import sys, h5py, numpy as np
ref = h5py.File(sys.argv[1], "r")
out = h5py.File("out.h5", "r")
loss = out["train/loss"][0]
nest = ref["loss_nest_reference"][0]
rel = abs(loss - nest) / nest
print(f"iteration-0 loss {loss!r} vs NEST {nest!r}: relative error {rel:.2e}")
assert rel < 1e-9, rel
raster = np.zeros((1000, 100), dtype=np.uint8)
ts = out["spikes/recurrent/timestamps"][...].astype(int)
ids = out["spikes/recurrent/node_ids"][...].astype(int)
raster[ts, ids] = 1
expected = ref["numpy_reference/rec_spikes"][0]
assert raster.sum() == expected.sum() == 3999, (raster.sum(), expected.sum())
assert np.array_equal(raster, expected), "spike rasters differ"
print("spike raster identical:", raster.sum(), "spikes")
PY
echo "1 passed, 0 failed"
