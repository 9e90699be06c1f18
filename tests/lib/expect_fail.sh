# Sourced by the CLI test scripts (not a test itself: tests/CMakeLists.txt registers only
# tests/cli/*.sh and tests/validation/*.sh).
# expect_exit CODE PATTERN COMMAND...: runs COMMAND, which must exit CODE with exactly one
# line on stderr containing PATTERN.
expect_exit() {
  local code=$1 pattern=$2
  shift 2
  set +e
  "$@" > out.txt 2> err.txt
  local rc=$?
  set -e
  [ "$rc" -eq "$code" ] || { echo "expected exit $code, got $rc: $*"; cat err.txt; exit 1; }
  [ "$(wc -l < err.txt)" -eq 1 ] || { echo "expected one line: $*"; cat err.txt; exit 1; }
  grep -q -- "$pattern" err.txt || { echo "expected '$pattern': $*"; cat err.txt; exit 1; }
}
# expect_fail PATTERN COMMAND...: the contract for bad input (exit 2).
expect_fail() {
  expect_exit 2 "$@"
}
