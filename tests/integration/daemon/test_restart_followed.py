"""A real tobsd over a few chats of each kind (ids interleaved across the
private chats and basic groups, as on Telegram), restarted on a synced
state:

- chats followed without a break before the stop are live again from the
  catch-up alone: no history request, at most one request per chat (a
  channel's updates.getChannelDifference), counted in fakegram's request
  log; what changed while tobsd was down (a message in a private chat and
  in a channel, an edit in a group, a deletion in a supergroup) is in the
  vault all the same;
- once live, a message whose push was lost is found by the account-wide
  sweep of the dialogs' newest messages (messages.getPeerDialogs): only
  the chat that changed reads a page of history (any other history request
  is a hashed check answered messagesNotModified), and a channel whose pts
  moved is caught up by its difference."""
from __future__ import annotations

import random
import sqlite3
from collections import Counter

from fakegram.testing import all_messages
from fakegram.world import WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import by_message, leftovers, scan

NOW = 1_760_000_000
PER_KIND = 3
NOT_MODIFIED_BYTES = 64     # messages.messagesNotModified is 8 bytes; any page is far larger


def world_of_every_kind(seed: int = 23):
    rng = random.Random(seed)
    b = WorldBuilder(seed=seed, now=NOW)
    friends = [b.user(first_name=f"Pal{n}", username=f"pal{n:02d}") for n in range(PER_KIND + 3)]
    chats = []
    for n in range(PER_KIND):
        chats += [b.private(friends[n]), b.group(f"Team{n}", members=friends[:3]),
                  b.supergroup(f"Hall{n}", members=friends[:3]), b.channel(f"Wire{n}")]
    for info in chats:
        b.set_created(info, NOW - 40 * 86400)
        for i, date in enumerate(sorted(rng.randint(NOW - 30 * 86400, NOW - 60)
                                        for _ in range(rng.choice([30, 120, 150])))):
            sender = None if info.kind == "channel" else rng.choice(info.members)
            b.message(info, f"{info.title or info.id} {i}", from_id=sender, date=date)
    return b.build()


def marked(info) -> int:
    """tobsd's id of a fakegram chat (a basic group -id, a channel -(10**12 + id))."""
    return info.id if info.family == "user" else -info.id if info.family == "chat" \
        else -(10**12 + info.id)


def followed(db_path) -> set[int]:
    """The chats tobsd recorded as followed without a break (a read-only look)."""
    if not db_path.exists():
        return set()
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return {r[0] for r in db.execute("SELECT chat_id FROM followed_chats")}
    except sqlite3.OperationalError:
        return set()     # not created yet
    finally:
        db.close()


def title_of(world, info) -> str:
    return info.title or world.users[info.id].display_name


