"""A real tobsd process against fakegram: forum topics get folders named
after their titles (two titles that collide once made safe get two
folders), and chats, topics and people renamed on Telegram get their new
titles in properties and headers while their folders stay where they are.

The vault is read back with plain text matching, not with tobsd's parser."""
from __future__ import annotations

import re
from pathlib import Path

from fakegram.testing import BOB, EVE, ME
from fakegram.world import Action, WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config

MARKER = re.compile(r"^%% tobs:m(\d+) h=[0-9a-f]{12} t=\d+\+\d+(?: v=\d+)? %%$", re.M)


def build_world():
    b = WorldBuilder(seed=11)
    bob = b.user(id=BOB, first_name="Bob", last_name="Stone", username="bobstone")
    b.user(id=EVE, first_name="Eve", username="eve")
    dm = b.private(bob)
    news = b.channel("News", username="news")
    forum = b.forum("Workshop", username="workshop", members=[BOB, EVE])
    slash = b.topic(forum, "Plans/Ideas", from_id=BOB)
    colon = b.topic(forum, "Plans:Ideas", from_id=EVE)
    tools = b.topic(forum, "Hardware", from_id=BOB)
    old = b.topic(forum, "Misc", from_id=EVE)
    topics = {"general": 1, "slash": slash.id, "colon": colon.id, "tools": tools.id, "old": old.id}
    b.message(forum, "welcome", from_id=ME)
    for i in range(12):
        b.message(forum, f"slash {i}", topic=slash, from_id=BOB)
        b.message(forum, f"colon {i}", topic=colon, from_id=EVE)
        b.message(forum, f"tools {i}", topic=tools, from_id=BOB)
        b.message(forum, f"general {i}", from_id=EVE)
    # Renamed before tobsd ever saw it: the folder takes the current title.
    b.message(forum, "", topic=old, from_id=EVE, action=Action("topic_edit", title="Tea & cake"))
    old.title = "Tea & cake"
    b.message(forum, "scones today", topic=old, from_id=EVE)
    for i in range(20):
        b.message(news, f"post {i}")
        b.message(dm, f"dm {i}", from_id=BOB if i % 2 else ME)
    return b.build(), topics


def blocks_in(folder: Path) -> dict[int, Path]:
    """msg id -> the note holding its block, for every note below `folder`."""
    out = {}
    for note in folder.rglob("*.md"):
        for m in MARKER.finditer(note.read_text()):
            out[int(m.group(1))] = note
    return out


def topic_folders(forum: Path) -> dict[int, str]:
    """topic id -> the folder whose period notes carry that tg_topic_id."""
    found = {}
    for note in forum.glob("*/*/*.md"):
        m = re.search(r"^tg_topic_id: (\d+)$", note.read_text(), re.M)
        if m:
            found.setdefault(int(m.group(1)), note.parent.parent.name)
    return found


def block_header(note: Path, msg_id: int) -> str:
    lines = note.read_text().split("\n")
    for i, line in enumerate(lines):
        if MARKER.match(line) and line.startswith(f"%% tobs:m{msg_id} "):
            return lines[i + 1]
    raise AssertionError(f"no block m{msg_id} in {note}")


def prop(note: Path, key: str) -> str | None:
    m = re.search(rf"^{key}: (.*)$", note.read_text().split("\n---\n", 1)[0], re.M)
    return m.group(1) if m else None


async def wait_until(check, what: str):
    """`check()` true within 30 s; a note not written yet counts as false."""
    def holds():
        try:
            return check()
        except FileNotFoundError:
            return False
    await wait_for(holds, what=what, interval=0.05)


