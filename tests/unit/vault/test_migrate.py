"""Notes written with the first escaping rules (``v1_vault/``: written by that
version, with a block and a line the user changed afterwards) are brought up
to the current rules at start, keeping what the user wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

from tobsd.vault.blocks import parse_note
from tobsd.vault.migrate import harden_line
from tobsd.vault.render import RENDER_VERSION
from tobsd.vault.writer import VaultWriter

from tests.unit.vault.oracle import Allowed, hazards

V1 = Path(__file__).parent / "v1_vault"
CHAT = "Telegram/Crew _% tp.file.title %_"
PERIOD = f"{CHAT}/2026/2026-03-01.md"
EDITED = "> the user edits this one &lt;% x %&gt; (my note)"
USER_LINE = "my own line <% kept %> status:: mine"


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(V1, tmp_path / "vault")
    return tmp_path / "vault"


def _notes(vault: Path) -> dict[str, str]:
    return {p.relative_to(vault).as_posix(): p.read_text("utf-8") for p in vault.rglob("*.md")}


async def test_version_1_notes_are_rendered_again_and_the_users_edits_kept(tmp_path):
    vault = _copy(tmp_path)
    before = _notes(vault)
    old = parse_note(before[PERIOD])
    assert {b.version for b in old.blocks()} == {1}
    assert hazards(before[PERIOD])  # the fixture does hold what the old rules let through

    writer = VaultWriter(vault, durable=False)
    assert writer.state.render_version == 1
    written = await writer.migrate()
    after = _notes(vault)
    assert written == 3 and sorted(k for k in after if after[k] != before[k]) == sorted([
        PERIOD, f"{CHAT}/Crew _% tp.file.title %_.md", "Telegram/People/Ada _%+ tp.file.title %_ (x__ y).md"])

    new = parse_note(after[PERIOD])
    by_id = {b.msg_id: b for b in new.blocks()}
    old_by_id = {b.msg_id: b for b in old.blocks()}
    assert sorted(by_id) == sorted(old_by_id) == list(range(1, 10))
    # the block the user edited stays byte for byte (marker included), and still counts as edited
    assert by_id[6].all_lines() == old_by_id[6].all_lines() and EDITED in by_id[6].lines
    assert by_id[6].version == 1 and not by_id[6].intact
    # the others follow the current rules, count as untouched and read back to the same text
    for mid, block in by_id.items():
        if mid != 6:
            assert block.version == RENDER_VERSION and block.intact, mid
            assert block.text()[0] == old_by_id[mid].text()[0], mid
    assert USER_LINE in after[PERIOD].split("\n")

    # read by independent parsers, nothing but the user's own writing is left to reach a plugin
    edited = "\n".join(by_id[6].all_lines())
    assert edited in after[PERIOD]
    theirs = after[PERIOD].replace(USER_LINE, "").replace(edited, "")
    allowed = Allowed(links={p[:-3] for p in after})
    assert hazards(theirs, allowed) == []
    for rel in after:
        if rel != PERIOD:
            assert hazards(after[rel], allowed) == [], rel
    assert "\\![click me](https://evil.example/pixel.png)" in after[PERIOD]
    assert "```\n> x = 1" in after[PERIOD]                 # meta-bind-js-view dropped
    assert 'aliases: ["Crew <\u200b% tp.file.title %>", "[\u200b[Renamed]\u200b] <\u200b% y %>"]' in after[f"{CHAT}/Crew _% tp.file.title %_.md"]

    # once done, it is recorded: neither this writer nor the next one does it again
    assert await writer.migrate() == 0
    again = VaultWriter(vault, durable=False)
    assert again.state.render_version == RENDER_VERSION
    assert await again.migrate() == 0 and _notes(vault) == after


async def test_a_migration_cut_short_is_done_again_and_changes_current_blocks_nothing(tmp_path):
    vault = _copy(tmp_path)
    writer = VaultWriter(vault, durable=False)
    await writer.migrate()
    done = _notes(vault)
    # the state says version 1 again (the start was cut short before it was saved)
    state = vault / "Telegram/.tobs/state.json"
    state.write_text(state.read_text().replace('"render_version": 2', '"render_version": 1'))
    redo = VaultWriter(vault, durable=False)
    assert redo.state.render_version == 1
    assert await redo.migrate() == 0 and _notes(vault) == done
    assert redo.state.render_version == RENDER_VERSION


def test_harden_line_is_idempotent_and_leaves_link_destinations():
    line = "🔗 S:: [T &lt;%x%&gt;](https://e.x/a::b) &lt;&#37;&#37; a:::b"
    once = harden_line(line)
    assert "::" not in once.replace("(https://e.x/a::b)", "") and "&lt;%" not in once
    assert "(https://e.x/a::b)" in once and "&lt;\u200b&#37;" in once
    assert harden_line(once) == once
