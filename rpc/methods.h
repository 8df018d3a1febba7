// The RPC methods of a Tally node, grouped by family, each family in its own
// methods_<family>.cpp. Handlers act on RequestContext::node through its narrow views
// (rpc/node_api.h: chain, mempool, network), each call one step on the node's core thread
// that returns plain values; hot reads (block count, best hash) use the lock-free tip
// snapshot. Formatting JSON happens on the RPC thread. docs/RPC.md documents each method.
#pragma once

#include "rpc/json_rpc.h"

namespace tally::rpc {

void add_chain_methods(MethodTable& table);    // blocks, headers, tips, accounts, state hash
void add_tx_methods(MethodTable& table);       // transactions and the mempool
void add_network_methods(MethodTable& table);  // peers, bans, partitions
void add_mining_methods(MethodTable& table);   // mining info, generate, setmining, submitblock
void add_control_methods(MethodTable& table);  // help, uptime, stop
void add_testing_methods(MethodTable& table);  // invalidate/reconsider, mock time, waits for blocks

// Every method above in one table.
MethodTable node_methods();

}  // namespace tally::rpc
