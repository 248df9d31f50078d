#!/bin/sh
# Runs the load tool against a fresh jetd (issue 9's figure by default:
# 64 clients x 10,000 mixed requests) and prints its figures.
#   tests/load/run_load.sh BUILD_DIR [CLIENTS REQUESTS] [extra jet_load args...]
# Exit status: jet_load's (0 = no error and memory back to start), or 1 when
# jetd does not start or does not exit cleanly on SIGTERM.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [CLIENTS REQUESTS] [jet_load args...]" >&2
  exit 2
fi
build=$1; shift
clients=64; requests=10000
if [ $# -ge 2 ]; then clients=$1; requests=$2; shift 2; fi
jetd=$build/server/jetd
load=$build/tests/load/jet_load
for f in "$jetd" "$load"; do
  [ -x "$f" ] || { echo "run_load.sh: $f not built (make jetd jet_load)" >&2; exit 1; }
done
log=$(mktemp /tmp/jet_load_jetd.XXXXXX)
"$jetd" --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT INT TERM
addr=
for _ in $(seq 200); do
  addr=$(sed -n 's/.*jetd listening on \([^ ]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "run_load.sh: jetd did not start:" >&2; cat "$log" >&2; exit 1
fi
echo "jetd pid $pid on $addr"
rc=0
"$load" --address "$addr" --clients "$clients" --requests "$requests" --pid $pid "$@" || rc=$?
kill -TERM $pid
code=0
wait $pid || code=$?
echo "jetd exit status $code"
if [ $code -ne 0 ]; then tail -n 20 "$log" >&2; [ $rc -ne 0 ] || rc=1; fi
exit $rc
