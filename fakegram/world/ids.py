"""Deterministic ids, access hashes and file references.

Everything a world hands out that a client later sends back (access hashes,
file references, media ids) is derived from the world's seed, so two worlds
built from the same description agree byte for byte.
"""
from __future__ import annotations

import hashlib

# Media ids made by the builder start here; synthetic histories use ids with
# SYNTHETIC_MEDIA_TAG set, so the two ranges never meet.
FIRST_MEDIA_ID = 5_000_000_000_001
SYNTHETIC_MEDIA_TAG = 1 << 60
_MSG_BITS = 24  # synthetic media ids hold the message id in the low 24 bits


def _digest(*parts: object, size: int = 8) -> bytes:
    text = ":".join(str(p) for p in parts).encode()
    return hashlib.blake2b(text, digest_size=size).digest()


def access_hash(seed: int, kind: str, ident: int) -> int:
    """A non-zero signed 64-bit access hash for (seed, kind, id)."""
    value = int.from_bytes(_digest(seed, "hash", kind, ident), "big", signed=True)
    return value or 1


def file_reference(seed: int, media_id: int) -> bytes:
    """A non-empty file reference for a photo or document."""
    return b"\x02" + _digest(seed, "fileref", media_id, size=15)


def synthetic_media_id(channel_id: int, msg_id: int) -> int:
    """The media id of a synthetic channel's message (positive, < 2**63)."""
    if not 0 < msg_id < (1 << _MSG_BITS):
        raise ValueError(f"synthetic message id out of range: {msg_id}")
    return SYNTHETIC_MEDIA_TAG | (channel_id << _MSG_BITS) | msg_id


def split_synthetic_media_id(media_id: int) -> tuple[int, int] | None:
    """(channel id, message id) of a synthetic media id, or None."""
    if not media_id & SYNTHETIC_MEDIA_TAG or media_id >= (1 << 63):
        return None
    rest = media_id & (SYNTHETIC_MEDIA_TAG - 1)
    return rest >> _MSG_BITS, rest & ((1 << _MSG_BITS) - 1)


def seed_int(seed: int, *parts: object) -> int:
    """A deterministic non-negative 63-bit int for seeding byte streams."""
    return int.from_bytes(_digest(seed, "int", *parts), "big") >> 1
