"""Keys: a secret, its x-only public key, its address; the public devnet keys.

Devnet key i has secret SHA-256("Tally devnet key " + decimal i) (genesis/devnet-keys.json);
the devnet chain spec (and the fast spec the framework derives from it) funds keys 0..9.
"""

import os

from . import crypto
from .address import address_hash, encode_address


class Key:
    def __init__(self, secret: bytes):
        if len(secret) != 32:
            raise ValueError("a secret key is 32 bytes")
        self.secret = bytes(secret)
        self.pubkey = crypto.pubkey_from_secret(self.secret)  # 32 bytes, x-only
        self.address_hash = address_hash(self.pubkey)  # 20 bytes: a transaction's recipient

    @classmethod
    def generate(cls, rng=None):
        """A fresh key; from `rng` (a random.Random) when given, so a seed replays it."""
        while True:
            raw = rng.randbytes(32) if rng is not None else os.urandom(32)
            d = int.from_bytes(raw, "big")
            if 1 <= d < crypto.N:
                return cls(raw)

    def address(self, hrp: str = "tly") -> str:
        return encode_address(self.address_hash, hrp)

    def sign(self, msg: bytes, aux_rand: bytes = bytes(32)) -> bytes:
        return crypto.schnorr_sign(msg, self.secret, aux_rand)

    def __repr__(self):
        return "Key(%s)" % self.address()


def devnet_secret(index: int) -> bytes:
    return crypto.sha256(("Tally devnet key %d" % index).encode())


def devnet_key(index: int) -> Key:
    """Public devnet key `index` (0..9 are funded by the devnet spec). DEVNET ONLY."""
    return Key(devnet_secret(index))
