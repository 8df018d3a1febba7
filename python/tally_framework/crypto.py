"""Hashes and BIP340 Schnorr signatures in pure Python (standard library only).

SHA-256(d) and tagged hashes come from hashlib. RIPEMD-160 comes from hashlib when the
local OpenSSL offers it (OpenSSL 3 moved it to the legacy provider, so it may not) and
otherwise from the small pure-Python implementation below. secp256k1 and BIP340 follow
the BIP's reference math (bitcoin/bips, bip-0340/reference.py) with Jacobian coordinates
for speed: slow next to libsecp256k1, fast enough for tests (a few ms per signature).

Not constant time: for tests only, never for keys that hold value.
"""

import hashlib
import struct

# --- hashes --------------------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340's SHA256(SHA256(tag) || SHA256(tag) || data)."""
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + data).digest()


def _ripemd160_py(data: bytes) -> bytes:
    # RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), straight from the specification.
    def rol(x, n):
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    def f(j, x, y, z):
        if j < 16:
            return x ^ y ^ z
        if j < 32:
            return (x & y) | (~x & z)
        if j < 48:
            return (x | ~y) ^ z
        if j < 64:
            return (x & z) | (y & ~z)
        return x ^ (y | ~z)

    kl = [0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E]
    kr = [0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000]
    rl = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
          7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
          3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
          1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
          4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13]
    rr = [5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
          6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
          15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
          8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
          12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11]
    sl = [11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
          7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
          11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
          11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
          9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6]
    sr = [8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
          9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
          9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
          15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
          8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11]
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", (len(data) * 8) & (2**64 - 1))
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        al, bl, cl, dl, el = h
        ar, br, cr, dr, er = h
        for j in range(80):
            t = (rol((al + f(j, bl, cl, dl) + x[rl[j]] + kl[j // 16]) & 0xFFFFFFFF, sl[j]) + el) & 0xFFFFFFFF
            al, el, dl, cl, bl = el, dl, rol(cl, 10), bl, t
            t = (rol((ar + f(79 - j, br, cr, dr) + x[rr[j]] + kr[j // 16]) & 0xFFFFFFFF, sr[j]) + er) & 0xFFFFFFFF
            ar, er, dr, cr, br = er, dr, rol(cr, 10), br, t
        t = (h[1] + cl + dr) & 0xFFFFFFFF
        h[1] = (h[2] + dl + er) & 0xFFFFFFFF
        h[2] = (h[3] + el + ar) & 0xFFFFFFFF
        h[3] = (h[4] + al + br) & 0xFFFFFFFF
        h[4] = (h[0] + bl + cr) & 0xFFFFFFFF
        h[0] = t
    return struct.pack("<5I", *h)


def ripemd160(data: bytes) -> bytes:
    try:
        return hashlib.new("ripemd160", data).digest()
    except ValueError:  # not offered by this OpenSSL
        return _ripemd160_py(data)


def hash160(data: bytes) -> bytes:
    """RIPEMD160(SHA256(data)): a Tally address is hash160 of the 32-byte x-only key."""
    return ripemd160(sha256(data))


# --- secp256k1 -----------------------------------------------------------------------------

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)

# Points are affine (x, y) tuples or None for infinity; Jacobian (X, Y, Z) internally.


def _to_jac(p):
    return None if p is None else (p[0], p[1], 1)


def _from_jac(j):
    if j is None or j[2] == 0:
        return None
    zinv = pow(j[2], P - 2, P)
    z2 = zinv * zinv % P
    return (j[0] * z2 % P, j[1] * z2 * zinv % P)


def _jac_double(j):
    if j is None or j[1] == 0:
        return None
    x, y, z = j
    ysq = y * y % P
    s = 4 * x * ysq % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * ysq * ysq) % P
    nz = 2 * y * z % P
    return (nx, ny, nz)


def _jac_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    x1, y1, z1 = a
    x2, y2, z2 = b
    z1s, z2s = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2s % P, x2 * z1s % P
    s1, s2 = y1 * z2s * z2 % P, y2 * z1s * z1 % P
    if u1 == u2:
        return _jac_double(a) if s1 == s2 else None
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    h2 = h * h % P
    h3 = h * h2 % P
    u1h2 = u1 * h2 % P
    nx = (r * r - h3 - 2 * u1h2) % P
    ny = (r * (u1h2 - nx) - s1 * h3) % P
    nz = h * z1 * z2 % P
    return (nx, ny, nz)


def point_add(p1, p2):
    return _from_jac(_jac_add(_to_jac(p1), _to_jac(p2)))


def point_mul(p, k: int):
    r = None
    j = _to_jac(p)
    k %= N
    while k:
        if k & 1:
            r = _jac_add(r, j)
        j = _jac_double(j)
        k >>= 1
    return _from_jac(r)


def lift_x(x: int):
    """The curve point with x coordinate x and even y, or None."""
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return (x, y if y & 1 == 0 else P - y)


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


def _bytes(x: int) -> bytes:
    return x.to_bytes(32, "big")


# --- BIP340 --------------------------------------------------------------------------------


def pubkey_from_secret(secret: bytes) -> bytes:
    """The 32-byte x-only public key of a 32-byte secret key."""
    d = _int(secret)
    if not 1 <= d <= N - 1:
        raise ValueError("secret key out of range")
    return _bytes(point_mul(G, d)[0])


def schnorr_sign(msg: bytes, secret: bytes, aux_rand: bytes = bytes(32)) -> bytes:
    """BIP340 signature (64 bytes) of a message of any length."""
    if len(aux_rand) != 32:
        raise ValueError("aux_rand must be 32 bytes")
    d0 = _int(secret)
    if not 1 <= d0 <= N - 1:
        raise ValueError("secret key out of range")
    pk = point_mul(G, d0)
    d = d0 if pk[1] % 2 == 0 else N - d0
    t = _bytes(d ^ _int(tagged_hash("BIP0340/aux", aux_rand)))
    k0 = _int(tagged_hash("BIP0340/nonce", t + _bytes(pk[0]) + msg)) % N
    if k0 == 0:
        raise ValueError("nonce is zero (negligible probability)")
    r = point_mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = _int(tagged_hash("BIP0340/challenge", _bytes(r[0]) + _bytes(pk[0]) + msg)) % N
    sig = _bytes(r[0]) + _bytes((k + e * d) % N)
    if not schnorr_verify(msg, _bytes(pk[0]), sig):
        raise RuntimeError("signature does not verify (bug)")
    return sig


def schnorr_verify(msg: bytes, pubkey: bytes, sig: bytes) -> bool:
    """BIP340 verification; False for malformed keys or signatures."""
    if len(pubkey) != 32 or len(sig) != 64:
        return False
    p = lift_x(_int(pubkey))
    r = _int(sig[:32])
    s = _int(sig[32:])
    if p is None or r >= P or s >= N:
        return False
    e = _int(tagged_hash("BIP0340/challenge", sig[:32] + pubkey + msg)) % N
    big_r = _from_jac(_jac_add(_to_jac(point_mul(G, s)), _to_jac(point_mul(p, N - e))))
    if big_r is None or big_r[1] % 2 != 0 or big_r[0] != r:
        return False
    return True
