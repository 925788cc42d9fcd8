"""`tobsd login`: the interactive login that writes the session file; and
`LoginFlow`, the same steps one call at a time, for a login over the
control API (`tobsctl login`) while the daemon waits in needs-login.

Asks for the phone number, the code Telegram sends, and the two-step
verification password when the account has one; a wrong code or password is
reported plainly and asked again (a few times). The phone number, the code
and the password are never logged nor echoed back.

A session file that is still authorised is kept ("Already logged in"). Any
other (revoked, forgotten by the server, unreadable) is never reused for the
new login: the login runs on a fresh session file next to it (0600), and
only once it succeeded does that file replace the old one, in one atomic
rename. A daemon running meanwhile never sees a half-written session; it
notices the new file and goes on.
"""
from __future__ import annotations

import asyncio
import dataclasses
import getpass
import logging
import os
from pathlib import Path
from typing import Awaitable, Callable

from telethon import errors

from tobsd.core.config import Config
from tobsd.core.errors import LoginFailed, LoginRetry
from tobsd.core.models import Person

from .client import build_client, secure_session_file, session_copy, session_file
from .mapping_peers import person_from_user

log = logging.getLogger(__name__)

ATTEMPTS = 3
CHECK_TIMEOUT_S = 30.0

Ask = Callable[[str], "str | Awaitable[str]"]


__all__ = ["LoginFailed", "LoginFlow", "interactive_login"]


class LoginFlow:
    """One login, step by step: `start()` (True when already authorised),
    `send_code(phone)`, `sign_in_code(code)` -> "done" or "password",
    `sign_in_password(password)` -> "done"; `close()` in any case. A
    refused answer raises LoginRetry (ask again); a dead end LoginFailed.
    The phone, code and password are used and dropped, never logged."""

    def __init__(self, config: Config):
        self.config = config
        # As `tobsd login`: the login runs on a fresh session file, put in
        # place atomically once it succeeded.
        self._target = session_file(config.session)
        self._fresh = self._target.with_name(f".{self._target.stem}.login-{os.getpid()}.session")
        _remove_session(self._fresh)
        self.client = build_client(dataclasses.replace(config, session=self._fresh),
                                   receive_updates=False)
        self._phone: str | None = None
        self._code_hash: str | None = None
        self._done = False

    async def start(self) -> bool:
        if await _authorised_user(self.config) is not None:
            return True
        await self.client.connect()
        return False

    async def send_code(self, phone: str) -> None:
        try:
            sent = await self.client.send_code_request(phone)
        except errors.PhoneNumberInvalidError:
            raise LoginRetry("Telegram does not accept that phone number") from None
        except errors.FloodWaitError as exc:
            raise LoginFailed(f"Telegram asks to wait {exc.seconds} s before the next "
                              "login attempt") from None
        self._phone, self._code_hash = phone, sent.phone_code_hash

    async def sign_in_code(self, code: str) -> str:
        try:
            await self.client.sign_in(self._phone, code=code, phone_code_hash=self._code_hash)
            self._done = True
            return "done"
        except errors.SessionPasswordNeededError:
            return "password"
        except (errors.PhoneCodeInvalidError, errors.PhoneCodeEmptyError):
            raise LoginRetry("that code is not right") from None
        except errors.PhoneCodeExpiredError:
            raise LoginFailed("the code expired; start the login again") from None

    async def sign_in_password(self, password: str) -> str:
        try:
            await self.client.sign_in(password=password)
            self._done = True
            return "done"
        except (errors.PasswordHashInvalidError, ValueError):
            raise LoginRetry("that password is not right") from None

    async def me(self) -> Person:
        return person_from_user(await self.client.get_me())

    async def close(self) -> None:
        self._phone = self._code_hash = None
        try:
            await self.client.disconnect()
            if self._done:
                _install(self._fresh, self._target)
        finally:
            _remove_session(self._fresh)


async def _answer(ask: Ask, prompt: str) -> str:
    """Call `ask` off the event loop when it is a plain blocking function
    (input, getpass), or await it when it is a coroutine function."""
    if asyncio.iscoroutinefunction(ask):
        return (await ask(prompt)).strip()
    return (await asyncio.to_thread(ask, prompt)).strip()


