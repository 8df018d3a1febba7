// tally-cli's commands: a JSON-RPC call to tallyd (any method name), and the commands that
// run here: keygen, address, sign, send (sign + sendrawtransaction) and decode.
//
// Each returns the process exit code: 0 on success, 1 for any error (RPC errors included;
// bitcoin-cli returns |code| truncated to 8 bits, which says little, so every failure is 1
// and the code is printed). Output goes to `out`, errors to `err`.
//
// Thread-safety: none needed (one command per process).
#pragma once

#include <iosfwd>
#include <string_view>

#include "ledger/chain_spec.h"
#include "cli/args.h"

namespace tally::cli {

struct Context {
  const CliOptions& options;
  const ledger::ChainSpec& spec;
  std::ostream& out;
  std::ostream& err;
};

// True for the names handled here rather than sent to the node.
bool is_local_command(std::string_view name);

int run_local_command(const Context& ctx);
int run_rpc_command(const Context& ctx);

// The text of `tally-cli --help`.
std::string usage_text();

}  // namespace tally::cli
