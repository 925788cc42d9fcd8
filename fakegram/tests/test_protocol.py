"""The MTProto layer against raw sockets and Telethon's own low-level pieces:
the real handshake, the transports, and hostile input that must never take
the server down."""
from __future__ import annotations

import asyncio
import logging
import os
import random
import struct
from zlib import crc32

import pytest
from telethon.network import (ConnectionTcpAbridged, ConnectionTcpFull,
                              ConnectionTcpIntermediate)
from telethon.errors.common import SecurityError
from telethon.network.authenticator import do_authentication
from telethon.network.mtprotoplainsender import MTProtoPlainSender
from telethon.sessions import StringSession

from fakegram.crypto import auth_key_id
from fakegram.testing import connected_client, trust_server


def _full_frame(payload: bytes, seq: int = 0) -> bytes:
    data = struct.pack("<ii", len(payload) + 12, seq) + payload
    return data + struct.pack("<I", crc32(data))


async def _open(server, dc=2):
    host, port = server.listeners[dc].host, server.listeners[dc].port
    return await asyncio.open_connection(host, port)


async def _read_all(reader, timeout=30.0) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(4096), timeout)
    except asyncio.TimeoutError:
        return b"<no answer>"


async def test_real_handshake_creates_a_key_the_server_knows(server):
    trust_server(server)
    dc, host, port = server.dc_options()[1]
    # Telethon keeps g_ab at its minimal length, so when its top byte is zero
    # (1 exchange in 256) its key is 255 bytes, the server's (the spec's 2048-bit
    # key) 256, and the nonce hash cannot match; Telethon's connect then starts
    # a new exchange, and so does this test (8 tries fail together 1 in 2**64).
    for attempt in range(8):
        conn = ConnectionTcpFull(host, port, dc, loggers=_loggers())
        await conn.connect(timeout=5)
        try:
            auth_key, offset = await do_authentication(MTProtoPlainSender(conn, loggers=_loggers()))
            break
        except SecurityError as e:
            assert "new nonce hash" in str(e), e
        finally:
            await conn.disconnect()
    else:
        raise AssertionError("8 handshakes in a row failed the nonce hash check")
    assert abs(offset) <= 1
    assert len(auth_key.key) == 256
    assert auth_key_id(auth_key.key) in server.auth_keys
    assert server.auth_keys[auth_key_id(auth_key.key)].user_id is None


def _loggers():
    import collections
    return collections.defaultdict(lambda: logging.getLogger("telethon"))


@pytest.mark.parametrize("connection", [ConnectionTcpFull, ConnectionTcpIntermediate,
                                        ConnectionTcpAbridged])
async def test_every_transport_serves_get_me(server, connection):
    async with connected_client(server, connection=connection) as client:
        me = await client.get_me()
    assert me.id == server.world.me


async def test_fresh_session_does_the_handshake_and_is_not_logged_in(server):
    session = StringSession()
    dc, host, port = server.dc_options()[1]
    session.set_dc(dc, host, port)
    async with connected_client(server, session) as client:
        assert not await client.is_user_authorized()
        assert len(client.session.auth_key.key) in (255, 256)


async def test_unknown_auth_key_gets_transport_404(server):
    reader, writer = await _open(server)
    payload = struct.pack("<Q", 0x1122334455667788) + os.urandom(16) + os.urandom(64)
    writer.write(_full_frame(payload))
    await writer.drain()
    answer = await _read_all(reader)
    writer.close()
    # len(16) seq(0) payload(-404) crc
    assert len(answer) == 16
    assert struct.unpack("<i", answer[8:12])[0] == -404


async def test_bad_msg_key_closes_the_connection(server):
    key = server.user_key()
    reader, writer = await _open(server)
    payload = struct.pack("<Q", auth_key_id(key)) + os.urandom(16) + os.urandom(96)
    writer.write(_full_frame(payload))
    await writer.drain()
    assert await _read_all(reader) == b""   # closed without an answer
    writer.close()


@pytest.mark.parametrize("frame", [
    b"\xff\xff\xff\x7f" + b"\x00" * 8,                         # huge TCP Full length
    struct.pack("<ii", 4, 0) + b"\x00" * 8,                   # length below the minimum
    _full_frame(b"\x00" * 24)[:-4] + b"\x00\x00\x00\x00",      # bad crc32
    b"\xef\x7f\xff\xff\xff" + b"\x00" * 16,                    # abridged, oversized
    b"\xee\xee\xee\xee" + struct.pack("<i", -5),                 # intermediate, negative
])
async def test_malformed_frames_close_the_connection(server, frame):
    reader, writer = await _open(server)
    writer.write(frame)
    await writer.drain()
    assert await _read_all(reader) in (b"",)
    writer.close()


async def test_garbage_in_a_handshake_closes_the_connection(server):
    reader, writer = await _open(server)
    body = os.urandom(40)
    writer.write(_full_frame(struct.pack("<qqi", 0, 1 << 40, len(body)) + body))
    await writer.drain()
    assert await _read_all(reader) == b""
    writer.close()


async def test_random_bytes_on_every_port_leave_the_server_serving(server):
    rng = random.Random(1234)
    for dc, host, port in server.dc_options():
        for _ in range(12):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000))))
            try:
                await writer.drain()
                await asyncio.wait_for(reader.read(1024), 0.3)
            except (asyncio.TimeoutError, ConnectionError):
                pass
            writer.close()
    async with connected_client(server) as client:
        me = await client.get_me()
    assert me.id == server.world.me
