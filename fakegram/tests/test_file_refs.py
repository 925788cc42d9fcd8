"""File references that expire on a schedule, as Telegram's do."""
from __future__ import annotations

from fakegram.server import Server
from fakegram.testing import small_world


def test_references_change_every_ttl_and_only_then(tmp_path):
    world = small_world(channel_posts=5)
    server = Server(world, state_dir=tmp_path)
    media = [m for m in world._media.values() if m.file_reference]
    assert media
    before = {m.id: m.file_reference for m in media}
    start = server._refs_since
    server.expire_refs_on_schedule(start + 100)          # no schedule set: never
    assert {m.id: m.file_reference for m in media} == before
    server.file_ref_ttl_s = 10
    server.expire_refs_on_schedule(start + 5)
    assert {m.id: m.file_reference for m in media} == before
    server.expire_refs_on_schedule(start + 10)
    after = {m.id: m.file_reference for m in media}
    assert all(after[i] != before[i] and len(after[i]) == 16 for i in before)
    server.expire_refs_on_schedule(start + 15)
    assert {m.id: m.file_reference for m in media} == after


def test_a_period_named_exactly_by_its_end_expires_whatever_the_clock(tmp_path):
    """`since + ttl` passed back as `now` is the period's end: it expires for
    every clock value, including ones where `(since + ttl) - since` rounds
    to just under the ttl (4086.2999999972203 + 3600 is one)."""
    world = small_world(channel_posts=5)
    server = Server(world, state_dir=tmp_path)
    media = [m for m in world._media.values() if m.file_reference]
    for since in (4086.2999999972203, 12345.678, server._refs_since):
        before = {m.id: m.file_reference for m in media}
        server._refs_since = since
        server.file_ref_ttl_s = 3600
        server.expire_refs_on_schedule(since + 3600)
        assert all(m.file_reference != before[m.id] for m in media)
        assert server._refs_since == since + 3600
