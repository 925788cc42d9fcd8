"""Control of a running fakegram: in-process (`Control`) and over HTTP/JSON.

Tests and benchmarks post, edit and delete messages (which emits updates),
add fault rules, set the RTT, drop connections, revoke the user's sessions,
read login codes and the log of served requests. `Control` does the work;
`ControlHTTP` exposes the same operations on loopback for other processes:

    GET  /ready                 what a client needs to connect (as --ready-file)
    GET  /state                 pts, chats with their message counts, rtt
    GET  /requests?since=N&method=M   served requests after log position N
    GET  /login_codes           {phone: last code sent}
    POST /post    {"chat": C, "text": "...", "from_id": N?, "reply_to": N?, "topic_id": N?}
    POST /edit    {"chat": C, "id": N, "text": "..."}
    POST /delete  {"chat": C, "ids": [N, ...]}
    POST /rename_chat  {"chat": C, "title": "...", "from_id": N?}   with its service message
    POST /rename_topic {"chat": C, "topic_id": N, "title": "...", "from_id": N?}   likewise
    POST /rename_user  {"user_id": N, "first_name": "...", "last_name": "..."?}   updateUserName
    POST /pin     {"chat": C, "id": N, "pinned": true}
    POST /update_log {"size": N}      how many changes each update box remembers
    POST /faults  {"error": "FLOOD_WAIT_5", "method": "messages.getHistory", "nth": 3, ...}
    GET  /faults; DELETE /faults; DELETE /faults/<id>
    POST /rtt     {"ms": 100}
    POST /file_refs {"ttl_s": 5}   file references expire every 5 s (0: never)
    POST /drop    {"dc": N?}     close client connections
    POST /revoke                 log the user out of every session
    POST /suppress_pushes {"count": N}   leave the next N updates unpushed (a pts gap)
    POST /flood_model {"model": "default" | {...} | null, "scale": F?}   rate limits on/off
    GET  /flood_model            the model in force and what it answered

A chat C is ["channel", id] / ["chat", id] / ["user", id], "@username",
or an exact title. `ControlClient` is a small blocking client for the HTTP side.
"""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import fields

from .faults import FaultRule
from .flood import load_model


class ControlError(Exception):
    """A control request was wrong (unknown chat, bad field); HTTP 400."""


