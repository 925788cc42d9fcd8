"""Concurrent edits (compare-and-swap, watcher), a full disk, and writes that must stay inside."""

from __future__ import annotations

import asyncio
import errno
import os
from datetime import datetime, timedelta, timezone

import pytest

from tobsd.core.models import Chat, ChatKind, Message, Person
from tobsd.vault import atomic, notefiles
from tobsd.core.errors import DiskFull
from tobsd.vault.atomic import PathEscapeError
from tobsd.vault.watch import VaultWatcher
from tobsd.vault.writer import ConflictError, VaultWriter
from tests.conditions import wait_for

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
CHAT = Chat(-77, ChatKind.GROUP, "Team")
NOTE = "Telegram/Team/2026/2026-03-01.md"


def msg(mid: int, text: str = "") -> Message:
    return Message(CHAT.id, mid, T0 + timedelta(minutes=mid), Person(1, "Ada"), text or f"message {mid}")


async def test_change_between_read_and_write_is_not_overwritten(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])
    path = tmp_path / NOTE
    real_commit = w.files._commit
    state = {"raced": False}

    def racing_commit(rel, expected, sig, new_text):
        if not state["raced"]:  # the user saves the note right after the writer read it
            state["raced"] = True
            path.write_text(path.read_text() + "\nuser line written meanwhile\n")
        return real_commit(rel, expected, sig, new_text)

    monkeypatch.setattr(w.files, "_commit", racing_commit)
    await w.apply(CHAT, [msg(2)])
    text = path.read_text()
    assert "user line written meanwhile" in text and "^m2" in text and state["raced"]


async def test_change_landing_after_the_checks_is_caught_by_the_swap(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])
    path = tmp_path / NOTE
    real_temp = atomic._temp_with
    raced = []

    def user_saves_while_we_write(target, data, durable):
        tmp = real_temp(target, data, durable)
        if not raced:  # after every stat check: only the swap itself can notice
            raced.append(True)
            path.write_text(path.read_text() + "\nlate user line\n")
        return tmp

    monkeypatch.setattr(atomic, "_temp_with", user_saves_while_we_write)
    await w.apply(CHAT, [msg(2)])
    text = path.read_text()
    assert raced and "late user line" in text and "^m2" in text
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize("exchange", [True, False])
def test_replace_if_unchanged(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    path = tmp_path / "n.md"
    assert atomic.replace_if_unchanged(path, b"one", None, durable=False)
    assert not atomic.replace_if_unchanged(path, b"two", None, durable=False)
    assert not atomic.replace_if_unchanged(path, b"two", b"stale", durable=False)
    assert path.read_bytes() == b"one"
    assert atomic.replace_if_unchanged(path, b"two", b"one", durable=True)
    assert path.read_bytes() == b"two" and [p.name for p in tmp_path.iterdir()] == ["n.md"]


async def test_same_size_same_mtime_change_is_caught_through_the_watcher_flag(tmp_path):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1, "aaaa")])
    path = tmp_path / NOTE
    st = path.stat()
    path.write_text(path.read_text().replace("> aaaa", "> bbbb"))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    w.external_change(path)
    await w.apply(CHAT, [msg(2)])
    assert "> bbbb" in path.read_text()


async def test_a_note_that_keeps_changing_raises_conflict(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])
    monkeypatch.setattr(w.files, "_commit", lambda *a: False)
    with pytest.raises(ConflictError):
        await w.apply(CHAT, [msg(2)])


async def test_disk_full_leaves_old_note_intact_and_no_temp_file(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])
    path = tmp_path / NOTE
    before = path.read_bytes()

    def full_write(fd, data):
        os.write(fd, data[: len(data) // 2])  # a real partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_all", full_write)
    with pytest.raises(DiskFull) as info:
        await w.apply(CHAT, [msg(2)])
    assert "disk full" in str(info.value) and info.value.path == path
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    # once there is room again the same apply succeeds
    monkeypatch.undo()
    await w.apply(CHAT, [msg(2)])
    assert "^m2" in path.read_text()


async def test_other_io_errors_propagate_and_clean_up(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])

    def broken(fd, data):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomic, "_write_all", broken)
    with pytest.raises(OSError) as info:
        await w.apply(CHAT, [msg(2)])
    assert not isinstance(info.value, DiskFull)
    assert [p.name for p in (tmp_path / NOTE).parent.iterdir()] == ["2026-03-01.md"]


async def test_symlinked_folder_inside_the_vault_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    vault = tmp_path / "vault"
    (vault / "Telegram").mkdir(parents=True)
    os.symlink(outside, vault / "Telegram" / "Team")
    w = VaultWriter(vault, durable=False)
    await w.apply(CHAT, [msg(1)])  # the name is taken by the link: another name is chosen
    assert (vault / "Telegram" / "Team (77)" / "2026").is_dir() and list(outside.iterdir()) == []
    # the user swaps the chat folder for a link later: refused, nothing written outside
    folder = vault / "Telegram" / "Team (77)"
    folder.rename(vault / "moved")
    os.symlink(outside, folder)
    with pytest.raises(PathEscapeError):
        await w.apply(CHAT, [msg(2)], resync=True)
    assert list(outside.iterdir()) == []


async def test_symlinked_note_is_never_written_through(tmp_path):
    w = VaultWriter(tmp_path, durable=False)
    await w.apply(CHAT, [msg(1)])
    target = tmp_path / "secret.txt"
    target.write_text("secret")
    note = tmp_path / NOTE
    note.unlink()
    os.symlink(target, note)
    with pytest.raises(PathEscapeError):
        await w.apply(CHAT, [msg(2)], resync=True)
    assert target.read_text() == "secret"


async def test_writer_io_runs_off_the_event_loop(tmp_path, monkeypatch):
    w = VaultWriter(tmp_path, durable=False)
    loop_thread = []
    real = notefiles.replace_if_unchanged

    def spy(*a, **k):
        import threading
        loop_thread.append(threading.current_thread() is threading.main_thread())
        return real(*a, **k)

    monkeypatch.setattr(notefiles, "replace_if_unchanged", spy)
    await w.apply(CHAT, [msg(1)])
    assert loop_thread and not any(loop_thread)


async def test_watcher_reports_user_edits(tmp_path):
    seen: list = []
    (tmp_path / "Telegram").mkdir()
    watcher = VaultWatcher(tmp_path / "Telegram", seen.append, debounce_ms=20)
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.ready.wait(), 30)
    note = tmp_path / "Telegram" / "x.md"
    # The other file first: by the time the note is reported, its events were seen too.
    (tmp_path / "Telegram" / "ignored.png").write_bytes(b"x")
    note.write_text("hello")
    await wait_for(lambda: note in seen, 30, what="the watcher to report the edit")
    watcher.stop()
    await asyncio.wait_for(task, 30)
    assert note in seen and all(p.suffix == ".md" for p in seen)
