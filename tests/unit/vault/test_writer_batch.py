"""Batched durability: many calls' notes staged, then made durable together
(tobsd.vault.notefiles, tobsd.vault.durable), against real files."""
from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tobsd.core.errors import DiskFull
from tobsd.core.models import Chat, ChatKind, Message, Person
from tobsd.vault import atomic, durable
from tobsd.vault.durable import Replacement, replace_many
from tobsd.vault.writer import VaultWriter
from tests.vaultscan import by_message, leftovers, scan

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
TEAM = Chat(-77, ChatKind.GROUP, "Team")
ADA = Person(1, "Ada")


def msg(chat: Chat, mid: int, day: int = 0, text: str = "") -> Message:
    return Message(chat.id, mid, T0 + timedelta(days=day, minutes=mid), ADA,
                   text or f"message {mid}")


def notes_on_disk(vault) -> list[str]:
    return sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md"))


async def test_nothing_lands_before_the_batch_ends_then_everything_does(tmp_path):
    w = VaultWriter(tmp_path, durable=True, in_thread=False)
    chats = [Chat(-100 - i, ChatKind.GROUP, f"Group {i}") for i in range(5)]
    w.begin_batch()
    for chat in chats:
        for day in range(3):
            await w.apply(chat, [msg(chat, 10 * day + 1, day), msg(chat, 10 * day + 2, day)])
    # A later call of the batch reads what an earlier one staged.
    await w.apply(chats[0], [msg(chats[0], 3, 0)])
    await w.write_chat_note(chats[0])
    assert notes_on_disk(tmp_path) == []
    await w.end_batch()
    found = by_message(scan(tmp_path))
    assert sorted(found) == sorted({1, 2, 3, 11, 12, 21, 22})
    assert sum(len(v) for v in found.values()) == 5 * 6 + 1
    chat_note = (tmp_path / "Telegram/Group 0/Group 0.md").read_text()
    # The chat note's index lists the period notes staged with it.
    assert all(f"2026-03-0{d}" in chat_note for d in (1, 2, 3))
    assert leftovers(tmp_path) == []
    # The state records the notes: one the user deletes later stays deleted.
    assert "Telegram/Group 1/2026/2026-03-01.md" in w.state.known_notes
    assert VaultWriter(tmp_path).state.known_notes == w.state.known_notes


async def test_a_note_the_user_changed_during_the_batch_keeps_the_change(tmp_path):
    w = VaultWriter(tmp_path, durable=False, in_thread=False)
    await w.apply(TEAM, [msg(TEAM, 1)])
    note = tmp_path / "Telegram/Team/2026/2026-03-01.md"
    w.begin_batch()
    await w.apply(TEAM, [msg(TEAM, 2)])
    await w.apply(TEAM, [msg(TEAM, 3)])
    note.write_text(note.read_text() + "\nthe user's line\n")
    await w.end_batch()
    text = note.read_text()
    assert "the user's line" in text
    assert sorted(by_message(scan(tmp_path))) == [1, 2, 3]


async def test_a_full_disk_at_the_end_of_a_batch_loses_nothing(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False, in_thread=False)
    await w.apply(TEAM, [msg(TEAM, 1)])
    note = tmp_path / "Telegram/Team/2026/2026-03-01.md"
    before = note.read_bytes()
    w.begin_batch()
    await w.apply(TEAM, [msg(TEAM, 2), msg(TEAM, 3, day=1)])

    def full_write(fd, data):
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_all", full_write)
    with pytest.raises(DiskFull):
        await w.end_batch()
    assert note.read_bytes() == before and leftovers(tmp_path) == []
    assert [n for n in notes_on_disk(tmp_path) if n.startswith("Telegram/Team/")] == [
        "Telegram/Team/2026/2026-03-01.md"]
    monkeypatch.undo()
    # The batch ended with the error; applying again (as the daemon does,
    # having recorded nothing) writes everything.
    await w.apply(TEAM, [msg(TEAM, 2), msg(TEAM, 3, day=1)])
    assert sorted(by_message(scan(tmp_path))) == [1, 2, 3]


def test_replace_many_fsyncs_every_file_and_each_folder_once(tmp_path, monkeypatch):
    folders = [tmp_path / "a", tmp_path / "b"]
    for f in folders:
        f.mkdir()
    (folders[0] / "old.md").write_bytes(b"old")
    synced_files, synced_dirs = [], []
    real_fsync_path, real_fsync_dir = durable._fsync_path, durable.fsync_dir
    monkeypatch.setattr(durable, "_fsync_path",
                        lambda p: (synced_files.append(p), real_fsync_path(p)))
    monkeypatch.setattr(durable, "fsync_dir", lambda p: (synced_dirs.append(p), real_fsync_dir(p)))
    batch = [Replacement(folders[i % 2] / f"n{i}.md", f"note {i}".encode(), None)
             for i in range(10)]
    batch.append(Replacement(folders[0] / "old.md", b"new", b"old"))
    batch.append(Replacement(folders[1] / "n1.md", b"conflict", None))   # taken meanwhile
    assert replace_many(batch) == [True] * 11 + [False]
    assert len(synced_files) == 12 and sorted(synced_dirs) == folders
    assert all(not p.exists() for p in synced_files)   # the temp files are gone
    assert (folders[0] / "old.md").read_bytes() == b"new"
    assert (folders[1] / "n1.md").read_bytes() == b"note 1"
    assert sorted(p.name for p in folders[1].iterdir()) == sorted(
        f"n{i}.md" for i in range(1, 10, 2))


