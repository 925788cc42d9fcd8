"""Fixtures: a fakegram server on loopback and tobsd configs pointing at it
through the `[telegram]` overrides, with a logged-in SQLite session file."""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest
from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession

from fakegram.server import API_HASH, API_ID
from fakegram.testing import BOB, EVE, ME
from fakegram.world import WorldBuilder
from tobsd.core.config import (Config, DaemonConfig, Endpoint, LimitsConfig, Secret,
                               TelegramConfig, VaultConfig)
from tobsd.telegram.client import prepare_session_file, session_file
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.source import TelethonSource

#: Reconnect fast in tests; Telethon's defaults wait seconds.
FAST = dict(retry_delay=0.1, connection_retries=3, timeout=5)


def small_world(password: str | None = None, posts: int = 120):
    b = WorldBuilder(seed=3, password=password)
    bob = b.user(id=BOB, first_name="Bob", last_name="Stone", username="bobstone")
    eve = b.user(id=EVE, first_name="Eve", username="eve")
    with_bob = b.private(bob)
    b.private(eve)
    group = b.group("Book club", members=[BOB, EVE])
    news = b.channel("News", username="news")
    for i in range(posts):
        b.message(news, f"post {i}")
    for i in range(12):
        b.message(with_bob, f"bob {i}", from_id=BOB if i % 2 else ME)
        b.message(group, f"group {i}", from_id=(BOB, EVE, ME)[i % 3])
    b.message(news, "a big file", media=b.document(
        size=600_000 + 123, file_name="big.bin", mime_type="application/octet-stream", dc_id=4))
    return b.build()


@pytest.fixture
def world():
    return small_world()


@pytest.fixture
async def server(world, make_server):
    async with make_server(world) as srv:
        yield srv


def make_config(server, tmp_path: Path, *, limits: LimitsConfig | None = None,
                name: str = "tobsd.session") -> Config:
    dcs = {dc: Endpoint(host, port) for dc, host, port in server.dc_options()}
    return Config(
        source=tmp_path / "tobsd.toml", api_id=API_ID, api_hash=Secret(API_HASH),
        session=tmp_path / "state" / name, vault=VaultConfig(path=tmp_path / "vault"),
        daemon=DaemonConfig(state_dir=tmp_path / "state", socket=tmp_path / "tobsd.sock"),
        limits=limits or LimitsConfig(),
        telegram=TelegramConfig(dc=MappingProxyType(dcs),
                                rsa_public_key=server.rsa_key.public_pem))


def log_in_session(server, config: Config) -> None:
    """Write a session file holding the world user's registered auth key."""
    prepare_session_file(config.session)
    session = SQLiteSession(str(session_file(config.session)))
    listener = server.listeners[server.home_dc]
    session.set_dc(server.home_dc, listener.host, listener.port)
    session.auth_key = AuthKey(server.user_key())
    session.save()
    session.close()


@pytest.fixture
def config(server, tmp_path):
    cfg = make_config(server, tmp_path)
    log_in_session(server, cfg)
    return cfg


@pytest.fixture
def flood_store():
    return MemoryFloodStore()


@pytest.fixture
async def source(config, flood_store):
    src = TelethonSource(config, flood_store, client_options=FAST)
    await src.start()
    yield src
    await src.stop()
