"""What tobsd writes is private: a real tobsd process run over a state
folder that existed with wide modes (and a wide file in it) leaves the folder
0700 and every file in it 0600 (the database and SQLite's side files, the
Bloom filter, the lock, the session), says so in the log, keeps the
vault's .tobs/ folder from other users, and refuses to start on what
check-config refuses, with the same words."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

from fakegram.testing import small_world
from tests.conditions import slack
from tests.daemonkit import ROOT, TobsdProcess, write_config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_the_state_folder_and_the_vault_state_are_private(make_server, tmp_path):
    world = small_world(channel_posts=40)
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o755)
    (state / "notes.txt").write_text("left by an older version")
    os.chmod(state / "notes.txt", 0o644)
    os.umask(old := os.umask(0o022))   # the usual umask: files 0644 unless made private
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        os.chmod(state / "tobsd.session", 0o644)
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            files = {p.name: mode(p) for p in state.iterdir() if p.is_file()}
        finally:
            assert await tobsd.terminate() == 0
    assert mode(state) == 0o700
    for name in ("tobsd.db", "tobsd.db-wal", "tobsd.db-shm", "tobsd.lock", "tobsd.session",
                 "notes.txt"):
        assert files.get(name) == 0o600, (name, files)
    after = {p.name: mode(p) for p in state.iterdir() if p.is_file()}
    assert set(after.values()) == {0o600}, after        # the Bloom filter saved at the stop too
    assert "applied.bloom" in after
    log = tobsd.log()
    assert "daemon.state_dir" in log and "0755" in log and "notes.txt" in log and "tobsd.session" in log
    tobs = tmp_path / "vault" / "Telegram" / ".tobs"
    assert mode(tobs) == 0o700 and mode(tobs / "state.json") == 0o600
    # The notes themselves follow the umask like any file the user makes.
    note = next((tmp_path / "vault" / "Telegram" / "News").rglob("20*.md"))
    assert mode(note) == 0o644 & ~old


def test_run_refuses_what_check_config_refuses(tmp_path):
    (tmp_path / "tobsd.toml").write_text(
        'api_id = 1\napi_hash = "0123456789abcdef"\n[vault]\npath = "missing-vault"\n'
        '[daemon]\nstate_dir = "state"\n')
    outputs = []
    for command in ("check-config", "run"):
        result = subprocess.run([sys.executable, "-m", "tobsd", command, "--config",
                                 str(tmp_path / "tobsd.toml")], cwd=ROOT, capture_output=True,
                                text=True, timeout=slack(60))
        assert result.returncode == 2, (command, result.stderr)
        outputs.append([line for line in result.stderr.splitlines() if "vault.path" in line])
    assert outputs[0] and outputs[0] == outputs[1]
    assert not (tmp_path / "state").exists()


async def test_a_debug_log_holds_no_library_internals(make_server, tmp_path):
    """At debug level the log is tobsd's: aiosqlite's statements (with chat
    titles in their parameters) and Telethon's chatter stay out unless asked."""
    world = small_world(channel_posts=40)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news", "@bobstone"])
        config.write_text(config.read_text().replace('log_level = "info"', 'log_level = "debug"'))
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2)
        finally:
            assert await tobsd.terminate() == 0
    lines = tobsd.log().splitlines()
    assert any(" DEBUG tobsd." in line for line in lines)
    assert not [line for line in lines if " DEBUG aiosqlite" in line or " DEBUG telethon" in line
                or " INFO telethon" in line or "DEBUG asyncio" in line]
    assert "News" not in "\n".join(line for line in lines if "aiosqlite" in line)
