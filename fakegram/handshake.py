"""The auth-key handshake (server side): req_pq_multi, req_DH_params,
set_client_DH_params, over unencrypted messages.

One `Handshake` object follows one connection's exchange. `answer(request)`
returns the TL object to send back, or raises `HandshakeError`, after which
the server closes the connection (as Telegram does on a bad step). When the
exchange completes, `auth_key` holds the new 256-byte key.
"""
from __future__ import annotations

import os
import random
import time
from hashlib import sha1

from telethon import helpers
from telethon.crypto import AES, AuthKey
from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from .crypto import DH_G, DH_PRIME, ServerKey, int_to_bytes

_SAFETY = 2 ** (2048 - 64)


class HandshakeError(Exception):
    """The client broke the protocol; the connection is dropped."""


def _is_probable_prime(n: int) -> bool:
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _random_prime(rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(31) | (1 << 30) | 1
        if _is_probable_prime(candidate):
            return candidate


def _nonce_bytes(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little", signed=True)


class Handshake:
    """One connection's auth-key exchange."""

    def __init__(self, server_key: ServerKey):
        self._key = server_key
        self._nonce: int | None = None
        self._server_nonce: int | None = None
        self._new_nonce: int | None = None
        self._pq: tuple[int, int] | None = None
        self._a: int | None = None
        self._tmp: tuple[bytes, bytes] | None = None
        self.temp_expires: int | None = None
        self.dc_id: int | None = None
        self.auth_key: bytes | None = None
        self.server_salt: int = 0

    def answer(self, request):
        if isinstance(request, (functions.ReqPqMultiRequest, functions.ReqPqRequest)):
            return self._res_pq(request)
        if isinstance(request, functions.ReqDHParamsRequest):
            return self._dh_params(request)
        if isinstance(request, functions.SetClientDHParamsRequest):
            return self._client_dh(request)
        raise HandshakeError(f"unexpected unencrypted {type(request).__name__}")

    def _res_pq(self, request):
        rng = random.Random(os.urandom(16))
        p, q = sorted((_random_prime(rng), _random_prime(rng)))
        while p == q:
            q = _random_prime(rng)
            p, q = sorted((p, q))
        self._pq = (p, q)
        self._nonce = request.nonce
        self._server_nonce = int.from_bytes(os.urandom(16), "little", signed=True)
        return types.ResPQ(
            nonce=self._nonce, server_nonce=self._server_nonce,
            pq=int_to_bytes(p * q),
            server_public_key_fingerprints=[self._key.fingerprint])

    def _check_nonces(self, request):
        if self._nonce is None or request.nonce != self._nonce \
                or request.server_nonce != self._server_nonce:
            raise HandshakeError("nonce mismatch")

    def _dh_params(self, request):
        self._check_nonces(request)
        if request.public_key_fingerprint != self._key.fingerprint:
            raise HandshakeError("unknown RSA fingerprint")
        plain = self._key.decrypt_legacy(request.encrypted_data)
        if plain is None:
            raise HandshakeError("RSA payload does not decrypt")
        reader = BinaryReader(plain[20:])
        try:
            inner = reader.tgread_object()
        except Exception as exc:
            raise HandshakeError("bad p_q_inner_data") from exc
        if sha1(bytes(inner)).digest() != plain[:20]:
            raise HandshakeError("p_q_inner_data hash mismatch")
        allowed = (types.PQInnerData, types.PQInnerDataDc,
                   types.PQInnerDataTemp, types.PQInnerDataTempDc)
        if not isinstance(inner, allowed):
            raise HandshakeError("not a p_q_inner_data")
        p, q = self._pq
        if (int.from_bytes(inner.p, "big"), int.from_bytes(inner.q, "big")) != (p, q) \
                or int.from_bytes(inner.pq, "big") != p * q \
                or inner.nonce != self._nonce or inner.server_nonce != self._server_nonce:
            raise HandshakeError("p_q_inner_data does not match")
        self.temp_expires = getattr(inner, "expires_in", None)
        self.dc_id = getattr(inner, "dc", None)
        self._new_nonce = inner.new_nonce
        self._a = int.from_bytes(os.urandom(256), "big")
        g_a = pow(DH_G, self._a, DH_PRIME)
        if not (_SAFETY <= g_a <= DH_PRIME - _SAFETY):
            return self._dh_params(request)  # astronomically rare: pick another a
        answer = bytes(types.ServerDHInnerData(
            nonce=self._nonce, server_nonce=self._server_nonce, g=DH_G,
            dh_prime=int_to_bytes(DH_PRIME), g_a=int_to_bytes(g_a, 256),
            server_time=int(time.time())))
        with_hash = sha1(answer).digest() + answer
        with_hash += os.urandom(-len(with_hash) % 16)
        self._tmp = helpers.generate_key_data_from_nonce(self._server_nonce, self._new_nonce)
        return types.ServerDHParamsOk(
            nonce=self._nonce, server_nonce=self._server_nonce,
            encrypted_answer=AES.encrypt_ige(with_hash, *self._tmp))

    def _client_dh(self, request):
        self._check_nonces(request)
        if self._tmp is None or len(request.encrypted_data) % 16:
            raise HandshakeError("set_client_DH_params out of order")
        plain = AES.decrypt_ige(request.encrypted_data, *self._tmp)
        try:
            inner = BinaryReader(plain[20:]).tgread_object()
        except Exception as exc:
            raise HandshakeError("bad client_DH_inner_data") from exc
        if not isinstance(inner, types.ClientDHInnerData) \
                or sha1(bytes(inner)).digest() != plain[:20]:
            raise HandshakeError("client_DH_inner_data hash mismatch")
        g_b = int.from_bytes(inner.g_b, "big")
        if not (_SAFETY <= g_b <= DH_PRIME - _SAFETY):
            raise HandshakeError("g_b out of the safe range")
        # The key is always 256 bytes, as the spec says, even when its top
        # byte is zero; a client that strips it fails the nonce hash check
        # below and retries with a fresh exchange.
        key = pow(g_b, self._a, DH_PRIME).to_bytes(256, "big")
        new_nonce = _nonce_bytes(self._new_nonce, 32)
        server_nonce = _nonce_bytes(self._server_nonce, 16)
        self.server_salt = int.from_bytes(
            bytes(a ^ b for a, b in zip(new_nonce[:8], server_nonce[:8])), "little", signed=True)
        self.auth_key = key
        nonce_hash = AuthKey(key).calc_new_nonce_hash(self._new_nonce, 1)
        return types.DhGenOk(nonce=self._nonce, server_nonce=self._server_nonce,
                             new_nonce_hash1=nonce_hash)
