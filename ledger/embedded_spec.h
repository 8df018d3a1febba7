// The devnet chain spec (genesis/devnet.json) built into every binary, so tallyd, tally-cli,
// tally-devnet and the simulator run the devnet with no file to find. Parse it with
// parse_chain_spec. Thread-safe (a constant).
#pragma once

namespace tally::ledger {

// The JSON text of genesis/devnet.json as it was at build time.
const char* embedded_devnet_spec();

}  // namespace tally::ledger
