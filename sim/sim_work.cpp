// Simulator: mining (one Poisson process for the whole network, each block found by a miner
// drawn by hash share, assembled from that node's mempool on its tip, with real proof-of-work)
// and the transaction load (Poisson submissions of signed transfers, each sender through its
// own home node).
#include <algorithm>
#include <array>
#include <cstdio>

#include "ledger/block_assembler.h"
#include "ledger/nonce_search.h"
#include "ledger/pow.h"
#include "sim/sim_internal.h"

namespace tally::sim {

std::expected<void, std::string> Simulator::setup_senders() {
  std::vector<std::size_t> homes;
  for (const auto& n : nodes_)
    if (!n->persona.relay_only) homes.push_back(n->index);
  if (config_.load.tps > 0 && homes.empty()) return std::unexpected(std::string("load: every node is relay-only"));
  for (std::size_t k = 0; k < config_.load.senders; ++k) {
    sender_keys_.push_back(sim_sender_key(k));
    sender_address_.push_back(crypto::address_of(sender_keys_.back().public_key()));
    if (!homes.empty()) sender_home_.push_back(homes[std::uniform_int_distribution<std::size_t>(0, homes.size() - 1)(work_rng_)]);
  }
  return {};
}

void Simulator::on_mine_timer() {
  double total = 0;
  for (const auto& n : nodes_)
    if (n->online && n->persona.mining) total += n->persona.hash_share;
  if (total > 0) {
    double pick = std::uniform_real_distribution<double>(0, total)(work_rng_);
    for (const auto& n : nodes_) {
      if (!n->online || !n->persona.mining) continue;
      pick -= n->persona.hash_share;
      if (pick <= 0) {
        if (!mine(n->index)) ++stats_here().mining_failures;
        break;
      }
    }
  }
  push_global(now_us_ + exponential_us(config_.block_interval_s), Ev{.kind = EvKind::kMine});
}

std::optional<ledger::BlockHash> Simulator::mine(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (!n.online) return std::nullopt;
  auto txs = n.mempool->select_for_block(n.chain->state(), spec_.max_block_txs - 1);
  const crypto::Address to = crypto::address_of(sim_sender_key(1'000'000 + i).public_key());
  auto block = ledger::assemble_block(*n.chain, std::move(txs), to, now_us() / 1'000'000);
  if (!block) {
    std::fprintf(stderr, "tally-sim: node %zu could not assemble a block: %s\n", i, block.error().message().c_str());
    return std::nullopt;
  }
  // Real proof-of-work against the block's target.
  const auto target = ledger::target_from_compact(block->header.bits);
  const std::atomic<bool> never{false};
  std::optional<std::uint32_t> nonce;
  while (target && !(nonce = ledger::search_nonce(block->header, 0, ledger::NonceSearcher::kNonceSpace, *target, never)))
    ++block->header.time;  // 2^32 nonces exhausted: a new time gives new ones
  if (!nonce) return std::nullopt;
  block->header.nonce = *nonce;
  const ledger::BlockHash hash = block->hash();
  auto r = n.core->submit_block(*block, now_us() / 1000);
  drain(n, now_us(), 0);
  if (!r) {
    std::fprintf(stderr, "tally-sim: node %zu refused its own block: %s\n", i, r.error().message.c_str());
    return std::nullopt;
  }
  ++n.blocks_mined;
  ++stats_here().blocks_mined;
  return hash;
}

void Simulator::on_load_timer() {
  if (!sender_keys_.empty())
    (void)submit_transfer(std::uniform_int_distribution<std::size_t>(0, sender_keys_.size() - 1)(work_rng_));
  push_global(now_us_ + exponential_us(1.0 / config_.load.tps), Ev{.kind = EvKind::kLoad});
}

bool Simulator::submit_transaction(std::size_t i, const ledger::Transaction& tx) {
  SimNode& n = *nodes_[i];
  if (!n.online) return false;
  auto r = n.core->submit_transaction(tx, now_us() / 1000);
  drain(n, now_us(), 0);
  return r.has_value();
}

bool Simulator::submit_transfer(std::size_t sender) {
  ++stats_here().txs_submitted;
  if (sender >= sender_home_.size()) return false;  // no home node: every node is relay-only
  SimNode& n = *nodes_[sender_home_[sender]];
  if (!n.online) return false;
  const std::uint64_t nonce = n.mempool->pending_nonce(sender_address_[sender], n.chain->state());
  const crypto::Address& to = sender_address_[(sender + 1) % sender_address_.size()];
  const auto amount = static_cast<ledger::Amount>(1 + work_rng_() % 1000);
  const auto fee = static_cast<ledger::Amount>(spec_.min_fee + work_rng_() % 1000);
  // Signed with auxiliary randomness from the run's seed (BIP340 allows any), so the same
  // seed gives the same signatures, txids and output.
  ledger::Transaction tx;
  tx.chain_id = spec_.chain_id;
  tx.sender = sender_keys_[sender].public_key();
  tx.recipient = to;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  std::array<std::uint8_t, 32> aux{};
  for (auto& b : aux) b = static_cast<std::uint8_t>(work_rng_());
  tx.signature = sender_keys_[sender].sign(tx.signature_hash().span(), aux);
  return submit_transaction(n.index, tx);
}

}  // namespace tally::sim
