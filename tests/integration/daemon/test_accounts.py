"""A real tobsd over an account of many small chats of every kind, with
account-wide ids interleaved across private chats and basic groups, several
requests in flight: every chat ends complete in the vault, no chat says
`live` before it is complete, and the history requests stay within what a
plain newest-first paging loop needs (counted in fakegram's request log);
a restart with nothing new asks no page of a chat followed without a break
(one of the others), and at most one request per chat."""
from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections import Counter, defaultdict

from fakegram.testing import all_messages
from fakegram.world import WorldBuilder
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import leftovers, scan

PER_KIND = 18          # chats of each kind: private, basic group, supergroup, channel
NOW = 1_760_000_000
WORKERS = 6


def account(seed: int = 16):
    """Small chats whose messages are dated at random over one month, so the
    common box's ids interleave across the private chats and groups."""
    rng = random.Random(seed)
    b = WorldBuilder(seed=seed, now=NOW)
    friends = [b.user(first_name=f"Friend{n:02d}", username=f"friend{n:02d}")
               for n in range(PER_KIND + 4)]
    chats = []
    for n in range(PER_KIND):
        chats.append(b.private(friends[n]))
        chats.append(b.group(f"Group{n:02d}", members=rng.sample(friends, 3)))
        chats.append(b.supergroup(f"Super{n:02d}", members=rng.sample(friends, 3)))
        chats.append(b.channel(f"Channel{n:02d}"))
    for info in chats:
        b.set_created(info, NOW - 40 * 86400)
        size = rng.choice([3, 40, 99, 100, 101, 150, 230, 260])
        sent = []
        for date in sorted(rng.randint(NOW - 30 * 86400, NOW - 60) for _ in range(size)):
            sender = None if info.kind == "channel" else rng.choice(info.members)
            reply = rng.choice(sent) if sent and rng.random() < 0.1 else None
            sent.append(b.message(info, f"{info.title or info.id} says {len(sent)}",
                                  from_id=sender, date=date, reply_to=reply))
    return b.build()


def loop_requests(world, key) -> int:
    """The getHistory requests of Telethon's iter_messages over the chat:
    pages of 100 from the newest, until a page holds the whole chat, comes
    back empty, or starts at an id <= 100."""
    requests, offset = 0, 0
    while True:
        requests += 1
        page = world.get_history(key, offset_id=offset, limit=100)
        msgs = page.messages
        whole = key[0] != "channel" and len(msgs) >= page.count
        if whole or not msgs or msgs[0].id <= 100:
            return requests
        offset = msgs[-1].id


def marked(info) -> int:
    """tobsd's id of a fakegram chat (a basic group -id, a channel -(10**12 + id))."""
    return info.id if info.family == "user" else -info.id if info.family == "chat" \
        else -(10**12 + info.id)


def followed_chats(db_path) -> set[int]:
    """The chats tobsd recorded as followed without a break (read-only look at its state)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT chat_id FROM followed_chats")}
    finally:
        db.close()


def title_of(world, info) -> str:
    return info.title or world.users[info.id].display_name


async def test_many_small_chats_of_every_kind_complete_without_early_live(make_server, tmp_path):
    world = account()
    chats = world.chats()
    assert len(chats) == 4 * PER_KIND
    want = {title_of(world, c): {m.id for m in all_messages(world, c.key)} for c in chats}
    # Interleaved: private chats' and groups' id ranges overlap one another.
    common = [sorted(want[title_of(world, c)]) for c in chats if c.kind in ("private", "group")]
    assert sum(1 for a in common for b in common if a is not b and a[0] < b[-1] and b[0] < a[-1]) \
        > len(common)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, [], workers=WORKERS, extra="[sync]\nall = true\n")
        since = server.request_log()[-1]["seq"] if server.request_log() else 0
        tobsd = TobsdProcess(config).start()
        early: list[str] = []
        samples = 0

        def complete_and_check(status) -> bool:
            nonlocal samples
            samples += 1
            for c in status["chats"]:
                if c["state"] == "live" and (not c["backfill_done"]
                                             or c["indexed"] < len(want[c["title"]])):
                    early.append(f"{c['title']}: live with {c['indexed']}/{len(want[c['title']])}")
            return status["state"] == "running" and len(status["chats"]) == len(chats) and \
                all(c["state"] == "live" for c in status["chats"])

        try:
            started = time.monotonic()
            status = await tobsd.wait_for(complete_and_check, 240, "every chat live")
            took = time.monotonic() - started
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
        assert not early, early[:10]
        assert samples > 1
        for c in status["chats"]:
            assert c["backfill_done"] and c["indexed"] == len(want[c["title"]]) and not c["error"], c

        # The vault holds every message of every chat, each once.
        vault = tmp_path / "vault"
        got: dict[str, Counter] = defaultdict(Counter)
        for block in scan(vault):
            got[block.note.split("/")[1]][block.msg_id] += 1
        for title, ids in want.items():
            assert set(got[title]) == ids, f"{title}: {len(ids - set(got[title]))} missing"
            assert set(got[title].values()) == {1}, f"{title}: a message written twice"
        assert leftovers(vault) == []

        # Requests: per chat no more than the plain loop, plus one for a channel
        # whose lowest ids were cut apart; in all at most 1.2 times the loop's.
        served = [r for r in server.request_log(since=since) if r["method"] == "messages.getHistory"]
        by_peer = Counter(r["peer_id"] for r in served)
        total_loop = 0
        for c in chats:
            loop = loop_requests(world, c.key)
            total_loop += loop
            assert by_peer[c.id] <= loop + (1 if c.is_channel else 0), \
                f"{title_of(world, c)}: {by_peer[c.id]} requests, the loop needs {loop}"
        assert sum(by_peer.values()) <= 1.2 * total_loop, (sum(by_peer.values()), total_loop)
        print(f"{len(chats)} chats complete in {took:.1f}s, {len(served)} getHistory "
              f"(loop: {total_loop})")

        # A restart with nothing new: a chat followed without a break (its
        # last reconcile came after its update box had a state) is live
        # again from the catch-up alone; the others read one page.
        followed = followed_chats(tmp_path / "state" / "tobsd.db")
        assert followed and followed <= {marked(c) for c in chats}, followed
        since = server.request_log()[-1]["seq"]
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(complete_and_check, 120, "every chat live after a restart")
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
        assert not early, early[:10]
        served = server.request_log(since=since)
        again = Counter(r["peer_id"] for r in served if r["method"] == "messages.getHistory")
        by_marked = {marked(c): c.id for c in chats}
        assert sorted(again) == sorted(by_marked[m] for m in by_marked if m not in followed)
        assert set(again.values()) <= {1}
        per_chat = [r for r in served if r["peer_id"] is not None]
        assert len(per_chat) <= len(chats), Counter(r["method"] for r in per_chat)
        print(f"restart: {len(followed)} chats followed, {len(per_chat)} requests naming a "
              f"chat: {dict(Counter(r['method'] for r in per_chat))}")
