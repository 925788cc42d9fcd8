"""A note's id index (newest message, blocks per message) stays right through every edit,
the location cache's batch update behaves like one update per item, and the path check
keeps refusing a symbolic link planted between two writes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from tobsd.core.models import Message, Person
from tobsd.vault.atomic import PathEscapeError
from tobsd.vault.blocks import Note, UserText, parse_note
from tobsd.vault.lru import LRU
from tobsd.vault.merge import apply_message, mark_blocks_deleted
from tobsd.vault.paths import resolve_inside
from tobsd.vault.render import RenderContext

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CTX = RenderContext()
STEPS = st.lists(st.tuples(st.sampled_from(["new", "edit", "user-edit", "delete", "remove", "reparse"]),
                           st.integers(1, 30)), max_size=40)


def _check(note: Note) -> None:
    blocks = note.blocks()
    assert note.max_msg_id() == (max(b.msg_id for b in blocks) if blocks else None)
    for mid in {b.msg_id for b in blocks} | {0}:
        assert note.blocks_of(mid) == sorted((b for b in blocks if b.msg_id == mid), key=lambda b: b.rev)


@settings(max_examples=150, deadline=None)
@given(STEPS)
def test_newest_id_and_blocks_per_message_follow_every_change(steps):
    note = Note(None, [UserText(["header", ""])])
    for action, mid in steps:
        msg = Message(-1, mid, T0 + timedelta(minutes=mid), Person(1, "Ada"), f"text {mid}")
        if action == "new":
            apply_message(note, msg, CTX)
        elif action == "edit":
            msg.text, msg.edit_date = f"edited {mid}", msg.date
            apply_message(note, msg, CTX)
        elif action == "user-edit" and note.blocks_of(mid):
            block = note.blocks_of(mid)[-1]
            block.lines[0] += " (mine)"  # the user changed it: the next edit adds a revision
            msg.text, msg.edit_date = f"edited again {mid}", msg.date
            apply_message(note, msg, CTX)
        elif action in ("delete", "remove"):
            mark_blocks_deleted(note, {mid}, remove=action == "remove")
        elif action == "reparse":
            note = parse_note(note.serialize())
        _check(note)
    assert [(b.msg_id, b.rev) for b in parse_note(note.serialize()).blocks()] == \
        [(b.msg_id, b.rev) for b in note.blocks()]


def test_out_of_order_messages_land_before_greater_ids():
    note = Note(None, [])
    for mid in (5, 9, 7, 1, 12):
        apply_message(note, Message(-1, mid, T0, None, f"m{mid}"), CTX)
        _check(note)
    assert [b.msg_id for b in note.blocks()] == [1, 5, 7, 9, 12]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), max_size=30),
       st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), max_size=30))
def test_setdefault_many_is_setdefault_in_order(before, batch):
    one, many = LRU(8), LRU(8)
    for k, v in before:
        one[k] = many[k] = v
    for k, v in batch:
        one.setdefault(k, v)
    many.setdefault_many(batch)
    assert list(one._data.items()) == list(many._data.items())


def test_symlink_planted_after_a_write_is_still_refused(tmp_path):
    outside = tmp_path / "outside"
    vault = tmp_path / "vault"
    outside.mkdir()
    (vault / "Telegram" / "Chat").mkdir(parents=True)
    rel = "Telegram/Chat/2026/2026-01-01.md"
    assert resolve_inside(vault, rel) == vault / "Telegram" / "Chat" / "2026" / "2026-01-01.md"
    os.symlink(outside, vault / "Telegram" / "Chat" / "2026")
    with pytest.raises(PathEscapeError):
        resolve_inside(vault, rel)
    os.unlink(vault / "Telegram" / "Chat" / "2026")
    os.rename(vault / "Telegram" / "Chat", tmp_path / "moved")
    os.symlink(tmp_path / "moved", vault / "Telegram" / "Chat")
    with pytest.raises(PathEscapeError):
        resolve_inside(vault, rel)


def test_relative_vault_folder_resolves_like_pathlib(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from pathlib import Path
    for base in (Path("."), Path("v"), Path("v/w")):
        assert resolve_inside(base, "a/b.md") == base / "a" / "b.md"


def test_a_weighted_lru_keeps_its_total_weight_and_the_newest_entry():
    cache: LRU[str, str] = LRU(10, max_weight=10, weigh=len)
    for key, value in [("a", "xxxx"), ("b", "xxxx"), ("c", "xx")]:
        cache[key] = value
    assert [k for k, _ in cache.items()] == ["a", "b", "c"]
    cache["d"] = "xxx"                        # 13 > 10: the oldest goes
    assert [k for k, _ in cache.items()] == ["b", "c", "d"]
    cache["c"] = "x" * 6                      # a heavier value for a key: 4 + 3 + 6, "b" goes
    assert [k for k, _ in cache.items()] == ["d", "c"]
    assert cache.pop("c") == "x" * 6
    cache["big"] = "y" * 50                   # heavier than the limit alone: kept, the rest go
    assert [k for k, _ in cache.items()] == ["big"]
    cache.setdefault_many([("e", "zz"), ("f", "zz")])
    assert [k for k, _ in cache.items()] == ["e", "f"]
