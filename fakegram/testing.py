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
from .world import WorldBuilder

ME = 1000
BOB = 2001
EVE = 2002


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


def small_world(seed: int = 7, password: str | None = None, channel_posts: int = 250):
    """A compact world: private chats (sparse common-box ids), a basic group,
    a channel and a supergroup, and media on the home DC and on DC 4."""
    b = WorldBuilder(seed=seed, password=password)
    bob = b.user(id=BOB, first_name="Bob", last_name="Stone", username="bobstone",
                 phone="15550002001")
    eve = b.user(id=EVE, first_name="Eve", username="eve")
    with_bob, with_eve = b.private(bob), b.private(eve)
    group = b.group("Book club", members=[BOB, EVE])
    news = b.channel("News", username="news")
    makers = b.supergroup("Makers", username="makers", members=[BOB, EVE])
    for i in range(channel_posts):
        b.message(news, f"post {i}")
    for i in range(40):
        b.message(with_bob, f"bob {i}", from_id=BOB if i % 2 else ME)
        b.message(group, f"group {i}", from_id=(BOB, EVE, ME)[i % 3])
        b.message(with_eve, f"eve {i}", from_id=EVE if i % 3 else ME)
        b.message(makers, f"maker {i}", from_id=(BOB, EVE)[i % 2])
    b.message(with_bob, "a photo", from_id=BOB, media=b.photo(dc_id=2))
    b.message(news, "a big file", media=b.document(
        size=3 * 1024 * 1024 + 12345, file_name="big.bin",
        mime_type="application/octet-stream", dc_id=4))
    b.message(news, "a voice note", media=b.voice())
    return b.build()


def all_messages(world, key) -> list:
    """Every message of a chat, newest first, paged out of the world itself."""
    out, offset = [], 0
    while page := world.get_history(key, offset_id=offset, limit=100).messages:
        out += page
        offset = page[-1].id
    return out


def chat_key(world, title: str) -> tuple[str, int]:
    """The (family, id) of the chat with this exact title."""
    return next(c.key for c in world.chats() if c.title == title)
