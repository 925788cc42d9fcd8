"""`tobsctl rm --delete-notes` against a real tobsd over its real socket:
tobsd removes the chat's own notes, keeps (and lists) the ones the user
edited and anything that is not its own, and never follows a link out of
the vault."""
from __future__ import annotations

import os
import re

from fakegram.faults import FaultRule
from fakegram.testing import BOB, small_world
from fakegram.world import WorldBuilder
from tests.daemonkit import TobsdProcess, write_config

OK = 0


def notes_under(folder) -> list:
    return sorted(p for p in folder.rglob("*.md") if not p.is_symlink())


def notes_of(folder) -> dict:
    """Every note's bytes, the chat note's `synced_through` line aside: tobsd
    refreshes that clock on its own schedule (up to 2 s after a note of the
    chat was rewritten), whatever else happens."""
    return {p: b"".join(line for line in p.read_bytes().splitlines(keepends=True)
                        if not (p.name == f"{folder.name}.md" and line.startswith(b"synced_through:")))
            for p in notes_under(folder)}


def media_settled(status: dict) -> bool:
    """Nothing queued in any chat and no download (nor its processing and
    note rewrite, which end its task) under way."""
    media = status["daemon"].get("media") or {}
    return all(not int((c.get("media") or {}).get("queued", 0)) for c in status["chats"]) \
        and not int(media.get("downloading", 0))


async def test_rm_delete_notes_removes_only_tobsds_own_files(make_server, tmp_path):
    world = small_world()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.md").write_text("not the vault's\n", "utf-8")
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            # News' attachments landed: its notes are final before they are compared.
            await tobsd.wait_for(lambda s: all(c.get("media") and int(c["media"].get("done", 0)) > 0
                                               and not int(c["media"].get("queued", 0))
                                               for c in s["chats"]), 60, "News' media downloaded")
            added = await tobsd.tobsctl("--json", "add", "@makers")
            assert added.returncode == OK, added
            await tobsd.wait_synced(2)
            # News' file and voice note land (and are processed) in the
            # background, each rewriting its note: settled before News is
            # taken as the chat the removal must leave untouched.
            await tobsd.wait_for(media_settled, 120, "News' media downloaded and shown")
            makers = tmp_path / "vault" / "Telegram" / "Makers"
            periods = [p for p in notes_under(makers) if p.name != "Makers.md"]
            assert len(periods) >= 2 and (makers / "Makers.md").is_file()
            edited, untouched = periods[0], periods[1:]
            edited.write_text(edited.read_text("utf-8") + "\nmy notes on this day\n", "utf-8")
            (makers / "plan.md").write_text("my own note\n", "utf-8")
            os.symlink(outside, makers / "2030")
            os.symlink(outside / "precious.md", makers / "linked.md")
            news = tmp_path / "vault" / "Telegram" / "News"
            news_before = notes_of(news)

            removed = await tobsd.tobsctl("--json", "rm", "Makers", "--delete-notes")
            assert removed.returncode == OK, removed
            answer = removed.json()
            kept = {k["path"]: k["reason"] for k in answer["kept"]}
            rel = lambda p: p.relative_to(tmp_path / "vault").as_posix()   # noqa: E731
            assert answer["chat"]["title"] == "Makers"
            assert answer["notes_deleted"] == len(untouched) + 1        # and the chat note
            assert kept[rel(edited)] == "the user added text"
            assert rel(makers / "plan.md") in kept
            assert kept[rel(makers / "2030")] == kept[rel(makers / "linked.md")] \
                == "a symbolic link (never followed)"
            assert not any(p.exists() for p in untouched) and not (makers / "Makers.md").exists()
            assert "my notes on this day" in edited.read_text("utf-8")
            assert (makers / "plan.md").read_text("utf-8") == "my own note\n"
            assert (outside / "precious.md").read_text("utf-8") == "not the vault's\n"
            assert os.path.islink(makers / "2030") and os.path.islink(makers / "linked.md")
            assert notes_of(news) == news_before   # another chat: untouched
            status = await tobsd.wait_for(lambda s: len(s["chats"]) == 1, 30, "Makers gone")
            assert [c["title"] for c in status["chats"]] == ["News"]

            # the text form lists what stayed; a chat added again is written afresh
            again = await tobsd.tobsctl("--json", "add", "@makers")
            assert again.returncode == OK, again
            await tobsd.wait_synced(2)
            assert all(p.exists() for p in untouched)
            text = await tobsd.tobsctl("rm", "Makers", "--delete-notes")
            assert text.returncode == OK, text
            assert "kept" in text.stdout and rel(edited) in text.stdout
            assert not any(p.exists() for p in untouched)
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]


