"""`tobsd login` against fakegram: phone, code and 2FA password from scripted
answers; wrong answers are asked again; secrets never reach the logs; the
session file is 0600 in a 0700 folder and works for the source afterwards."""
from __future__ import annotations

import logging
import os
import stat

import pytest

from fakegram.testing import running_server
from tobsd.telegram.client import session_file
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.login import LoginFailed, interactive_login
from tobsd.telegram.source import TelethonSource

from .conftest import FAST, ME, make_config, small_world

PHONE = "+1 555 000 1000"
DIGITS = "15550001000"


class Script:
    """Answers prompts in order; a callable answer is called (to read the code
    fakegram sent once it was sent)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.prompts = []

    def __call__(self, prompt):
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        return answer() if callable(answer) else answer


def wrong(code: str) -> str:
    return "00000" if code != "00000" else "11111"


def assert_no_secrets(caplog, printed, *secrets):
    text = caplog.text + "\n".join(printed)
    for secret in secrets:
        assert secret not in text


async def test_login_with_code_writes_a_private_session(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    config = make_config(server, tmp_path, name="login.session")
    code = lambda: server.state.last_codes[DIGITS]
    ask = Script(PHONE, lambda: wrong(code()), code)
    printed = []
    me = await interactive_login(config, ask=ask, ask_secret=Script(), out=printed.append)
    assert me.id == ME
    assert any("not right" in line for line in printed)
    path = session_file(config.session)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert_no_secrets(caplog, printed, DIGITS, server.state.last_codes[DIGITS])
    source = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    assert (await source.start()).id == ME
    await source.stop()


async def test_login_with_two_step_password(rsa_key, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_server(small_world(password="correct horse"), tmp_path / "fg",
                              rsa_key=rsa_key) as server:
        config = make_config(server, tmp_path)
        ask = Script(PHONE, lambda: server.state.last_codes[DIGITS])
        secret = Script("wrong horse", "correct horse")
        printed = []
        me = await interactive_login(config, ask=ask, ask_secret=secret, out=printed.append)
        assert me.id == ME and len(secret.prompts) == 2
        assert any("password is not right" in line for line in printed)
        assert_no_secrets(caplog, printed, "correct horse", "wrong horse", DIGITS)
        # Logging in again finds the session authorised and asks nothing.
        again = Script()
        assert (await interactive_login(config, ask=again, ask_secret=again,
                                        out=printed.append)).id == ME
        assert again.prompts == []


async def test_too_many_wrong_codes_fail_clearly(server, tmp_path):
    config = make_config(server, tmp_path, name="bad.session")
    code = lambda: wrong(server.state.last_codes[DIGITS])
    with pytest.raises(LoginFailed, match="too many wrong codes"):
        await interactive_login(config, ask=Script(PHONE, code, code, code),
                                ask_secret=Script(), out=lambda line: None)


async def test_a_failed_login_over_a_revoked_session_leaves_the_file_as_it_was(server, tmp_path):
    from fakegram.testing import write_session_file
    config = make_config(server, tmp_path, name="revoked.session")
    path = session_file(config.session)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_session_file(server.session_string(), path)
    server.revoke_user_keys()
    before = path.read_bytes()
    code = lambda: wrong(server.state.last_codes[DIGITS])
    with pytest.raises(LoginFailed, match="too many wrong codes"):
        await interactive_login(config, ask=Script(PHONE, code, code, code),
                                ask_secret=Script(), out=lambda line: None)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["revoked.session"]
