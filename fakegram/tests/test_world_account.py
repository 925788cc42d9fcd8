"""Account-wide message ids: private chats and basic groups share one id
sequence in date order across all of them; channels count their own. And
the generated account world built on that."""
from __future__ import annotations

from collections import Counter

from fakegram.__main__ import make_world
from fakegram.world import WorldBuilder
from fakegram.world.account import account_world


def _all(world, key):
    return world.get_history(key, limit=100).messages


def test_common_box_ids_follow_dates_across_chats():
    b = WorldBuilder(seed=3, now=1_000_000)
    bob, eve = b.user(first_name="Bob"), b.user(first_name="Eve")
    with_bob, with_eve = b.private(bob), b.private(eve)
    first = b.message(with_bob, "bob 1", date=100)
    reply = b.message(with_bob, "bob 2", date=300, reply_to=first)
    b.message(with_eve, "eve 1", date=200)
    b.message(with_eve, "eve 2", date=400)
    channel = b.channel("News")
    b.message(channel, "post", date=250)
    world = b.build()
    by_text = {m.text: m.id for key in (with_bob.key, with_eve.key) for m in _all(world, key)}
    assert by_text == {"bob 1": 1, "eve 1": 2, "bob 2": 3, "eve 2": 4}
    assert reply.id == 3 and reply.reply_to.msg_id == 1
    assert world.get_messages(with_bob.key, [3])[0].reply_to.msg_id == 1
    # The channel counts its own ids from 1 (its creation message first).
    assert [m.id for m in _all(world, channel.key)] == [2, 1]


def test_undated_messages_keep_their_described_order():
    b = WorldBuilder(seed=3)
    bob = b.user(first_name="Bob")
    chat = b.private(bob)
    msgs = [b.message(chat, f"m{n}") for n in range(5)]
    b.build()
    assert [m.id for m in msgs] == [1, 2, 3, 4, 5]


def test_account_world_mixes_kinds_and_interleaves_ids():
    world = account_world(120, seed=5)
    chats = world.chats()
    kinds = Counter(c.kind for c in chats)
    assert len(chats) == 120 and set(kinds) == {"private", "group", "supergroup", "channel"}
    assert kinds["private"] > len(chats) / 2
    common = [c for c in chats if c.kind in ("private", "group")]
    spans = []
    for c in common:
        ids = sorted(m.id for m in _every(world, c.key))
        spans.append((ids[0], ids[-1], len(ids)))
        # Sparse: the chat's ids are not a dense run of its own.
        if len(ids) > 20:
            assert ids[-1] - ids[0] + 1 > len(ids)
    # Interleaved: chats' id ranges overlap one another.
    overlaps = sum(1 for a in spans for b in spans if a is not b and a[0] < b[1] and b[0] < a[1])
    assert overlaps > len(spans)
    # Dates grow with ids over the whole common box.
    everything = sorted((m.id, m.date) for c in common for m in _every(world, c.key))
    dates = [d for _, d in everything]
    assert dates == sorted(dates)
    # Channels stay dense from 1.
    for c in chats:
        if c.kind in ("channel", "supergroup"):
            ids = sorted(m.id for m in _every(world, c.key))
            assert ids == list(range(1, len(ids) + 1))
    sizes = sorted(world.count(c.key) for c in chats)
    assert sizes[len(sizes) // 2] < 400 < sizes[-1]
    every = [m for c in chats for m in _every(world, c.key)]
    assert sum(1 for m in every if m.reply_to) > len(every) / 20
    assert sum(1 for m in every if m.edit_date) > len(every) / 50
    assert sum(1 for m in every if m.media) > len(every) / 100


def test_account_world_is_deterministic_and_served_by_name():
    a, b = account_world(30, seed=9), make_world("account:30")
    assert [c.key for c in a.chats()] == [c.key for c in account_world(30, seed=9).chats()]
    assert len(b.chats()) == 30


def _every(world, key):
    out, offset = [], 0
    while True:
        page = world.get_history(key, offset_id=offset, limit=100).messages
        if not page:
            return out
        out += page
        offset = page[-1].id