class Control:
    """The operations, on an in-process `fakegram.server.Server`."""

    def __init__(self, server):
        self.server = server
        self.world = server.world

    def resolve_chat(self, ref) -> tuple[str, int]:
        if isinstance(ref, (list, tuple)) and len(ref) == 2:
            key = (str(ref[0]), int(ref[1]))
            if self.world.chat(key) is None:
                raise ControlError(f"no chat {key}")
            return key
        if isinstance(ref, str) and ref.startswith("@"):
            key = self.world.resolve_username(ref[1:])
            if key is None:
                raise ControlError(f"no chat {ref}")
            return key
        if isinstance(ref, str):
            for chat in self.world.chats():
                if chat.title == ref:
                    return chat.key
        raise ControlError(f"no chat {ref!r}")

    def post(self, chat, text: str, from_id: int | None = None,
             reply_to: int | None = None, topic_id: int | None = None) -> dict:
        from .world.model import Reply
        key = self.resolve_chat(chat)
        reply = Reply(msg_id=int(reply_to), top_id=topic_id) if reply_to else None
        msg = self.world.post(key, text, from_id=from_id, reply_to=reply, topic_id=topic_id)
        return {"id": msg.id, "date": msg.date}

    def edit(self, chat, id: int, text: str) -> dict:
        msg = self.world.edit(self.resolve_chat(chat), int(id), text)
        return {"id": msg.id, "edit_date": msg.edit_date}

    def delete(self, chat, ids: list[int]) -> dict:
        return {"deleted": self.world.delete(self.resolve_chat(chat), [int(i) for i in ids])}

    def rename_chat(self, chat, title: str, from_id: int | None = None) -> dict:
        try:
            msg = self.world.rename_chat(self.resolve_chat(chat), str(title), from_id=from_id)
        except KeyError as exc:
            raise ControlError(str(exc)) from None
        return {"id": msg.id, "date": msg.date}

    def rename_topic(self, chat, topic_id: int, title: str, from_id: int | None = None) -> dict:
        try:
            msg = self.world.rename_topic(self.resolve_chat(chat), int(topic_id), str(title),
                                          from_id=from_id)
        except KeyError as exc:
            raise ControlError(str(exc)) from None
        return {"id": msg.id, "date": msg.date}

    def rename_user(self, user_id: int, first_name: str, last_name: str = "") -> dict:
        try:
            user = self.world.rename_user(int(user_id), str(first_name), str(last_name))
        except KeyError as exc:
            raise ControlError(str(exc)) from None
        return {"id": user.id, "name": user.display_name}

    def pin(self, chat, id: int, pinned: bool = True) -> dict:
        msg = self.world.pin(self.resolve_chat(chat), int(id), pinned=bool(pinned))
        return {"service_id": msg.id if msg is not None else None}

    def update_log(self, size: int) -> dict:
        self.world.set_log_size(int(size))
        return {"size": int(size)}

    def add_fault(self, **spec) -> dict:
        allowed = {f.name for f in fields(FaultRule)} - {"id", "added_at", "seen", "fired"}
        unknown = set(spec) - allowed
        if unknown or "error" not in spec:
            raise ControlError(f"fault needs 'error'; unknown fields: {sorted(unknown)}")
        return self.server.faults.add(FaultRule(**spec)).to_dict()

    def faults(self) -> list[dict]:
        return [r.to_dict() for r in self.server.faults.rules()]

    def clear_faults(self) -> dict:
        self.server.faults.clear()
        return {"ok": True}

    def remove_fault(self, rule_id: int) -> dict:
        return {"removed": self.server.faults.remove(rule_id)}

    def set_rtt(self, ms: float) -> dict:
        self.server.rtt_ms = float(ms)
        return {"rtt_ms": self.server.rtt_ms}

    def set_file_ref_ttl(self, ttl_s: float) -> dict:
        self.server.file_ref_ttl_s = float(ttl_s)
        return {"file_ref_ttl_s": self.server.file_ref_ttl_s}

    def drop(self, dc: int | None = None) -> dict:
        return {"dropped": self.server.drop_connections(dc)}

    def revoke(self) -> dict:
        return {"revoked": self.server.revoke_user_keys()}

    def suppress_pushes(self, count: int) -> dict:
        """Do not push the next `count` events (clients must find the gap)."""
        self.server.suppressed_pushes = int(count)
        return {"suppressed": self.server.suppressed_pushes}

    def login_codes(self) -> dict:
        return dict(self.server.state.last_codes)

    def set_flood_model(self, model=None, scale: float | None = None) -> dict:
        """Enforce a flood model from now on: "default", a path, a model as a
        dict (see fakegram.flood), or None to turn limits off; `scale`
        multiplies its rates and bursts."""
        try:
            loaded = load_model(model)
        except (OSError, ValueError) as exc:
            raise ControlError(f"flood model: {exc}") from None
        if loaded is not None and scale is not None:
            loaded = loaded.scaled(float(scale))
        self.server.set_flood_model(loaded)
        return self.flood_model()

    def flood_model(self) -> dict:
        gate = self.server.flood
        if gate is None:
            return {"model": None}
        return {"model": gate.model.to_dict(), **gate.stats()}

    def requests(self, since: int = 0, method: str | None = None) -> list[dict]:
        return self.server.request_log(since, method)

    def state(self) -> dict:
        return {
            "me": self.world.me, "home_dc": self.server.home_dc, "pts": self.world.pts,
            "rtt_ms": self.server.rtt_ms,
            "chats": [{"kind": c.kind, "family": c.family, "id": c.id, "title": c.title,
                       "username": c.username, "count": self.world.count(c.key)}
                      for c in self.world.chats()],
        }


