#!/bin/sh
# Runs each libFuzzer target for SECONDS and prints its execution count.
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
# BUILD_DIR is a -DJET_FUZZ=ON clang build (see README.md). New inputs go to
# a scratch corpus under BUILD_DIR/fuzz-corpus/<target> (kept between runs);
# the committed seeds in tests/fuzz/corpus/<target> (and tests/data for
# fuzz_graph) are read, never written. Crash, leak and timeout inputs are
# written to BUILD_DIR/fuzz-artifacts/. Exit status 1 when any target found
# something (its output says what), 0 otherwise.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi
build=$1; secs=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=${*:-fuzz_decode fuzz_graph fuzz_transforms}
mkdir -p "$build/fuzz-artifacts"
rc=0
for t in $targets; do
  bin=$build/tests/fuzz/$t
  [ -x "$bin" ] || { echo "run_fuzz.sh: $bin not built (configure with CC=clang -DJET_FUZZ=ON)" >&2; exit 1; }
  work=$build/fuzz-corpus/$t
  mkdir -p "$work"
  seeds="$here/corpus/$t"
  [ "$t" = fuzz_graph ] && seeds="$seeds $here/../data"
  out=$build/fuzz-artifacts/$t.log
  # -max_len: requests of a few KiB cover every field; -rss_limit_mb bounds
  # an input that makes the decoder allocate; -timeout=5 turns a hang into
  # a reported failure. detect_leaks stays on (LeakSanitizer at each input's
  # end is libFuzzer's default with ASan).
  status=0
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
    "$work" $seeds >"$out" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
  echo "$t: ${execs:-?} executions in ${secs}s, exit status $status"
  if [ $status -ne 0 ]; then
    rc=1
    grep -E "ERROR|SUMMARY|Test unit written|timeout" "$out" | head -n 20 >&2 || true
  fi
done
exit $rc