async def test_a_purge_inside_a_batch_removes_what_the_batch_staged_for_the_chat(tmp_path):
    w = VaultWriter(tmp_path, durable=False, in_thread=False)
    other = Chat(-88, ChatKind.GROUP, "Other")
    await w.apply(TEAM, [msg(TEAM, 1)])
    w.begin_batch()
    await w.apply(TEAM, [msg(TEAM, 2, day=1)])     # staged, then purged in the same batch
    await w.purge_chat(TEAM)
    await w.apply(other, [msg(other, 1)])          # after the purge: still batched
    assert not (tmp_path / "Telegram/Other").exists()
    await w.end_batch()
    assert not (tmp_path / "Telegram/Team").exists()
    assert sorted(by_message(scan(tmp_path))) == [1]
    assert (tmp_path / "Telegram/Other/2026/2026-03-01.md").exists()
    assert not any(n.startswith("Telegram/Team/") for n in w.state.known_notes)


def test_replace_many_makes_its_temp_files_in_the_staging_folder(tmp_path, monkeypatch):
    staging = tmp_path / ".tobs" / "tmp"
    staging.mkdir(parents=True)
    folders = [tmp_path / "a", tmp_path / "b" / "2026"]
    for f in folders:
        f.mkdir(parents=True)
    (folders[0] / "old.md").write_bytes(b"old")
    (folders[1] / "edited.md").write_bytes(b"the user's text")
    synced_files, synced_dirs = [], []
    real_fsync_path, real_fsync_dir = durable._fsync_path, durable.fsync_dir
    monkeypatch.setattr(durable, "_fsync_path",
                        lambda p: (synced_files.append(p), real_fsync_path(p)))
    monkeypatch.setattr(durable, "fsync_dir", lambda p: (synced_dirs.append(p), real_fsync_dir(p)))
    batch = [Replacement(folders[i % 2] / f"n{i}.md", f"note {i}".encode(), None) for i in range(6)]
    batch.append(Replacement(folders[0] / "old.md", b"new", b"old"))
    # Compare-and-swap across folders: the exchange finds the user's text and undoes itself.
    batch.append(Replacement(folders[1] / "edited.md", b"ours", b"what we read"))
    assert replace_many(batch, staging=staging) == [True] * 7 + [False]
    assert {p.parent for p in synced_files} == {staging} and len(synced_files) == 8
    assert sorted(synced_dirs) == sorted(folders)      # the note folders, not the staging one
    assert (folders[0] / "old.md").read_bytes() == b"new"
    assert (folders[1] / "edited.md").read_bytes() == b"the user's text"
    assert [(folders[i % 2] / f"n{i}.md").read_bytes() for i in range(6)] == [
        f"note {i}".encode() for i in range(6)]
    assert list(staging.iterdir()) == [] and leftovers(tmp_path) == []


def test_a_note_on_another_file_system_gets_its_temp_file_next_to_it(tmp_path, monkeypatch):
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev \
            or not os.access(shm, os.W_OK):
        pytest.skip("no second file system to write to")
    import tempfile
    other = Path(tempfile.mkdtemp(dir=shm, prefix="tobs-test-"))
    try:
        staging = tmp_path / "staging"
        staging.mkdir()
        (other / "old.md").write_bytes(b"old")
        synced_files = []
        real_fsync_path = durable._fsync_path
        monkeypatch.setattr(durable, "_fsync_path",
                            lambda p: (synced_files.append(p), real_fsync_path(p)))
        batch = [Replacement(other / "new.md", b"new note", None),
                 Replacement(other / "old.md", b"new", b"old"),
                 Replacement(tmp_path / "here.md", b"here", None)]
        assert replace_many(batch, staging=staging) == [True, True, True]
        assert [p.parent for p in synced_files] == [other, other, staging]
        assert (other / "new.md").read_bytes() == b"new note"
        assert (other / "old.md").read_bytes() == b"new"
        assert (tmp_path / "here.md").read_bytes() == b"here"
        assert leftovers(other) == [] and leftovers(tmp_path) == []
    finally:
        import shutil
        shutil.rmtree(other)


async def test_a_batch_makes_its_temp_files_in_the_state_folder_and_leaves_none(tmp_path, monkeypatch):
    made = []
    real_temp_copy = durable.temp_copy
    monkeypatch.setattr(durable, "temp_copy",
                        lambda path, data, **kw: made.append(kw.get("folder")) or
                        real_temp_copy(path, data, **kw))
    w = VaultWriter(tmp_path, durable=True, in_thread=False)
    w.begin_batch()
    await w.apply(TEAM, [msg(TEAM, i, day=i % 3) for i in range(1, 7)])
    await w.end_batch()
    assert made and set(made) == {tmp_path / "Telegram/.tobs/tmp"}
    assert sorted(by_message(scan(tmp_path))) == list(range(1, 7))
    assert leftovers(tmp_path) == [] and list((tmp_path / "Telegram/.tobs/tmp").iterdir()) == []
