"""Fixtures for integration tests: fakegram in-process over real TCP."""
from __future__ import annotations

import pytest

from fakegram.crypto import ServerKey
from fakegram.testing import running_server


@pytest.fixture(scope="session")
def rsa_key(tmp_path_factory):
    return ServerKey.load_or_create(tmp_path_factory.mktemp("fakegram-rsa"))


@pytest.fixture
def make_server(rsa_key, tmp_path):
    """An async context manager factory: `async with make_server(world) as server:`."""
    def factory(world, **kw):
        return running_server(world, tmp_path / "fakegram", rsa_key=rsa_key, **kw)
    return factory
