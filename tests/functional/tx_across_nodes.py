#!/usr/bin/env python3
"""A transaction's life across nodes: signed here in Python (BIP340), checked by tally-cli
decode when it is at hand, submitted to one node, seen in every mempool, mined on another
node, and the same account state (balances, nonces, state root) on every node."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from tally_framework import Key, TallyTestFramework, assert_equal, assert_raises_rpc_error, devnet_key  # noqa: E402
from tally_framework.messages import Transaction, make_transfer  # noqa: E402
from tally_framework.util import wait_until  # noqa: E402


class TxAcrossNodes(TallyTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def run_test(self):
        n0, n1, n2 = self.nodes
        chain_id = self.network.chain_id
        hrp = self.network.address_prefix
        self.network.generate(n0, 2)

        sender = devnet_key(self.rng.randrange(1, 10))
        recipient = Key.generate(self.rng)
        before = n2.rpc.getaccount(sender.address(hrp))
        self.log("sending from %s (balance %d, nonce %d) to %s" %
                 (sender.address(hrp), before["balance"], before["nonce"], recipient.address(hrp)))
        amount = 1_000_000 + self.rng.randrange(1_000_000)
        fee = 1000 + self.rng.randrange(1000)
        tx = make_transfer(sender, chain_id, recipient.address_hash, amount, fee, before["pending_nonce"],
                           aux_rand=self.rng.randbytes(32))
        raw = tx.hex()
        assert_equal(len(raw), 288)
        assert_equal(Transaction.deserialize(bytes.fromhex(raw)), tx)
        self.cross_check_with_cli(raw, tx, hrp)

        # A copy with one amount bit flipped must be refused: the node really checks our signature.
        bad = Transaction.deserialize(tx.serialize())
        bad.amount ^= 1
        e = assert_raises_rpc_error(-26, None, n1.rpc.sendrawtransaction, bad.hex())
        assert_equal((e.data or {}).get("reason"), "bad-signature")

        txid = n1.rpc.sendrawtransaction(raw)
        assert_equal(txid, tx.txid().hex())
        self.log("txid %s accepted by %s" % (txid, n1.name))
        pool = self.network.sync_mempools()
        assert txid in pool, "the transaction is not in every mempool"
        for n in self.nodes:
            entry = n.rpc.getrawmempool(True)[txid]
            assert_equal(entry["amount"], amount)
            assert_equal(entry["to"], recipient.address(hrp))

        # Mined by a node that did not receive it over RPC.
        hashes = self.network.generate(n2, 1)
        block = n0.rpc.getblock(hashes[0])
        assert txid in block["tx"], "the block does not hold the transaction"
        for n in self.nodes:
            wait_until(lambda: not n.rpc.getrawmempool(), message="%s mempool not empty" % n.name)
            tx_info = n.rpc.getrawtransaction(txid, True)
            assert_equal(tx_info.get("blockhash"), hashes[0])

        after = [n.rpc.getaccount(sender.address(hrp)) for n in self.nodes]
        got = [n.rpc.getaccount(recipient.address(hrp)) for n in self.nodes]
        for a in after:
            assert_equal(a["balance"], before["balance"] - amount - fee)
            assert_equal(a["nonce"], before["nonce"] + 1)
        for g in got:
            assert_equal(g["balance"], amount)
        roots = {n.rpc.getblockchaininfo()["stateroot"] for n in self.nodes}
        assert_equal(len(roots), 1)
        # Replaying it is refused everywhere now.
        assert_raises_rpc_error(-27, None, n0.rpc.sendrawtransaction, raw)
        self.log("same account state on %d nodes, state root %s" % (len(self.nodes), roots.pop()))

    def cross_check_with_cli(self, raw, tx, hrp):
        """tally-cli decode (libsecp256k1) must find our signature valid."""
        cli = os.environ.get("TALLY_CLI") or os.path.join(os.path.dirname(self.options.tallyd), "tally-cli")
        if not os.access(cli, os.X_OK):
            self.log("no tally-cli at %s: the node's acceptance is the cross-check" % cli)
            return
        import json
        out = subprocess.run([cli, "--chain", self.network.chain_spec_path, "decode", raw], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        decoded = json.loads(out.stdout)
        self.log("tally-cli decode: signature_valid=%s" % decoded.get("signature_valid"))
        assert_equal(decoded.get("signature_valid"), True)
        assert_equal(decoded.get("txid"), tx.txid().hex())


if __name__ == "__main__":
    TxAcrossNodes().main()
