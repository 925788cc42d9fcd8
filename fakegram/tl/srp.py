"""The server side of Telegram's SRP 2FA check (account.getPassword /
auth.checkPassword).

The algorithm is PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow
with Telegram's 2048-bit safe prime and g = 3. The client side lives in
telethon/password.py (`compute_check`); this module computes the same M1 from
the server's secret b and the password verifier v = g^x mod p:

    x  = SH(SH(PH1(password, salt1, salt2), salt2)...)   (compute_hash)
    k  = H(p | g);  B = (k*v + g^b) mod p;  u = H(A | B)
    S  = (A * v^u)^b mod p;  K = H(S)
    M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K)

Deriving x costs 100000 PBKDF2-HMAC-SHA512 rounds, so verifiers are cached
per (password, salt1, salt2).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

# Telegram's prime (the one telethon/password.py accepts without factoring).
PRIME_HEX = (
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C140582294 93D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B"
).replace(" ", "")
P_BYTES = bytes.fromhex(PRIME_HEX)
P = int.from_bytes(P_BYTES, "big")
G = 3
SIZE = 256
PBKDF2_ITERATIONS = 100000   # fixed by the algorithm's name


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _pad(number: int) -> bytes:
    return number.to_bytes(SIZE, "big")


def _pad_bytes(data: bytes) -> bytes:
    return bytes(SIZE - len(data)) + data


def password_hash(password: str, salt1: bytes, salt2: bytes) -> bytes:
    """x as bytes, exactly as telethon.password.compute_hash derives it."""
    hash1 = _h(salt1, password.encode("utf-8"), salt1)
    hash2 = _h(salt2, hash1, salt2)
    hash3 = hashlib.pbkdf2_hmac("sha512", hash2, salt1, PBKDF2_ITERATIONS)
    return _h(salt2, hash3, salt2)


_K = int.from_bytes(_h(P_BYTES, _pad(G)), "big")


def _good_mod_exp(value: int) -> bool:
    """The client's is_good_mod_exp_first check (so it accepts our B)."""
    diff = P - value
    return (diff > 0 and diff.bit_length() >= 2048 - 64
            and value.bit_length() >= 2048 - 64 and (value.bit_length() + 7) // 8 <= SIZE)


@dataclass
class _Session:
    b: int
    B: int
    v: int
    salt1: bytes
    salt2: bytes


@dataclass
class SrpServer:
    """Salts of the current password, cached verifiers and open SRP sessions
    (srp_id -> the secret b that made its B)."""
    salt1: bytes = field(default_factory=lambda: secrets.token_bytes(40))
    salt2: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    _verifiers: dict = field(default_factory=dict)
    _sessions: dict = field(default_factory=dict)

    def verifier(self, password: str) -> int:
        key = (password, self.salt1, self.salt2)
        v = self._verifiers.get(key)
        if v is None:
            x = int.from_bytes(password_hash(password, self.salt1, self.salt2), "big")
            v = self._verifiers[key] = pow(G, x, P)
        return v

    def start(self, password: str) -> tuple[int, bytes]:
        """A new SRP session: (srp_id, srp_B as 256 bytes)."""
        v = self.verifier(password)
        while True:
            b = int.from_bytes(secrets.token_bytes(SIZE), "big")
            g_b = pow(G, b, P)
            B = (_K * v + g_b) % P
            if _good_mod_exp(g_b) and 0 < B < P:
                break
        srp_id = secrets.randbits(63)
        self._sessions[srp_id] = _Session(b, B, v, self.salt1, self.salt2)
        return srp_id, _pad(B)

    def check(self, srp_id: int, A_bytes: bytes, M1: bytes) -> bool | None:
        """True if M1 proves the password; False if it does not; None when
        srp_id names no open session. A session is used up by any answer."""
        session = self._sessions.pop(srp_id, None)
        if session is None:
            return None
        A = int.from_bytes(A_bytes, "big")
        if not 0 < A < P:
            return False
        a_for_hash = _pad_bytes(A_bytes)
        b_for_hash = _pad(session.B)
        u = int.from_bytes(_h(a_for_hash, b_for_hash), "big")
        S = pow(A * pow(session.v, u, P) % P, session.b, P)
        K = _h(_pad(S))
        expected = _h(
            bytes(x ^ y for x, y in zip(_h(P_BYTES), _h(_pad(G)))),
            _h(session.salt1), _h(session.salt2), a_for_hash, b_for_hash, K)
        return hmac.compare_digest(expected, M1)
