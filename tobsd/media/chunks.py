"""The parts a file is fetched in, by upload.getFile's rules.

Telegram's rules for upload.getFile (https://core.telegram.org/api/files):
`limit` divisible by 4096 and 1 MiB divisible by `limit`; `offset`
divisible by 4096; and a part must not cross a 1 MiB boundary
(offset // 1 MiB == (offset + limit - 1) // 1 MiB). Parts of exactly 1 MiB
at offsets that are multiples of 1 MiB keep all of them with the fewest
requests; the last part asks for 1 MiB too and gets the rest of the file.
"""
from __future__ import annotations

PART = 1024 * 1024


def valid_part(offset: int, limit: int) -> bool:
    """Whether (offset, limit) follows upload.getFile's rules (without `precise`)."""
    return (0 < limit <= PART and limit % 4096 == 0 and PART % limit == 0
            and offset >= 0 and offset % 4096 == 0
            and offset // PART == (offset + limit - 1) // PART)


def part_count(size: int, part: int = PART) -> int:
    """Parts of `part` bytes a file of `size` bytes takes (at least one)."""
    return max(1, -(-size // part))


def part_range(index: int, size: int | None, part: int = PART) -> tuple[int, int]:
    """(offset, bytes expected) of part `index` (expected None-sized: `part`)."""
    offset = index * part
    if size is None:
        return offset, part
    return offset, max(0, min(part, size - offset))
