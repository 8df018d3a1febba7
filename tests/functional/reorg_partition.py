#!/usr/bin/env python3
"""A reorg by partition and heal: four nodes split in two halves, both halves mine (one
more than the other), the partition heals, the shorter side reorganizes onto the longer
branch, and every node ends on one tip with the same state root; a transaction mined only
on the losing branch goes back to the mempool and is mined again."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from tally_framework import Key, TallyTestFramework, assert_equal, devnet_key  # noqa: E402
from tally_framework.messages import make_transfer  # noqa: E402
from tally_framework.util import wait_until  # noqa: E402


class ReorgPartition(TallyTestFramework):
    def set_test_params(self):
        self.num_nodes = 4

    def setup_network(self):
        self.network.start_all()
        self.network.connect_all()

    def run_test(self):
        net = self.network
        n0, n1, n2, n3 = self.nodes
        net.generate(n0, 3)
        fork_height = n0.rpc.getblockcount()
        fork_hash = n0.rpc.getbestblockhash()

        net.partition([[n0, n1], [n2, n3]])
        self.log("partitioned {node0, node1} | {node2, node3} at height %d" % fork_height)

        # The short side gets a transaction into its branch only.
        key = devnet_key(self.rng.randrange(10))
        acct = n0.rpc.getaccount(key.address(net.address_prefix))
        tx = make_transfer(key, net.chain_id, Key.generate(self.rng).address_hash, 5000, 1000, acct["pending_nonce"])
        txid = n0.rpc.sendrawtransaction(tx.hex())

        short_len = 1 + self.rng.randrange(3)
        long_len = short_len + 1 + self.rng.randrange(3)
        short_tip = net.generate(n0, short_len)[-1]   # syncs node0 and node1 only
        long_tip = net.generate(n2, long_len)[-1]     # syncs node2 and node3 only
        short_branch = [n1.rpc.getblockhash(fork_height + i + 1) for i in range(short_len)]
        assert any(txid in n1.rpc.getblock(h)["tx"] for h in short_branch), "the short branch lacks the transaction"
        assert txid not in n3.rpc.getrawmempool(), "the transaction crossed the partition"
        assert_equal(n1.rpc.getbestblockhash(), short_tip)
        assert_equal(n3.rpc.getbestblockhash(), long_tip)
        self.log("short branch %d blocks (tip %s), long branch %d blocks (tip %s)" %
                 (short_len, short_tip[:16], long_len, long_tip[:16]))

        net.heal()
        tip = net.sync_blocks()
        assert_equal(tip, long_tip)
        assert_equal(len({n.rpc.getblockchaininfo()["stateroot"] for n in self.nodes}), 1)
        for n in (n0, n1):
            tips = n.rpc.getchaintips()
            active = [t for t in tips if t["status"] == "active"]
            assert_equal(active[0]["hash"], long_tip)
            assert any(t["hash"] == short_tip for t in tips), "%s forgot the losing branch" % n.name
        # Every node agrees on the history below the tip too.
        assert_equal(len({n.rpc.getblockhash(fork_height) for n in self.nodes}), 1)
        assert_equal(n3.rpc.getblockhash(fork_height), fork_hash)
        self.log("one tip at height %d: %s" % (n0.rpc.getblockcount(), tip[:16]))

        # The transfer of the losing branch returns to the pool and gets mined again.
        for n in self.nodes:  # back in node0's pool, then relayed to all
            wait_until(lambda: txid in n.rpc.getrawmempool(),
                       message="the reorged-out transaction is not in %s's mempool" % n.name)
        mined = net.generate(n3, 1)[0]
        net.sync_blocks()
        assert txid in n1.rpc.getblock(mined)["tx"], "the re-mined block lacks the transaction"
        assert_equal(len({n.rpc.getblockchaininfo()["stateroot"] for n in self.nodes}), 1)


if __name__ == "__main__":
    ReorgPartition().main()
