# Sourced by the CLI test scripts (not a test itself: tests/CMakeLists.txt registers only
# tests/cli/*.sh and tests/validation/*.sh).
# expect_fail PATTERN COMMAND...: runs COMMAND, which must exit 2 with exactly one line on
# stderr containing PATTERN (the contract for bad input).
expect_fail() {
  local pattern=$1
  shift
  set +e
  "$@" > out.txt 2> err.txt
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "expected exit 2, got $rc: $*"; cat err.txt; exit 1; }
  [ "$(wc -l < err.txt)" -eq 1 ] || { echo "expected one line: $*"; cat err.txt; exit 1; }
  grep -q -- "$pattern" err.txt || { echo "expected '$pattern': $*"; cat err.txt; exit 1; }
}
