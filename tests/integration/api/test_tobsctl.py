"""tobsctl against a real tobsd over its real Unix socket: every command,
with --json, and the error paths with their exit statuses."""
from __future__ import annotations

import os
import stat

import pytest

from fakegram.testing import small_world
from tests.daemonkit import TobsdProcess, run_tobsctl, write_config

# tobsctl's documented exit statuses (tobsctl/exits.py), spelled out here.
OK, USAGE, UNREACHABLE, NOT_FOUND, INVALID, REFUSED, DOCTOR = 0, 2, 3, 5, 6, 8, 9


@pytest.fixture
async def daemon(make_server, tmp_path):
    """tobsd with @news declared in the config file, synced."""
    world = small_world()
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            yield tobsd, server, world
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]


async def test_status_and_chats_as_json_and_tables(daemon):
    tobsd, _, _ = daemon
    ran = await tobsd.tobsctl("--json", "status")
    assert ran.returncode == OK, ran
    status = ran.json()
    assert status["daemon"]["state"] == "running" and status["daemon"]["pid"] == tobsd.proc.pid
    assert status["daemon"]["account"]["id"] > 0
    assert "phone" not in ran.stdout
    [news] = status["chats"]
    assert news["title"] == "News" and news["state"] == "live" and news["backfill_done"]
    assert news["indexed"] > 250 and news["origin"] == "config"
    assert news["newest_message"] is not None
    # --json after the command works the same; the table names the chat
    after = await run_tobsctl("status", "--json", "--socket", str(tobsd.socket))
    assert after.returncode == OK and after.json()["chats"][0]["title"] == "News"
    table = await tobsd.tobsctl("status")
    assert table.returncode == OK and "News" in table.stdout and "live" in table.stdout
    chats = await tobsd.tobsctl("chats", "--json")
    [entry] = chats.json()["chats"]
    assert entry["origin"] == "config" and "chats[0]" in entry["config_entry"]
    assert str(tobsd.config) in entry["config_entry"]


async def test_add_survives_a_restart_and_rm_removes_it(daemon, tmp_path):
    tobsd, server, world = daemon
    added = await tobsd.tobsctl("--json", "add", "@makers", "--since", "2000-01-01")
    assert added.returncode == OK, added
    assert added.json()["chat"]["title"] == "Makers" and added.json()["chat"]["origin"] == "api"
    await tobsd.wait_synced(2)
    again = await tobsd.tobsctl("add", "Makers")
    assert again.returncode == REFUSED and "tracked already" in again.stderr
    # restart: the API chat is tracked again from the state database
    assert await tobsd.terminate() == 0
    tobsd.start()
    status = await tobsd.wait_synced(2)
    assert {c["title"] for c in status["chats"]} == {"News", "Makers"}
    chats = {c["title"]: c for c in (await tobsd.tobsctl("chats", "--json")).json()["chats"]}
    assert chats["Makers"]["origin"] == "api" and chats["Makers"]["since"] == "2000-01-01"
    # a config chat cannot be removed through the API; the message names the file and entry
    refused = await tobsd.tobsctl("rm", "@news")
    assert refused.returncode == REFUSED
    assert str(tobsd.config) in refused.stderr and "chats[0]" in refused.stderr
    removed = await tobsd.tobsctl("--json", "rm", "Makers")
    assert removed.returncode == OK and removed.json()["chat"]["title"] == "Makers"
    status = await tobsd.wait_for(lambda s: len(s["chats"]) == 1, 20, "Makers gone")
    assert [c["title"] for c in status["chats"]] == ["News"]
    assert (tmp_path / "vault" / "Telegram" / "Makers").is_dir()   # its notes stay


async def test_pause_resume_and_sync(daemon):
    tobsd, _, _ = daemon
    paused = await tobsd.tobsctl("pause", "@news", "--json")
    assert paused.returncode == OK and paused.json()["chat"]["paused"]
    await tobsd.wait_for(lambda s: s["chats"][0]["state"] == "paused", 20, "paused")
    refused = await tobsd.tobsctl("sync", "News")
    assert refused.returncode == REFUSED and "paused" in refused.stderr
    resumed = await tobsd.tobsctl("resume", "News")
    assert resumed.returncode == OK and "resumed News" in resumed.stdout
    await tobsd.wait_synced(1)
    synced = await tobsd.tobsctl("--json", "sync")
    assert synced.returncode == OK and len(synced.json()["chat_ids"]) == 1


