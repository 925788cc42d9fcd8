"""One client TCP connection: framing, the handshake, MTProto 2.0 messages.

The connection reads frames, answers unencrypted handshake messages, and
decrypts the rest with the auth key they name. Every content message is
checked the way Telegram checks it (msg_id parity and time window, seqno
parity, server salt) and answered with the matching service message when it
fails. RPC calls run as separate tasks so a slow answer (the configured RTT,
a handler waiting) never blocks the others; `invokeAfterMsg` waits for the
message it names.
"""
from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
from typing import TYPE_CHECKING

from telethon.errors import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from . import wire
from .crypto import decrypt_client_message, encrypt_server_message
from .handshake import Handshake, HandshakeError
from .rpc import AuthRecord
from .transport import Codec, TransportClosed, detect, transport_error

if TYPE_CHECKING:  # pragma: no cover
    from .server import DcListener

log = logging.getLogger(__name__)

# Client service messages that are not content-related (even seqno).
_NOT_CONTENT = {0x62D6B459, 0x73F1F8DC, 0xDA69FB52, 0x7D861A08, 0x8CC0D131}
_MSG_TOO_OLD, _MSG_TOO_NEW = 300, 30


def _msg_id_problem(msg_id: int) -> int:
    """The bad_msg_notification code for a client msg_id, or 0 if it is fine:
    18 wrong low bits, 16 too old, 17 too far in the future."""
    if msg_id % 4 != 0:
        return 18
    sent = msg_id >> 32
    now = time.time()
    if sent < now - _MSG_TOO_OLD:
        return 16
    if sent > now + _MSG_TOO_NEW:
        return 17
    return 0


class MsgIdClock:
    """Server msg_ids: odd, strictly increasing, near real time.
    Responses are 1 mod 4, messages the server starts itself 3 mod 4."""

    def __init__(self):
        self._last = 0

    def next(self, response: bool) -> int:
        now = time.time()
        candidate = (int(now) << 32) | (int((now % 1) * 2**32) & 0xFFFFFFFC)
        candidate = max(candidate, (self._last | 3) + 1)
        candidate = (candidate & ~3) | (1 if response else 3)
        self._last = candidate
        return candidate


class ServerSession:
    """Per (auth key, session id): the server's seqno and msg_id clock."""

    def __init__(self, session_id: int):
        self.session_id = session_id
        self.clock = MsgIdClock()
        self._seq = 0
        self.seen_ids: set[int] = set()
        self.done: dict[int, asyncio.Event] = {}

    def seqno(self, content: bool) -> int:
        if content:
            self._seq += 1
            return self._seq * 2 - 1
        return self._seq * 2


