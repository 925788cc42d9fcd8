"""fakegram as a separate process (the CLI and its ready file), serving a
1,000,000-message channel that Telethon pages through completely while the
server's memory stays flat."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import psutil
import pytest
from telethon import TelegramClient, functions
from telethon.crypto import rsa as telethon_rsa
from telethon.sessions import StringSession

COUNT = 1_000_000
RSS_LIMIT_MB = 200


@pytest.fixture(scope="module")
def fakegram_process(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fakegram-1m")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakegram", "serve", "--world", f"synthetic:{COUNT}",
         "--state-dir", str(tmp_path / "state"), "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("fakegram did not start: " + proc.stdout.read().decode())
        time.sleep(0.05)
    yield proc, json.loads(ready.read_text())
    proc.terminate()
    assert proc.wait(10) == 0   # a clean stop on SIGTERM
    assert os.stat(ready).st_mode & 0o777 == 0o600


def test_ready_file_has_what_a_client_needs(fakegram_process):
    _, info = fakegram_process
    assert set(info) >= {"dcs", "home_dc", "rsa_public_key_pem", "session_string",
                         "api_id", "api_hash", "control"}
    assert sorted(info["dcs"]) == ["1", "2", "3", "4", "5"]
    assert info["rsa_public_key_pem"].startswith("-----BEGIN RSA PUBLIC KEY-----")


@pytest.mark.slow
async def test_paging_a_million_messages_keeps_the_server_small(fakegram_process):
    proc, info = fakegram_process
    server = psutil.Process(proc.pid)
    telethon_rsa.add_key(info["rsa_public_key_pem"], old=False)
    TelegramClient._config = None
    client = TelegramClient(StringSession(info["session_string"]), info["api_id"],
                            info["api_hash"], receive_updates=False)
    await client.connect()
    peak = server.memory_info().rss
    seen = 0
    try:
        channel = await client.get_input_entity("synthetic")
        workers = 4
        span = COUNT // workers

        async def walk(top: int, bottom: int) -> int:
            nonlocal peak
            offset, got = top + 1, 0
            while offset > bottom + 1:
                page = await client(functions.messages.GetHistoryRequest(
                    peer=channel, offset_id=offset, offset_date=None, add_offset=0,
                    limit=100, max_id=0, min_id=bottom, hash=0))
                if not page.messages:
                    break
                ids = [m.id for m in page.messages]
                assert ids == sorted(ids, reverse=True) and ids[0] < offset
                got += len(ids)
                offset = ids[-1]
                if got % 20_000 < 100:
                    peak = max(peak, server.memory_info().rss)
            return got

        counts = await asyncio.gather(*(walk(COUNT - i * span, COUNT - (i + 1) * span)
                                        for i in range(workers)))
        seen = sum(counts)
        peak = max(peak, server.memory_info().rss)
    finally:
        await client.disconnect()
    # The channel's first message is the channel_create service message: all
    # ids 1..COUNT exist, so every page of every worker is full.
    assert seen == COUNT
    assert peak / 2**20 < RSS_LIMIT_MB, f"server peak RSS {peak / 2**20:.0f} MB"
