"""Paging a 1,000,000-message synthetic channel keeps memory flat."""
from __future__ import annotations

import gc
import tracemalloc

import psutil
import pytest

from fakegram.world import WorldBuilder


def big_world(count: int):
    b = WorldBuilder(seed=11)
    chat = b.synthetic_channel("Big", count=count, media_every=97)
    return b.build(), chat.key


def walk(world, key, offset_id: int = 0, pages: int | None = None):
    """Page down from offset_id like a client; yields each page."""
    done = 0
    while pages is None or done < pages:
        msgs = world.get_history(key, offset_id=offset_id, limit=100).messages
        if not msgs:
            return
        yield msgs
        offset_id = msgs[-1].id
        done += 1


def test_page_allocations_do_not_accumulate():
    world, key = big_world(1_000_000)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        seen = sum(len(msgs) for msgs in walk(world, key, offset_id=600_000, pages=100))
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 10_000
    assert current - base < 200_000   # nothing kept per message
    assert peak - base < 2_000_000    # one page in flight at a time


@pytest.mark.slow
def test_walking_one_million_messages_keeps_rss_flat():
    world, key = big_world(1_000_000)
    world.delete(key, [500_000, 500_001, 999_999])
    proc = psutil.Process()
    pages = walk(world, key)
    first = [next(pages) for _ in range(50)]  # warm caches before measuring
    gc.collect()
    start = peak = proc.memory_info().rss
    count = sum(len(p) for p in first)
    last_id = first[-1][-1].id
    for n, msgs in enumerate(pages):
        assert msgs[0].id < last_id  # strictly descending, no overlap between pages
        last_id = msgs[-1].id
        count += len(msgs)
        if n % 500 == 0:
            peak = max(peak, proc.memory_info().rss)
    assert count == 1_000_000 - 3 == world.count(key)
    assert last_id == 1
    assert peak - start < 30 * 1024 * 1024