async def test_error_paths_have_their_exit_statuses(daemon, tmp_path):
    tobsd, _, _ = daemon
    missing = await tobsd.tobsctl("--json", "add", "@no_such_chat_here")
    assert missing.returncode == NOT_FOUND and missing.json()["error"]["code"] == "NOT_FOUND"
    assert missing.stderr == ""
    bad_date = await tobsd.tobsctl("add", "@makers", "--since", "yesterday")
    assert bad_date.returncode == INVALID and "2024-01-31" in bad_date.stderr
    bad_name = await tobsd.tobsctl("add", "t.me/+invite")
    assert bad_name.returncode == INVALID and "invite link" in bad_name.stderr
    unknown = await tobsd.tobsctl("pause", "@nobody_tracked")
    assert unknown.returncode == NOT_FOUND
    usage = await tobsd.tobsctl("frobnicate")
    assert usage.returncode == USAGE
    gone = await run_tobsctl("--socket", str(tmp_path / "nothing.sock"), "status")
    assert gone.returncode == UNREACHABLE and "not running" in gone.stderr
    env_socket = await run_tobsctl("--json", "chats", env={"TOBS_SOCKET": str(tobsd.socket)})
    assert env_socket.returncode == OK and env_socket.json()["chats"][0]["title"] == "News"


async def test_reload_with_a_valid_and_an_invalid_file(daemon):
    tobsd, _, _ = daemon
    text = tobsd.config.read_text()
    tobsd.config.write_text(text + '\n[[chats]]\nchat = "Book club"\n')
    ok = await tobsd.tobsctl("--json", "reload")
    assert ok.returncode == OK and ok.json()["chats"] == 2
    await tobsd.wait_synced(2)
    tobsd.config.write_text(text.replace("[vault]", "[vault]\nperiod = \"fortnight\""))
    bad = await tobsd.tobsctl("reload")
    assert bad.returncode == INVALID and "vault.period" in bad.stderr
    status = (await tobsd.tobsctl("--json", "status")).json()
    assert "vault.period" in status["daemon"]["config_error"]
    assert len(status["chats"]) == 2          # the running configuration stays


async def test_events_stream_shows_a_new_chat_going_live(daemon):
    tobsd, _, _ = daemon
    import asyncio
    import json
    import sys
    from tests.daemonkit import ROOT
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tobsctl", "--socket", str(tobsd.socket), "events", "--follow",
        "--json", "--log-level", "info", cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        # the stream is open once the daemon counts a subscriber: wait for its first line
        seen = []
        added = None
        async def read_until(pred):
            while True:
                line = await asyncio.wait_for(proc.stdout.readline(), 60)
                assert line, "the event stream ended"
                ev = json.loads(line)
                seen.append(ev)
                if pred(ev):
                    return ev
        # The stream's first event is the daemon's state: from then on it misses nothing.
        first = await read_until(lambda e: True)
        assert first["daemon_state"]["state"] == "running", first
        added_task = asyncio.create_task(tobsd.tobsctl("add", "@makers"))
        ev = await read_until(lambda e: (e.get("chat_state") or {}).get("title") == "Makers"
                              and e["chat_state"]["state"] == "live")
        added = await added_task
        assert added.returncode == OK
        assert ev["time"]
        assert any(e.get("log") and "added through the API" in e["log"]["message"] for e in seen) \
            or any((e.get("chat_state") or {}).get("title") == "Makers" for e in seen)
    finally:
        proc.terminate()
        await proc.wait()
    snapshot = await tobsd.tobsctl("events", "--json")
    assert {e["chat_state"]["title"] for e in snapshot.json()["events"]} == {"News", "Makers"}


async def test_socket_folder_and_socket_modes(daemon):
    tobsd, _, _ = daemon
    assert stat.S_IMODE(os.stat(tobsd.socket).st_mode) == 0o600
    doctor = await tobsd.tobsctl("--json", "doctor", "--config", str(tobsd.config))
    checks = {c["check"]: c for c in doctor.json()["checks"]}
    assert checks["socket"]["ok"] and checks["version"]["ok"] and checks["vault"]["ok"]
    assert checks["session"]["ok"], checks["session"]


