#!/usr/bin/env bash
# Installs the Debian 12 packages jet needs to build and test. Idempotent:
# packages already present are left alone, and apt is not touched at all
# when nothing is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libgrpc-dev                 # gRPC C core (grpc/grpc.h)
  libprotobuf-c-dev protobuf-c-compiler
  libuv1-dev                  # daemon event loop, signals, worker pool
  libopenblas-dev             # dense linear algebra
  libcmocka-dev               # unit tests
  libxxhash-dev               # XXH3-128 content hash of graphs (cache keys)
  libssl-dev openssl          # libcrypto SHA-256 of bearer tokens; openssl CLI makes test certificates
  libsleef-dev                # SLEEF vector math: transcendental functions of the fused kernels
  python3-numpy               # numerical references (tests/numpy); the Python client
  python3-pytest              # the Python client's test suite (tests/python)
  chromium fonts-dejavu-core  # headless browser (and a font: apt skips Recommends) of the status page test
  curl                        # test_metrics reads /metrics with curl, as an operator would
  clang libclang-rt-14-dev    # libFuzzer targets (tests/fuzz): the compiler and its fuzzer/ASan runtimes
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
