"""A Bloom filter of (chat_id, msg_id) pairs, and its file format.

Sizing: for `capacity` items at false-positive rate p, the filter has
m = ceil(-capacity * ln p / ln(2)^2) bits and k = round(-log2 p) hash
functions. At the store's default p = 0.1% that is 14.4 bits (1.8 bytes) per
item and k = 10: 1 million items take 1.7 MiB, 50 million take 86 MiB.
The store does not allocate for the largest account up front: it sizes the
filter at twice the messages it holds (at least 1 million) and, when the
count passes the capacity, rebuilds a filter twice as large from the message
index (see applied.py), like a growing array: memory stays within about 2x of
what the data needs and the rate stays at p.

Hashing: one blake2b-128 of the packed pair gives two 64-bit values h1, h2;
probe i is bit (h1 + i*h2) mod m (Kirsch-Mitzenmacher double hashing), which
keeps the rate of k independent hashes at one hash's cost.

`count` counts adds that set at least one new bit, which estimates the number
of distinct items (re-adding a present item does not inflate it).

File: msgpack of {format, version, m, k, count, capacity, fp_rate,
fingerprint, checksum, bits}; `fingerprint` is whatever the caller uses to
tell whether the file still matches its data, `checksum` a blake2b of the
bits. Written to a temp file, fsynced, renamed over, and the folder fsynced,
so a reader sees the old file or the new one, never a torn one. Any problem
reading it raises BloomFileError; the caller rebuilds.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from pathlib import Path
from typing import Any, Iterable

import msgpack

FORMAT = "tobsd-bloom"
VERSION = 1
_PAIR = struct.Struct("<qq")
_blake2b = hashlib.blake2b
_MASK64 = (1 << 64) - 1


class BloomFileError(Exception):
    """The Bloom file is missing, corrupt or of an unknown format."""


def _probe_start(chat_id: int, msg_id: int, m: int) -> tuple[int, int]:
    """First probe position and step: (h1 mod m, h2 mod m), so probe i is (h1 + i*h2) mod m."""
    value = int.from_bytes(_blake2b(_PAIR.pack(chat_id, msg_id), digest_size=16).digest(), "little")
    # h2 odd, so the probe sequence never collapses onto one bit when m is even.
    return (value & _MASK64) % m, ((value >> 64) | 1) % m


class BloomFilter:
    """A fixed-size Bloom filter over (chat_id, msg_id); no false negatives, ever."""

    __slots__ = ("m", "k", "count", "capacity", "fp_rate", "bits")

    def __init__(self, m: int, k: int, capacity: int, fp_rate: float,
                 count: int = 0, bits: bytearray | None = None) -> None:
        if m <= 0 or m % 8 or k <= 0:
            raise ValueError("m must be a positive multiple of 8 and k positive")
        self.m = m
        self.k = k
        self.capacity = capacity
        self.fp_rate = fp_rate
        self.count = count
        self.bits = bits if bits is not None else bytearray(m // 8)
        if len(self.bits) * 8 != m:
            raise ValueError("bits do not hold m bits")

    @classmethod
    def for_capacity(cls, capacity: int, fp_rate: float) -> "BloomFilter":
        """A filter holding `capacity` items at false-positive rate `fp_rate` (0 < fp_rate < 1)."""
        if capacity < 1 or not 0.0 < fp_rate < 1.0:
            raise ValueError("capacity must be >= 1 and 0 < fp_rate < 1")
        m = math.ceil(-capacity * math.log(fp_rate) / (math.log(2) ** 2))
        m = max(64, (m + 7) // 8 * 8)
        k = max(1, round(-math.log2(fp_rate)))
        return cls(m, k, capacity, fp_rate)

    def add(self, chat_id: int, msg_id: int) -> None:
        self.add_many(((chat_id, msg_id),))

    def add_many(self, pairs: Iterable[tuple[int, int]]) -> None:
        # One tight loop with everything in locals: this runs for every
        # message applied and for whole-index rebuilds.
        bits, m, k = self.bits, self.m, self.k
        pack, mask64 = _PAIR.pack, _MASK64
        added = 0
        for chat_id, msg_id in pairs:
            value = int.from_bytes(_blake2b(pack(chat_id, msg_id), digest_size=16).digest(), "little")
            pos, step = (value & mask64) % m, ((value >> 64) | 1) % m
            new = False
            for _ in range(k):
                byte, bit = pos >> 3, 1 << (pos & 7)
                current = bits[byte]
                if not current & bit:
                    bits[byte] = current | bit
                    new = True
                pos += step
                if pos >= m:
                    pos -= m
            added += new
        self.count += added

    def might_contain(self, chat_id: int, msg_id: int) -> bool:
        """False: certainly never added. True: probably added (false positive at about fp_rate)."""
        bits, m = self.bits, self.m
        pos, step = _probe_start(chat_id, msg_id, m)
        for _ in range(self.k):
            if not bits[pos >> 3] & (1 << (pos & 7)):
                return False
            pos += step
            if pos >= m:
                pos -= m
        return True

    def __contains__(self, pair: tuple[int, int]) -> bool:
        return self.might_contain(*pair)

    def is_full(self) -> bool:
        """Whether more items were added than it was sized for (its rate is now above fp_rate)."""
        return self.count > self.capacity

    def estimated_fp_rate(self) -> float:
        """The false-positive rate expected at the current count: (1 - e^(-k*n/m))^k."""
        return (1.0 - math.exp(-self.k * self.count / self.m)) ** self.k

    # --- file format ---------------------------------------------------------

    def to_bytes(self, fingerprint: Any) -> bytes:
        bits = bytes(self.bits)
        return msgpack.packb({
            "format": FORMAT, "version": VERSION, "m": self.m, "k": self.k, "count": self.count,
            "capacity": self.capacity, "fp_rate": self.fp_rate, "fingerprint": fingerprint,
            "checksum": hashlib.blake2b(bits, digest_size=16).digest(), "bits": bits,
        }, use_bin_type=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple["BloomFilter", Any]:
        """The filter and fingerprint in `data`; raises BloomFileError if anything is off."""
        try:
            doc = msgpack.unpackb(data, raw=False)
        except Exception as e:  # msgpack raises several types for bad input
            raise BloomFileError(f"not a msgpack document: {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise BloomFileError("not a tobsd Bloom file")
        if doc.get("version") != VERSION:
            raise BloomFileError(f"unknown Bloom file version {doc.get('version')!r}")
        try:
            bits = doc["bits"]
            if hashlib.blake2b(bits, digest_size=16).digest() != doc["checksum"]:
                raise BloomFileError("checksum mismatch")
            bloom = cls(int(doc["m"]), int(doc["k"]), int(doc["capacity"]), float(doc["fp_rate"]),
                        int(doc["count"]), bytearray(bits))
        except BloomFileError:
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise BloomFileError(f"malformed Bloom file: {e!r}") from None
        return bloom, doc.get("fingerprint")

    def save(self, path: str | os.PathLike[str], fingerprint: Any) -> None:
        """Write atomically: temp file, fsync, rename over `path`, fsync the folder."""
        write_atomically(Path(path), self.to_bytes(fingerprint))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> tuple["BloomFilter", Any]:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise BloomFileError(f"cannot read {path}: {e.strerror or e}") from None
        return cls.from_bytes(data)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # the state is private
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
