"""Crash safety, the core promise: tobsd is killed with SIGKILL at random
moments during backfill and live sync, restarted, and in the end the vault
equals the world exactly: no message missing, none twice, every edit and
deletion applied, no temporary file left behind.

Ten kills per seed: five chosen from the backfill progress the daemon
reports (so they land mid-backfill on a fast machine or a slow one), five
once it follows the chats live. bench/crash_soak.py runs hundreds."""
from __future__ import annotations

import asyncio
import random

import pytest

from fakegram.testing import all_messages
from fakegram.world import WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import ChatProgress, TobsdProcess, write_config
from tests.vaultscan import by_message, leftovers, scan

BOB = 2001
NOTHING = ChatProgress("starting", 0, False)


def crash_world(posts: int):
    b = WorldBuilder(seed=11)
    bob = b.user(id=BOB, first_name="Bob", username="bobby_b")
    chat = b.private(bob)
    b.synthetic_channel("Firehose", count=posts, username="firehose")
    for i in range(300):
        b.message(chat, f"dm {i}", from_id=BOB if i % 2 else None)
    return b.build()


class Mutator:
    """Random live changes, remembered so the final check knows the truth."""

    def __init__(self, world, rng: random.Random):
        self.world, self.rng = world, rng
        self.keys = [("channel", next(c.id for c in world.chats() if c.username == "firehose")),
                     ("user", BOB)]
        self.deleted: dict[tuple, set[int]] = {k: set() for k in self.keys}

    def step(self) -> None:
        key = self.rng.choice(self.keys)
        recent = [m.id for m in self.world.get_history(key, limit=60).messages]
        roll = self.rng.random()
        if roll < 0.5 or not recent:
            self.world.post(key, f"live {self.rng.randrange(10**6)}",
                            from_id=BOB if key[0] == "user" else None)
        elif roll < 0.8:
            self.world.edit(key, self.rng.choice(recent), f"edited {self.rng.randrange(10**6)}")
        else:
            victim = self.rng.choice(recent)
            self.world.delete(key, [victim])
            self.deleted[key].add(victim)


def backfill_done(db_path) -> bool:
    """Whether the killed tobsd had finished both chats' backfill (read-only look)."""
    import sqlite3
    if not db_path.exists():
        return False
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT backfill_done FROM cursors").fetchall()
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()
    return len(rows) == 2 and all(r[0] for r in rows)


def world_texts(world, key) -> dict[int, str]:
    return {m.id: m.text for m in all_messages(world, key)}


def check_vault(vault, world, mutator: Mutator) -> None:
    blocks = scan(vault)
    for key in mutator.keys:
        chat = world.chat(key)
        folder = chat.title or world.users[chat.id].display_name
        mine = by_message([b for b in blocks if b.note.split("/")[1] == folder])
        want = world_texts(world, key)
        missing = sorted(set(want) - set(mine))
        assert not missing, f"{folder}: {len(missing)} messages missing, e.g. {missing[:5]}"
        extra = sorted(set(mine) - set(want) - mutator.deleted[key])
        assert not extra, f"{folder}: unexpected messages {extra[:5]}"
        for msg_id, text in want.items():
            found = mine[msg_id]
            assert len(found) == 1, f"{folder} m{msg_id} appears {len(found)} times"
            assert not found[0].deleted and found[0].intact
            if text:
                assert found[0].text == text, f"{folder} m{msg_id}: {found[0].text!r} != {text!r}"
        for msg_id in mutator.deleted[key]:
            assert all(b.deleted for b in mine.get(msg_id, [])), f"{folder} m{msg_id} not marked deleted"
    assert leftovers(vault) == []


def vault_matches(vault, world, mutator: Mutator) -> str | None:
    """None when the vault equals the world, else what differs (for polling)."""
    try:
        check_vault(vault, world, mutator)
    except AssertionError as exc:
        return str(exc) or "mismatch"
    return None


BACKFILL_TRIALS = 5
LIVE_TRIALS = 5
# Kill points, as the share of the channel the daemon reports indexed.
# Telegram answers at most 100 messages a page and the daemon has
# `workers` pages in flight, so with BACKFILL_RTT_MS per answer the last
# KILL_UP_TO..100% of the 15,000 messages take at least
# (1 - KILL_UP_TO) * 150 / 6 * 0.3 s = 3 s, however fast the machine: well
# over the time between two status polls (and a status file's one-second
# refresh), so a kill chosen from a report lands before the backfill ends.
KILL_FROM, KILL_UP_TO = 0.10, 0.60
BACKFILL_RTT_MS = 300
LIVE_RTT_MS = 10


def kill_points(rng: random.Random) -> list[float]:
    """One share per backfill trial, increasing, spread over the window."""
    step = (KILL_UP_TO - KILL_FROM) / BACKFILL_TRIALS
    return [KILL_FROM + step * (i + rng.random()) for i in range(BACKFILL_TRIALS)]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sigkill_at_random_moments(make_server, tmp_path, seed):
    rng = random.Random(seed)
    world = crash_world(posts=15000)
    mutator = Mutator(world, rng)
    firehose = mutator.keys[0]
    db = tmp_path / "state" / "tobsd.db"
    async with make_server(world, rtt_ms=BACKFILL_RTT_MS) as server:
        config = write_config(tmp_path, server, ["@firehose", "@bobby_b"], workers=6)
        # Backfill: each run is killed once the daemon reports the channel
        # indexed up to its kill point (and changes arrive meanwhile).
        for point in kill_points(rng):
            tobsd = TobsdProcess(config).start()
            await tobsd.wait_for(lambda s: s["chats"], 60, "the chats tracked")
            for _ in range(rng.randrange(0, 4)):
                mutator.step()
            want = int(point * len(world_texts(world, firehose)))
            await tobsd.wait_for(
                lambda s: tobsd.progress().get("Firehose", NOTHING).indexed >= want,
                120, f"{want} Firehose messages indexed")
            await tobsd.kill()
            assert not backfill_done(db), \
                f"the kill at {point:.0%} of the backfill came after its end: widen the window"
            for _ in range(rng.randrange(0, 3)):
                mutator.step()   # changes while tobsd is down
        # Live sync: killed while following changes, after the backfill ended.
        server.rtt_ms = LIVE_RTT_MS
        for _ in range(LIVE_TRIALS):
            tobsd = TobsdProcess(config).start()
            await tobsd.wait_synced(2, timeout=120)
            assert backfill_done(db)
            for _ in range(rng.randrange(1, 6)):
                mutator.step()
                # A random kill moment among the pushed changes; nothing
                # waits on it, whatever the daemon did by then is right.
                await asyncio.sleep(rng.uniform(0, 0.15))
            await tobsd.kill()
            for _ in range(rng.randrange(0, 3)):
                mutator.step()   # changes while tobsd is down
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2, timeout=120)
            for _ in range(5):
                mutator.step()
            vault = tmp_path / "vault"

            async def settled() -> bool:   # scanned off the loop: fakegram serves on it
                return await asyncio.to_thread(vault_matches, vault, world, mutator) is None

            await wait_for(settled, 60, what="the vault to equal the world", interval=0.5,
                           describe=lambda: vault_matches(vault, world, mutator))
        finally:
            assert await tobsd.terminate() == 0
        check_vault(tmp_path / "vault", world, mutator)
