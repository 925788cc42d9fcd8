"""Back after time offline: a real tobsd is stopped, every kind of change is
made in every kind of chat (new messages, edits and deletions of recent and
of old messages, a title change), tobsd is started again and the vault must
equal the world: every message once, with its current text, every deleted
one marked. Once with the gap inside fakegram's update log (the
differences carry everything), once beyond it (differenceTooLong /
channelDifferenceTooLong: the verification pass), once with a kill -9 in
the middle of catching up.

Beyond the log, the default verification probes windows of the history
with Telegram's result hash, which (as documented for messages.getHistory)
covers message ids only: it finds new and deleted messages, but not an edit
of an old message; that test says so and checks the rest exactly. With
`verify = "full"` every edit is found and the vault is compared exactly."""
from __future__ import annotations

import asyncio

from fakegram.testing import all_messages
from fakegram.world import WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import by_message, leftovers, scan

BOB = 2001
EVE = 2002
HISTORY = 260          # messages per chat: several pages, so "old" is outside the newest one


def catchup_world():
    b = WorldBuilder(seed=17)
    bob = b.user(id=BOB, first_name="Bob", username="bobby_b")
    b.user(id=EVE, first_name="Eve", username="eve_e")
    dm = b.private(bob)
    group = b.group("Book club", members=[BOB, EVE])
    news = b.channel("News", username="news")
    lounge = b.supergroup("Lounge", username="lounge", members=[BOB, EVE])
    forum = b.forum("Makers", username="makers", members=[BOB, EVE])
    topic = b.topic(forum, "Printers")
    for i in range(HISTORY):
        b.message(dm, f"dm {i}", from_id=BOB if i % 2 else None)
        b.message(group, f"club {i}", from_id=(BOB, EVE)[i % 2])
        b.message(news, f"news {i}")
        b.message(lounge, f"lounge {i}", from_id=(BOB, EVE)[i % 2])
        b.message(forum, f"forum {i}", from_id=BOB, topic=topic if i % 3 else None)
    return b.build()


def chat_refs(world) -> list[str]:
    """The config's chats; the group by id, since its title changes."""
    group = next(c for c in world.chats() if c.title == "Book club")
    return ["@bobby_b", str(-group.id), "@news", "@lounge", "@makers"]


CHATS = 5
FOLDERS = {("user", BOB): "Bob"}


def keys(world):
    out = [("user", BOB)]
    for title in ("Book club", "News", "Lounge", "Makers"):
        out.append(next(c.key for c in world.chats() if c.title == title))
    return out


class Changes:
    """Every kind of change in every chat, remembered for the final check."""

    def __init__(self, world):
        self.world = world
        self.keys = keys(world)        # before any title changes
        self.deleted: dict[tuple, set[int]] = {k: set() for k in self.keys}
        self.edited: dict[tuple, set[int]] = {k: set() for k in self.keys}
        self.old_edits: set[tuple[tuple, int]] = set()
        self.posted: dict[tuple, set[int]] = {k: set() for k in self.keys}
        self.folders = {k: FOLDERS.get(k) or world.chat(k).title for k in self.keys}

    def make(self, round_: int) -> None:
        for key in self.keys:
            ids = [m.id for m in all_messages(self.world, key) if m.action is None]
            recent_edit, recent_delete = ids[1], ids[2]
            # Old ones, in different pages (one with a deletion, one without).
            old_edit, old_delete = ids[120 + round_], ids[230 + round_]
            self.old_edits.add((key, old_edit))
            for n in range(3):
                posted = self.world.post(key, f"new {round_}.{n}", from_id=BOB
                                         if key[0] != "channel"
                                         or self.world.chat(key).kind != "channel" else None)
                self.posted[key].add(posted.id)
            for msg_id in (recent_edit, old_edit):
                self.world.edit(key, msg_id, f"edited {round_} m{msg_id}")
                self.edited[key].add(msg_id)
            self.world.delete(key, [recent_delete, old_delete])
            self.deleted[key] |= {recent_delete, old_delete}
            if key[0] != "user":
                self.world.edit_title(key, f"{self.folders[key]} (round {round_})")

    def check(self, vault, *, old_edits_seen: bool = True) -> None:
        """The vault equals the world; with old_edits_seen False, an edit
        of an old message in a page that did not otherwise change may keep
        its previous text (and must still be there exactly once)."""
        blocks = scan(vault)
        for key in self.keys:
            folder = self.folders[key]
            mine = by_message([b for b in blocks if b.note.split("/")[1] == folder])
            want = {m.id: m.text for m in all_messages(self.world, key)}
            missing = sorted(set(want) - set(mine))
            assert not missing, f"{folder}: {len(missing)} messages missing, e.g. {missing[:5]}"
            extra = sorted(set(mine) - set(want) - self.deleted[key])
            assert not extra, f"{folder}: unexpected messages {extra[:5]}"
            for msg_id, text in want.items():
                found = mine[msg_id]
                assert len(found) == 1, f"{folder} m{msg_id} appears {len(found)} times"
                assert not found[0].deleted and found[0].intact, f"{folder} m{msg_id}"
                if text and (old_edits_seen or (key, msg_id) not in self.old_edits):
                    assert found[0].text == text, \
                        f"{folder} m{msg_id}: {found[0].text!r} != {text!r}"
            for msg_id in self.deleted[key]:
                # One posted and deleted while tobsd was away may never have
                # reached the vault; every other one is there, marked.
                if msg_id not in self.posted[key]:
                    assert mine.get(msg_id), f"{folder} m{msg_id} missing"
                assert all(b.deleted for b in mine.get(msg_id, [])), \
                    f"{folder} m{msg_id} not marked deleted"
        assert leftovers(vault) == []


