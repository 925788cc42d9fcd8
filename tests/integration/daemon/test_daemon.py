"""A real tobsd process against fakegram over TCP: it backfills the chats into
the vault, follows new messages, edits and deletions live, reports its
status, and stops cleanly on SIGTERM with its Takeout session finished."""
from __future__ import annotations

import os
from collections import defaultdict

from fakegram.testing import BOB, all_messages, small_world
from tests.daemonkit import TobsdProcess, write_config
from tests.conditions import wait_for
from tests.vaultscan import leftovers, scan

CHATS = {"News": "@news", "Book club": "Book club", "Bob Stone": "@bobstone"}


def world_messages(world, key) -> dict[int, str]:
    return {m.id: m.text for m in all_messages(world, key)}


def vault_messages(vault) -> dict[str, dict[int, list]]:
    """{chat folder: {msg_id: [blocks]}}"""
    out: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for block in scan(vault):
        parts = block.note.split("/")
        out[parts[1]][block.msg_id].append(block)
    return out


def assert_vault_equals_world(vault, world):
    got = vault_messages(vault)
    for chat in world.chats():
        title = chat.title or world.users[chat.id].display_name
        if title not in CHATS:
            continue
        want = world_messages(world, chat.key)
        have = got[title]
        assert sorted(have) == sorted(want), f"{title}: ids differ"
        for msg_id, text in want.items():
            blocks = have[msg_id]
            assert len(blocks) == 1, f"{title} m{msg_id} appears {len(blocks)} times"
            assert not blocks[0].deleted
            if text:
                assert blocks[0].text == text, f"{title} m{msg_id}"


async def test_backfill_live_and_clean_stop(make_server, tmp_path):
    world = small_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, list(CHATS.values()))
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_synced(len(CHATS))
            vault = tmp_path / "vault"
            assert_vault_equals_world(vault, world)
            assert {c["title"] for c in status["chats"]} == set(CHATS)
            assert all(c["backfill_done"] for c in status["chats"])
            session = tmp_path / "state" / "tobsd.session"
            assert os.stat(session).st_mode & 0o777 == 0o600

            news = next(c.key for c in world.chats() if c.title == "News")
            news_indexed = next(c["indexed"] for c in status["chats"] if c["title"] == "News")
            since = server.request_log()[-1]["seq"]
            posted = world.post(news, "breaking: live post")
            await wait_for(lambda: any(b.msg_id == posted.id and b.text == "breaking: live post"
                                         for b in scan(vault)), what="live post in the vault")
            # It came with the pushed update, not from asking for the history.
            assert server.request_log(since=since, method="messages.getHistory") == []
            chat_note = vault / "Telegram" / "News" / "News.md"
            await wait_for(lambda: f"message_count: {news_indexed + 1}\n" in chat_note.read_text(),
                             what="the chat note counting the live post")
            world.edit(news, posted.id, "breaking: corrected")
            await wait_for(lambda: any(b.msg_id == posted.id and b.text == "breaking: corrected"
                                         for b in scan(vault)), what="edit in the vault")
            world.delete(news, [posted.id])
            await wait_for(lambda: any(b.msg_id == posted.id and b.deleted for b in scan(vault)),
                             what="deletion mark in the vault")
            dm = world.post(("user", BOB), "a direct message", from_id=BOB)
            await wait_for(lambda: any(b.msg_id == dm.id for b in scan(vault)),
                             what="private message in the vault")
            world.delete(("user", BOB), [dm.id])
            await wait_for(lambda: any(b.msg_id == dm.id and b.deleted for b in scan(vault)),
                             what="common-box deletion (no chat id) in the vault")
        finally:
            code = await tobsd.terminate(timeout=20)
        assert code == 0, tobsd.log()[-3000:]
        assert tobsd.status() is None and not tobsd.socket.exists()   # a clean stop removes the socket
        # Checked once stopped: while tobsd runs, a note being replaced (a
        # landed attachment's rewrite, a chat note's refresh) has its temp file.
        assert leftovers(tmp_path / "vault") == []
        methods = [r["method"] for r in server.request_log()]
        assert "account.initTakeoutSession" in methods
        assert "account.finishTakeoutSession" in methods
        log = tobsd.log()
        assert server.rsa_key.public_pem.splitlines()[1] not in log
        from fakegram.server import API_HASH
        assert API_HASH not in log


async def test_sighup_rereads_the_chat_list(make_server, tmp_path):
    import signal
    world = small_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            write_config(tmp_path, server, ["@news", "Book club"])
            tobsd.proc.send_signal(signal.SIGHUP)
            status = await tobsd.wait_synced(2)
            assert {c["title"] for c in status["chats"]} == {"News", "Book club"}
            write_config(tmp_path, server, ["Book club"])
            tobsd.proc.send_signal(signal.SIGHUP)
            status = await tobsd.wait_synced(1)
            assert [c["title"] for c in status["chats"]] == ["Book club"]
        finally:
            assert await tobsd.terminate() == 0
        # A chat no longer synced keeps its notes: the vault is the user's.
        assert any(b.note.startswith("Telegram/News/") for b in scan(tmp_path / "vault"))
        # A restart with nothing new resolves nothing again and asks no page:
        # the chat was followed without a break, the catch-up brings it back.
        since = server.request_log()[-1]["seq"]
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
        finally:
            assert await tobsd.terminate() == 0
        methods = [r["method"] for r in server.request_log(since=since)]
        assert "contacts.resolveUsername" not in methods
        assert methods.count("messages.getHistory") == 0, methods
        # Telethon starts its message box at the current state with one
        # (empty) difference; tobsd asks one from its own persisted state.
        assert methods.count("updates.getDifference") <= 2, methods
