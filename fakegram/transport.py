"""MTProto TCP transports on the server side: Full, Intermediate, Abridged.

The transport is detected from the first bytes of a connection, as Telegram
does: 0xef opens Abridged, 0xeeeeeeee Intermediate, 0xdddddddd padded
Intermediate; anything else is the first length field of TCP Full.

`read_packet` returns one MTProto payload or raises `TransportClosed` when the
peer closed or sent a frame that Telegram would reject (bad CRC, out-of-range
length); the caller then drops the connection.
"""
from __future__ import annotations

import asyncio
import os
import struct
from zlib import crc32

MAX_PACKET = 2 * 1024 * 1024 + 4096   # a 1 MB upload/download part plus headers, with room


class TransportClosed(Exception):
    """The connection ended or sent a malformed frame."""


class Codec:
    """One connection's framing. Subclasses implement read and encode."""
    name = "?"

    async def read_packet(self, reader: asyncio.StreamReader) -> bytes:
        raise NotImplementedError

    def encode(self, payload: bytes) -> bytes:
        raise NotImplementedError


async def _readexactly(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await reader.readexactly(n)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise TransportClosed("connection closed") from exc


class FullCodec(Codec):
    """TCP Full: len(4) seq(4) payload crc32(4); both sides count their seq."""
    name = "full"

    def __init__(self, first4: bytes):
        self._pending_first = first4
        self._recv_seq = 0
        self._send_seq = 0

    async def read_packet(self, reader):
        if self._pending_first is not None:
            head = self._pending_first + await _readexactly(reader, 4)
            self._pending_first = None
        else:
            head = await _readexactly(reader, 8)
        length, seq = struct.unpack("<ii", head)
        if length < 12 or length > MAX_PACKET or length % 4:
            raise TransportClosed(f"bad full frame length {length}")
        rest = await _readexactly(reader, length - 8)
        payload, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
        if crc32(head + payload) != crc:
            raise TransportClosed("bad crc32")
        if seq != self._recv_seq:
            raise TransportClosed(f"bad full seq {seq}, expected {self._recv_seq}")
        self._recv_seq += 1
        return payload

    def encode(self, payload):
        data = struct.pack("<ii", len(payload) + 12, self._send_seq) + payload
        self._send_seq += 1
        return data + struct.pack("<I", crc32(data))


class IntermediateCodec(Codec):
    """Intermediate: len(4) payload. `padded` strips 0..3 random bytes."""
    name = "intermediate"

    def __init__(self, padded: bool = False):
        self.padded = padded
        if padded:
            self.name = "padded-intermediate"

    async def read_packet(self, reader):
        (length,) = struct.unpack("<i", await _readexactly(reader, 4))
        if length <= 0 or length > MAX_PACKET:
            raise TransportClosed(f"bad intermediate length {length}")
        payload = await _readexactly(reader, length)
        if self.padded:
            payload = payload[: len(payload) - len(payload) % 4]
        return payload

    def encode(self, payload):
        if self.padded:
            payload += os.urandom(os.urandom(1)[0] % 4)
        return struct.pack("<i", len(payload)) + payload


class AbridgedCodec(Codec):
    """Abridged: len/4 in one byte, or 0x7f and three bytes."""
    name = "abridged"

    async def read_packet(self, reader):
        first = (await _readexactly(reader, 1))[0]
        if first >= 0x7F:
            length = int.from_bytes(await _readexactly(reader, 3), "little")
        else:
            length = first
        length <<= 2
        if length <= 0 or length > MAX_PACKET:
            raise TransportClosed(f"bad abridged length {length}")
        return await _readexactly(reader, length)

    def encode(self, payload):
        n = len(payload) >> 2
        if n < 0x7F:
            return bytes([n]) + payload
        return b"\x7f" + n.to_bytes(3, "little") + payload


async def detect(reader: asyncio.StreamReader) -> Codec:
    """Read the connection's first bytes and return the matching codec."""
    first = await _readexactly(reader, 1)
    if first == b"\xef":
        return AbridgedCodec()
    first4 = first + await _readexactly(reader, 3)
    if first4 == b"\xee\xee\xee\xee":
        return IntermediateCodec()
    if first4 == b"\xdd\xdd\xdd\xdd":
        return IntermediateCodec(padded=True)
    return FullCodec(first4)


def transport_error(codec: Codec, code: int) -> bytes:
    """A transport error frame: the payload is the negative code as int32."""
    return codec.encode(struct.pack("<i", -abs(code)))