async def test_status_shows_backfill_progress_until_live(make_server, tmp_path):
    from fakegram.world import WorldBuilder
    b = WorldBuilder(seed=5)
    b.synthetic_channel("Alpha", count=20000, username="alpha_news")
    async with make_server(b.build(), rtt_ms=20) as server:
        config = write_config(tmp_path, server, ["@alpha_news"], workers=2)
        tobsd = TobsdProcess(config).start()
        try:
            during = await tobsd.wait_for(
                lambda s: s["chats"] and s["chats"][0]["state"] == "backfilling"
                and 0 < s["chats"][0]["backfill_ids_done"] < s["chats"][0]["backfill_ids_total"],
                60, "backfill progress")
            chat = during["chats"][0]
            assert chat["backfill_ids_total"] <= 20000
            table = await tobsd.tobsctl("status")
            assert table.returncode == OK and "Alpha" in table.stdout
            watched = await tobsd.tobsctl("--json", "status", "--watch", "--until-live", timeout=120)
            assert watched.returncode == OK, watched
            docs = [__import__("json").loads(line) for line in watched.stdout.splitlines()]
            assert docs[-1]["chats"][0]["state"] == "live" and docs[-1]["chats"][0]["backfill_done"]
            assert docs[-1]["chats"][0]["indexed"] == 20000
        finally:
            assert await tobsd.terminate() == 0


async def test_an_edited_config_file_is_applied_or_refused_without_a_command(daemon):
    tobsd, _, _ = daemon
    text = tobsd.config.read_text()
    tobsd.config.write_text(text + '\n[[chats]]\nchat = "@makers"\n')
    status = await tobsd.wait_for(lambda s: len(s["chats"]) == 2, 30, "the added chat")
    assert {c["title"] for c in status["chats"]} == {"News", "Makers"}
    tobsd.config.write_text(text + '\n[[chats]]\nchat = "@makers"\nsince = "yesterday"\n')
    status = await tobsd.wait_for(lambda s: s["daemon"]["config_error"], 30, "the refusal")
    assert "chats[1].since" in status["daemon"]["config_error"]
    assert len(status["chats"]) == 2 and "chats[1].since" in tobsd.log()
    tobsd.config.write_text(text)
    status = await tobsd.wait_for(lambda s: len(s["chats"]) == 1 and not s["daemon"]["config_error"],
                                  30, "Makers dropped")
    assert status["chats"][0]["title"] == "News"


async def test_resync_finds_old_changes_and_recreates_a_deleted_note(daemon, tmp_path):
    from tests.vaultscan import scan
    tobsd, server, world = daemon
    key = next(c.key for c in world.chats() if c.title == "News")
    vault = tmp_path / "vault"
    blocks = [b for b in scan(vault) if b.note.split("/")[1] == "News"]
    oldest_note = min(b.note for b in blocks)
    old_ids = sorted(b.msg_id for b in blocks if b.note == oldest_note)
    edited, deleted = sorted(b.msg_id for b in blocks if b.note == oldest_note and b.text)[:2]
    assert await tobsd.terminate() == 0
    world.edit(key, edited, "edited while tobsd was down")
    world.delete(key, [deleted])
    (vault / oldest_note).unlink()                   # the user deletes an old note
    tobsd.start()
    await tobsd.wait_synced(1)
    ran = await tobsd.tobsctl("--json", "resync", "@news", timeout=120)
    assert ran.returncode == OK, ran
    report = ran.json()
    assert report["chat"]["title"] == "News" and report["checked"] > 250
    assert report["recreated"] >= 1
    after = {b.msg_id: b for b in scan(vault) if b.note == oldest_note}
    assert after[edited].text == "edited while tobsd was down"
    assert deleted not in after or after[deleted].deleted
    assert set(old_ids) - {deleted} <= set(after)
    # a second resync finds nothing left to do
    again = (await tobsd.tobsctl("--json", "resync", "News", timeout=120)).json()
    assert (again["changed"], again["deleted"], again["recreated"]) == (0, 0, 0)


