"""Layer tolerance: fakegram served under an older Telethon (1.39, layer 199,
the one the PyPI tool tg-archive pins) answers a client of that Telethon:
login by handshake and code, dialogs, the whole history, a download from
another DC. The older Telethon lives in its own virtual environment under
.venv/peers/ (made once, reused by later runs)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEER_VENV = ROOT / ".venv" / "peers" / "telethon-1.39"
TELETHON = "telethon==1.39.0"

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys, tempfile
    import telethon
    from telethon import TelegramClient
    from telethon.sessions import StringSession
    from fakegram.testing import running_server, small_world, trust_server
    from fakegram.server import API_ID, API_HASH

    async def main():
        world = small_world()
        with tempfile.TemporaryDirectory() as state:
            async with running_server(world, state) as server:
                trust_server(server)
                session = StringSession()
                dc, host, port = server.dc_options()[1]
                session.set_dc(dc, host, port)
                client = TelegramClient(session, API_ID, API_HASH, receive_updates=False)
                await client.connect()
                await client.send_code_request("+15550001000")
                me = await client.sign_in("+15550001000", server.state.last_codes["15550001000"])
                dialogs = [d.name async for d in client.iter_dialogs()]
                news = next(d for d in await client.get_dialogs() if d.name == "News")
                ids = [m.id async for m in client.iter_messages(news, wait_time=0)]
                big = next(m for m in await client.get_messages(news, limit=10) if m.file and m.file.name == "big.bin")
                data = await client.download_media(big, file=bytes)
                await client.disconnect()
                print(json.dumps({"telethon": telethon.__version__, "me": me.id, "dialogs": dialogs,
                                  "history": len(ids), "download": len(data)}))

    asyncio.run(main())
""")


def _has_telethon(python: Path) -> bool:
    """The peer venv at `python` imports the pinned Telethon (a venv left
    half-made by an interrupted run does not, and is completed)."""
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import telethon; print(telethon.__version__)"],
                           capture_output=True, text=True)
    return probe.returncode == 0 and probe.stdout.strip() == TELETHON.split("==")[1]


@pytest.fixture(scope="module")
def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not _has_telethon(python):
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        result = subprocess.run([str(python), "-m", "pip", "install", "-q", TELETHON, "cryptg"],
                                capture_output=True, text=True)
        if result.returncode != 0 or not _has_telethon(python):
            pytest.fail(f"cannot install {TELETHON}: {result.stderr[-2000:]}")
    return python


@pytest.mark.slow
def test_fakegram_under_telethon_139_serves_a_139_client(peer_python):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(peer_python), "-c", SCRIPT], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["telethon"] == "1.39.0"
    assert report["me"] == 1000
    assert set(report["dialogs"]) >= {"News", "Book club", "Makers", "Bob Stone", "Eve"}
    assert report["history"] == 253    # 250 posts, a file, a voice note, the channel's creation
    assert report["download"] == 3 * 1024 * 1024 + 12345
