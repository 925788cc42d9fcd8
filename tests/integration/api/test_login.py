"""Login over the API: a tobsd without a session waits in needs-login,
`tobsctl login` (phone, code, two-step password, wrong answers asked again)
logs it in, and it syncs. Then every log line, event and tobsctl output is
searched for the secrets: none may appear."""
from __future__ import annotations

import asyncio
import base64
import json
import re
import sqlite3
import sys

from fakegram.server import API_HASH
from fakegram.testing import small_world
from tests.conditions import wait_for
from tests.daemonkit import ROOT, TobsdProcess, write_config

PHONE = "+1 555 000 1000"
DIGITS = "15550001000"
PASSWORD = "correct horse battery"
WRONG_PASSWORD = "wrong horse battery"
OK, REFUSED = 0, 8


async def test_login_over_the_api_and_no_secret_anywhere(make_server, tmp_path):
    world = small_world(password=PASSWORD)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        config.write_text(config.read_text().replace('log_level = "info"', 'log_level = "debug"'))
        session = tmp_path / "state" / "tobsd.session"
        session.unlink()                                  # never logged in
        # as under systemd: one line per event, each with its syslog priority
        tobsd = TobsdProcess(config, env={"JOURNAL_STREAM": "8:1234"}).start()
        events = None
        try:
            await tobsd.wait_for(lambda s: s["state"] == "needs-login", 60, "needs-login")
            events = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tobsctl", "--socket", str(tobsd.socket), "events",
                "--follow", "--json", "--log-level", "debug", cwd=ROOT,
                stdout=asyncio.subprocess.PIPE)
            first = json.loads(await asyncio.wait_for(events.stdout.readline(), 30))
            assert first["daemon_state"]["state"] == "needs-login"

            login = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tobsctl", "--socket", str(tobsd.socket), "login", "--json",
                cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            login.stdin.write(f"{PHONE}\n".encode())
            await login.stdin.drain()
            code = await wait_for(lambda: server.state.last_codes.get(DIGITS), 30, what="the code sent")
            wrong = "00000" if code != "00000" else "11111"
            login.stdin.write(f"{wrong}\n{code}\n{WRONG_PASSWORD}\n{PASSWORD}\n".encode())
            await login.stdin.drain()
            out, err = await asyncio.wait_for(login.communicate(), 60)
            assert login.returncode == OK, (out, err)
            result = json.loads(out)
            assert result == {"logged_in": True, "message": "logged in as Ada Lovelace"}
            assert b"code is not right" in err and b"password is not right" in err

            status = await tobsd.wait_synced(1, timeout=90)
            assert status["state"] == "running" and status["chats"][0]["title"] == "News"
            again = await tobsd.tobsctl("login")
            assert again.returncode == REFUSED and "not waiting for a login" in again.stderr
        finally:
            code_rc = await tobsd.terminate()
            if events is not None:
                if events.returncode is None:
                    events.terminate()
                streamed, _ = await events.communicate()
        assert code_rc == 0
        texts = {"log": tobsd.log(), "events": streamed.decode(), "tobsctl out": out.decode(),
                 "tobsctl err": err.decode()}
        assert "logged in through the control API" in texts["log"]
        lines = texts["log"].splitlines()
        assert lines and all(re.match(r"<[0-7]>[A-Z]+ [\w.]+: ", line) for line in lines), \
            [line for line in lines if not re.match(r"<[0-7]>", line)][:5]
        assert '"log"' in texts["events"] and '"chat_state"' in texts["events"]
        with sqlite3.connect(session) as db:
            [(auth_key,)] = db.execute("SELECT auth_key FROM sessions").fetchall()
        secrets = {"api_hash": API_HASH, "phone": DIGITS, "phone as typed": PHONE, "code": code,
                   "password": PASSWORD, "wrong password": WRONG_PASSWORD,
                   "auth key (hex)": auth_key.hex(), "auth key (hex, a slice)": auth_key.hex()[64:96],
                   "auth key (base64)": base64.b64encode(auth_key).decode()[:40]}
        for where, text in texts.items():
            for name, secret in secrets.items():
                assert secret not in text, f"the {name} appears in the {where}"
