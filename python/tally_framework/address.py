"""Bech32m (BIP350) and Tally account addresses.

A Tally address is the 20-byte hash160 of an x-only public key, its bytes regrouped into
5-bit values and written as bech32m under the chain's prefix ("tly" on the devnet). There
is no witness version byte, unlike Bitcoin's segwit addresses (crypto/address.cpp).
"""

from .crypto import hash160

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


class Bech32Error(ValueError):
    pass


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32m_encode(hrp: str, data) -> str:
    values = _hrp_expand(hrp) + list(data)
    polymod = _polymod(values + [0] * 6) ^ BECH32M_CONST
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in list(data) + checksum)


def bech32m_decode(text: str):
    """(hrp, 5-bit data) of a bech32m string; raises Bech32Error."""
    if len(text) > 90:
        raise Bech32Error("too long")
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise Bech32Error("invalid character")
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1:
        raise Bech32Error("no separator")
    if pos + 7 > len(text):
        raise Bech32Error("too short")
    if any(c not in CHARSET for c in text[pos + 1:]):
        raise Bech32Error("invalid character")
    hrp = text[:pos]
    data = [CHARSET.find(c) for c in text[pos + 1:]]
    if _polymod(_hrp_expand(hrp) + data) != BECH32M_CONST:
        raise Bech32Error("bad checksum")
    return hrp, data[:-6]


def convert_bits(data, frombits: int, tobits: int, pad: bool):
    acc = 0
    bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for v in data:
        if v < 0 or v >> frombits:
            raise Bech32Error("value out of range")
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise Bech32Error("bad padding")
    return out


def encode_address(hash20: bytes, hrp: str = "tly") -> str:
    if len(hash20) != 20:
        raise ValueError("an address holds 20 bytes")
    return bech32m_encode(hrp, convert_bits(hash20, 8, 5, True))


def decode_address(text: str, hrp: str = "tly") -> bytes:
    got_hrp, data = bech32m_decode(text)
    if got_hrp != hrp.lower():
        raise Bech32Error("wrong prefix %r (want %r)" % (got_hrp, hrp))
    raw = bytes(convert_bits(data, 5, 8, False))
    if len(raw) != 20:
        raise Bech32Error("wrong length")
    return raw


def address_hash(pubkey: bytes) -> bytes:
    """The 20 bytes of the address of an x-only public key."""
    return hash160(pubkey)
