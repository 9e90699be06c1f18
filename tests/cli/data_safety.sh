#!/usr/bin/env bash
# Nothing lost, nothing overwritten: an output never replaces a device, a FIFO or one of
# the command's own inputs; a FIFO as an input is refused instead of blocking; a name too
# long is bad input; a full disk is "no space left on device" (exit 2), with no crash and
# no temporary file left, and a sweep records the point that did not fit and goes on.
# Device and full-disk cases run inside `unshare -m` on throwaway tmpfs mounts (never
# against the real /dev); without that permission they are reported as skipped.
# Usage: data_safety.sh CHAOSCHIP DATA_DIR
set -u
exe=$(realpath "$1")
data=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

failures=0
count=0
# check NAME RC PATTERN COMMAND...: COMMAND (a hang fails after 20 s) must exit RC with
# PATTERN on stderr, and leave no temporary file anywhere under the working directory.
check() {
  local name=$1 want=$2 pattern=$3
  shift 3
  count=$((count + 1))
  timeout 20 "$@" >stdout.txt 2>stderr.txt
  local rc=$? problem=""
  [[ $rc -eq $want ]] || problem="exit code $rc, expected $want"
  [[ -z "$pattern" ]] || grep -qiF -- "$pattern" stderr.txt ||
    problem="$problem; stderr lacks '$pattern'"
  if [[ $want -eq 2 ]] && [[ $(wc -l <stderr.txt) -ne 1 ]]; then
    problem="$problem; expected one message line"
  fi
  local left
  left=$(find . -name '*.tmp*')
  [[ -z "$left" ]] || problem="$problem; temporary files left: $left"
  report "$name" "$problem" "$(head -1 stderr.txt)"
}
# expect NAME CONDITION...: a test(1) condition about the files afterwards.
expect() {
  local name=$1
  shift
  count=$((count + 1))
  if test "$@"; then report "$name" "" "test $*"; else report "$name" "failed: test $*" ""; fi
}
report() {
  if [[ -n "$2" ]]; then
    echo "FAIL [$1]: $2"
    sed 's/^/    stderr: /' stderr.txt 2>/dev/null
    failures=$((failures + 1))
  else
    echo "ok   [$1]: $3"
  fi
}

cat >small.toml <<'TOML'
[network]
model = "rate"
n_in = 5
n_rec = 20
[task]
name = "sine"
steps = 200
[train]
rule = "none"
iterations = 1
TOML
cp small.toml small.orig
q=(-q --set task.steps=100)

# ---- devices and FIFOs as output targets --------------------------------------------
mkfifo pipe.h5
targets=(pipe.h5)
if mknod null.h5 c 1 3 2>/dev/null; then
  targets+=(null.h5)
else
  echo "skipped: character device targets (mknod not permitted)"
fi
for t in "${targets[@]}"; do
  kind=$([[ -p $t ]] && echo FIFO || echo "character device")
  check "run -o $t" 2 "$kind" "$exe" run small.toml -o "$t" "${q[@]}"
  check "whatif -o $t" 2 "$kind" "$exe" whatif small.toml -o "$t" "${q[@]}"
  check "lyapunov -o $t" 2 "$kind" "$exe" lyapunov small.toml -o "$t" "${q[@]}"
  check "sweep -o $t" 2 "expected an output directory" "$exe" sweep small.toml -o "$t" "${q[@]}"
done
expect "pipe.h5 is still a FIFO" -p pipe.h5
[[ -e null.h5 ]] && expect "null.h5 is still a character device" -c null.h5
# A FIFO where the sweep writes its summary: refused, the FIFO stays.
mkdir sw_pipe && mkfifo sw_pipe/summary.csv
check "sweep summary.csv is a FIFO" 2 "summary.csv" "$exe" sweep small.toml -o sw_pipe "${q[@]}" -j1
expect "sw_pipe/summary.csv is still a FIFO" -p sw_pipe/summary.csv

# ---- outputs that are inputs (by identity, not by name) ------------------------------
check "run -o its config" 2 "never writes over its input" "$exe" run small.toml -o small.toml "${q[@]}"
check "run -o its config, other spelling" 2 "never writes over its input" \
  "$exe" run small.toml -o ./small.toml "${q[@]}"
check "whatif -o its config" 2 "never writes over its input" \
  "$exe" whatif small.toml -o small.toml "${q[@]}"
check "lyapunov -o its config" 2 "never writes over its input" \
  "$exe" lyapunov small.toml -o "$work/small.toml" "${q[@]}"
expect "small.toml unchanged" "$(cmp small.toml small.orig && echo same)" = same
cp small.orig small.toml  # so that a regression above cannot hide one below

