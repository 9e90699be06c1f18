#!/usr/bin/env bash
# Files a fuzzer found (tests/fuzz/): damaged HDF5 inputs are bad input (exit 2, one line
# naming the file), never a crash, an allocation failure or memory exhausted.
# Usage: damaged_files.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
source "$(dirname "$0")/../lib/expect_fail.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A dataset whose header claims a shape of ~1e17 elements but holds almost nothing (chunked,
# never written): reading it tried to allocate exabytes (fuzz_case_file, fuzz_run_file).
"$exe" run --quiet -o run.h5 --set network.n_in=3 --set network.n_rec=4 --set network.n_out=2 \
  --set task.steps=5 --set train.iterations=1 --set lyapunov.steps=10 --set lyapunov.warmup=1
/usr/bin/python3 - <<'PY'
import h5py
huge = (1 << 28, 1 << 28)
with h5py.File("case.h5", "w") as f:
    f.create_dataset("input_spikes", shape=huge, dtype="u1", chunks=(1, 64))
    f.create_dataset("target", shape=(5, 2), dtype="f8")
with h5py.File("run.h5", "a") as f:
    del f["network/initial/w_rec"]
    f.create_dataset("network/initial/w_rec", shape=huge, dtype="f8", chunks=(1, 64))
PY
expect_fail "case.h5.*dataset 'input_spikes' has shape \[268435456, 268435456\]" \
  "$exe" run --set task.name='"file"' --set task.file='"case.h5"' -o out.h5
expect_fail "run.h5.*'network/initial/w_rec' has shape .* but holds only" "$exe" info run.h5
expect_fail "run.h5.*network/initial/w_rec' has shape \[268435456, 268435456\]" \
  "$exe" lyapunov run.h5 -o spectrum.h5
# Inputs the fuzzers found, kept in tests/fuzz/ (see its README): each is refused with exit 2
# naming the file within seconds (a hang would end at the timeout with exit 124).
fuzz=$(cd "$(dirname "$0")/../fuzz" && pwd)
# Run files whose string attributes point into damaged global heaps: libhdf5 crashed
# (H5HG_read) or looped for ever before chaoschip checked the references.
for f in "$fuzz"/corpus/run_file/regression-*heap*.h5 "$fuzz"/corpus/run_file/regression-h5hg-*.h5; do
  expect_fail "$(basename "$f").*attribute '.*': string 0 refers to a damaged or absurd heap object" \
    timeout 60 "$exe" info "$f"
done
expect_fail "regression-h5o-protect-leak.h5.*not a readable HDF5 file" \
  timeout 60 "$exe" info "$fuzz/corpus/run_file/regression-h5o-protect-leak.h5"
# Case files: a float type claiming 4 GB per element (HDF5 allocated 4.2 GB and took 22 s),
# damaged object headers for which libhdf5 asks malloc for terabytes, and one on which the
# sanitizer build's allocator grew past 2 GB.
small=(--set network.n_in=3 --set network.n_rec=4 --set network.n_out=2 --set task.steps=5
  --set train.iterations=1 --set lyapunov.steps=10 --set lyapunov.warmup=1)
cp "$fuzz/corpus/case_file/regression-huge-element-size.h5" element.h5
expect_fail "element.h5.*dataset 'weights_rec_rec' has 4294639624-byte elements, expected at most 8" \
  timeout 60 "$exe" run "${small[@]}" --set network.init='"file"' --set network.file='"element.h5"' \
  -o out.h5
for f in "$fuzz"/corpus/case_file/regression-h5*.h5 "$fuzz"/libhdf5/case_asan_rss.h5; do
  cp "$f" damaged.h5
  expect_fail "damaged.h5.*not a readable HDF5 file" timeout 60 "$exe" run "${small[@]}" \
    --set task.name='"file"' --set task.file='"damaged.h5"' -o out.h5
  expect_fail "damaged.h5.*not a readable HDF5 file" timeout 60 "$exe" run "${small[@]}" \
    --set network.init='"file"' --set network.file='"damaged.h5"' -o out.h5
done
# The same check on version-2 object headers (h5py's libver="latest"): an intact copy reads,
# a copy whose global heap claims a 1 TiB object is refused.
"$exe" run --quiet -o plain.h5 "${small[@]}"
/usr/bin/python3 - <<'PY'
import struct
import h5py
with h5py.File("plain.h5", "r") as src, h5py.File("latest.h5", "w", libver="latest") as dst:
    for key, value in src.attrs.items():
        dst.attrs[key] = value
    for key in src:
        src.copy(src[key], dst, name=key)
data = bytearray(open("latest.h5", "rb").read())
at = data.find(b"GCOL")
assert at >= 0
struct.pack_into("<Q", data, at + 24, 1 << 40)  # the size of the collection's first object
open("latest_damaged.h5", "wb").write(data)
PY
"$exe" info latest.h5 > info.txt
expect_fail "latest_damaged.h5.*attribute '.*': string 0 refers to a damaged or absurd heap object" \
  timeout 60 "$exe" info latest_damaged.h5
test ! -e out.h5 && test ! -e spectrum.h5
ls -A | grep -q tmp && { echo "temporary file left behind"; exit 1; }
echo "damaged files: exit 2 with one message"
