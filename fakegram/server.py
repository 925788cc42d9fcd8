"""The fakegram server: one TCP listener per data centre, the registry of auth
keys and sessions, request dispatch (unwrapping, latency, faults, handlers),
the request log, and updates pushed to the account's home-DC sessions.

Use it in-process:

    server = Server(world, state_dir=tmp)
    await server.start()
    ... server.session_string(), server.dc_options(), server.faults ...
    await server.stop()

or from the command line (`python -m fakegram serve`, see __main__.py).
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import struct
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import functions

from . import wire
from .connection import Connection
from .crypto import ServerKey, auth_key_id
from .faults import FaultInjector, method_name, request_peer_id
from .flood import FloodGate, FloodModel
from .rpc import AuthRecord, RequestContext, RpcError
from .tl.methods import HANDLERS
from .tl.push import build_updates
from .tl.state import ServerState

log = logging.getLogger(__name__)

DEFAULT_DCS = (1, 2, 3, 4, 5)
API_ID = 611335
API_HASH = "d524b414d21f4d37f08684c1df41ac9c"  # fakegram's own, not a real app's


@dataclass
class RequestRecord:
    """One served request, for assertions in tests and benchmarks."""
    seq: int
    at: float
    dc: int
    method: str
    peer_id: int | None
    error: str | None
    ms: float
    takeout: bool
    conn: int
    bytes: int = 0      # the answer's serialized size (before the transport's gzip)


@dataclass
class Outcome:
    payload: bytes
    drop: bool = False


class DcListener:
    """The TCP listener of one data centre."""

    def __init__(self, server: "Server", dc_id: int, host: str, port: int):
        self.server, self.dc_id, self.host, self.port = server, dc_id, host, port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader, writer) -> None:
        conn = Connection(self, reader, writer)
        self.server.connections.add(conn)
        await conn.serve()

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()


class Server:
    """All DCs of one fake Telegram serving one world."""

    def __init__(self, world, *, state_dir: str | os.PathLike, host: str = "127.0.0.1",
                 rtt_ms: float = 0, dc_ids=DEFAULT_DCS, ports: dict[int, int] | None = None,
                 log_size: int = 100_000, rsa_key: ServerKey | None = None,
                 flood_model: FloodModel | None = None):
        self.world = world
        self.host = host
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.rtt_ms = rtt_ms
        # File references expire every file_ref_ttl_s seconds (0: never),
        # checked lazily as requests come.
        self.file_ref_ttl_s = 0.0
        self._refs_since = time.monotonic()
        self.rsa_key = rsa_key or ServerKey.load_or_create(self.state_dir)
        self.listeners = {dc: DcListener(self, dc, host, (ports or {}).get(dc, 0))
                          for dc in dc_ids}
        self.home_dc = world.home_dc
        self.auth_keys: dict[int, AuthRecord] = {}
        self._salts: dict[int, int] = {}
        self.sessions: dict = {}
        self.connections: set[Connection] = set()
        self.faults = FaultInjector()
        self.flood: FloodGate | None = None
        self.set_flood_model(flood_model or getattr(world, "flood_model", None))
        self.requests: collections.deque[RequestRecord] = collections.deque(maxlen=log_size)
        self._request_seq = 0
        self.state = ServerState(world)
        self._unsubscribe = None
        self.suppressed_pushes = 0   # the next N world events are not pushed (gap tests)
        self._load_keys()

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        for listener in self.listeners.values():
            await listener.start()
        self._unsubscribe = self.world.subscribe(self._on_world_event)

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        for listener in self.listeners.values():
            await listener.stop()
        for conn in list(self.connections):
            conn.close()
        self._save_keys()

    def connection_closed(self, conn: Connection) -> None:
        self.connections.discard(conn)

    def drop_connections(self, dc_id: int | None = None) -> int:
        """Close every client connection (of one DC); returns how many."""
        victims = [c for c in self.connections if dc_id is None or c.dc_id == dc_id]
        for conn in victims:
            conn.close()
        return len(victims)

    # --- addresses and sessions ---------------------------------------------------------
    def dc_options(self) -> list[tuple[int, str, int]]:
        return [(dc, l.host, l.port) for dc, l in sorted(self.listeners.items())]

    def user_key(self, dc_id: int | None = None) -> bytes:
        """A registered auth key of the world's user on a DC (home by default),
        made once and kept in the state folder."""
        dc_id = dc_id or self.home_dc
        for record in self.auth_keys.values():
            if record.dc_id == dc_id and record.user_id == self.world.me and not record.temp \
                    and record.preregistered:
                return record.key
        record = self.register_key(os.urandom(256), dc_id, user_id=self.world.me,
                                   preregistered=True)
        return record.key

    def session_string(self, dc_id: int | None = None) -> str:
        """A Telethon StringSession of the world's logged-in user."""
        dc_id = dc_id or self.home_dc
        session = StringSession()
        listener = self.listeners[dc_id]
        session.set_dc(dc_id, listener.host, listener.port)
        session.auth_key = AuthKey(self.user_key(dc_id))
        return session.save()

    def register_key(self, key: bytes, dc_id: int, *, salt: int | None = None,
                     temp: bool = False, user_id: int | None = None,
                     preregistered: bool = False) -> AuthRecord:
        """Make a key known to the server (from a handshake, or made here)."""
        record = AuthRecord(key=key, key_id=auth_key_id(key), dc_id=dc_id,
                            user_id=user_id, temp=temp, preregistered=preregistered)
        self.auth_keys[record.key_id] = record
        self._salts[record.key_id] = salt if salt else struct.unpack("<q", os.urandom(8))[0]
        if not temp:
            self._save_keys()
        return record

    def salt_for(self, record: AuthRecord) -> int:
        return self._salts[record.key_id]

    def revoke_user_keys(self) -> int:
        """Log the world's user out everywhere, as terminating the sessions
        from another device does: the keys stay known but unauthorised
        (AUTH_KEY_UNREGISTERED) and their connections are closed."""
        count = 0
        for record in self.auth_keys.values():
            if record.user_id == self.world.me:
                record.user_id = None
                count += 1
        for conn in list(self.connections):
            if conn.auth is not None and conn.auth.user_id is None:
                conn.close()
        self._save_keys()
        return count

    def _keys_path(self) -> Path:
        return self.state_dir / "auth_keys.json"

    def _save_keys(self) -> None:
        data = [{"key": r.key.hex(), "dc": r.dc_id, "user_id": r.user_id,
                 "salt": self._salts[r.key_id], "pre": r.preregistered}
                for r in self.auth_keys.values() if not r.temp]
        tmp = self._keys_path().with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self._keys_path())

    def _load_keys(self) -> None:
        try:
            data = json.loads(self._keys_path().read_text())
        except (FileNotFoundError, ValueError):
            return
        for item in data:
            key = bytes.fromhex(item["key"])
            record = AuthRecord(key=key, key_id=auth_key_id(key), dc_id=item["dc"],
                                user_id=item["user_id"])
            record.preregistered = item.get("pre", False)
            self.auth_keys[record.key_id] = record
            self._salts[record.key_id] = item["salt"]

    # --- requests -------------------------------------------------------------------------
    async def delay(self) -> None:
        """The configured round-trip time, paid once per answer."""
        if self.rtt_ms > 0:
            await asyncio.sleep(self.rtt_ms / 1000)

    def expire_refs_on_schedule(self, now: float) -> None:
        """Expire every file reference when `now` reaches the end of the
        current period (`_refs_since + file_ref_ttl_s`), starting the next."""
        # Compared as `now >= since + ttl`, not `now - since >= ttl`: a caller
        # naming the period's end exactly gets the same float sum, whereas the
        # difference can round to just under the ttl.
        if self.file_ref_ttl_s > 0 and now >= self._refs_since + self.file_ref_ttl_s:
            self._refs_since = now
            self.world.expire_file_references()

    async def call(self, conn: Connection, msg_id: int, request) -> Outcome:
        """Answer one RPC: unwrap it, wait the RTT, apply faults, run its handler."""
        started = time.monotonic()
        self.expire_refs_on_schedule(started)
        ctx = RequestContext(world=self.world, dc_id=conn.dc_id, home_dc=self.home_dc,
                             auth=conn.auth, server=self)
        query = await self._unwrap(conn, request, ctx)
        if not ctx.without_updates and conn.dc_id == self.home_dc:
            conn.wants_updates = True
        method = method_name(query)
        peer_id = request_peer_id(query)
        await self.delay()
        error: str | None = None
        user_before = conn.auth.user_id
        fault = self.faults.check(method, conn.dc_id, peer_id)
        if fault is not None and fault.drop:
            error = "drop"
            outcome = Outcome(wire.rpc_error(msg_id, 500, "RPC_CALL_FAIL"), drop=True)
        elif fault is not None:
            error = fault.message
            outcome = Outcome(wire.rpc_error(msg_id, fault.code, fault.message))
        elif (wait := self._flood_wait(conn, method, ctx)) is not None:
            error = f"FLOOD_WAIT_{wait}"
            outcome = Outcome(wire.rpc_error(msg_id, 420, error))
        else:
            outcome, error = await self._handle(ctx, msg_id, query)
        if conn.auth.user_id != user_before:
            self._save_keys()
        self._record(conn, method, peer_id, error, started, ctx.takeout_id is not None,
                     len(outcome.payload))
        return outcome

    def set_flood_model(self, model: FloodModel | None) -> None:
        """Enforce `model` from now on (fresh buckets); None turns limits off."""
        self.flood = FloodGate(model) if model is not None else None

    def _flood_wait(self, conn: Connection, method: str, ctx: RequestContext) -> int | None:
        if self.flood is None or conn.auth is None:
            return None
        return self.flood.check(method, conn.auth.key_id, ctx.takeout_id is not None)

    async def _unwrap(self, conn: Connection, request, ctx: RequestContext):
        while True:
            if isinstance(request, functions.InvokeWithLayerRequest):
                ctx.layer = conn.auth.layer = request.layer
            elif isinstance(request, functions.InitConnectionRequest):
                ctx.extra["api_id"] = request.api_id
            elif isinstance(request, functions.InvokeWithoutUpdatesRequest):
                ctx.without_updates = True
            elif isinstance(request, functions.InvokeWithTakeoutRequest):
                ctx.takeout_id = request.takeout_id
            elif isinstance(request, functions.InvokeAfterMsgRequest):
                await conn.wait_for_msgs([request.msg_id])
            elif isinstance(request, functions.InvokeAfterMsgsRequest):
                await conn.wait_for_msgs(list(request.msg_ids))
            elif isinstance(request, functions.InvokeWithMessagesRangeRequest):
                ctx.extra["messages_range"] = (request.range.min_id, request.range.max_id)
            else:
                return request
            request = request.query

    async def _handle(self, ctx: RequestContext, msg_id: int, query) -> tuple[Outcome, str | None]:
        handler = HANDLERS.get(query.CONSTRUCTOR_ID)
        if handler is None:
            message = f"INPUT_METHOD_INVALID_{query.CONSTRUCTOR_ID:08X}"
            return Outcome(wire.rpc_error(msg_id, 400, message)), message
        try:
            result = await handler(ctx, query)
            return Outcome(wire.rpc_result(msg_id, wire.pack_result(result))), None
        except RpcError as exc:
            return Outcome(wire.rpc_error(msg_id, exc.code, exc.message)), exc.message
        except Exception:
            log.exception("handler for %s failed", method_name(query))
            return Outcome(wire.rpc_error(msg_id, 500, "INTERNAL")), "INTERNAL"

    def _record(self, conn, method, peer_id, error, started, takeout, size) -> None:
        self._request_seq += 1
        self.requests.append(RequestRecord(
            seq=self._request_seq, at=time.time(), dc=conn.dc_id, method=method,
            peer_id=peer_id, error=error, ms=round((time.monotonic() - started) * 1000, 3),
            takeout=takeout, conn=id(conn), bytes=size))

    def request_log(self, since: int = 0, method: str | None = None) -> list[dict]:
        return [asdict(r) for r in self.requests
                if r.seq > since and (method is None or r.method == method)]

    # --- updates ---------------------------------------------------------------------------
    def _on_world_event(self, event) -> None:
        if self.suppressed_pushes > 0:
            self.suppressed_pushes -= 1
            return
        body = bytes(build_updates(self.world, event))
        loop = asyncio.get_running_loop()
        for conn in list(self.connections):
            if conn.dc_id == self.home_dc and conn.wants_updates and not conn.closed \
                    and conn.auth is not None and conn.auth.user_id == self.world.me:
                loop.create_task(conn.push(body))

    # --- what a client needs to connect ------------------------------------------------------
    def ready_info(self) -> dict:
        return {
            "dcs": {str(dc): [host, port] for dc, host, port in self.dc_options()},
            "home_dc": self.home_dc,
            "rsa_public_key_pem": self.rsa_key.public_pem,
            "session_string": self.session_string(),
            "api_id": API_ID,
            "api_hash": API_HASH,
        }
