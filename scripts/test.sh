#!/usr/bin/env bash
# The README's test command: installs dependencies, builds the release preset, runs ctest.
# Usage: scripts/test.sh [preset]   (release by default; debug and asan work too)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tally-ccache}"
# Paths relative to the tree, so a clone elsewhere (CI's, a worktree) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
