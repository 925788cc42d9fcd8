"""Building the client: a private session file, the configured DC endpoints
used for the first connection and for every other DC."""
from __future__ import annotations

import os
import stat
from types import MappingProxyType

from tobsd.core.config import Config, DaemonConfig, Endpoint, Secret, TelegramConfig, VaultConfig
from tobsd.telegram.client import build_client, session_file


def config(tmp_path, dcs):
    return Config(source=tmp_path / "t.toml", api_id=1, api_hash=Secret("0" * 32),
                  session=tmp_path / "state" / "sub" / "tobsd.session",
                  vault=VaultConfig(path=tmp_path / "v"),
                  daemon=DaemonConfig(state_dir=tmp_path / "state", socket=tmp_path / "s"),
                  telegram=TelegramConfig(dc=MappingProxyType(dcs)))


async def test_fresh_session_is_private_and_starts_at_the_home_dc_endpoint(tmp_path):
    client = build_client(config(tmp_path, {2: Endpoint("127.0.0.9", 4402),
                                            4: Endpoint("127.0.0.9", 4404)}))
    path = session_file(tmp_path / "state" / "sub" / "tobsd.session")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    session = client.session
    assert (session.dc_id, session.server_address, session.port) == (2, "127.0.0.9", 4402)
    dc4 = await client._get_dc(4)
    assert (dc4.id, dc4.ip_address, dc4.port) == (4, "127.0.0.9", 4404)
    assert client.flood_sleep_threshold == 0
    client.session.close()


async def test_no_overrides_leave_telethon_defaults(tmp_path):
    client = build_client(config(tmp_path, {}))
    assert client.session.dc_id in (0, 2)
    client.session.close()
