// The benchmarks of tally-macro. Each prints a short table and one JSON line of results
// ({"bench": name, ...}) and throws BenchError on failure; every process it starts is
// stopped and its temp directory removed before it returns or throws.
#pragma once

namespace tally::macro {

void bench_startup();     // spawn -> first RPC answer, 10 runs; then idle RSS
void bench_idle_rss();    // RSS of one idle node 3 s after start
void bench_rpc_read();    // getblockcount/s over 1 and 8 keep-alive connections (wrk)
void bench_rpc_send();    // sendrawtransaction tx/s, one per request and batches of 100
void bench_propagation(); // block propagation along a line of 8 nodes, empty and 1,000-tx blocks
void bench_sync();        // a fresh node syncs 1,000 blocks x 200 transactions
void bench_devnet_rss();  // RSS of each node of an 8-node mining devnet after 20 s

}  // namespace tally::macro