async def test_restart_resumes_followed_chats_and_the_sweep_wakes_only_changed_ones(
        make_server, tmp_path):
    world = world_of_every_kind()
    chats = world.chats()
    ids = {marked(c) for c in chats}
    db = tmp_path / "state" / "tobsd.db"

    def all_live(status) -> bool:
        catch_up = status.get("catch_up") or {}
        return status["state"] == "running" and len(status["chats"]) == len(chats) and \
            all(c["state"] == "live" for c in status["chats"]) and \
            catch_up.get("runs", 0) >= 1 and not catch_up.get("running")

    async with make_server(world) as server:
        # First sync; a short period gives chats whose first reconcile came
        # before their update box had a state their next pass soon.
        config = write_config(tmp_path, server, [], extra="[sync]\nall = true\n",
                              daemon="check_every_s = 2\nreconcile_every_s = 5")
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(all_live, 120, "the first sync")
            await wait_for(lambda: followed(db) == ids, 60, what="every chat followed",
                           describe=lambda: ids - followed(db))
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
        assert followed(db) == ids    # a clean stop keeps them

        # While tobsd is down.
        by_kind = {kind: [c for c in chats if c.kind == kind]
                   for kind in ("private", "group", "supergroup", "channel")}
        dm, channel = by_kind["private"][0], by_kind["channel"][1]
        group, hall = by_kind["group"][2], by_kind["supergroup"][0]
        posted_dm = world.post(dm.key, "written while tobsd was down", from_id=dm.id)
        posted_channel = world.post(channel.key, "broadcast while tobsd was down")
        group_newest = max(m.id for m in all_messages(world, group.key))
        world.edit(group.key, group_newest, "edited while tobsd was down")
        hall_newest = max(m.id for m in all_messages(world, hall.key))
        world.delete(hall.key, [hall_newest])

        # The hashed page checks a week apart: the requests seen are the
        # restart's and the sweep's alone.
        config = write_config(tmp_path, server, [], extra="[sync]\nall = true\n",
                              daemon="check_every_s = 600\nreconcile_every_s = 10\n"
                                     "page_check_every_s = 604800")
        since = server.request_log()[-1]["seq"]
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(all_live, 120, "every chat live after the restart")
            served = server.request_log(since=since)
            history = [r for r in served if r["method"] == "messages.getHistory"]
            assert history == [], Counter(r["peer_id"] for r in history)
            per_chat = Counter(r["peer_id"] for r in served if r["peer_id"] is not None)
            assert sum(per_chat.values()) <= len(chats), per_chat
            assert set(per_chat.values()) <= {1}, per_chat
            methods = Counter(r["method"] for r in served if r["peer_id"] is not None)
            assert set(methods) <= {"updates.getChannelDifference"}, methods

            def vault():
                return {title: by_message([b for b in scan(tmp_path / "vault")
                                           if b.note.split("/")[1] == title])
                        for title in {title_of(world, c) for c in chats}}

            def changes_in(blocks) -> bool:
                return (posted_dm.id in blocks[title_of(world, dm)]
                        and posted_channel.id in blocks[channel.title]
                        and blocks[group.title][group_newest][0].text
                        == "edited while tobsd was down"
                        and blocks[hall.title][hall_newest][0].deleted)

            await wait_for(lambda: changes_in(vault()), 30,
                           what="the changes made while tobsd was down in the vault")
            blocks = vault()
            assert blocks[title_of(world, dm)][posted_dm.id][0].text == \
                "written while tobsd was down"
            assert blocks[channel.title][posted_channel.id][0].text == \
                "broadcast while tobsd was down"
            for info in chats:
                want = {m.id for m in all_messages(world, info.key)}
                got = blocks[title_of(world, info)]
                assert want <= set(got), f"{title_of(world, info)}: {sorted(want - set(got))[:5]}"
                assert all(len(found) == 1 for found in got.values())

            # Live, with two pushes lost: a private chat's new message and a
            # channel's. Neither reaches tobsd as an update, and the account's
            # getState check is 10 minutes away: the sweep finds them.
            since = server.request_log()[-1]["seq"]
            other = by_kind["private"][1]
            server.suppressed_pushes = 1
            lost_dm = world.post(other.key, "its push was lost", from_id=other.id)
            server.suppressed_pushes = 1
            lost_channel = world.post(channel.key, "this push was lost too")

            def indexed(chat_id, msg_id) -> bool:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                try:
                    return con.execute("SELECT 1 FROM message_index WHERE chat_id = ? AND "
                                       "msg_id = ?", (chat_id, msg_id)).fetchone() is not None
                finally:
                    con.close()

            await wait_for(lambda: indexed(marked(other), lost_dm.id)
                           and indexed(marked(channel), lost_channel.id), 60,
                           what="both lost messages indexed")
            served = server.request_log(since=since)
            assert any(r["method"] == "messages.getPeerDialogs" for r in served)
            pages = Counter(r["peer_id"] for r in served if r["method"] == "messages.getHistory"
                            and r["bytes"] > NOT_MODIFIED_BYTES)
            assert set(pages) == {other.id}, pages
            assert any(r["method"] == "updates.getChannelDifference"
                       and r["peer_id"] == channel.id for r in served)
            assert f"chat {title_of(world, other)}: its newest message differs" in tobsd.log()
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
        blocks = by_message([b for b in scan(tmp_path / "vault")
                             if b.note.split("/")[1] == title_of(world, other)])
        assert blocks[lost_dm.id][0].text == "its push was lost"
        assert leftovers(tmp_path / "vault") == []