async def interactive_login(config: Config, ask: Ask = input,
                            ask_secret: Ask = getpass.getpass,
                            out: Callable[[str], None] = print) -> Person:
    """Log the account in and keep the session at `config.session` (0600).

    Returns the logged-in user. When the session is already authorised it
    says so and returns at once. Otherwise it logs in on a fresh session
    file and puts that in place atomically (see the module doc). Raises
    LoginFailed after too many wrong answers or when Telegram refuses the
    number; the old session file is then left as it was.
    """
    me = await _authorised_user(config)
    if me is not None:
        out(f"Already logged in as {me.name}.")
        return me
    target = session_file(config.session)
    fresh = target.with_name(f".{target.stem}.login-{os.getpid()}.session")
    _remove_session(fresh)
    try:
        client = build_client(dataclasses.replace(config, session=fresh),
                              receive_updates=False)
        try:
            await client.connect()
            person = person_from_user(await _login(client, ask, ask_secret, out))
        finally:
            await client.disconnect()
        _install(fresh, target)
    finally:
        _remove_session(fresh)
    out(f"Logged in as {person.name}. The session is kept in {config.session}.")
    return person


async def _authorised_user(config: Config) -> Person | None:
    """The user the existing session file is logged in as; None when there
    is no file or it is not authorised or not usable (revoked, a key the
    server no longer knows, a damaged file). The file is only read: the
    check runs on a copy of its login in memory."""
    copy = session_copy(config)
    if copy is None:
        return None
    client = None
    # Telethon reports a key the server forgot loudly, and leaves a future
    # holding that error behind; here it is expected, and answered by a
    # fresh login.
    telethon_log = logging.getLogger("telethon")
    level = telethon_log.level
    telethon_log.setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").addFilter(_forgotten_key_filter)
    try:
        client = build_client(config, copy, receive_updates=False, connection_retries=2)

        async def check():
            await client.connect()
            if not await client.is_user_authorized():
                return None
            return await client.get_me()

        me = await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
        return person_from_user(me) if me is not None else None
    except Exception as exc:
        log.info("the session file cannot be used (%s); logging in afresh", type(exc).__name__)
        return None
    finally:
        if client is not None:
            try:
                await client.disconnect()
            except Exception:
                pass
        telethon_log.setLevel(level)


def _forgotten_key_filter(record: logging.LogRecord) -> bool:
    """Drops asyncio's "exception never retrieved" report of Telethon's
    AuthKeyNotFound (the old session's key, already handled)."""
    return "AuthKeyNotFound" not in record.getMessage()


def _install(fresh: Path, target: Path) -> None:
    """Put the freshly logged-in session file in place of `target`, atomically
    and durably (0600, and the rename fsynced)."""
    secure_session_file(fresh)
    with open(fresh, "rb") as f:
        os.fsync(f.fileno())
    os.replace(fresh, target)
    fd = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    secure_session_file(target)


def _remove_session(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-journal")):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass


async def _login(client, ask: Ask, ask_secret: Ask, out) -> object:
    phone, code_hash = await _send_code(client, ask, out)
    for attempt in range(ATTEMPTS):
        code = await _answer(ask, "Code Telegram sent you: ")
        try:
            return await client.sign_in(phone, code=code, phone_code_hash=code_hash)
        except errors.SessionPasswordNeededError:
            return await _password(client, ask_secret, out)
        except (errors.PhoneCodeInvalidError, errors.PhoneCodeEmptyError):
            out("That code is not right; try again." if attempt + 1 < ATTEMPTS
                else "That code is not right.")
        except errors.PhoneCodeExpiredError:
            raise LoginFailed("the code expired; run `tobsd login` again") from None
    raise LoginFailed("too many wrong codes; run `tobsd login` again")


async def _send_code(client, ask: Ask, out) -> tuple[str, str]:
    for attempt in range(ATTEMPTS):
        phone = await _answer(ask, "Phone number (international format, e.g. +44...): ")
        try:
            sent = await client.send_code_request(phone)
            out("Telegram sent a login code.")
            return phone, sent.phone_code_hash
        except errors.PhoneNumberInvalidError:
            out("Telegram does not accept that phone number; try again.")
        except errors.FloodWaitError as exc:
            raise LoginFailed(f"Telegram asks to wait {exc.seconds} s before the next "
                              "login attempt") from None
    raise LoginFailed("no valid phone number given")


async def _password(client, ask_secret: Ask, out) -> object:
    out("This account has two-step verification.")
    for attempt in range(ATTEMPTS):
        password = await _answer(ask_secret, "Two-step verification password: ")
        try:
            return await client.sign_in(password=password)
        except (errors.PasswordHashInvalidError, ValueError):
            out("That password is not right; try again." if attempt + 1 < ATTEMPTS
                else "That password is not right.")
    raise LoginFailed("too many wrong passwords; run `tobsd login` again")
