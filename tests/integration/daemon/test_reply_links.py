"""Reply links after a parallel, newest-first backfill: a real tobsd process
fetches a busy group's history with several requests in flight, so most
replies are written before the message they reply to. Once the backfill is
done every reply links to its target's block, and the link leads to a note
that holds that block; a reply posted live links at once.

The vault is read with plain text matching written for this test, sharing
nothing with tobsd's note parser."""
from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

from fakegram.testing import BOB, EVE, ME
from fakegram.world import Reply, WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config

MARKER = re.compile(r"^%% tobs:m(\d+) h=[0-9a-f]{12} t=\d+\+\d+(?: v=\d+)? %%$")
LINKED = re.compile(r" · ↩ \[\[([^\]|#]+)#\^m(\d+)\|reply\]\]")
PLAIN = re.compile(r" · ↩ reply to m(\d+)")
MESSAGES = 1500


def build_world(seed: int = 5):
    rng = random.Random(seed)
    b = WorldBuilder(seed=seed)
    b.user(id=BOB, first_name="Bob", username="bobstone")
    b.user(id=EVE, first_name="Eve", username="eve")
    group = b.supergroup("Chatter", username="chatter", members=[BOB, EVE])
    ids: list[int] = []
    for i in range(MESSAGES):
        # About a third reply: mostly to recent messages, some far back
        # (other days, other pages, other shards).
        reply_to = None
        if ids and rng.random() < 0.35:
            reply_to = ids[-rng.randint(1, min(len(ids), 30))] if rng.random() < 0.7 \
                else rng.choice(ids)
        msg = b.message(group, f"message {i}", from_id=(BOB, EVE, ME)[i % 3], reply_to=reply_to)
        ids.append(msg.id)
    return b.build()


def read_vault(folder: Path) -> tuple[dict[int, str], dict[int, tuple[str, str | None, int]]]:
    """(msg id -> note path without .md, relative to the vault;
        reply msg id -> ("linked" | "plain", link target or None, target id))."""
    vault = folder.parents[1]
    where: dict[int, str] = {}
    replies: dict[int, tuple[str, str | None, int]] = {}
    for note in folder.rglob("*.md"):
        rel = note.relative_to(vault).as_posix()[:-3]
        lines = note.read_text().split("\n")
        for i, line in enumerate(lines):
            m = MARKER.match(line)
            if not m:
                continue
            msg_id = int(m.group(1))
            where[msg_id] = rel
            header = lines[i + 1]
            if (link := LINKED.search(header)) is not None:
                replies[msg_id] = ("linked", link.group(1), int(link.group(2)))
            elif (plain := PLAIN.search(header)) is not None:
                replies[msg_id] = ("plain", None, int(plain.group(1)))
    return where, replies


def block_ids(vault: Path, target: str) -> set[int]:
    text = (vault / f"{target}.md").read_text()
    return {int(x) for x in re.findall(r"^\^m(\d+)$", text, re.M)}


def check_links(vault: Path, world, key) -> tuple[int, int]:
    """Every reply in the world is in the vault and links to its target's
    block; returns (replies, distinct notes they link to)."""
    where, replies = read_vault(vault / "Telegram" / "Chatter")
    want = {}
    offset = 0
    while page := world.get_history(key, offset_id=offset, limit=100).messages:
        for m in page:
            if m.reply_to is not None and m.reply_to.msg_id:
                want[m.id] = m.reply_to.msg_id
        offset = page[-1].id
    assert set(where) >= set(want)
    targets = set()
    for msg_id, target_id in want.items():
        state, target, got_id = replies[msg_id]
        assert (state, got_id) == ("linked", target_id), f"m{msg_id}: {replies[msg_id]}"
        assert target == where[target_id], f"m{msg_id} links to {target}, m{target_id} is in {where[target_id]}"
        assert target_id in block_ids(vault, target)
        targets.add(target)
    return len(want), len(targets)


async def test_every_reply_links_once_the_parallel_backfill_is_done(make_server, tmp_path):
    world = build_world()
    key = next(c.key for c in world.chats() if c.title == "Chatter")
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@chatter"], workers=6)
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_for(
                lambda s: s["chats"] and s["chats"][0]["backfill_done"]
                and s["chats"][0]["state"] == "live", 180, "the backfill done")
            assert status["chats"][0]["indexed"] == world.count(key)
            vault = tmp_path / "vault"
            replies, notes = check_links(vault, world, key)
            assert replies > MESSAGES // 4 and notes > 10
            # Several history requests were in flight at once.
            history = [r for r in server.request_log() if r["method"] == "messages.getHistory"]
            assert len(history) > 10

            # Live: a reply to an old message links at once.
            oldest = world.get_history(key, offset_id=40, limit=1).messages[0]
            posted = world.post(key, "answering an old one", from_id=BOB, reply_to=Reply(msg_id=oldest.id))
            await wait_for(lambda: posted.id in read_vault(vault / "Telegram" / "Chatter")[1],
                           what="the live reply in the vault", interval=0.05)
            state, target, target_id = read_vault(vault / "Telegram" / "Chatter")[1][posted.id]
            assert (state, target_id) == ("linked", oldest.id)
            assert oldest.id in block_ids(vault, target)
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
        # Nothing is left waiting for a link.
        with sqlite3.connect(tmp_path / "state" / "tobsd.db") as db:
            assert db.execute("SELECT count(*) FROM reply_waits").fetchone() == (0,)
