#!/bin/sh
# The compiler benchmark of issue 6 in one command: runs bench_compiler (the
# machine's limits in C, then jet's cases against a jetd it starts itself)
# and bench_compiler_peers.py (numpy and torch), one after the other and in
# this shell's environment (so jetd, the C bench and the peers see the same
# OPENBLAS_* variables), and prints one table of ratios. Builds nothing.
#
# Usage: tests/bench/run_compiler_bench.sh BUILD_DIR [--runs N] [--tanh-floor u10|u35] [-v]
#   BUILD_DIR  a configured build tree with jetd and bench_compiler built, e.g.
#              cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
#              cmake --build build --target jetd bench_compiler
#   --runs N   timed runs per case (median; default 7)
#   -v         show the C bench's progress lines
set -eu
usage() { echo "usage: $0 BUILD_DIR [--runs N] [--tanh-floor u10|u35] [-v]" >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1
shift
runs=7
tanh_floor=u35
verbose=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    --tanh-floor) [ $# -ge 2 ] || usage; tanh_floor=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    *) usage ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/tests/bench_compiler
if [ ! -x "$bin" ]; then
  echo "$0: $bin is not built (cmake --build $build --target jetd bench_compiler)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "jet compiler benchmark (issue 6): $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cpus," \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
rc=0
if [ "$verbose" = 1 ]; then
  "$bin" --runs "$runs" --tanh-floor "$tanh_floor" --out "$tmp/c.txt" || rc=$?
else
  "$bin" --runs "$runs" --tanh-floor "$tanh_floor" --out "$tmp/c.txt" 2>"$tmp/c.log" || rc=$?
  grep -E "WARNING|failed|could not" "$tmp/c.log" >&2 || true
fi
if [ "$rc" != 0 ]; then
  echo "$0: bench_compiler exited with $rc" >&2
  [ "$verbose" = 1 ] || tail -n 30 "$tmp/c.log" >&2
  [ -s "$tmp/c.txt" ] || exit 1
fi
echo
vflag=
[ "$verbose" = 1 ] && vflag=-v
/usr/bin/python3 "$here/bench_compiler_peers.py" --runs "$runs" --c-results "$tmp/c.txt" $vflag
echo
echo "Took $(( $(date +%s) - start )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)." \
     "Figures are medians of $runs runs after warm-up (limits: best of 10); on a shared machine they are noisy."
exit "$rc"
