"""File bytes on demand: shipped assets and deterministic pseudo-random files.

A `FileBlob.source` says where its bytes come from:
- "asset:<name>": the file fakegram/assets/<name> (read once, kept in memory;
  the assets are a few tens of KB each);
- "seed:<n>": `size` pseudo-random bytes in 64 KiB blocks, block i being
  the first 64 KiB of SHAKE-256 of (n, i). Any range is computed from the
  blocks it touches only, so a file of hundreds of MB is never held in
  memory: it costs nothing until someone reads it, and then only the part
  that is read.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .model import FileBlob

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
# Bytes per generated block: large, so that serving a 1 MiB part costs a few
# SHAKE-256 calls (a few ms) and not thousands of small hashes: a benchmark
# then measures the client, not fakegram's generator.
_BLOCK = 64 * 1024

# Each asset's MIME type, as Telegram would label the document.
ASSET_MIME = {
    ".jpg": "image/jpeg", ".ogg": "audio/ogg", ".mp4": "video/mp4",
    ".mp3": "audio/mpeg", ".webp": "image/webp", ".webm": "video/webm",
    ".tgs": "application/x-tgsticker",
}

_asset_cache: dict[str, bytes] = {}
_asset_info: dict[str, tuple[int, str]] = {}


def asset_bytes(name: str) -> bytes:
    """The whole content of fakegram/assets/<name> (cached)."""
    data = _asset_cache.get(name)
    if data is None:
        path = ASSETS_DIR / name
        if path.parent != ASSETS_DIR:  # no "../" escapes from a scenario file
            raise ValueError(f"bad asset name: {name!r}")
        data = path.read_bytes()
        _asset_cache[name] = data
    return data


def asset_blob(blob_id: int, dc_id: int, name: str) -> FileBlob:
    """A FileBlob for a shipped asset, with its real size and MIME type."""
    info = _asset_info.get(name)
    if info is None:  # cached: synthetic histories make many of these
        info = (len(asset_bytes(name)),
                ASSET_MIME.get(Path(name).suffix, "application/octet-stream"))
        _asset_info[name] = info
    size, mime = info
    return FileBlob(id=blob_id, dc_id=dc_id, size=size, mime_type=mime,
                    source=f"asset:{name}")


def seed_blob(blob_id: int, dc_id: int, size: int, seed: int,
              mime_type: str = "application/octet-stream") -> FileBlob:
    """A FileBlob of `size` deterministic pseudo-random bytes."""
    if size < 0:
        raise ValueError("size must be >= 0")
    return FileBlob(id=blob_id, dc_id=dc_id, size=size, mime_type=mime_type,
                    source=f"seed:{seed}")


def seeded_range(seed: int, offset: int, length: int) -> bytes:
    """Bytes [offset, offset+length) of the infinite stream for `seed`."""
    if length <= 0:
        return b""
    first = offset // _BLOCK
    last = (offset + length - 1) // _BLOCK
    prefix = seed.to_bytes(8, "big", signed=False)
    shake = hashlib.shake_256
    data = b"".join(shake(prefix + i.to_bytes(8, "big")).digest(_BLOCK)
                    for i in range(first, last + 1))
    start = offset - first * _BLOCK
    return data[start:start + length]


def read_blob(blob: FileBlob, offset: int, limit: int) -> bytes:
    """Bytes [offset, offset+limit) of the blob, shorter at its end, b""
    past it. Raises ValueError for a negative offset or an unknown source."""
    if offset < 0:
        raise ValueError("offset must be >= 0")
    end = min(blob.size, offset + max(0, limit))
    if end <= offset:
        return b""
    kind, _, arg = blob.source.partition(":")
    if kind == "asset":
        return asset_bytes(arg)[offset:end]
    if kind == "seed":
        return seeded_range(int(arg) & ((1 << 64) - 1), offset, end - offset)
    raise ValueError(f"unknown file source: {blob.source!r}")