def world_with_a_held_file():
    """News and Makers; Makers' one file lives on DC 4, where every part
    request meets a flood wait the test keeps in place."""
    b = WorldBuilder(seed=5)
    b.user(id=BOB, first_name="Bob")
    news = b.channel("News", username="news")
    makers = b.supergroup("Makers", username="makers", members=[BOB])
    for i in range(5):
        b.message(news, f"post {i}")
        b.message(makers, f"maker {i}", from_id=BOB)
    b.message(makers, "the plans", from_id=BOB, media=b.document(
        size=2 * 1024 * 1024 + 7, file_name="plans.bin", mime_type="application/octet-stream", dc_id=4))
    return b.build()


async def test_rm_stops_the_chats_download_before_deleting(make_server, tmp_path):
    async with make_server(world_with_a_held_file()) as server:
        server.faults.add(FaultRule(error="FLOOD_WAIT_600", code=420, method="upload.getFile", dc=4))
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            added = await tobsd.tobsctl("--json", "add", "@makers")
            assert added.returncode == OK, added
            await tobsd.wait_synced(2)
            await tobsd.wait_for(lambda s: int(s["daemon"]["media"]["downloading"]) == 1
                                 and server.request_log(method="upload.getFile"), 60,
                                 "Makers' file held mid-download")
            removed = await tobsd.tobsctl("--json", "rm", "Makers", "--delete-notes")
            assert removed.returncode == OK, removed
            # Cancelled before the answer: no download under way, none queued
            # (a queued one would be taken again), no partial file left.
            status = tobsd.status()
            assert int(status["daemon"]["media"]["downloading"]) == 0
            assert [c["title"] for c in status["chats"]] == ["News"]
            partial = tmp_path / "state" / "media-partial"
            assert not partial.exists() or not any(partial.iterdir())
            assert not (tmp_path / "vault" / "Telegram" / "Makers").exists()
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]


def attachments_shown(folder) -> set[str]:
    """The vault-relative attachment paths that the notes under `folder`
    embed (![[...]]) or link ([[...]])."""
    return {t for p in notes_under(folder)
            for t in (m.group(1).split("|", 1)[0] for m in re.finditer(r"\[\[([^\]]+)\]\]", p.read_text("utf-8")))
            if "/attachments/" in t}


def world_with_a_forwarded_file():
    """Makers has a file of its own and one that News got forwarded (one
    Telegram file: stored once, in the folder of the chat synced first)."""
    b = WorldBuilder(seed=7)
    b.user(id=BOB, first_name="Bob")
    news = b.channel("News", username="news")
    makers = b.supergroup("Makers", username="makers", members=[BOB])
    shared = b.document(size=40_000, file_name="shared.bin")
    b.message(makers, "ours", from_id=BOB, media=b.document(size=30_000, file_name="own.bin"))
    b.message(makers, "passed on", from_id=BOB, media=shared)
    b.message(news, "forwarded", media=shared)
    return b.build()


async def test_a_chat_added_again_after_delete_notes_downloads_its_files_again(make_server, tmp_path):
    """Its media rows went with its files: the notes written afresh embed
    files that exist, and the copy another chat shows was never deleted."""
    async with make_server(world_with_a_forwarded_file()) as server:
        config = write_config(tmp_path, server, [])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(lambda s: s["state"] == "running", 60, "tobsd running")
            first = await tobsd.tobsctl("--json", "add", "@makers")
            assert first.returncode == OK, first
            await tobsd.wait_synced(1)
            await tobsd.wait_for(lambda s: int((s["chats"][0].get("media") or {}).get("done", 0)) == 2
                                 and media_settled(s), 60, "Makers' two files downloaded")
            added = await tobsd.tobsctl("--json", "add", "@news")
            assert added.returncode == OK, added
            await tobsd.wait_synced(2)
            await tobsd.wait_for(lambda s: all(int((c.get("media") or {}).get("done", 0)) >= 1
                                               for c in s["chats"]) and media_settled(s),
                                 60, "News' forward shown")
            vault = tmp_path / "vault"
            makers, news = vault / "Telegram" / "Makers", vault / "Telegram" / "News"
            (news_embed,) = attachments_shown(news)
            assert news_embed.startswith("Telegram/Makers/")   # the one copy, in Makers' folder

            removed = await tobsd.tobsctl("--json", "rm", "Makers", "--delete-notes")
            assert removed.returncode == OK, removed
            answer = removed.json()
            assert {k["path"]: k["reason"] for k in answer["kept"]} == \
                {news_embed: "another chat's note shows it"}
            assert answer["media_deleted"] == 1 and (vault / news_embed).is_file()

            again = await tobsd.tobsctl("--json", "add", "@makers")
            assert again.returncode == OK, again
            await tobsd.wait_synced(2)
            await tobsd.wait_for(lambda s: len(s["chats"]) == 2 and media_settled(s)
                                 and all(int((c.get("media") or {}).get("done", 0)) >= 1
                                         for c in s["chats"]), 60, "Makers' files again")
            targets = attachments_shown(makers)
            assert len(targets) == 2 and news_embed in targets
            assert all((vault / t).is_file() for t in targets | attachments_shown(news)), targets
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
