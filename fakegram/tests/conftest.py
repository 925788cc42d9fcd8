"""Fixtures: fakegram servers on loopback, Telethon clients talking to them."""
from __future__ import annotations

import pytest

from fakegram.crypto import ServerKey
from fakegram.testing import connected_client, running_server, small_world


@pytest.fixture(scope="session")
def rsa_key(tmp_path_factory):
    """One RSA key pair for the whole run (making one costs seconds)."""
    return ServerKey.load_or_create(tmp_path_factory.mktemp("fakegram-rsa"))


@pytest.fixture
def world():
    return small_world()


@pytest.fixture
async def server(world, rsa_key, tmp_path):
    async with running_server(world, tmp_path / "fakegram", rsa_key=rsa_key) as srv:
        yield srv


@pytest.fixture
async def client(server):
    async with connected_client(server) as c:
        yield c
