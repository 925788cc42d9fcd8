"""Helpers for tests that run fakegram in-process and talk to it with the
unmodified Telethon client over real TCP.

    async with running_server(world, state_dir) as server:
        async with connected_client(server) as client:
            me = await client.get_me()
"""
from __future__ import annotations

import contextlib

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa
from telethon.network import ConnectionTcpFull
from telethon.sessions import SQLiteSession, StringSession

from .server import API_HASH, API_ID, Server


def trust_server(server: Server) -> None:
    """Make Telethon accept this server's RSA key and forget cached DC
    addresses (Telethon caches help.getConfig on the client class)."""
    telethon_rsa.add_key(server.rsa_key.public_pem, old=False)
    TelegramClient._config = None


@contextlib.asynccontextmanager
async def running_server(world, state_dir, **kwargs):
    server = Server(world, state_dir=state_dir, **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_client(server: Server, session=None, *, connection=ConnectionTcpFull,
                **kwargs) -> TelegramClient:
    """A Telethon client of the world's user (or of `session`), pointed at the
    server's home DC."""
    trust_server(server)
    if session is None:
        session = StringSession(server.session_string())
    kwargs.setdefault("receive_updates", False)
    kwargs.setdefault("request_retries", 2)
    kwargs.setdefault("connection_retries", 2)
    kwargs.setdefault("retry_delay", 0.1)
    return TelegramClient(session, API_ID, API_HASH, connection=connection, **kwargs)


@contextlib.asynccontextmanager
async def connected_client(server: Server, session=None, **kwargs):
    client = make_client(server, session, **kwargs)
    await client.connect()
    try:
        yield client
    finally:
        await client.disconnect()


def write_session_file(session_string: str, path) -> str:
    """Write a Telethon SQLite session file holding the world user's login
    (from a ready file's `session_string`), mode 0600. Returns its path
    (Telethon adds ".session" when the name lacks it)."""
    import os
    source = StringSession(session_string)
    target = SQLiteSession(str(path))
    target.set_dc(source.dc_id, source.server_address, source.port)
    target.auth_key = source.auth_key
    target.save()
    target.close()
    real = str(path) if str(path).endswith(".session") else f"{path}.session"
    os.chmod(real, 0o600)
    return real
