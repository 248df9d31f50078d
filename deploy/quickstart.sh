#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts jetd on
# its embedded default config (127.0.0.1:7450) and runs the main example —
# the opening of JAX's tutorial — through libjet and through the jet CLI.
# jetd keeps running afterwards; the script prints how to stop it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$here/build"
addr="${JET_ADDRESS:-127.0.0.1:7450}"

"$here/deploy/install-deps.sh"
"$here/deploy/build.sh" "$build"

pidfile="$build/jetd.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "quickstart: stopping the jetd started earlier (pid $(cat "$pidfile"))"
  kill "$(cat "$pidfile")"
  for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
fi

log="$build/jetd.log"
"$build/server/jetd" --listen "$addr" --cache-dir "$build/jet-cache" >"$build/jetd.out" 2>"$log" &
pid=$!
echo "$pid" >"$pidfile"
for _ in $(seq 100); do
  grep -q "jetd listening on" "$build/jetd.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "quickstart: jetd failed to start:"; cat "$log"; exit 1; }
  sleep 0.1
done
cat "$build/jetd.out"
export JET_ADDRESS="$addr"

echo
echo "== the main example through libjet (client/examples/jet_tutorial.c)"
"$build/client/jet_tutorial"
echo
echo "== the same graph through the CLI: jet run tests/data/tutorial.jet"
"$build/client/jet" run "$here/tests/data/tutorial.jet" 'f32[3]{1, 2, 3}' 'f32[3]{1, 1, -1}'
echo
echo "== grad(f, argnums=(0, 1))(3.0, 4.0) for f(x, y) = x * y**2, through the CLI"
"$build/client/jet" run "$here/tests/data/tutorial_grad.jet" --transform grad:argnums=0,1 \
  'f32[] 3' 'f32[] 4'
echo
echo "== the tutorial's cells in Python (client/python/examples/intro.py, package jet over libjet.so)"
JET_ADDRESS="$addr" JET_LIBJET="$build/client/libjet.so" PYTHONPATH="$here/client/python" \
  /usr/bin/python3 "$here/client/python/examples/intro.py"
echo
"$build/client/jet" health
echo
echo "jetd is running (pid $pid) at $addr; logs in $log."
echo "Try: JET_ADDRESS=$addr $build/client/jet devices"
echo "Stop it with: kill $pid"
