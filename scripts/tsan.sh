#!/usr/bin/env bash
# ThreadSanitizer run of the node's threaded parts (docs/RELIABILITY.md, "Sanitizers"):
#   - the transport: P2P cores over real TCP, plaintext and encrypted (tally_p2p_tests);
#   - the RPC server: its io threads, handler pool, limits and stop paths (tally_rpc_tests);
#   - the signature pool and the chain's executor (tally_ledger_tests);
#   - tally-sim's lanes on several threads (tally_sim_tests).
# Builds only those four test binaries with -fsanitize=thread (preset tsan) and runs the
# suites that start threads; any data race or lock-order inversion fails the run.
#
# Usage: scripts/tsan.sh            (after scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tally-ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$(nproc)" --target tally_p2p_tests tally_rpc_tests tally_ledger_tests tally_sim_tests
# halt_on_error: the first report fails the run; second_deadlock_stack: both stacks of a
# lock-order inversion. Debian's RocksDB, Crypto++ and libsecp256k1 are not instrumented;
# their own locks are pthread ones, which TSan intercepts.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
bin=build/tsan/bin
status=0
run() {
  local binary=$1 filter=$2
  echo "== $binary --gtest_filter=$filter"
  if ! "$bin/$binary" --gtest_filter="$filter" --gtest_brief=1; then status=1; fi
}
run tally_p2p_tests 'Tcp*:EncryptedTransport.*:CompactRelay*'
run tally_rpc_tests 'HttpServerTest.*:JsonRpcRunHandler.*'
run tally_ledger_tests 'ThreadPool.*:InlineExecutor.*:SignatureVerifier.*:ChainExecutor.*'
run tally_sim_tests 'Sim.ThreadsDoNotChangeTheOutput'
if [[ $status -eq 0 ]]; then echo "tsan: clean"; else echo "tsan: FAILED (see the reports above)"; fi
exit $status