async def test_topic_folders_and_renames(make_server, tmp_path):
    world, topics = build_world()
    forum_key = next(c.key for c in world.chats() if c.title == "Workshop")
    news_key = next(c.key for c in world.chats() if c.title == "News")
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@workshop", "@news", "@bobstone"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(3)
            root = tmp_path / "vault" / "Telegram"
            forum = root / "Workshop"
            folders = topic_folders(forum)
            assert set(folders) == set(topics.values())
            assert folders[topics["general"]] == "General"
            assert folders[topics["tools"]] == "Hardware"
            assert folders[topics["old"]] == "Tea & cake"
            # Both titles become "Plans_Ideas" once made safe: two folders.
            assert folders[topics["slash"]] != folders[topics["colon"]]
            assert {folders[topics["slash"]][:11], folders[topics["colon"]][:11]} == {"Plans_Ideas"}
            assert not any(name.startswith("Topic ") for name in folders.values())
            where = blocks_in(forum)
            for msg in world.get_history(forum_key, limit=100).messages:
                folder = where[msg.id].parent.parent.name
                assert folder == folders[msg.topic_id or 1], f"m{msg.id} in {folder}"

            renames_from = server.request_log()[-1]["seq"]
            # A topic renamed live: same folder, new heading in the chat note.
            edit = world.rename_topic(forum_key, topics["tools"], "Hardware v2", from_id=BOB)
            chat_note = forum / "Workshop.md"
            await wait_until(lambda: "### Hardware v2\n" in chat_note.read_text(),
                             what="the renamed topic's heading")
            posted = world.post(forum_key, "after the rename", from_id=BOB,
                                topic_id=topics["tools"])
            await wait_until(lambda: posted.id in blocks_in(forum), what="post in renamed topic")
            where = blocks_in(forum)
            assert where[posted.id].parent.parent.name == "Hardware"
            assert where[edit.id].parent.parent.name == "Hardware"
            assert not (forum / "Hardware v2").exists()
            assert "### Hardware\n" not in chat_note.read_text()

            # A channel renamed live: title property, old name as alias, new headers.
            world.rename_chat(news_key, "News Daily")
            news_note = root / "News" / "News.md"
            await wait_until(lambda: prop(news_note, "title") == '"News Daily"',
                             what="the channel's new title")
            assert prop(news_note, "aliases") == '["News", "News Daily"]'
            post = world.post(news_key, "under the new name")
            await wait_until(lambda: post.id in blocks_in(root / "News"), what="post after rename")
            assert " · News Daily" in block_header(blocks_in(root / "News")[post.id], post.id)
            assert sorted(p.name for p in root.iterdir() if p.is_dir()) == \
                [".tobs", "Bob Stone", "News", "People", "Workshop"]

            # A user renamed (updateUserName): private chat and people note.
            world.rename_user(BOB, "Robert", "Stone")
            dm_note = root / "Bob Stone" / "Bob Stone.md"
            person = root / "People" / "Bob Stone.md"
            await wait_until(lambda: prop(dm_note, "title") == '"Robert Stone"',
                             what="the private chat's new title")
            assert prop(dm_note, "aliases") == '["Bob Stone", "Robert Stone"]'
            await wait_until(lambda: '"Robert Stone"' in (prop(person, "aliases") or ""),
                             what="the people note's new alias")
            assert '"Bob Stone"' in prop(person, "aliases")
            dm = world.post(("user", BOB), "hello again", from_id=BOB)
            await wait_until(lambda: dm.id in blocks_in(root / "Bob Stone"), what="dm after rename")
            assert "|Robert Stone]]" in block_header(blocks_in(root / "Bob Stone")[dm.id], dm.id)
            # No chat was resolved again for the renames.
            asked = {r["method"] for r in server.request_log(since=renames_from)}
            assert not asked & {"contacts.resolveUsername", "channels.getChannels",
                                "messages.getChats", "users.getUsers", "channels.getFullChannel"}
        finally:
            code = await tobsd.terminate()
        assert code == 0, tobsd.log()[-3000:]

        # Renamed while tobsd is away: the user's new name is pushed to no one.
        world.rename_user(BOB, "Rob", "Stone")
        world.rename_chat(news_key, "News Weekly")
        # After a restart the stored titles hold: nothing moves, nothing is renamed back.
        since = server.request_log()[-1]["seq"]
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(3)
            await wait_until(lambda: prop(dm_note, "title") == '"Rob Stone"',
                             what="the private chat renamed while tobsd was away")
            assert prop(dm_note, "aliases") == '["Bob Stone", "Robert Stone", "Rob Stone"]'
            await wait_until(lambda: prop(news_note, "title") == '"News Weekly"',
                             what="the channel renamed while tobsd was away")
            assert prop(news_note, "aliases") == '["News", "News Daily", "News Weekly"]'
            later = world.post(forum_key, "after restart", from_id=EVE, topic_id=topics["tools"])
            await wait_until(lambda: later.id in blocks_in(forum), what="post after restart")
            assert blocks_in(forum)[later.id].parent.parent.name == "Hardware"
            assert "### Hardware v2\n" in chat_note.read_text()
        finally:
            assert await tobsd.terminate() == 0
        methods = [r["method"] for r in server.request_log(since=since)]
        assert "messages.getForumTopics" in methods
