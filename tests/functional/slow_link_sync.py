#!/usr/bin/env python3
"""A new node behind a slow link (--rate 200kbit --latency 100ms) catches up: two nodes
build a chain of a few hundred blocks with transfers in it, then a third node starts with
its P2P traffic shaped, connects, and reaches the others' tip and state root; it then
follows a new block too. Nothing here measures time: only that it gets there."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from tally_framework import Key, TallyTestFramework, assert_equal, devnet_key  # noqa: E402
from tally_framework.messages import make_transfer  # noqa: E402
from tally_framework.util import sync_blocks, wait_until  # noqa: E402


class SlowLinkSync(TallyTestFramework):
    def add_options(self, parser):
        parser.add_argument("--blocks", type=int, default=300, help="chain length before the new node joins")

    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        net = self.network
        n0, n1 = self.nodes
        blocks = self.options.blocks
        key = devnet_key(self.rng.randrange(10))
        sent = 0
        # Build the chain in rounds, a transfer or two in some blocks.
        while n0.rpc.getblockcount() < blocks:
            for _ in range(self.rng.randrange(3)):
                acct = n0.rpc.getaccount(key.address(net.address_prefix))
                tx = make_transfer(key, net.chain_id, Key.generate(self.rng).address_hash, 10_000, 1000,
                                   acct["pending_nonce"])
                n0.rpc.sendrawtransaction(tx.hex())
                sent += 1
            net.generate(n0, min(25, blocks - n0.rpc.getblockcount()), sync=False)
        tip = net.sync_blocks([n0, n1], timeout=120)
        self.log("chain of %d blocks with %d transfers, tip %s" % (n0.rpc.getblockcount(), sent, tip[:16]))

        slow = net.add_node(["--rate", "200kbit", "--latency", "100ms"])
        slow.start()
        assert_equal(slow.rpc.getblockcount(), 0)
        net.connect(slow, n0)
        net.connect(slow, n1)
        self.log("%s joined behind a 200 kbit/s, 100 ms link" % slow.name)
        wait_until(lambda: slow.rpc.getbestblockhash() == tip, timeout=120,
                   message=lambda: "%s at height %d of %d" % (slow.name, slow.rpc.getblockcount(), blocks))
        roots = {n.rpc.getblockchaininfo()["stateroot"] for n in self.nodes}
        assert_equal(len(roots), 1)
        info = slow.rpc.getblockchaininfo()
        assert_equal(info["initialblockdownload"], False)
        self.log("%s caught up to height %d, same state root" % (slow.name, info["blocks"]))

        # And it keeps following, in both directions.
        net.generate(n1, 1)
        new = net.generate(slow, 1)[0]
        assert_equal(sync_blocks(self.nodes, timeout=60), new)


if __name__ == "__main__":
    SlowLinkSync().main()
