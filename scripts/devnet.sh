#!/usr/bin/env bash
# The one command that starts a local Tally devnet: installs the dependencies (only what is
# missing), builds the release preset, then runs 4 nodes in a ring with 2 miners, a 5 s block
# time and a light transaction load, showing live status until Ctrl-C, which stops every node.
#
#   bash scripts/devnet.sh                       # devnet in ${TALLY_DEVNET_DIR:-~/.tally/devnet}
#   bash scripts/devnet.sh --nodes 6 --topology random:2 --latency 50ms
#
# Extra arguments go to `tally-devnet run` (later flags win over the defaults here). The
# datadirs are kept after Ctrl-C; `tally-devnet down --clean --dir DIR` removes them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tally-ccache}"
# Paths relative to the tree, so a clone elsewhere (CI's, a worktree) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"  # shared with scripts/test.sh
cmake --preset release
cmake --build --preset release

exec build/release/bin/tally-devnet run \
  --nodes 4 --topology ring --miners 2 --block-time 5 \
  --dir "${TALLY_DEVNET_DIR:-$HOME/.tally/devnet}" --load-tps 2 "$@"
