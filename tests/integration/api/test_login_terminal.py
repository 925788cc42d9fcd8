"""`tobsctl login` at a real terminal (a pseudo-terminal that is tobsctl's
controlling terminal): the phone number, the code and the two-step
password are typed without echo, so none of them shows on the screen."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import termios
import threading

from fakegram.testing import small_world
from tests.conditions import wait_for
from tests.daemonkit import ROOT, TobsdProcess, write_config

PHONE = "+1 555 000 1000"
DIGITS = "15550001000"
PASSWORD = "correct horse battery"


class Terminal:
    """A pseudo-terminal; what the program writes to it is collected."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.screen = b""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:          # EIO: the program closed its end
                return
            if not data:
                return
            with self._lock:
                self.screen += data

    def shown(self) -> str:
        with self._lock:
            return self.screen.decode(errors="replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def start(self, argv: list[str]) -> subprocess.Popen:
        slave = self.slave

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                                preexec_fn=controlling_terminal, close_fds=True)
        os.close(slave)
        self._reader.start()
        return proc


async def test_login_at_a_terminal_echoes_no_secret(make_server, tmp_path):
    async with make_server(small_world(password=PASSWORD)) as server:
        config = write_config(tmp_path, server, ["@news"])
        (tmp_path / "state" / "tobsd.session").unlink()       # never logged in
        tobsd = TobsdProcess(config).start()
        term = Terminal()
        login = None
        try:
            await tobsd.wait_for(lambda s: s["state"] == "needs-login", 60, "needs-login")
            login = term.start([sys.executable, "-m", "tobsctl", "--socket", str(tobsd.socket), "login"])
            # each answer is typed once its prompt shows: echo is off by then
            await wait_for(lambda: "Phone number" in term.shown(), 60, what="the phone prompt",
                           describe=term.shown)
            term.type(PHONE + "\n")
            code = await wait_for(lambda: server.state.last_codes.get(DIGITS), 30, what="the code sent")
            await wait_for(lambda: "Code Telegram sent you" in term.shown(), 30, what="the code prompt",
                           describe=term.shown)
            term.type(code + "\n")
            await wait_for(lambda: "password:" in term.shown(), 30, what="the password prompt",
                           describe=term.shown)
            term.type(PASSWORD + "\n")
            await wait_for(lambda: login.poll() is not None, 60, what="tobsctl login to end",
                           describe=term.shown)
            assert login.returncode == 0, term.shown()
            await wait_for(lambda: "logged in as Ada Lovelace" in term.shown(), 10,
                           what="the result on the screen", describe=term.shown)
            screen = term.shown()
            for secret in (PHONE, DIGITS, code, PASSWORD):
                assert secret not in screen, f"{secret!r} was echoed: {screen!r}"
        finally:
            if login is not None and login.poll() is None:
                login.kill()
                login.wait()
            os.close(term.master)
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
