#!/bin/sh
# The scan benchmark of issue 7 in one command: starts the build tree's jetd
# on a free loopback port, runs bench_scan_rnn against it (an RNN over 1,000
# steps as one scan Execute vs 1,000 Executes of the cell, the carry kept on
# the server), prints its figures and stops jetd. Builds nothing.
#
# Usage: tests/bench/run_scan_bench.sh BUILD_DIR [--runs N]
#   BUILD_DIR  a configured build tree with jetd and bench_scan_rnn built, e.g.
#              cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
#              cmake --build build --target jetd bench_scan_rnn
#   --runs N   timed runs of each side (median; default 5)
set -eu
usage() { echo "usage: $0 BUILD_DIR [--runs N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1
shift
runs=5
while [ $# -gt 0 ]; do
  case $1 in
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    *) usage ;;
  esac
done
jetd=$build/server/jetd
bin=$build/tests/bench_scan_rnn
for f in "$jetd" "$bin"; do
  if [ ! -x "$f" ]; then
    echo "$0: $f is not built (cmake --build $build --target jetd bench_scan_rnn)" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$jetd" --listen 127.0.0.1:0 >"$tmp/jetd.log" 2>&1 &
pid=$!
address=
i=0
while [ $i -lt 200 ]; do # up to 20 s
  address=$(sed -n 's/^jetd listening on \(.*\)$/\1/p' "$tmp/jetd.log" | head -n 1)
  [ -n "$address" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
  i=$((i + 1))
done
if [ -z "$address" ]; then
  echo "$0: jetd did not start; its log:" >&2
  cat "$tmp/jetd.log" >&2
  exit 1
fi
echo "jet scan benchmark (issue 7): $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cpus," \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$bin" --address "$address" --runs "$runs" || rc=$?
if [ "$rc" != 0 ]; then
  echo "$0: bench_scan_rnn exited with $rc; jetd's log:" >&2
  tail -n 20 "$tmp/jetd.log" >&2
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
exit "$rc"