async def test_an_ambiguous_title_lists_the_candidates(make_server, tmp_path):
    from fakegram.world import WorldBuilder
    b = WorldBuilder(seed=9)
    one, two = b.channel("Twins", username="twin_one"), b.channel("Twins", username="twin_two")
    for chat in (one, two):
        b.message(chat, "hello")
    b.channel("Other", username="other_news")
    async with make_server(b.build()) as server:
        config = write_config(tmp_path, server, ["@other_news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            ran = await tobsd.tobsctl("--json", "add", "Twins")
            assert ran.returncode == INVALID, ran
            message = ran.json()["error"]["message"]
            assert "several chats" in message and message.count("Twins (") == 2
            bad_level = await tobsd.tobsctl("events", "--follow", "--log-level", "loud")
            assert bad_level.returncode == USAGE
            by_name = await tobsd.tobsctl("--json", "add", "@twin_two")
            assert by_name.returncode == OK and by_name.json()["chat"]["username"] == "twin_two"
        finally:
            assert await tobsd.terminate() == 0


async def test_profile_finds_the_template_instance_socket(make_server, tmp_path):
    # tobsd@work under the user template: systemd gives it
    # RUNTIME_DIRECTORY=$XDG_RUNTIME_DIR/tobsd/work, and the config names no socket.
    runtime = tmp_path / "xdg"
    instance = runtime / "tobsd" / "work"
    instance.mkdir(parents=True, mode=0o700)
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        config.write_text("\n".join(line for line in config.read_text().splitlines()
                                    if not line.startswith("socket =")) + "\n")
        tobsd = TobsdProcess(config, env={"RUNTIME_DIRECTORY": str(instance)},
                             socket=instance / "tobsd.sock").start()
        try:
            await tobsd.wait_synced(1)
            env = {"XDG_RUNTIME_DIR": str(runtime), "TOBS_SOCKET": ""}
            found = await run_tobsctl("--json", "status", "--profile", "work", env=env)
            assert found.returncode == OK, found
            assert found.json()["daemon"]["pid"] == tobsd.proc.pid
            other = await run_tobsctl("--profile", "home", "status", env=env)
            assert other.returncode == UNREACHABLE and "home" in other.stderr, other
            bad = await run_tobsctl("--json", "--profile", "../work", "status", env=env)
            assert bad.returncode == INVALID and "profile" in bad.json()["error"]["message"]
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]


async def test_doctor_finds_the_units_config_and_names_each_problem(daemon, tmp_path):
    """Without --config, doctor reads the file where the user unit does
    ($XDG_CONFIG_HOME/tobsd/tobsd.toml); a session file others may read, a
    vault tobsd cannot write and no daemon each fail with what to do."""
    tobsd, _, _ = daemon
    config_home = tmp_path / "xdg-config"
    (config_home / "tobsd").mkdir(parents=True)
    (config_home / "tobsd" / "tobsd.toml").write_text(tobsd.config.read_text())
    env = {"XDG_CONFIG_HOME": str(config_home), "TOBS_SOCKET": str(tobsd.socket)}
    found = await run_tobsctl("--json", "doctor", env=env)
    assert found.returncode == OK, found
    checks = {c["check"]: c for c in found.json()["checks"]}
    assert checks["config"]["detail"] == str(config_home / "tobsd" / "tobsd.toml")
    assert checks["session"]["ok"] and checks["vault"]["ok"]

    session = tmp_path / "state" / "tobsd.session"
    session.chmod(0o644)
    vault = tmp_path / "vault"
    if os.geteuid() != 0:              # root writes anywhere: only the session check then
        vault.chmod(0o555)
    try:
        bad = await run_tobsctl("--json", "doctor", env=env)
    finally:
        session.chmod(0o600)
        vault.chmod(0o755)
    assert bad.returncode == DOCTOR, bad
    checks = {c["check"]: c for c in bad.json()["checks"]}
    assert not checks["session"]["ok"] and f"chmod 600 {session}" in checks["session"]["detail"]
    assert checks["vault"]["ok"] == (os.geteuid() == 0)
    assert checks["socket"]["ok"]

    nowhere = await run_tobsctl("--json", "doctor", env={**env, "TOBS_SOCKET": str(tmp_path / "no.sock"),
                                                          "XDG_CONFIG_HOME": str(tmp_path / "none"),
                                                          "USER": "nobody-here"})
    assert nowhere.returncode == DOCTOR, nowhere
    checks = {c["check"]: c for c in nowhere.json()["checks"]}
    assert not checks["socket"]["ok"] and "not running" in checks["socket"]["detail"]
    assert not checks["config"]["ok"] and "pass --config" in checks["config"]["detail"]
