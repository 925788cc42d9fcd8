"""Window probes (which indexed messages Telegram no longer has) and the ids
hash both sides compute."""
from __future__ import annotations

import asyncio
import random

from fakegram.tl.hashing import ids_hash as server_hash
from tobsd.sync.probe import WindowProbe
from tobsd.telegram.hashing import ids_hash as client_hash

from .fakesource import FakeSource

CHAT = -1001


def probe_after(deleted: set[int], count: int = 1000, window=range(900, 800, -1)):
    source = FakeSource()
    chat = source.add_chat(CHAT, count)
    for msg_id in deleted:
        source.histories[CHAT].pop(msg_id)
    result = asyncio.run(WindowProbe(source, chat).deleted(list(window)))
    return source, result


def test_an_unchanged_window_costs_one_request_without_messages():
    source, result = probe_after(set())
    assert result.gone == [] and result.seen == [] and result.requests == 1
    assert len(source.calls) == 1


def test_deletions_outside_the_window_do_not_count():
    _, result = probe_after({950, 901, 800, 10})
    assert result.gone == [] and result.requests == 1


def test_one_deletion_is_found_in_a_few_one_message_requests():
    _, result = probe_after({857})
    assert result.gone == [857]
    assert result.requests <= 2 * 7 + 1
    assert all(m.id != 857 for m in result.seen)


def test_every_deletion_is_found_wherever_it_is():
    rng = random.Random(3)
    for _ in range(30):
        deleted = set(rng.sample(range(801, 901), rng.randrange(1, 12)))
        _, result = probe_after(deleted | {rng.randrange(901, 1000)})
        assert sorted(result.gone) == sorted(deleted)


def test_a_window_that_lost_everything():
    _, result = probe_after(set(range(801, 901)))
    assert sorted(result.gone) == list(range(801, 901))


def test_probes_give_up_past_their_budget():
    source = FakeSource()
    chat = source.add_chat(CHAT, 1000)
    for msg_id in range(801, 901, 3):
        source.histories[CHAT].pop(msg_id)
    result = asyncio.run(WindowProbe(source, chat, max_requests=24).deleted(
        list(range(900, 800, -1))))
    assert result.gave_up and result.requests <= 25


def test_messages_the_index_lacks_are_never_taken_for_deleted():
    # The index holds 900..801 but 850 is missing from it; Telegram has all.
    window = [i for i in range(900, 800, -1) if i != 850]
    _, result = probe_after(set(), window=window)
    assert result.gone == []


def test_tobsd_and_fakegram_compute_the_same_hash():
    rng = random.Random(5)
    for _ in range(200):
        ids = sorted(rng.sample(range(1, 2**31), rng.randrange(0, 101)), reverse=True)
        assert client_hash(ids) == server_hash(ids)