cp "$data/nest_eprop_regression_case.h5" case.h5
ln -s case.h5 link.h5
ln case.h5 hard.h5
cat >case.toml <<'TOML'
[network]
n_in = 100
n_rec = 100
n_out = 1
init = "file"
file = "case.h5"
[task]
name = "file"
file = "case.h5"
[train]
rule = "none"
iterations = 1
TOML
sed 's/"case.h5"/"link.h5"/' case.toml >link.toml
check "run -o the case file" 2 "never writes over its input" "$exe" run case.toml -o case.h5 -q
check "run -o the case file, read through a symlink" 2 "never writes over its input" \
  "$exe" run link.toml -o case.h5 -q
check "run -o a hard link of the case file" 2 "never writes over its input" \
  "$exe" run case.toml -o hard.h5 -q
check "whatif -o the case file" 2 "never writes over its input" \
  "$exe" whatif case.toml -o case.h5 -q
expect "case.h5 unchanged" "$(cmp case.h5 "$data/nest_eprop_regression_case.h5" && echo same)" = same
cp "$data/nest_eprop_regression_case.h5" case.h5
expect "link.h5 is still a symlink" -L link.h5

printf 'base = "float64"\nweight_bits = 8\nquantizer = "per_tensor"\n' >myprofile.toml
cp myprofile.toml myprofile.orig
check "run -o its chip profile file" 2 "never writes over its input" \
  "$exe" run small.toml --set chip.profile='"myprofile.toml"' -o myprofile.toml "${q[@]}"
expect "myprofile.toml unchanged" "$(cmp myprofile.toml myprofile.orig && echo same)" = same
check "the same command with another output works" 0 "" \
  "$exe" run small.toml --set chip.profile='"myprofile.toml"' -o profiled.h5 "${q[@]}"

# A run file given to lyapunov, under another name.
"$exe" run small.toml -o run.h5 "${q[@]}"
cp run.h5 run.orig
check "lyapunov -o its run file, other spelling" 2 "never writes over its input" \
  "$exe" lyapunov run.h5 -o "$work/./run.h5" -q
expect "run.h5 unchanged" "$(cmp run.h5 run.orig && echo same)" = same
cp run.orig run.h5

# A sweep point whose file is the config's case file: that point fails, the file stays.
mkdir sw_case && cp case.h5 sw_case/point_0000.h5
sed 's|"case.h5"|"sw_case/point_0000.h5"|' case.toml >sw_case.toml
check "sweep point file is its case file" 2 "never writes over its input" \
  "$exe" sweep sw_case.toml -o sw_case -q -j1
expect "sw_case/point_0000.h5 unchanged" \
  "$(cmp sw_case/point_0000.h5 case.h5 && echo same)" = same
expect "the summary lists that point as failed" \
  "$(cut -d, -f2 sw_case/summary.csv | tail -1)" = failed

# ---- names too long, FIFOs as inputs -------------------------------------------------
long=$(printf 'x%.0s' $(seq 300)).h5
check "run -o a 300-character name" 2 "too long" "$exe" run small.toml -o "$long" "${q[@]}"
check "lyapunov -o a 300-character name" 2 "too long" "$exe" lyapunov small.toml -o "$long" -q
check "sweep -o a 300-character name" 2 "too long" "$exe" sweep small.toml -o "$long" -q

mkfifo fifo.toml fifo_run.h5 fifo_case.h5
sed 's/"case.h5"/"fifo_case.h5"/' case.toml >fifo_case.toml
check "run: config is a FIFO" 2 "FIFO" "$exe" run fifo.toml -o out.h5 -q
check "run: case file is a FIFO" 2 "FIFO" "$exe" run fifo_case.toml -o out.h5 -q
check "run: chip profile is a FIFO" 2 "FIFO" \
  "$exe" run small.toml --set chip.profile='"fifo.toml"' -o out.h5 -q
check "info: run file is a FIFO" 2 "FIFO" "$exe" info fifo_run.h5
check "lyapunov: config is a FIFO" 2 "FIFO" "$exe" lyapunov fifo.toml -o out.h5 -q
check "lyapunov: case file is a FIFO" 2 "FIFO" "$exe" lyapunov fifo_case.toml -o out.h5 -q
check "lyapunov: run file is a FIFO" 2 "FIFO" "$exe" lyapunov fifo_run.h5 -o out.h5 -q
check "sweep: config is a FIFO" 2 "FIFO" "$exe" sweep fifo.toml -o sw_fifo -q
expect "no out.h5 appeared" ! -e out.h5

