"""Server-side cryptography: the RSA key pair, the DH group, MTProto 2.0 keys.

fakegram has its own RSA key pair (kept in its state folder); clients trust it
through `telethon.crypto.rsa.add_key(pem, old=False)`. AES-IGE comes from
Telethon (which uses cryptg when installed).
"""
from __future__ import annotations

import os
import struct
from hashlib import sha1, sha256
from pathlib import Path

import rsa
from telethon.crypto import AES
from telethon.tl import TLObject

# Telegram's published 2048-bit safe prime with generator 3, as served in
# server_DH_inner_data and used by SRP two-step verification.
DH_PRIME = int(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B", 16)
DH_G = 3


def int_to_bytes(value: int, length: int | None = None) -> bytes:
    """Big-endian bytes; minimal length unless `length` is given."""
    if length is None:
        length = max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(length, "big")


class ServerKey:
    """The server's RSA key pair and its Telegram fingerprint."""

    def __init__(self, private: rsa.PrivateKey):
        self.private = private
        self.public = rsa.PublicKey(private.n, private.e)
        n = TLObject.serialize_bytes(int_to_bytes(private.n))
        e = TLObject.serialize_bytes(int_to_bytes(private.e))
        self.fingerprint = struct.unpack("<q", sha1(n + e).digest()[-8:])[0]

    @property
    def public_pem(self) -> str:
        return self.public.save_pkcs1().decode()

    @classmethod
    def load_or_create(cls, state_dir: Path) -> "ServerKey":
        """Read `rsa_private.pem` from the state folder, or make and keep one."""
        path = Path(state_dir) / "rsa_private.pem"
        if path.exists():
            return cls(rsa.PrivateKey.load_pkcs1(path.read_bytes()))
        _, private = rsa.newkeys(2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private.save_pkcs1())
        os.replace(tmp, path)
        return cls(private)

    def decrypt_legacy(self, encrypted: bytes) -> bytes | None:
        """Undo Telegram's legacy RSA scheme: sha1(data) + data + random,
        255 bytes, raw RSA. Returns `data` followed by the random padding,
        or None if the hash does not match any prefix (the caller parses the
        TL object and checks the hash over exactly its bytes)."""
        value = int.from_bytes(encrypted, "big")
        if value >= self.private.n:
            return None
        plain = pow(value, self.private.d, self.private.n).to_bytes(256, "big")
        if plain[0] != 0:
            return None
        return plain[1:]


def msg_keys(auth_key: bytes, msg_key: bytes, from_client: bool) -> tuple[bytes, bytes]:
    """MTProto 2.0 AES key and IV; x = 0 for client->server, 8 for server->client."""
    x = 0 if from_client else 8
    a = sha256(msg_key + auth_key[x:x + 36]).digest()
    b = sha256(auth_key[x + 40:x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


def decrypt_client_message(auth_key: bytes, msg_key: bytes, data: bytes) -> bytes | None:
    """Decrypt a client's message; None if msg_key does not verify."""
    if len(data) % 16 or not data:
        return None
    key, iv = msg_keys(auth_key, msg_key, True)
    plain = AES.decrypt_ige(data, key, iv)
    if sha256(auth_key[88:120] + plain).digest()[8:24] != msg_key:
        return None
    return plain


def encrypt_server_message(auth_key: bytes, key_id: int, plain: bytes) -> bytes:
    """Encrypt (salt + session + message) for the client, with 12..1024 padding."""
    padding = os.urandom(-(len(plain) + 12) % 16 + 12)
    msg_key = sha256(auth_key[96:128] + plain + padding).digest()[8:24]
    key, iv = msg_keys(auth_key, msg_key, False)
    return struct.pack("<Q", key_id) + msg_key + AES.encrypt_ige(plain + padding, key, iv)


def auth_key_id(auth_key: bytes) -> int:
    """The 64-bit key id: the low 8 bytes of sha1(auth_key), unsigned."""
    return struct.unpack("<Q", sha1(auth_key).digest()[-8:])[0]
