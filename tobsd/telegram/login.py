"""`tobsd login`: the interactive login that writes the session file; and
`LoginFlow`, the same steps one call at a time, for a login over the
control API (`tobsctl login`) while the daemon waits in needs-login.

Asks for the phone number, the code Telegram sends, and the two-step
verification password when the account has one; a wrong code or password is
reported plainly and asked again (a few times). The phone number, the code
and the password are never logged nor echoed back.
"""
from __future__ import annotations

import asyncio
import getpass
import logging
from typing import Awaitable, Callable

from telethon import errors

from tobsd.core.config import Config
from tobsd.core.errors import LoginFailed, LoginRetry
from tobsd.core.models import Person

from .client import build_client, secure_session_file
from .mapping_peers import person_from_user

log = logging.getLogger(__name__)

ATTEMPTS = 3

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
        self.client = build_client(config, receive_updates=False)
        self._phone: str | None = None
        self._code_hash: str | None = None

    async def start(self) -> bool:
        await self.client.connect()
        return await self.client.is_user_authorized()

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
            return "done"
        except (errors.PasswordHashInvalidError, ValueError):
            raise LoginRetry("that password is not right") from None

    async def me(self) -> Person:
        return person_from_user(await self.client.get_me())

    async def close(self) -> None:
        self._phone = self._code_hash = None
        try:
            await self.client.disconnect()
        finally:
            secure_session_file(self.config.session)


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
    says so and returns at once. Raises LoginFailed after too many wrong
    answers or when Telegram refuses the number.
    """
    client = build_client(config, receive_updates=False)
    await client.connect()
    try:
        if await client.is_user_authorized():
            me = await client.get_me()
            out(f"Already logged in as {person_from_user(me).name}.")
            return person_from_user(me)
        me = await _login(client, ask, ask_secret, out)
        person = person_from_user(me)
        out(f"Logged in as {person.name}. The session is kept in {config.session}.")
        return person
    finally:
        await client.disconnect()
        secure_session_file(config.session)


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