def caught_up(status: dict) -> bool:
    catch_up = status.get("catch_up") or {}
    return (status["state"] == "running" and len(status["chats"]) == CHATS
            and all(c["state"] == "live" for c in status["chats"])
            and not catch_up.get("running") and catch_up.get("verify_pending") == 0
            and catch_up.get("runs", 0) >= 1)


async def first_sync(server, tmp_path, extra: str = "") -> TobsdProcess:
    config = write_config(tmp_path, server, chat_refs(server.world), extra=extra)
    tobsd = TobsdProcess(config).start()
    try:
        await tobsd.wait_for(caught_up, 120, "the first sync")
    finally:
        assert await tobsd.terminate() == 0
    return tobsd


async def restart_and_check(tobsd: TobsdProcess, changes: Changes, tmp_path, *,
                            old_edits_seen: bool = True) -> None:
    restarted = TobsdProcess(tobsd.config).start()
    try:
        await restarted.wait_for(caught_up, 120, "catching up")
    finally:
        assert await restarted.terminate() == 0
    changes.check(tmp_path / "vault", old_edits_seen=old_edits_seen)


async def test_gap_inside_the_update_log(make_server, tmp_path):
    world = catchup_world()
    async with make_server(world) as server:
        tobsd = await first_sync(server, tmp_path)
        since = server.request_log()[-1]["seq"]
        changes = Changes(world)
        changes.make(0)
        restarted = TobsdProcess(tobsd.config).start()
        try:
            await restarted.wait_for(caught_up, 120, "catching up")
        finally:
            assert await restarted.terminate() == 0
        changes.check(tmp_path / "vault")
        # A clean stop leaves no batch behind to apply again.
        assert "interrupted batches" not in restarted.log()
        methods = [r["method"] for r in server.request_log(since=since)]
        assert methods.count("updates.getChannelDifference") >= 3   # one per channel at least
        assert "updates.getDifference" in methods


async def test_gap_beyond_the_update_log(make_server, tmp_path):
    world = catchup_world()
    async with make_server(world) as server:
        tobsd = await first_sync(server, tmp_path)
        world.set_log_size(4)
        changes = Changes(world)
        changes.make(0)
        since = server.request_log()[-1]["seq"]
        await restart_and_check(tobsd, changes, tmp_path, old_edits_seen=False)
        served = server.request_log(since=since)
        history = [r for r in served if r["method"] == "messages.getHistory"]
        # About one request per 100 messages (5 chats of ~265), not a re-download.
        # No page is read again but each chat's newest (reconcile): the
        # verification asks one message (or none) per request: one request
        # per window of 100 unchanged messages, a few more per deletion.
        pages = [r for r in history if r["bytes"] > 1000]
        probes = [r for r in history if r["bytes"] <= 1000]
        assert len(pages) <= 2 * CHATS, sorted(r["bytes"] for r in pages)
        deletions = sum(len(ids) for ids in changes.deleted.values())
        assert len(probes) <= CHATS * 3 + deletions * 15, len(probes)
        log = tobsd.log()
        assert "verified" in log


async def test_gap_beyond_the_update_log_full_verification(make_server, tmp_path):
    world = catchup_world()
    async with make_server(world) as server:
        tobsd = await first_sync(server, tmp_path, extra='[sync]\nverify = "full"\n')
        world.set_log_size(4)
        changes = Changes(world)
        changes.make(0)
        await restart_and_check(tobsd, changes, tmp_path)


async def test_kill_during_catch_up(make_server, tmp_path):
    world = catchup_world()
    async with make_server(world, rtt_ms=20) as server:
        tobsd = await first_sync(server, tmp_path, extra='[sync]\nverify = "full"\n')
        world.set_log_size(4)
        changes = Changes(world)
        changes.make(0)
        victim = TobsdProcess(tobsd.config).start()
        await victim.wait_for(lambda s: any(c.get("verify") for c in s["chats"]), 60,
                              "a verification pass under way")
        await victim.kill()
        changes.make(1)
        await restart_and_check(tobsd, changes, tmp_path)


