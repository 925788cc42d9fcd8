"""Replies written before their target (a newest-first backfill) get their
link when the target lands: over a real SQLite store and a real vault
writer, only the notes holding such replies are rewritten, blocks the user
changed are left alone, and a restart finishes what a failure left."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tobsd.core.models import Chat, ChatKind, ReplyRef
from tobsd.store import Store
from tobsd.sync.applier import Applier
from tobsd.vault.writer import VaultWriter
from tests.unit.sync.fakesource import msg

CHAT = Chat(id=-1000000000077, kind=ChatKind.SUPERGROUP, title="Replies")
DAY0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(msg_id: int, reply_to: int | None = None):
    """Message `msg_id`, one per hour (so the history spans days)."""
    m = msg(CHAT.id, msg_id, f"text {msg_id}")
    m.date = DAY0 + timedelta(hours=msg_id)
    if reply_to is not None:
        m.reply = ReplyRef(reply_to)
    return m


def headers(vault) -> dict[int, str]:
    """msg id -> header line, read with a regex (not tobsd's parser)."""
    out = {}
    for note in vault.rglob("*.md"):
        lines = note.read_text().split("\n")
        for i, line in enumerate(lines):
            if (m := re.match(r"^%% tobs:m(\d+) ", line)):
                out[int(m.group(1))] = lines[i + 1]
    return out


class Recording(VaultWriter):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.relinked: list[list[str]] = []

    async def relink_replies(self, chat, links):
        result = await super().relink_replies(chat, links)
        self.relinked.append(result.written)
        return result


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    await s.chats.upsert(CHAT.id, CHAT.kind.value, CHAT.title)
    yield s
    await s.close()


async def test_a_reply_written_first_links_when_its_target_lands(store, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    writer = Recording(vault)
    applier = Applier(store, writer)
    # Newest page first: 90 replies to 10 (three days earlier), 91 to 89.
    await applier.apply(CHAT, [at(89), at(90, reply_to=10), at(91, reply_to=89)])
    assert "↩ reply to m10" in headers(vault)[90]
    assert "#^m89|reply]]" in headers(vault)[91]
    assert await store.replies.waiting(CHAT.id) == [(90, 10)]
    assert writer.relinked == []
    # An older page with other days: nothing to link, nothing rewritten.
    await applier.apply(CHAT, [at(40), at(41)])
    assert writer.relinked == []
    await applier.apply(CHAT, [at(10), at(11)])
    header = headers(vault)[90]
    note_of_10 = next(p for p in vault.rglob("*.md") if "^m10\n" in p.read_text())
    assert f"↩ [[{note_of_10.relative_to(vault).as_posix()[:-3]}#^m10|reply]]" in header
    assert writer.relinked == [[next(p for p in vault.rglob("*.md")
                                     if "^m90\n" in p.read_text()).relative_to(vault).as_posix()]]
    assert await store.replies.waiting(CHAT.id) == []
    # The linked block still counts as TOBS's: an edit re-renders it in place.
    edited = at(90, reply_to=10)
    edited.text, edited.edit_date = "text 90, edited", DAY0 + timedelta(days=9)
    await applier.apply(CHAT, [edited])
    assert "edited" in headers(vault)[90] and "#^m10|reply]]" in headers(vault)[90]
    assert "revision" not in "".join(p.read_text() for p in vault.rglob("*.md"))


async def test_a_block_the_user_changed_keeps_its_text(store, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    applier = Applier(store, VaultWriter(vault))
    await applier.apply(CHAT, [at(50, reply_to=5)])
    note = next(vault.rglob("*.md"))
    note.write_text(note.read_text().replace("> text 50", "> text 50, and my own words"))
    applier.writer.external_change(note)
    before = note.read_text()
    await applier.apply(CHAT, [at(5)])
    assert note.read_text() == before   # the user's block is theirs
    assert await store.replies.waiting(CHAT.id) == []


async def test_links_left_by_a_failure_are_written_at_the_next_sync(store, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()

    class Failing(VaultWriter):
        async def relink_replies(self, chat, links):
            raise OSError("disk trouble")

    applier = Applier(store, Failing(vault))
    await applier.apply(CHAT, [at(60, reply_to=6)])
    await applier.apply(CHAT, [at(6)])   # the batch itself succeeds
    assert "↩ reply to m6" in headers(vault)[60]
    assert await store.replies.waiting(CHAT.id) == [(60, 6)]
    restarted = Applier(store, VaultWriter(vault))
    assert await restarted.relink_replies(CHAT) == 1
    assert "#^m6|reply]]" in headers(vault)[60]
    assert await store.replies.waiting(CHAT.id) == []
