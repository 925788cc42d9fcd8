"""A vault written by an earlier TOBS, opened by a real tobsd: the notes are
brought up to the current escaping rules on start, the user's edit kept, and
the new chat is synced beside them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from fakegram.testing import small_world
from tests.daemonkit import TobsdProcess, write_config
from tests.unit.vault.oracle import Allowed, hazards
from tests.vaultscan import by_message, scan
from tobsd.vault.blocks import parse_note
from tobsd.vault.render import RENDER_VERSION

V1 = Path(__file__).resolve().parents[2] / "unit" / "vault" / "v1_vault"
PERIOD = "Telegram/Crew _% tp.file.title %_/2026/2026-03-01.md"


async def test_tobsd_brings_an_earlier_vault_up_to_date_on_start(make_server, tmp_path):
    shutil.copytree(V1, tmp_path / "vault")
    old = parse_note((V1 / PERIOD).read_text("utf-8"))
    world = small_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            await tobsd.wait_for(lambda s: all(c.get("media") and not int(c["media"].get("queued", 0))
                                               for c in s["chats"]), 120, "the chat's media downloaded")
        finally:
            code = await tobsd.terminate(timeout=20)
        assert code == 0, tobsd.log()[-3000:]
    vault = tmp_path / "vault"
    text = (vault / PERIOD).read_text("utf-8")
    note = parse_note(text)
    assert {b.msg_id: b.version for b in note.blocks()} == {
        **{m: RENDER_VERSION for m in range(1, 10)}, 6: 1}      # 6: the block the user edited
    assert [b.text()[0] for b in note.blocks()] == [b.text()[0] for b in old.blocks()]
    assert "my own line <% kept %> status:: mine" in text.split("\n")
    state = json.loads((vault / "Telegram/.tobs/state.json").read_text("utf-8"))
    assert state["render_version"] == RENDER_VERSION
    # the chat synced now sits beside the old one, in the current rules
    news = [b for b in scan(vault) if b.note.startswith("Telegram/News/")]
    assert news and all(len(v) == 1 for v in by_message(news).values())
    # Attachments tobsd downloaded are embedded or linked; nothing else is.
    files = {p.relative_to(vault).as_posix() for p in vault.rglob("*")
             if p.is_file() and "/attachments/" in p.relative_to(vault).as_posix()}
    assert files
    for path in (vault / "Telegram/News").rglob("*.md"):
        notes = {p.relative_to(vault).as_posix()[:-3] for p in vault.rglob("*.md")}
        assert hazards(path.read_text("utf-8"), Allowed(links=notes | files, embeds=files)) == [], path