async def test_kill_during_the_default_verification(make_server, tmp_path):
    """kill -9 while the probes of `verify = "ids"` run: the restarted pass
    resumes from its committed window and still finds every deletion. (The
    probes are quick: should the pass end between two status polls, the
    kill comes after it, and the check below still holds.)"""
    world = catchup_world()
    async with make_server(world, rtt_ms=40) as server:
        tobsd = await first_sync(server, tmp_path)
        world.set_log_size(4)
        changes = Changes(world)
        changes.make(0)
        victim = TobsdProcess(tobsd.config).start()
        await victim.wait_for(lambda s: any(c.get("verify") for c in s["chats"]) or caught_up(s),
                              60, "a verification pass under way (or done)")
        await victim.kill()
        changes.make(1)
        await restart_and_check(tobsd, changes, tmp_path, old_edits_seen=False)


async def test_dense_deletions_beyond_the_log_are_read_by_pages(make_server, tmp_path):
    """One message in three deleted: probing each would cost ten requests a
    deletion; the pass gives up on probes for such windows and asks them
    whole, and every deletion is still marked."""
    world = catchup_world()
    async with make_server(world) as server:
        tobsd = await first_sync(server, tmp_path)
        world.set_log_size(4)
        key = next(c.key for c in world.chats() if c.title == "News")
        ids = [m.id for m in all_messages(world, key) if m.action is None]
        gone = set(ids[10:250:3])
        for msg_id in sorted(gone):          # one change each: far beyond the log
            world.delete(key, [msg_id])
        since = server.request_log()[-1]["seq"]
        restarted = TobsdProcess(tobsd.config).start()
        try:
            await restarted.wait_for(caught_up, 120, "catching up")
        finally:
            assert await restarted.terminate() == 0
        mine = by_message([b for b in scan(tmp_path / "vault") if b.note.split("/")[1] == "News"])
        assert all(mine.get(i) and all(b.deleted for b in mine[i]) for i in gone)
        assert not [i for i, blocks in mine.items() if i not in gone and any(b.deleted
                                                                            for b in blocks)]
        history = [r for r in server.request_log(since=since)
                   if r["method"] == "messages.getHistory"]
        assert len(history) <= 10 * 2 + 2 * 25 + 5, len(history)


async def test_changes_missed_across_a_reconnect_are_caught_up(make_server, tmp_path):
    """Pushes lost while the connection drops: the channel's old-message
    edit and deletion reach the vault through the difference asked after
    Telethon reconnects (a live update never shows them)."""
    world = catchup_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, chat_refs(world))
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(caught_up, 120, "the first sync")
            runs = tobsd.status()["catch_up"]["runs"]
            key = next(c.key for c in world.chats() if c.title == "News")
            old = [m.id for m in all_messages(world, key)][150:152]
            server.suppressed_pushes = 2
            world.edit(key, old[0], "edited while the pushes were lost")
            world.delete(key, [old[1]])
            assert server.drop_connections() >= 1
            await tobsd.wait_for(lambda s: caught_up(s) and s["catch_up"]["runs"] > runs, 60,
                                 "a catch-up run after the reconnect")
            def news_blocks():
                return by_message([b for b in scan(tmp_path / "vault")
                                   if b.note.split("/")[1] == "News"])

            def both_applied():
                mine = news_blocks()
                return mine[old[0]][0].text == "edited while the pushes were lost" and \
                    mine[old[1]][0].deleted

            await wait_for(both_applied, what="the lost edit and deletion in the vault",
                           interval=0.1, describe=lambda: [news_blocks()[i] for i in old])
        finally:
            assert await tobsd.terminate() == 0


async def test_a_clean_stop_leaves_no_batch_to_apply_again(make_server, tmp_path):
    """SIGTERM while live messages keep arriving: the next start finds no
    interrupted batch (a clean stop records or never starts each one)."""
    world = catchup_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news", "@bobby_b"])
        key = next(c.key for c in world.chats() if c.title == "News")
        posting = True

        async def keep_posting():
            n = 0
            while posting:
                world.post(key, f"live {n}")
                world.post(("user", BOB), f"dm live {n}", from_id=BOB)
                n += 1
                await asyncio.sleep(0.02)
        poster = asyncio.get_running_loop().create_task(keep_posting())
        try:
            for _ in range(4):
                tobsd = TobsdProcess(config).start()
                await tobsd.wait_for(lambda s: s["state"] == "running" and len(s["chats"]) == 2
                                     and all(c["state"] == "live" for c in s["chats"]), 120,
                                     "both chats live")
                assert "interrupted batches" not in tobsd.log()
                assert await tobsd.terminate() == 0
        finally:
            posting = False
            await poster
