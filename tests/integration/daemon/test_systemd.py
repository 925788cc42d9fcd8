"""tobsd under systemd's protocols, with a real NOTIFY_SOCKET: READY=1 once it
syncs, STATUS= lines, watchdog pings while running, STOPPING=1 on SIGTERM;
and the shipped unit file says what the daemon expects."""
from __future__ import annotations

import asyncio
import configparser
import socket

from fakegram.world import WorldBuilder
from tests.daemonkit import ROOT, TobsdProcess, write_config


def test_the_unit_file_matches_the_daemon():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "systemd" / "tobsd.service")
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert "tobsd run --config" in service["ExecStart"]
    assert int(service["WatchdogSec"]) >= 10
    assert service["ExecReload"].endswith("-HUP $MAINPID")
    assert "2" in service["RestartPreventExitStatus"].split()
    assert service["LoadCredential"].startswith("api_hash:")


async def test_notify_protocol(make_server, tmp_path):
    b = WorldBuilder(seed=3)
    b.synthetic_channel("Quiet", count=250, username="quiet_chan")
    world = b.build()
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.setblocking(False)
    received: list[str] = []

    async def drain(seconds: float) -> None:
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            try:
                received.extend(sock.recv(4096).decode().splitlines())
            except BlockingIOError:
                await asyncio.sleep(0.05)

    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@quiet_chan"])
        tobsd = TobsdProcess(config, env={"NOTIFY_SOCKET": str(sock_path),
                                          "WATCHDOG_USEC": "2000000"}).start()
        try:
            await tobsd.wait_synced(1)
            await drain(3.0)
        finally:
            assert await tobsd.terminate() == 0
        await drain(0.5)
    sock.close()
    assert "READY=1" in received
    assert received.count("WATCHDOG=1") >= 2
    assert any(line.startswith("STATUS=") and "1/1 chats live" in line for line in received)
    assert "STOPPING=1" in received
