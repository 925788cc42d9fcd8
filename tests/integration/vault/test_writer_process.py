"""The vault writer in its own process (tobsd.vault.remote): a real child
process over a real socket pair, writing a real vault."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tobsd.core.models import Chat, ChatKind
from tobsd.core.errors import DiskFull
from tobsd.vault.options import ChatSettings
from tobsd.vault.remote import RemoteWriter, SpawnedWriter, WriterGone
from tests.unit.sync.fakesource import msg
from tests.conditions import slack, wait_for, wait_for_sync
from tests.vaultscan import by_message, leftovers, scan

CHAT = Chat(id=-1000000000077, kind=ChatKind.CHANNEL, title="Remote")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def remote(tmp_path):
    (tmp_path / "vault").mkdir()
    writer = RemoteWriter(tmp_path / "vault", watch=True)
    await writer.start()
    yield writer
    await writer.close()


def blocks(tmp_path):
    return by_message(scan(tmp_path / "vault"))


async def test_apply_edit_delete_and_locations(remote, tmp_path):
    first = [msg(CHAT.id, i) for i in range(1, 31)]
    result = await remote.apply(CHAT, first)
    assert result.written
    # Locations come back with the answer: the daemon indexes them.
    assert remote.note_of(CHAT.id, 30) == result.written[-1]
    assert all(remote.note_of(CHAT.id, m.id) for m in first)
    await remote.apply(CHAT, [msg(CHAT.id, 5, "changed text")])
    await remote.mark_deleted(CHAT, [7])
    found = blocks(tmp_path)
    assert sorted(found) == list(range(1, 31))
    assert found[5][0].text == "changed text"
    assert found[7][0].deleted and not found[8][0].deleted
    assert leftovers(tmp_path / "vault") == []


async def test_deletion_found_from_a_date_hint(remote, tmp_path):
    m = msg(CHAT.id, 40)
    await remote.apply(CHAT, [m])
    # A writer that never saw message 40 (a restarted daemon) finds it from its date.
    fresh = RemoteWriter(tmp_path / "vault", watch=False)
    try:
        await fresh.mark_deleted(CHAT, [40], hints={40: (int(m.date.timestamp()), None)})
        assert fresh.note_of(CHAT.id, 40) == remote.note_of(CHAT.id, 40)
    finally:
        await fresh.close()
    assert blocks(tmp_path)[40][0].deleted


def test_vault_full_error_survives_the_trip():
    import pickle
    err = DiskFull(Path("/v/n.md"), OSError(28, "No space left on device"))
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is DiskFull and back.path == err.path and back.cause.errno == 28
    assert str(back) == str(err)


async def test_a_killed_writer_fails_what_was_in_flight_and_is_restarted(remote, tmp_path):
    remote.set_chat_settings(CHAT.id, ChatSettings(remove_deleted=True))
    await remote.apply(CHAT, [msg(CHAT.id, i) for i in range(1, 11)])
    os.kill(remote._proc.pid, signal.SIGKILL)
    # The first request after the kill may still be sent before the end
    # of the socket is seen; at the latest the answer never comes.
    async def gone() -> bool:
        try:
            await remote.apply(CHAT, [msg(CHAT.id, 11)])
        except WriterGone:
            return True
        return False

    await wait_for(gone, 30, what="WriterGone from the killed writer", interval=0.05)
    # The next request starts a new child, told the settings and locations.
    await remote.apply(CHAT, [msg(CHAT.id, 11)])
    await remote.mark_deleted(CHAT, [3])
    found = blocks(tmp_path)
    assert 3 not in found                  # remove_deleted reached the new child
    assert sorted(found) == [1, 2] + list(range(4, 12))


def test_the_writer_dies_with_the_daemon(tmp_path):
    (tmp_path / "vault").mkdir()
    script = textwrap.dedent(f"""
        import asyncio, os, signal, sys
        from tobsd.vault.remote import RemoteWriter
        async def main():
            w = RemoteWriter({str(tmp_path / "vault")!r})
            await w.start()
            print(w._proc.pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        asyncio.run(main())
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=slack(60))
    assert proc.returncode == -signal.SIGKILL
    child = int(proc.stdout.split()[0])

    def exited() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for_sync(exited, 30, what=f"writer process {child} to exit with the daemon")


