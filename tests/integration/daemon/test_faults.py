"""tobsd under Telegram's failures and the machine's: flood-wait storms,
dropped connections and RPC_CALL_FAIL, a private channel, a revoked
session, SIGTERM in the middle of a backfill, a full disk. In each case the
test says what the user sees and checks that nothing is lost."""
from __future__ import annotations

import subprocess
import time

import pytest

from fakegram.faults import FaultRule
from fakegram.testing import write_session_file
from fakegram.world import WorldBuilder
from tests.integration.daemon.test_crash import backfill_done
from tests.daemonkit import TobsdProcess, write_config
from tests.conditions import wait_for
from tests.vaultscan import by_message, leftovers, scan


def two_channels(posts: int = 2000):
    b = WorldBuilder(seed=5)
    b.synthetic_channel("Alpha", count=posts, username="alpha_news")
    b.synthetic_channel("Beta", count=posts // 2, username="beta_news")
    return b.build()


def assert_complete(vault, world, titles=("Alpha", "Beta")) -> None:
    blocks = scan(vault)
    for chat in world.chats():
        if chat.title not in titles:
            continue
        mine = by_message([b for b in blocks if b.note.split("/")[1] == chat.title])
        assert sorted(mine) == list(range(1, world.count(chat.key) + 1)), chat.title
        assert all(len(v) == 1 for v in mine.values()), f"{chat.title}: duplicates"
    assert leftovers(vault) == []


def channel_id(world, title) -> int:
    return next(c.id for c in world.chats() if c.title == title)


async def test_flood_waits_drops_and_call_failures_lose_nothing(make_server, tmp_path):
    world = two_channels()
    async with make_server(world) as server:
        # The first getHistory call meets a flood wait, however long tobsd takes to start.
        server.faults.add(FaultRule(error="FLOOD_WAIT", method="messages.getHistory", times=1))
        server.faults.add(FaultRule(error="RPC_CALL_FAIL", method="messages.getHistory", nth=25))
        server.faults.add(FaultRule(error="drop", method="messages.getHistory", nth=12))
        config = write_config(tmp_path, server, ["@alpha_news", "@beta_news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2, timeout=90)
        finally:
            assert await tobsd.terminate() == 0
        errors = [r["error"] for r in server.request_log(method="messages.getHistory")]
        assert any(e and e.startswith("FLOOD_WAIT_") for e in errors)
        assert "RPC_CALL_FAIL" in errors and "drop" in errors
        assert_complete(tmp_path / "vault", world)


async def test_a_private_channel_shows_its_error_and_the_others_go_on(make_server, tmp_path):
    world = two_channels(600)
    async with make_server(world) as server:
        server.faults.add(FaultRule(error="CHANNEL_PRIVATE", method="messages.getHistory",
                                    peer_id=channel_id(world, "Beta")))
        config = write_config(tmp_path, server, ["@alpha_news", "@beta_news"])
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_synced(2, timeout=60)
        finally:
            assert await tobsd.terminate() == 0
        chats = {c["title"]: c for c in status["chats"]}
        assert chats["Beta"]["state"] == "error" and "CHANNEL_PRIVATE" in chats["Beta"]["error"]
        assert chats["Alpha"]["state"] == "live" and chats["Alpha"]["backfill_done"]
        assert_complete(tmp_path / "vault", world, titles=("Alpha",))


async def test_sigterm_mid_backfill_stops_cleanly_and_resumes(make_server, tmp_path):
    world = two_channels(20000)
    async with make_server(world, rtt_ms=20) as server:
        config = write_config(tmp_path, server, ["@alpha_news", "@beta_news"])
        tobsd = TobsdProcess(config).start()
        await tobsd.wait_for(lambda s: any(c["indexed"] > 1000 for c in s["chats"])
                             and not all(c["backfill_done"] for c in s["chats"]), 60,
                             "backfill under way")
        started = time.monotonic()
        assert await tobsd.terminate(timeout=15) == 0
        assert time.monotonic() - started < 10   # well inside systemd's stop timeout
        assert any(r["method"] == "account.finishTakeoutSession" for r in server.request_log())
        # The stop came before the backfill's end (read from the stopped daemon's database).
        assert not backfill_done(tmp_path / "state" / "tobsd.db")
        server.rtt_ms = 0
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2, timeout=120)
        finally:
            assert await tobsd.terminate() == 0
        assert_complete(tmp_path / "vault", world)


async def test_a_revoked_session_waits_for_login_without_dropping_state(make_server, tmp_path):
    world = two_channels(300)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@alpha_news", "@beta_news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2)
            server.revoke_user_keys()
            world.post(("channel", channel_id(world, "Alpha")), "after the revocation")
            status = await tobsd.wait_for(lambda s: s["state"] == "needs-login", 30, "needs-login")
            assert status["source"].get("needs_login") or status["state"] == "needs-login"
            # It lets go of Telegram and waits for a login, alive: no crash
            # loop, no reconnect loop.
            await wait_for(lambda: not server.connections, 30, what="tobsd to disconnect",
                           describe=lambda: len(server.connections))
            assert tobsd.proc.poll() is None
            assert tobsd.status()["state"] == "needs-login"
            # `tobsd login` writes a fresh session; the daemon notices and goes on.
            session = tmp_path / "state" / "tobsd.session"
            session.unlink()
            write_session_file(server.session_string(), session)
            await tobsd.wait_synced(2, timeout=60)
            await tobsd.wait_for(lambda s: s["state"] == "running", 30, "running again")
        finally:
            assert await tobsd.terminate() == 0
        assert_complete(tmp_path / "vault", world)
        assert any(b.text == "after the revocation" for b in scan(tmp_path / "vault"))


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KB tmpfs for the vault (root only; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                            capture_output=True)
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_disk_pauses_the_sync_and_it_resumes_when_space_returns(
        make_server, tmp_path, small_disk):
    world = two_channels(3000)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@alpha_news", "@beta_news"])
        vault = small_disk / "vault"
        vault.mkdir()
        text = config.read_text().replace(f'path = "{tmp_path / "vault"}"', f'path = "{vault}"')
        config.write_text(text)
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_for(
                lambda s: any(c["state"] == "disk-full" for c in s["chats"]), 60, "disk-full")
            full = next(c for c in status["chats"] if c["state"] == "disk-full")
            assert "disk is full" in full["error"]
            # Every note on the full disk is whole: it parses, and no temp file is left.
            for path in vault.rglob("*.md"):
                assert path.read_text(encoding="utf-8").endswith("\n")
            scan(vault)
            subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
            await tobsd.wait_synced(2, timeout=90)
        finally:
            assert await tobsd.terminate() == 0
        assert_complete(vault, world)
