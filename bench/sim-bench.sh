#!/usr/bin/env bash
# tally-sim's benchmarks (docs/BENCHMARKS.md, "Simulator performance"):
#   S1: 1,000 nodes, discovery, the Bitcoin-like regions, 10 s blocks, 5 tx/s, 1 simulated hour
#       (scenarios/sim-bitcoin-like.json); goal on the 2-core machine: <= 10 min, <= 8 GiB.
#   S2: 10,000 nodes, blocks only, 600 s blocks, 24 simulated hours (scenarios/sim-blocks-only.json);
#       goal: completes within 16 GiB.
# Prints tally-sim's summary (wall time, simulated s per wall s, events/s, peak RSS) and the
# cost object of sim.json. Extra arguments go to tally-sim (e.g. --duration 10m for a shorter
# run of the same network).
#
#   bash bench/sim-bench.sh s1|s2 [tally-sim flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which="${1:-s1}"
shift || true
case "$which" in
  s1) scenario="$root/scenarios/sim-bitcoin-like.json" ;;
  s2) scenario="$root/scenarios/sim-blocks-only.json" ;;
  *) echo "usage: bench/sim-bench.sh s1|s2 [tally-sim flags]" >&2; exit 2 ;;
esac
out="$(mktemp -d "${TMPDIR:-/tmp}/tally-sim-$which-XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$root/build/release/bin/tally-sim" run "$scenario" --out "$out/run" "$@"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({'results': d['results'], 'cost': d['cost']}, indent=1))" "$out/run/sim.json"
