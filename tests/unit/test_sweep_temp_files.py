"""The start's sweep of temporary files a killed writer left, on real files:
next to notes and in the batch staging folder, never a note."""
from __future__ import annotations

from tobsd.app import sweep_temp_files
from tobsd.vault.atomic import TEMP_PREFIX
from tobsd.vault.notefiles import STAGING


def test_temp_files_next_to_notes_and_in_the_staging_folder_are_removed(tmp_path):
    root = tmp_path / "Telegram"
    (root / "Chat/2026").mkdir(parents=True)
    (root / STAGING).mkdir(parents=True)
    note = root / "Chat/2026/2026-03-01.md"
    note.write_text("a note")
    left = [root / "Chat/2026" / f"{TEMP_PREFIX}2026-03-01.md.1.ab",
            root / STAGING / f"{TEMP_PREFIX}2026-03-02.md.1.cd"]
    for p in left:
        p.write_text("half")
    assert sweep_temp_files(root) == 2
    assert not any(p.exists() for p in left) and note.read_text() == "a note"
