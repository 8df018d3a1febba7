#!/usr/bin/env bash
# Runs seeded tests again and again, each time with a new random TALLY_SEED, and prints the
# seeds that fail (rerun one with TALLY_SEED=<seed>). For hunting seed-dependent failures.
# Usage: scripts/seed-sweep.sh TEST_BINARY GTEST_FILTER RUNS
#   e.g. scripts/seed-sweep.sh build/release/bin/tally_sim_tests 'Sim.*:NetSim*' 200
set -uo pipefail
if [[ $# -ne 3 || ! -x "$1" || ! "$3" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 TEST_BINARY GTEST_FILTER RUNS" >&2
  exit 2
fi
binary=$1 filter=$2 runs=$3 failed=0
for ((i = 1; i <= runs; ++i)); do
  seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
  if ! out=$(TALLY_SEED=$seed "$binary" --gtest_filter="$filter" 2>&1); then
    failed=$((failed + 1))
    echo "FAILED with TALLY_SEED=$seed:"
    grep -E '^\[  FAILED  \]|Failure' <<<"$out" | head -5
  fi
done
echo "$runs runs, $failed failed"
[[ $failed -eq 0 ]]
