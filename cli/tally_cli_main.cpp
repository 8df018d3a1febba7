// tally-cli: the command-line client of tallyd, in the manner of bitcoin-cli. See
// `tally-cli --help` and cli/commands.h.
#include <csignal>
#include <exception>
#include <iostream>

#include "ledger/chain_spec.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "ledger/embedded_spec.h"

int main(int argc, char** argv) {
  namespace cli = tally::cli;
  std::signal(SIGPIPE, SIG_IGN);
  try {
    auto options = cli::parse_cli(argc, argv);
    if (!options) {
      std::cerr << "error: " << options.error() << "\n";
      return 1;
    }
    if (options->help) {
      std::cout << cli::usage_text();
      return 0;
    }
    if (options->version) {
      std::cout << "tally-cli 0.1.0\n";
      return 0;
    }
    if (options->command.empty()) {
      std::cerr << "error: no method given (see tally-cli --help)\n";
      return 1;
    }
    auto spec = options->chain.empty() ? tally::ledger::parse_chain_spec(tally::ledger::embedded_devnet_spec())
                                       : tally::ledger::load_chain_spec_file(options->chain);
    if (!spec) {
      std::cerr << "error: chain spec" << (options->chain.empty() ? "" : " " + options->chain) << ": " << spec.error()
                << "\n";
      return 1;
    }
    const cli::Context ctx{*options, *spec, std::cout, std::cerr};
    const int code = cli::is_local_command(options->command) ? cli::run_local_command(ctx) : cli::run_rpc_command(ctx);
    std::cout.flush();
    return code;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