# ---- lyapunov's default output: the current directory, like run ----------------------
mkdir -p inputs/sub && cp small.toml run.h5 inputs/sub/
check "lyapunov CONFIG, default output" 0 "" "$exe" lyapunov inputs/sub/small.toml "${q[@]}"
expect "small.lyap.h5 in the current directory" -f small.lyap.h5
check "lyapunov RUN.h5, default output" 0 "" "$exe" lyapunov inputs/sub/run.h5 -q
expect "run.lyap.h5 in the current directory" -f run.lyap.h5
expect "nothing written beside the inputs" "$(ls inputs/sub | tr '\n' ' ')" = "run.h5 small.toml "

# ---- in a private mount namespace: a tmpfs /dev, and a full disk ---------------------
if ! unshare -m true 2>/dev/null; then
  echo "skipped: /dev and full-disk cases (unshare -m not permitted)"
else
  # /dev/null and /dev/full as outputs: refused, and still character devices afterwards.
  unshare -m bash -c '
    mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 \
      || exit 99
    for t in /dev/null /dev/full; do
      "$0" run small.toml -o $t -q --set task.steps=100 2>"dev_err${t#/dev/}.txt"
      echo "$t exit $?" >>dev_result.txt
      [ -c $t ] && echo "$t still a character device" >>dev_result.txt
    done
    echo "dev: $(ls -A /dev | tr "\n" " ")" >>dev_result.txt' "$exe"
  for t in /dev/null /dev/full; do
    cp "dev_err${t#/dev/}.txt" stderr.txt
    expect "run -o $t (tmpfs /dev) exits 2" -n "$(grep -x "$t exit 2" dev_result.txt)"
    expect "run -o $t: the message names the device" \
      -n "$(grep -F "'$t': is a character device" stderr.txt)"
    expect "$t is still a character device" -n "$(grep -x "$t still a character device" dev_result.txt)"
  done
  expect "no file appeared in /dev" "$(tail -1 dev_result.txt)" = "dev: full null "

  # A full 64 KiB tmpfs: run and whatif; then a sweep where one point does not fit.
  mkdir disk
  cat >full.sh <<'SH'
exe=$1
mount -t tmpfs -o size=64k none disk || exit 99
"$exe" run small.toml -o disk/out.h5 --set record.states=true --set task.steps=2000 -q
echo "run $?" >full_result.txt
ls -A disk >>full_result.txt
umount disk
mount -t tmpfs -o size=256k none disk || exit 99
"$exe" sweep small.toml -o disk/sw --grid record.states=false,true --set task.steps=2000 -q -j1
echo "sweep $?" >>full_result.txt
ls -A disk/sw >>full_result.txt
cp disk/sw/summary.csv sweep_summary.csv
# Every point fits but not the summary: reused points, then no room for summary.csv.
rm disk/sw/summary.* disk/sw/*.failed disk/sw/point_0001.h5 2>/dev/null
head -c 1M /dev/zero >disk/fill 2>/dev/null
"$exe" sweep small.toml -o disk/sw --grid record.states=false --set task.steps=2000 -q -j1
echo "summary $?" >>full_result.txt
ls -A disk/sw >>full_result.txt
umount disk
SH
  unshare -m bash full.sh "$exe" 2>full_err.txt
  cat full_result.txt | sed 's/^/    /'
  cp full_err.txt stderr.txt
  expect "full disk: run exits 2" "$(head -1 full_result.txt)" = "run 2"
  expect "full disk: run message names the file and the cause" \
    -n "$(grep -F "'disk/out.h5': cannot write: no space left on device" full_err.txt)"
  expect "full disk: run leaves nothing on the disk" "$(sed -n 2p full_result.txt)" = "sweep 2"
  expect "full disk: no crash message" -z "$(grep -i -e 'H5Dclose' -e 'Segmentation' full_err.txt)"
  expect "full disk: the sweep goes on (point 0 written, point 1 failed)" \
    "$(sed -n '/^sweep /,/^summary /p' full_result.txt | tr '\n' ' ')" = \
    "sweep 2 point_0000.h5 point_0001.h5.failed summary.csv summary.h5 summary 2 "
  expect "full disk: the failed point is in the summary with its message" \
    -n "$(grep -F "failed,,,,,point_0001.h5,'disk/sw/point_0001.h5': cannot write: no space left on device" sweep_summary.csv)"
  expect "full disk: the sweep reports the point on stderr" \
    -n "$(grep -F 'point 1 (point_0001.h5) failed' full_err.txt)"
  expect "full disk: summary that does not fit exits 2" "$(grep '^summary ' full_result.txt)" = "summary 2"
  expect "full disk: its message names summary.csv" \
    -n "$(grep -F "'disk/sw/summary.csv': cannot write: no space left on device" full_err.txt)"
  expect "full disk: no temporary file after the summary" \
    "$(sed -n '/^summary /,$p' full_result.txt | tr '\n' ' ')" = "summary 2 point_0000.h5 "
fi

echo "$((count - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
