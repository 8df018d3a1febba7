#!/usr/bin/env bash
# Installs every Debian 12 package Tally needs to build, test and benchmark.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-16 libclang-rt-16-dev lld-16
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  libsecp256k1-dev librocksdb-dev libcrypto++-dev libssl-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libjemalloc-dev  # tally-sim's allocator (sim/CMakeLists.txt)
  prometheus wrk curl jq procps iproute2 nftables python3
  python3-yaml  # tests/devnet/k8s_test.cpp reads the Kubernetes manifests back
  chromium  # tests/study/render_test.cpp renders the report headless
  podman runc netavark aardvark-dns iptables mmdebstrap  # scripts/image.sh, tally-devnet up --engine podman (tests/devnet/podman_test.cpp)
)

# kubectl for tests/devnet/k8s_test.cpp (Debian's is kubernetes-client), unless a kubectl
# from elsewhere is installed already (the two packages own the same file).
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