async def test_a_writer_started_ahead_is_taken_over_or_stopped(tmp_path, capfd):
    """The daemon starts the writer's interpreter before importing the rest
    of itself: the RemoteWriter adopts that child; one nobody adopted exits
    quietly when discarded."""
    (tmp_path / "vault").mkdir()
    ahead = SpawnedWriter()
    writer = RemoteWriter(tmp_path / "vault", watch=False, spawned=ahead)
    await writer.apply(CHAT, [msg(CHAT.id, 1)])
    assert writer._proc is ahead.proc           # the child started ahead did the write
    ahead.discard()                             # taken over: discard leaves it alone
    assert ahead.proc.poll() is None
    await writer.close()
    assert sorted(blocks(tmp_path)) == [1]

    unused = SpawnedWriter()
    unused.discard()
    assert unused.proc.returncode == 0
    assert "Traceback" not in capfd.readouterr().err


async def test_the_writer_process_brings_notes_of_an_earlier_version_up_to_date(tmp_path):
    """A vault written with the first escaping rules: the writer process
    re-renders it before its first request, keeping the block the user edited."""
    import shutil

    from tobsd.vault.blocks import parse_note
    from tobsd.vault.render import RENDER_VERSION

    v1 = ROOT / "tests/unit/vault/v1_vault"
    shutil.copytree(v1, tmp_path / "vault")
    period = "Telegram/Crew _% tp.file.title %_/2026/2026-03-01.md"
    writer = RemoteWriter(tmp_path / "vault", watch=False)
    await writer.start()
    try:
        await writer.mark_deleted(CHAT, [1])   # any request: answered after the migration
    finally:
        await writer.close()
    note = parse_note((tmp_path / "vault" / period).read_text("utf-8"))
    versions = {b.msg_id: b.version for b in note.blocks()}
    assert versions == {**{m: RENDER_VERSION for m in range(1, 10)}, 6: 1}   # 6: the user's edit
    old = parse_note((v1 / period).read_text("utf-8"))
    assert [b.text()[0] for b in note.blocks()] == [b.text()[0] for b in old.blocks()]
    assert '"render_version": 2' in (tmp_path / "vault/Telegram/.tobs/state.json").read_text()


async def test_urgent_and_ordinary_applies_submitted_together_all_land(remote, tmp_path):
    """The child starts each request as it reads it; urgent ones may go
    before ordinary ones still waiting. Every submission gets its own answer
    and every message lands; close waits for all of them."""
    import asyncio

    futures = []
    for k in range(10):
        batch = [msg(CHAT.id, 100 + 10 * k + i) for i in range(10)]
        futures.append(await remote.submit(CHAT, batch))
        futures.append(await remote.submit(CHAT, [msg(CHAT.id, 500 + k, "live")], urgent=True))
    results = await asyncio.gather(*futures)
    assert all(r.written for r in results)
    found = blocks(tmp_path)
    assert sorted(found) == sorted([100 + i for i in range(100)] + [500 + k for k in range(10)])
    assert all(found[500 + k][0].text == "live" for k in range(10))
    assert remote.note_of(CHAT.id, 509) is not None

async def test_requests_sent_together_are_all_answered_durable_and_complete(remote, tmp_path):
    # Sent without waiting: the child serves what has arrived as one batch
    # (one durable write of all its notes) and answers each request after it.
    chats = [Chat(id=-1000000000100 - i, kind=ChatKind.CHANNEL, title=f"Batch {i}")
             for i in range(8)]
    answers = [await remote.submit(chat, [msg(chat.id, i) for i in range(page * 20 + 1,
                                                                           page * 20 + 21)])
               for page in range(3) for chat in chats]
    results = [await a for a in answers]
    assert all(r.written for r in results)
    assert all(remote.note_of(chat.id, i) for chat in chats for i in range(1, 61))
    found = scan(tmp_path / "vault")
    per_chat: dict[str, set[int]] = {}
    for block in found:
        per_chat.setdefault(block.note.split("/")[1], set()).add(block.msg_id)
    assert per_chat == {chat.title: set(range(1, 61)) for chat in chats}
    assert leftovers(tmp_path / "vault") == []
