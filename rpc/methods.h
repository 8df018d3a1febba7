// The RPC methods of a Tally node, grouped by family, each family in its own
// methods_<family>.cpp. Handlers act on RequestContext::node: reads and commands that touch
// chain, mempool or network run on the core thread through NodeApi::with_core; hot reads
// (block count, best hash) use the lock-free tip snapshot. docs/RPC.md documents each method.
#pragma once

#include "rpc/json_rpc.h"

namespace tally::rpc {

void add_chain_methods(MethodTable& table);    // blocks, headers, tips, accounts, state hash
void add_tx_methods(MethodTable& table);       // transactions and the mempool
void add_network_methods(MethodTable& table);  // peers, bans, partitions
void add_mining_methods(MethodTable& table);   // mining info, generate, setmining, submitblock
void add_control_methods(MethodTable& table);  // help, uptime, stop

// Every method above in one table.
MethodTable node_methods();

}  // namespace tally::rpc