class ControlHTTP:
    """A minimal HTTP/1.1 JSON server on loopback for `Control`."""

    def __init__(self, control: Control, host: str = "127.0.0.1", port: int = 0):
        self.control, self.host, self.port = control, host, port
        self._server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader, writer) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in
                       (l.split(":", 1) for l in lines[1:] if ":" in l)}
            length = int(headers.get("content-length", "0"))
            if length > 1 << 20:
                raise ControlError("body too large")
            raw = await reader.readexactly(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, result = 200, self._route(method, target, body)
        except ControlError as exc:
            status, result = 400, {"error": str(exc)}
        except (ValueError, KeyError, TypeError) as exc:
            status, result = 400, {"error": f"bad request: {exc}"}
        except Exception as exc:  # keep the control endpoint alive
            status, result = 500, {"error": repr(exc)}
        data = json.dumps(result).encode()
        writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + data)
        try:
            await writer.drain()
        finally:
            writer.close()

    def _route(self, method: str, target: str, body: dict):
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path.rstrip("/")
        c = self.control
        if method == "GET" and path == "/ready":
            return {**c.server.ready_info(), "control": self.url}
        if method == "GET" and path == "/state":
            return c.state()
        if method == "GET" and path == "/requests":
            return c.requests(int(query.get("since", 0)), query.get("method"))
        if method == "GET" and path == "/login_codes":
            return c.login_codes()
        if method == "GET" and path == "/faults":
            return c.faults()
        if method == "GET" and path == "/flood_model":
            return c.flood_model()
        if method == "DELETE" and path == "/faults":
            return c.clear_faults()
        if method == "DELETE" and path.startswith("/faults/"):
            return c.remove_fault(int(path.rsplit("/", 1)[1]))
        posts = {"/post": c.post, "/edit": c.edit, "/delete": c.delete,
                 "/rename_chat": c.rename_chat, "/rename_topic": c.rename_topic,
                 "/rename_user": c.rename_user,
                 "/pin": c.pin, "/update_log": c.update_log,
                 "/faults": c.add_fault, "/rtt": c.set_rtt, "/drop": c.drop,
                 "/file_refs": c.set_file_ref_ttl,
                 "/revoke": c.revoke, "/suppress_pushes": c.suppress_pushes,
                 "/flood_model": c.set_flood_model}
        if method == "POST" and path in posts:
            return posts[path](**body)
        raise ControlError(f"no route {method} {path}")


class ControlClient:
    """Blocking client of `ControlHTTP`, for tests and benchmarks in other
    processes (do not call it from the event loop that runs the server)."""

    def __init__(self, url: str, timeout: float = 30):
        self.url, self.timeout = url.rstrip("/"), timeout

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise ControlError(json.loads(exc.read()).get("error", str(exc))) from None

    def ready(self): return self._call("GET", "/ready")
    def state(self): return self._call("GET", "/state")
    def login_codes(self): return self._call("GET", "/login_codes")

    def requests(self, since: int = 0, method: str | None = None):
        q = urllib.parse.urlencode({"since": since, **({"method": method} if method else {})})
        return self._call("GET", "/requests?" + q)

    def post(self, chat, text, **kw): return self._call("POST", "/post", {"chat": chat, "text": text, **kw})
    def edit(self, chat, id, text): return self._call("POST", "/edit", {"chat": chat, "id": id, "text": text})
    def delete(self, chat, ids): return self._call("POST", "/delete", {"chat": chat, "ids": ids})
    def rename_chat(self, chat, title, **kw):
        return self._call("POST", "/rename_chat", {"chat": chat, "title": title, **kw})

    def rename_topic(self, chat, topic_id, title, **kw):
        return self._call("POST", "/rename_topic",
                          {"chat": chat, "topic_id": topic_id, "title": title, **kw})

    def rename_user(self, user_id, first_name, last_name=""):
        return self._call("POST", "/rename_user",
                          {"user_id": user_id, "first_name": first_name, "last_name": last_name})

    def pin(self, chat, id, pinned=True): return self._call("POST", "/pin", {"chat": chat, "id": id, "pinned": pinned})
    def update_log(self, size): return self._call("POST", "/update_log", {"size": size})
    def add_fault(self, **spec): return self._call("POST", "/faults", spec)
    def faults(self): return self._call("GET", "/faults")
    def clear_faults(self): return self._call("DELETE", "/faults")
    def set_rtt(self, ms): return self._call("POST", "/rtt", {"ms": ms})
    def set_file_ref_ttl(self, ttl_s): return self._call("POST", "/file_refs", {"ttl_s": ttl_s})
    def drop(self, dc=None): return self._call("POST", "/drop", {"dc": dc})
    def revoke(self): return self._call("POST", "/revoke", {})
    def suppress_pushes(self, count): return self._call("POST", "/suppress_pushes", {"count": count})
    def set_flood_model(self, model, scale=None):
        return self._call("POST", "/flood_model", {"model": model, "scale": scale})
    def flood_model(self): return self._call("GET", "/flood_model")
