"""`tobsd login` over a session file that stopped working, as a real
process: with the daemon running (the session revoked through fakegram's
control route) and with it stopped (a key the server no longer knows). The
new session replaces the old file atomically, mode 0600, and the daemon
goes on with it."""
from __future__ import annotations

import asyncio
import os
import stat
import sys

from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession

from fakegram.control import Control, ControlClient, ControlHTTP
from fakegram.testing import small_world
from tests.conditions import wait_for
from tests.daemonkit import ROOT, TobsdProcess, write_config
from tests.vaultscan import scan

PHONE = "+1 555 000 1000"
DIGITS = "15550001000"


async def tobsd_login(config, server, timeout: float = 60) -> str:
    """Run `tobsd login` as a user would: the phone number, then the code
    Telegram sent. Returns what it printed; asserts it succeeded."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tobsd", "login", "--config", str(config), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    before = server.state.last_codes.get(DIGITS)
    printed = b""

    async def read_until(text: bytes) -> None:
        nonlocal printed
        while text not in printed:
            chunk = await proc.stdout.read(4096)
            if not chunk:
                raise AssertionError(f"tobsd login ended early:\n{printed.decode()}")
            printed += chunk

    async def converse() -> None:
        proc.stdin.write(PHONE.encode() + b"\n")
        await read_until(b"sent a login code")
        code = server.state.last_codes[DIGITS]
        assert code != before or before is None
        proc.stdin.write(code.encode() + b"\n")
        await proc.stdin.drain()
        printed_rest = await proc.stdout.read()
        return printed_rest

    try:
        rest = await asyncio.wait_for(converse(), timeout)
        code = await asyncio.wait_for(proc.wait(), timeout)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    out = (printed + rest).decode()
    assert code == 0, out
    assert "Logged in as" in out, out
    assert DIGITS not in out and PHONE not in out
    return out


def session_path(tmp_path):
    return tmp_path / "state" / "tobsd.session"


def assert_private(path) -> None:
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p.name for p in path.parent.iterdir() if ".login-" in p.name]


async def test_login_over_a_revoked_session_while_the_daemon_runs(make_server, tmp_path):
    world = small_world(channel_posts=60)
    async with make_server(world) as server:
        control = ControlHTTP(Control(server))
        await control.start()
        try:
            config = write_config(tmp_path, server, ["@news"])
            tobsd = TobsdProcess(config).start()
            try:
                await tobsd.wait_synced(1)
                revoked = await asyncio.to_thread(ControlClient(control.url).revoke)
                assert revoked["revoked"] >= 1
                await tobsd.wait_for(lambda s: s["state"] == "needs-login", 30, "needs-login")
                old_inode = os.stat(session_path(tmp_path)).st_ino
                await tobsd_login(config, server)
                assert os.stat(session_path(tmp_path)).st_ino != old_inode   # replaced, not edited
                assert_private(session_path(tmp_path))
                news = next(c.key for c in world.chats() if c.title == "News")
                posted = world.post(news, "after the new login")
                await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running again")
                await wait_for(lambda: any(b.msg_id == posted.id for b in scan(tmp_path / "vault")),
                               60, what="the post after the new login in the vault", interval=0.1,
                               describe=lambda: tobsd.log()[-3000:])
            finally:
                assert await tobsd.terminate() == 0
        finally:
            await control.stop()


async def test_login_over_a_session_the_server_forgot_with_the_daemon_stopped(
        make_server, tmp_path):
    world = small_world(channel_posts=60)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        # The file holds a key the server has never seen (or has forgotten):
        # Telegram answers such a key by closing the connection.
        session = SQLiteSession(str(session_path(tmp_path)))
        session.auth_key = AuthKey(os.urandom(256))
        session.save()
        session.close()
        await tobsd_login(config, server)
        assert_private(session_path(tmp_path))
        # Logging in again finds the new session authorised and asks nothing.
        again = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tobsd", "login", "--config", str(config), cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(again.communicate(), 60)
        assert again.returncode == 0 and b"Already logged in" in out, out
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_synced(1)
            assert status["chats"][0]["state"] == "live"
        finally:
            assert await tobsd.terminate() == 0
