"""The vault state's log of created notes, on real files: appended instead of
rewriting the state, read back with it, torn lines ignored, folded in."""
from __future__ import annotations

import json
import os
import stat

import pytest

from tobsd.vault import state as state_mod
from tobsd.vault.state import VaultState

ROOT = "Telegram"


def note(i: int) -> str:
    return f"{ROOT}/Chat {i % 7}/2025/2025-01-{i % 28 + 1:02d} {i}.md"


def saved(tmp_path) -> dict:
    return json.loads(VaultState.state_path(tmp_path, ROOT).read_text("utf-8"))


def test_created_notes_are_appended_and_read_back_without_rewriting_the_state(tmp_path):
    s = VaultState()
    s.assign("chats", "1", "Chat 1")
    s.save(tmp_path, ROOT)
    state_file = VaultState.state_path(tmp_path, ROOT)
    before = state_file.stat().st_ino, state_file.read_bytes()
    for i in range(30):
        s.note_created(note(i))
        if i % 10 == 9:
            s.save(tmp_path, ROOT)
    assert (state_file.stat().st_ino, state_file.read_bytes()) == before   # not rewritten
    log = VaultState.log_path(tmp_path, ROOT)
    assert len(log.read_bytes().splitlines()) == 30
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    again = VaultState.load(tmp_path, ROOT)
    assert again.known_notes == {note(i) for i in range(30)}
    assert again.name_for("chats", "1") == "Chat 1"


def test_a_line_a_crash_cut_short_is_ignored(tmp_path):
    s = VaultState()
    for i in range(5):
        s.note_created(note(i))
    s.save(tmp_path, ROOT)
    log = VaultState.log_path(tmp_path, ROOT)
    with open(log, "ab") as f:
        f.write(json.dumps(note(99)).encode()[:-4])     # no closing quote, no line end
    assert VaultState.load(tmp_path, ROOT).known_notes == {note(i) for i in range(5)}


def test_names_with_line_breaks_and_quotes_survive_the_log(tmp_path):
    odd = [f'{ROOT}/a "quoted"\nname/2025/x.md', f"{ROOT}/ünï cödé/2025/y.md"]
    s = VaultState()
    for rel in odd:
        s.note_created(rel)
    s.save(tmp_path, ROOT)
    assert VaultState.load(tmp_path, ROOT).known_notes == set(odd)


def test_the_log_is_folded_into_the_state_once_it_is_as_long(tmp_path, monkeypatch):
    monkeypatch.setattr(state_mod, "LOG_FOLD_MIN", 10)
    s = VaultState()
    for i in range(60):
        s.note_created(note(i))
        s.save(tmp_path, ROOT)
    log = VaultState.log_path(tmp_path, ROOT)
    assert len(saved(tmp_path)["known_notes"]) >= 30       # folded in, more than once
    # Folded whenever the log would outgrow the state: never more lines than names.
    assert len(log.read_bytes().splitlines()) <= max(10, len(saved(tmp_path)["known_notes"]))
    assert set(saved(tmp_path)["known_notes"]) | {
        json.loads(line) for line in log.read_bytes().splitlines()} == {note(i) for i in range(60)}
    assert VaultState.load(tmp_path, ROOT).known_notes == {note(i) for i in range(60)}


def test_a_forgotten_note_does_not_come_back_from_the_log(tmp_path):
    s = VaultState()
    for i in range(3):
        s.note_created(note(i))
    s.save(tmp_path, ROOT)
    s.forget_note(note(1))
    s.save(tmp_path, ROOT)
    assert VaultState.log_path(tmp_path, ROOT).read_bytes() == b""
    assert VaultState.load(tmp_path, ROOT).known_notes == {note(0), note(2)}


def test_a_failed_append_makes_the_next_save_write_the_whole_state(tmp_path):
    s = VaultState()
    s.note_created(note(0))
    s.save(tmp_path, ROOT)
    log = VaultState.log_path(tmp_path, ROOT)
    log.unlink()
    log.mkdir()                      # the append cannot open it
    s.note_created(note(1))
    with pytest.raises(OSError):
        s.save(tmp_path, ROOT)
    os.rmdir(log)
    s.save(tmp_path, ROOT)
    assert set(saved(tmp_path)["known_notes"]) == {note(0), note(1)}
    assert VaultState.load(tmp_path, ROOT).known_notes == {note(0), note(1)}


def test_a_state_without_a_log_loads_as_before(tmp_path):
    s = VaultState()
    s.assign("chats", "1", "Chat 1")
    s.note_created(note(0))
    s.save(tmp_path, ROOT)      # a name changed: the whole state, with the note
    assert saved(tmp_path)["known_notes"] == [note(0)]
    assert not VaultState.log_path(tmp_path, ROOT).exists()
    assert VaultState.load(tmp_path, ROOT).known_notes == {note(0)}
