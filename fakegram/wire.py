"""Packing of what Telethon's TL classes do not build for a server:
rpc_result, rpc_error, vectors, bools, containers, and the result of a handler.
"""
from __future__ import annotations

import gzip
import struct

from telethon.extensions import BinaryReader
from telethon.tl import TLObject

from .rpc import IntVector, LongVector

RPC_RESULT = 0xF35C6D01
RPC_ERROR = 0x2144CA19
VECTOR = 0x1CB5C415
BOOL_TRUE = 0x997275B5
BOOL_FALSE = 0xBC799737
MSG_CONTAINER = 0x73F1F8DC
GZIP_PACKED = 0x3072CFA1

# Results larger than this travel gzip_packed, as Telegram does for big answers.
GZIP_THRESHOLD = 16 * 1024
# ...except file parts (upload.file), which Telegram sends as they are: media
# hardly compress, and packing a 1 MiB part would cost more than it saves.
UPLOAD_FILE = struct.pack("<I", 0x096A18D5)


def pack_result(value) -> bytes:
    """Serialize a handler's result (see fakegram.rpc for what it may be)."""
    if isinstance(value, bool):
        return struct.pack("<I", BOOL_TRUE if value else BOOL_FALSE)
    if isinstance(value, IntVector):
        return struct.pack("<Ii", VECTOR, len(value)) + b"".join(struct.pack("<i", v) for v in value)
    if isinstance(value, LongVector):
        return struct.pack("<Ii", VECTOR, len(value)) + b"".join(struct.pack("<q", v) for v in value)
    if isinstance(value, (list, tuple)):
        return struct.pack("<Ii", VECTOR, len(value)) + b"".join(bytes(v) for v in value)
    if isinstance(value, TLObject):
        return bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"handler returned {type(value).__name__}, which is not a TL result")


def rpc_result(req_msg_id: int, body: bytes) -> bytes:
    if len(body) > GZIP_THRESHOLD and not body.startswith(UPLOAD_FILE):
        packed = gzip.compress(body, compresslevel=1, mtime=0)
        body = struct.pack("<I", GZIP_PACKED) + TLObject.serialize_bytes(packed)
    return struct.pack("<Iq", RPC_RESULT, req_msg_id) + body


def rpc_error(req_msg_id: int, code: int, message: str) -> bytes:
    return (struct.pack("<IqIi", RPC_RESULT, req_msg_id, RPC_ERROR, code)
            + TLObject.serialize_bytes(message))


def split_container(body: bytes) -> list[tuple[int, int, bytes]] | None:
    """The (msg_id, seqno, body) of each message in a msg_container, or None
    if `body` is not a well-formed container."""
    if len(body) < 8 or struct.unpack_from("<I", body)[0] != MSG_CONTAINER:
        return None
    (count,) = struct.unpack_from("<i", body, 4)
    pos, out = 8, []
    if count < 0 or count > 1024:
        return None
    for _ in range(count):
        if pos + 16 > len(body):
            return None
        msg_id, seqno, length = struct.unpack_from("<qii", body, pos)
        pos += 16
        if length < 0 or pos + length > len(body):
            return None
        out.append((msg_id, seqno, body[pos:pos + length]))
        pos += length
    return out


def unpack_gzip(body: bytes) -> bytes | None:
    """The inner bytes of a gzip_packed object, or None if it is not one."""
    if len(body) < 8 or struct.unpack_from("<I", body)[0] != GZIP_PACKED:
        return None
    reader = BinaryReader(body[4:])
    return gzip.decompress(reader.tgread_bytes())