class Connection:
    """Serves one TCP connection until it closes."""

    def __init__(self, listener: "DcListener", reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter):
        self.listener = listener
        self.server = listener.server
        self.dc_id = listener.dc_id
        self.reader = reader
        self.writer = writer
        self.codec: Codec | None = None
        self.auth: AuthRecord | None = None
        self.session: ServerSession | None = None
        self.wants_updates = False
        self._handshake: Handshake | None = None
        self._tasks: set[asyncio.Task] = set()
        self._write_lock = asyncio.Lock()
        self._closed = False
        self._disconnect_timer: asyncio.TimerHandle | None = None

    # --- lifecycle --------------------------------------------------------------
    async def serve(self) -> None:
        try:
            self.codec = await detect(self.reader)
            while not self._closed:
                payload = await self.codec.read_packet(self.reader)
                await self._on_packet(payload)
        except (TransportClosed, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # a bug must not take the server down
            log.exception("connection on DC %s failed", self.dc_id)
        finally:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._disconnect_timer:
            self._disconnect_timer.cancel()
        for task in self._tasks:
            task.cancel()
        try:
            self.writer.close()
        except Exception:
            pass
        self.server.connection_closed(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_frame_locked(self, frame: bytes, *, drop_midway: bool = False) -> None:
        """Write one frame; the caller holds `_write_lock`."""
        if drop_midway:
            self.writer.write(frame[: max(1, len(frame) // 2)])
            await self.writer.drain()
            self.close()
            return
        self.writer.write(frame)
        try:
            await self.writer.drain()
        except ConnectionError:
            self.close()

    async def _transport_error(self, code: int) -> None:
        if not self._closed:
            async with self._write_lock:
                self.writer.write(transport_error(self.codec, code))
                try:
                    await self.writer.drain()
                except ConnectionError:
                    pass
        self.close()

    # --- frames -----------------------------------------------------------------
    async def _on_packet(self, payload: bytes) -> None:
        if len(payload) < 8:
            await self._transport_error(404)
            return
        key_id = struct.unpack_from("<Q", payload)[0]
        if key_id == 0:
            await self._on_plain(payload)
        else:
            await self._on_encrypted(key_id, payload)

    async def _on_plain(self, payload: bytes) -> None:
        if len(payload) < 20:
            raise TransportClosed("short unencrypted message")
        _msg_id, length = struct.unpack_from("<qi", payload, 8)
        if length <= 0 or 20 + length > len(payload):
            raise TransportClosed("bad unencrypted length")
        try:
            request = BinaryReader(payload[20:20 + length]).tgread_object()
        except Exception as exc:
            raise TransportClosed("undecodable handshake message") from exc
        if self._handshake is None:
            self._handshake = Handshake(self.server.rsa_key)
        try:
            answer = self._handshake.answer(request)
        except HandshakeError as exc:
            log.info("handshake on DC %s failed: %s", self.dc_id, exc)
            raise TransportClosed(str(exc)) from exc
        await self.server.delay()
        if isinstance(answer, types.DhGenOk):
            self.server.register_key(self._handshake.auth_key, self.dc_id,
                                     salt=self._handshake.server_salt,
                                     temp=self._handshake.temp_expires is not None)
            self._handshake = None
        body = bytes(answer)
        out_id = MsgIdClock().next(response=True)
        async with self._write_lock:
            if not self._closed:
                await self._write_frame_locked(
                    self.codec.encode(struct.pack("<qqi", 0, out_id, len(body)) + body))

    async def _on_encrypted(self, key_id: int, payload: bytes) -> None:
        record = self.server.auth_keys.get(key_id)
        if record is None or len(payload) < 24 + 32:
            await self._transport_error(404)
            return
        plain = decrypt_client_message(record.key, payload[8:24], payload[24:])
        if plain is None or len(plain) < 32:
            # Telegram drops a connection whose message does not verify.
            raise TransportClosed("msg_key mismatch")
        salt, session_id, msg_id, seqno, length = struct.unpack_from("<qqqii", plain)
        if length < 0 or length > len(plain) - 32 or (len(plain) - 32 - length) > 1024 + 15:
            raise TransportClosed("bad inner length")
        body = plain[32:32 + length]
        self.auth = record
        await self._on_message(record, salt, session_id, msg_id, seqno, body)

    # --- messages -----------------------------------------------------------------
    async def _on_message(self, record: AuthRecord, salt: int, session_id: int,
                          msg_id: int, seqno: int, body: bytes) -> None:
        key = (record.key_id, session_id)
        session = self.server.sessions.get(key)
        fresh = session is None
        self.session = session or ServerSession(session_id)
        bad = _msg_id_problem(msg_id)
        if bad:
            await self._bad_msg(msg_id, seqno, bad)
            return
        valid_salt = self.server.salt_for(record)
        if salt != valid_salt:
            # The session starts only with a message that carries the right salt.
            await self._send_service(types.BadServerSalt(
                bad_msg_id=msg_id, bad_msg_seqno=seqno, error_code=48,
                new_server_salt=valid_salt), content=False)
            return
        if fresh:
            self.server.sessions[key] = self.session
            await self._send_service(types.NewSessionCreated(
                first_msg_id=msg_id, unique_id=int.from_bytes(os.urandom(8), "little", signed=True),
                server_salt=valid_salt), content=False)
        await self._dispatch(msg_id, seqno, body)

    async def _bad_msg(self, msg_id: int, seqno: int, code: int) -> None:
        await self._send_service(types.BadMsgNotification(
            bad_msg_id=msg_id, bad_msg_seqno=seqno, error_code=code), content=False)

    async def _dispatch(self, msg_id: int, seqno: int, body: bytes) -> None:
        inner = wire.split_container(body)
        if inner is not None:
            if seqno % 2:
                await self._bad_msg(msg_id, seqno, 35)
                return
            for in_id, in_seq, in_body in inner:
                bad = _msg_id_problem(in_id)
                if bad:
                    await self._bad_msg(in_id, in_seq, bad)
                    continue
                await self._dispatch(in_id, in_seq, in_body)
            return
        unpacked = wire.unpack_gzip(body) if len(body) >= 8 else None
        if unpacked is not None:
            body = unpacked
        if len(body) < 4:
            return
        constructor = struct.unpack_from("<I", body)[0]
        content = constructor not in _NOT_CONTENT
        if content != bool(seqno % 2):
            await self._bad_msg(msg_id, seqno, 34 if content else 35)
            return
        if msg_id in self.session.seen_ids:
            return  # a duplicate: Telegram ignores it
        self.session.seen_ids.add(msg_id)
        if len(self.session.seen_ids) > 4096:
            self.session.seen_ids = set(sorted(self.session.seen_ids)[-2048:])
        if not content:
            return  # msgs_ack and other bookkeeping need no answer
        try:
            obj = BinaryReader(body).tgread_object()
        except TypeNotFoundError as exc:
            await self._send_rpc_error(msg_id, 400, f"INPUT_CONSTRUCTOR_INVALID_{exc.invalid_constructor_id:08X}")
            return
        except Exception:
            await self._send_rpc_error(msg_id, 400, "INPUT_REQUEST_INVALID")
            return
        if isinstance(obj, (functions.PingRequest, functions.PingDelayDisconnectRequest)):
            self._spawn(self._pong(msg_id, obj))
            return
        done = self.session.done.setdefault(msg_id, asyncio.Event())
        self._spawn(self._rpc(msg_id, obj, done))

    async def _pong(self, msg_id: int, ping) -> None:
        if isinstance(ping, functions.PingDelayDisconnectRequest):
            if self._disconnect_timer:
                self._disconnect_timer.cancel()
            self._disconnect_timer = asyncio.get_running_loop().call_later(
                ping.disconnect_delay, self.close)
        await self.server.delay()
        await self._send(bytes(types.Pong(msg_id=msg_id, ping_id=ping.ping_id)),
                         response=True, content=False)

    async def _rpc(self, msg_id: int, request, done: asyncio.Event) -> None:
        try:
            outcome = await self.server.call(self, msg_id, request)
            if outcome.drop:
                await self._send(outcome.payload, response=True, content=True, drop_midway=True)
            else:
                await self._send(outcome.payload, response=True, content=True)
        finally:
            done.set()
            if self.session:
                self.session.done.pop(msg_id, None)

    async def wait_for_msgs(self, ids: list[int]) -> None:
        """invokeAfterMsg(s): wait until those requests have been answered."""
        events = [self.session.done[i] for i in ids if self.session and i in self.session.done]
        for event in events:
            await event.wait()

    # --- sending ------------------------------------------------------------------
    async def _send_rpc_error(self, msg_id: int, code: int, message: str) -> None:
        await self._send(wire.rpc_error(msg_id, code, message), response=True, content=True)

    async def _send_service(self, obj, *, content: bool) -> None:
        await self._send(bytes(obj), response=True, content=content)

    async def push(self, body: bytes) -> None:
        """Send a message the server starts itself (an update)."""
        await self._send(body, response=False, content=True)

    async def _send(self, body: bytes, *, response: bool, content: bool,
                    drop_midway: bool = False) -> None:
        if self.auth is None or self.session is None:
            return
        auth, session = self.auth, self.session
        # msg_id and seqno are taken under the lock so they reach the wire in order.
        async with self._write_lock:
            if self._closed:
                return
            plain = struct.pack("<qqqii", self.server.salt_for(auth), session.session_id,
                                session.clock.next(response), session.seqno(content),
                                len(body)) + body
            frame = self.codec.encode(encrypt_server_message(auth.key, auth.key_id, plain))
            await self._write_frame_locked(frame, drop_midway=drop_midway)
