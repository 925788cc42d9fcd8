"""Fixtures: fakegram servers on loopback, Telethon clients talking to them."""
from __future__ import annotations

import pytest

from fakegram.crypto import ServerKey
from fakegram.testing import connected_client, running_server
from fakegram.world import WorldBuilder

ME = 1000
BOB = 2001
EVE = 2002


@pytest.fixture(scope="session")
def rsa_key(tmp_path_factory):
    """One RSA key pair for the whole run (making one costs seconds)."""
    return ServerKey.load_or_create(tmp_path_factory.mktemp("fakegram-rsa"))


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
