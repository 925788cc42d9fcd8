"""Building the one Telethon client of the account from tobsd's configuration.

The client keeps its session in a SQLite file (`config.session`) that holds
the account's auth key, so the file is created 0600 inside a 0700 folder and
re-chmodded after Telethon writes it. Flood waits are never slept through by
Telethon (`flood_sleep_threshold=0`): the rate scheduler owns them.

`[telegram]` overrides point the client at a Telegram-compatible server: the
configured endpoint of a DC is used for every connection to that DC, the
first connection of a fresh session included, and the extra RSA key is
trusted for the key exchange.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Mapping

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa
from telethon.network import ConnectionTcpFull
from telethon.crypto import AuthKey
from telethon.sessions import MemorySession, SQLiteSession
from telethon.tl import types

from tobsd.core.config import Config, Endpoint

log = logging.getLogger(__name__)

#: The DC a session starts at when it has none yet (Telegram's default too).
DEFAULT_HOME_DC = 2


class OverridableClient(TelegramClient):
    """A TelegramClient that finds data centres in a fixed table first.

    `dc_overrides` maps a DC id to the endpoint to use for it; DCs missing from
    the table are looked up the usual way (help.getConfig).
    """

    dc_overrides: Mapping[int, Endpoint] = {}

    async def _get_dc(self, dc_id, cdn=False):
        endpoint = self.dc_overrides.get(dc_id)
        if endpoint is not None and not cdn:
            return types.DcOption(id=dc_id, ip_address=endpoint.host, port=endpoint.port)
        return await super()._get_dc(dc_id, cdn=cdn)


def session_file(path: Path) -> Path:
    """The file Telethon's SQLiteSession really uses for `path` (it appends
    ".session" when the name lacks it)."""
    path = Path(path)
    return path if path.name.endswith(".session") else path.with_name(path.name + ".session")


def prepare_session_file(path: Path) -> Path:
    """Create the session's folder (0700) and an empty file (0600) before
    SQLite opens it, so the auth key is never readable by others, not even
    for a moment. Returns the real file path."""
    real = session_file(path)
    folder = real.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    if not real.exists():
        fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    secure_session_file(path)
    return real


def secure_session_file(path: Path) -> None:
    """Re-apply 0600 to the session file (and SQLite's side files, if any)."""
    real = session_file(path)
    for candidate in (real, real.with_name(real.name + "-journal"),
                      real.with_name(real.name + "-wal"), real.with_name(real.name + "-shm")):
        try:
            os.chmod(candidate, 0o600)
        except FileNotFoundError:
            pass


def session_fingerprint(path: Path) -> str | None:
    """A digest of the auth key the session file holds (None: no file, no
    key, not readable). Two logins have different keys, so this tells a new
    login from the one that stopped working, without exposing the key."""
    real = session_file(path)
    if not real.exists():
        return None
    try:
        conn = sqlite3.connect(real.as_uri() + "?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT auth_key FROM sessions").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return key_fingerprint(row[0]) if row and row[0] else None


def key_fingerprint(key: bytes | None) -> str | None:
    return hashlib.sha256(key).hexdigest() if key else None


def trust_rsa_key(pem: str | None) -> None:
    """Make Telethon accept a server's RSA public key (from `[telegram]`)."""
    if pem:
        telethon_rsa.add_key(pem, old=False)


def open_session(config: Config) -> SQLiteSession:
    """The SQLite session at `config.session`, pointed at the configured home
    DC endpoint when `[telegram].dc` overrides the addresses."""
    prepare_session_file(config.session)
    session = SQLiteSession(str(session_file(config.session)))
    overrides = config.telegram.dc
    if overrides:
        dc_id = session.dc_id or DEFAULT_HOME_DC
        endpoint = overrides.get(dc_id)
        if endpoint is not None and (session.server_address, session.port) != \
                (endpoint.host, endpoint.port):
            session.set_dc(dc_id, endpoint.host, endpoint.port)
            session.save()
    secure_session_file(config.session)
    return session


def session_copy(config: Config) -> MemorySession | None:
    """The login the session file holds (DC and auth key), copied into memory,
    so it can be tried without writing to the file; None when the file holds
    no key (or is missing or unreadable)."""
    real = session_file(config.session)
    if not real.exists():
        return None
    try:
        conn = sqlite3.connect(real.as_uri() + "?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT dc_id, server_address, port, auth_key FROM sessions"
                               ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if not row or not row[3]:
        return None
    dc_id, host, port, key = row
    endpoint = config.telegram.dc.get(dc_id)
    if endpoint is not None:
        host, port = endpoint.host, endpoint.port
    session = MemorySession()
    session.set_dc(dc_id, host, port)
    session.auth_key = AuthKey(key)
    return session


def build_client(config: Config, session=None, **overrides) -> OverridableClient:
    """The account's Telethon client, not yet connected, on the session file
    (or on `session`, such as a `session_copy`).

    Keyword `overrides` replace the defaults below (tests shorten retries).
    """
    trust_rsa_key(config.telegram.rsa_public_key)
    session = session if session is not None else open_session(config)
    cls = type("ConfiguredClient", (OverridableClient,),
               {"dc_overrides": dict(config.telegram.dc), "_config": None})
    options = dict(
        connection=ConnectionTcpFull,
        flood_sleep_threshold=0,        # flood waits are the scheduler's
        receive_updates=True,
        catch_up=True,                  # load the saved update state: changes made
                                        # while offline arrive as updates
        sequential_updates=True,        # live events reach the handler in order
        request_retries=1,              # retries are the scheduler's
        raise_last_call_error=True,
        connection_retries=10,
        retry_delay=1,
        auto_reconnect=True,
        timeout=10,
    )
    options.update(overrides)
    return cls(session, config.api_id, config.api_hash.reveal(), **options)
