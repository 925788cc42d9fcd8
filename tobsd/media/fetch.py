"""Fetching one file: parallel 1 MiB parts into a resumable partial file.

`fetch(source, remote, partial, streams=N)` fetches every part the partial
file does not hold yet with N requests in flight (the DC's allowance), each
part checked before it is recorded: its length against the file's size,
and its bytes against upload.getFileHashes where the server serves them.
A file of unknown size is fetched part after part until a short one.
FILE_REFERENCE_EXPIRED and FILE_MIGRATE are the source's business (it
refreshes and follows them); a mismatch raises `PartCorrupt`, which the
queue retries like any failure (the part was not recorded).
"""
from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from dataclasses import dataclass

from tobsd.core.errors import TobsError
from tobsd.core.media_ports import ChunkHash, FileSource, RemoteFile

from .chunks import PART, part_count, part_range
from .partial import PartialFile


class PartCorrupt(TobsError):
    """A part came back shorter than the file's size says, or its bytes do
    not match the hashes Telegram gave for them."""


@dataclass(slots=True)
class FetchStats:
    parts: int = 0            # parts the file has
    resumed: int = 0          # parts already held from an earlier run
    fetched: int = 0          # parts fetched now
    bytes_fetched: int = 0
    hash_checked: int = 0     # parts checked against getFileHashes
    size: int = 0
    sha256: str = ""


def check_hashes(offset: int, data: bytes, hashes: list[ChunkHash]) -> int:
    """Compare `data` (fetched at `offset`) with the hashes covering it;
    returns how many ranges were checked, raises PartCorrupt on a mismatch."""
    checked = 0
    end = offset + len(data)
    for h in hashes:
        if h.offset < offset or h.offset >= end:
            continue
        piece = data[h.offset - offset:h.offset - offset + h.limit]
        if len(piece) != h.limit or hashlib.sha256(piece).digest() != h.sha256:
            raise PartCorrupt(f"bytes {h.offset}..{h.offset + h.limit} do not match Telegram's hash")
        checked += 1
    return checked


async def fetch(source: FileSource, remote: RemoteFile, partial: PartialFile, *,
                streams: int, verify: bool = True) -> FetchStats:
    """Complete `partial` with `remote`'s bytes; returns what was done, with
    the whole file's SHA-256 and size. The partial file stays open for the
    caller to land or remove."""
    done = await asyncio.to_thread(partial.open)
    size = remote.size
    stats = FetchStats(resumed=len(done))
    hashes_served = [verify]

    async def part(index: int) -> bytes:
        offset, expect = part_range(index, size)
        read = source.read(remote, offset, PART)
        if hashes_served[0]:
            data, hashes = await asyncio.gather(read, source.hashes(remote, offset))
            if hashes is None:
                hashes_served[0] = False
        else:
            data, hashes = await read, None
        if size is not None and len(data) != expect:
            raise PartCorrupt(f"part at {offset} has {len(data)} bytes, expected {expect}")
        if hashes:
            if check_hashes(offset, data, hashes):
                stats.hash_checked += 1
        await asyncio.to_thread(partial.write, index, offset, data)
        stats.fetched += 1
        stats.bytes_fetched += len(data)
        return data

    if size is None:
        index = 0
        while True:
            if index in done:
                index += 1
                continue
            data = await part(index)
            if len(data) < PART:
                size = index * PART + len(data)
                break
            index += 1
        stats.parts = index + 1
    else:
        stats.parts = part_count(size)
        missing = deque(i for i in range(stats.parts) if i not in done)

        async def worker() -> None:
            while missing:
                await part(missing.popleft())

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(streams, len(missing)))):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:   # the first stream's error, as itself
            raise failed.exceptions[0] from None
    await asyncio.to_thread(partial.truncate, size)
    stats.sha256, stats.size = await asyncio.to_thread(partial.sha256)
    return stats
