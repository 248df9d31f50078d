#!/usr/bin/env bash
# The README's second command: the whole test suite. Installs what is
# missing, then builds and runs every test twice: a release build with
# warnings as errors, and an AddressSanitizer + UndefinedBehaviorSanitizer
# build (leaks included: the integration tests fail when jetd leaks at exit).
#   JET_TEST_SKIP_SANITIZE=1  skips the sanitizer pass (local iteration only)
# Then it builds the libFuzzer targets with clang and runs each for
# JET_FUZZ_SECONDS (default 20); JET_TEST_SKIP_FUZZ=1 skips that.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc 2>/dev/null || echo 2)"

"$here/deploy/install-deps.sh"

run_suite() {
  local build="$1"; shift
  echo "== build $build ($*)"
  "$here/deploy/build.sh" "$build" -DJET_WERROR=ON "$@"
  echo "== test $build"
  (cd "$build" && ctest --output-on-failure -j"$jobs")
}

run_suite "$here/build-test" -DJET_SANITIZE=OFF
if [ "${JET_TEST_SKIP_SANITIZE:-0}" != "1" ]; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite "$here/build-asan" -DJET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
# libFuzzer targets (clang), each run briefly; longer runs by hand:
# tests/fuzz/README.md.
if [ "${JET_TEST_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzz $here/build-fuzz"
  CC=clang cmake -S "$here" -B "$here/build-fuzz" -DJET_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$here/build-fuzz" -j"$jobs" --target fuzz_decode fuzz_graph fuzz_transforms
  "$here/tests/fuzz/run_fuzz.sh" "$here/build-fuzz" "${JET_FUZZ_SECONDS:-20}"
fi
echo "deploy/test.sh: all suites passed"
