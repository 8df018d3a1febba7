#!/usr/bin/env bash
# Crash-safety campaign (issue 15): SIGKILLs a tallyd at random instants while it mines,
# syncs from a peer and accepts transactions, and checks after every kill that it opens,
# answers RPC and never reports a lower height than it had reported; at the end a fresh
# node syncs from it and both must agree on the tip and the state. Optional checks: a full
# disk (a small tmpfs datadir, needs root) and a corrupted RocksDB file.
#
#   scripts/crash-campaign.sh [--kills N] [--bin DIR] [--seed N] [--workdir DIR] [--keep]
#                             [--disk-full] [--corrupt] [--only-checks] [--answer-timeout S]
#
# Defaults: 1000 kills, build/release/bin, a random seed (printed; pass it back to replay
# the same delays), a fresh temporary work dir removed on success (kept on failure or with
# --keep). --disk-full and --corrupt add those checks after the kill loop; --only-checks
# skips the kill loop. Exits non-zero on any violation. Every process it starts, it stops.
# Everything is on 127.0.0.1. Needs bash and python3 (standard library only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
exec python3 "$here/crash_campaign.py" "$@"
