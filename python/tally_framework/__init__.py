"""tally_framework: functional tests for Tally in Python (standard library only).

See docs/FRAMEWORK.md. Modules: rpc (JSON-RPC client), node (TestNode), network
(TestNetwork), p2p (P2PPeer), messages (encodings and frames), crypto (hashes, BIP340),
address (bech32m), keys (keys, devnet keys), util (wait_until, sync_blocks, sync_mempools),
test_framework (TallyTestFramework).
"""

from .address import decode_address, encode_address
from .crypto import schnorr_sign, schnorr_verify, sha256, sha256d, tagged_hash
from .keys import Key, devnet_key
from .messages import Block, BlockHeader, Transaction, make_coinbase, make_transfer, merkle_root
from .network import TestNetwork
from .node import TestNode, fast_chain_spec
from .p2p import P2PPeer
from .rpc import JSONRPCException, RPCClient
from .test_framework import SkipTest, TallyTestFramework
from .util import assert_equal, assert_raises_rpc_error, sync_blocks, sync_mempools, wait_until
