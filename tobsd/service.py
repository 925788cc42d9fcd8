"""The daemon's service facade: what the control API may ask of a running
tobsd, in plain Python (dicts and core errors, no protobuf).

The API's servicers call only this. Status comes from a snapshot the
daemon's report loop refreshes (about once a second, and at once when a
state changes), plus counters kept in memory, so GetStatus never waits on
SQLite or Telegram. Chat control goes through the daemon, which owns the
sync engine and the configuration:

  - chats of the configuration file stay there: removing one through the
    API is refused (FailedPrecondition naming the file and the entry);
  - chats added through the API are kept in the state database
    (`api_chats`) and tracked again after a restart.
"""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import functools
import logging
import os
import time
from importlib import metadata
from typing import TYPE_CHECKING

import psutil

from tobsd.core.config_chats import ChatConfig, ChatRef
from tobsd.core.errors import (AlreadyExists, AmbiguousChat, ChatUnavailable, FailedPrecondition,
                               InvalidArgument, LoginFailed, LoginRetry, NotFound)
from tobsd.events import EventHub

if TYPE_CHECKING:
    from tobsd.app import Daemon

RATE_WINDOW_S = 60.0
CPU_WINDOW_S = 1.0      # the CPU share reported covers at least this much time
LOGIN_ATTEMPTS = 3

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def daemon_version() -> str:
    try:
        return metadata.version("tobs")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class DaemonService:
    def __init__(self, daemon: "Daemon", events: EventHub):
        self.daemon = daemon
        self.events = events
        self.started = time.monotonic()
        self._snapshot: dict = {"state": "starting", "chats": [], "source": {}, "unresolved": []}
        self._written: collections.deque[tuple[float, int]] = collections.deque()
        self._newest: dict[int, tuple[int, float | None]] = {}   # chat -> (max_applied_id, date)
        self._backfill_seen: dict[int, tuple[float, int]] = {}   # chat -> (when, ids done) first seen
        self._login_lock = asyncio.Lock()
        self._process = psutil.Process()
        self._cpu = 0.0
        self._cpu_mark = (time.monotonic(), self._cpu_seconds())
        self._children: list[psutil.Process] = []     # the vault writer; listed at each refresh
        self.serial = 0                                 # bumped by each refresh
        self.on_refresh: list = []                      # called (in the loop) after each refresh

    # --- status ------------------------------------------------------------------------
    async def refresh(self) -> dict:
        """Called by the daemon's report loop: take a new snapshot and send
        events for what changed since the previous one."""
        status = await self.daemon.collect_status()
        await self._add_newest(status["chats"])
        await self._add_backfill_progress(status["chats"])
        origins = self.daemon.origins
        media_chats = (status.get("media") or {}).get("chats", {})
        for chat in status["chats"]:
            origin = origins.get(chat["id"])
            chat["origin"] = origin.kind if origin else "config"
            if chat.get("id") in media_chats:
                chat["media"] = media_chats[chat["id"]]
        self._publish_changes(self._snapshot, status)
        wall = time.time()
        for chat in status["chats"]:
            newest = chat.get("newest_message")
            chat["lag_s"] = max(0.0, wall - newest) if newest else 0.0
        try:
            self._children = self._process.children()
        except (psutil.Error, OSError):
            self._children = []
        self._measure_cpu(CPU_WINDOW_S)
        now = time.monotonic()
        self._written.append((now, sum(c.get("written", 0) for c in status["chats"])))
        while self._written and now - self._written[0][0] > RATE_WINDOW_S:
            self._written.popleft()
        self._snapshot = status
        self.serial += 1
        for callback in self.on_refresh:
            callback()
        return status

    def _measure_cpu(self, at_least_s: float) -> None:
        """The CPU share since the last measurement, if ``at_least_s`` passed since."""
        now = time.monotonic()
        then, busy_then = self._cpu_mark
        if now - then < max(at_least_s, 1e-9):
            return
        busy = self._cpu_seconds()
        self._cpu = round(100.0 * max(0.0, busy - busy_then) / (now - then), 1)
        self._cpu_mark = (now, busy)

    def _cpu_seconds(self) -> float:
        """The daemon's own CPU time. Read from the process alone: under the
        unit's ProcSubset=pid there is no /proc/stat, which psutil's
        cpu_percent() needs."""
        try:
            times = self._process.cpu_times()
        except (psutil.Error, OSError):
            return 0.0
        return times.user + times.system

    def rate(self) -> float:
        """Messages written per second over the refreshes of the last
        minute, up to now (at rest nothing is written between refreshes).
        Safe from any thread."""
        try:
            (t0, w0), (_, w1) = self._written[0], self._written[-1]
        except IndexError:
            return 0.0
        now = time.monotonic()
        return max(0, w1 - w0) / (now - t0) if now > t0 and w1 > w0 else 0.0

    def lag_s(self, newest: float) -> float:
        """Seconds since a message sent at ``newest`` (epoch seconds)."""
        return max(0.0, time.time() - newest)

    def uptime_s(self) -> float:
        return time.monotonic() - self.started

    def usage(self) -> tuple[int, float]:
        """(RSS of the daemon and its writer process in bytes, now; CPU
        percent of the daemon between the last two refreshes). Safe from
        any thread."""
        self._measure_cpu(CPU_WINDOW_S)   # at rest refreshes are rare: measure at the call
        rss = 0
        for proc in [self._process, *self._children]:
            try:
                rss += proc.memory_info().rss
            except (psutil.Error, OSError):
                pass     # the writer exited between two refreshes
        return rss, self._cpu

    async def _add_newest(self, chats: list[dict]) -> None:
        """The newest applied message's date, read only when it moved."""
        store = self.daemon.store
        for chat in chats:
            if chat.get("id") is None:       # a configured chat that could not be resolved
                continue
            known = self._newest.get(chat["id"])
            if known is None or known[0] != chat.get("max_applied_id"):
                newest = await store.index.recent(chat["id"], 1) if store else []
                known = (chat.get("max_applied_id"), newest[0].date if newest else None)
                self._newest[chat["id"]] = known
            chat["newest_message"] = known[1]

    async def _add_backfill_progress(self, chats: list[dict]) -> None:
        """Ids covered of the backfill's id range, and an ETA from the rate
        since this backfill was first seen."""
        store = self.daemon.store
        now = time.monotonic()
        for chat in chats:
            if chat["state"] != "backfilling" or store is None or chat.get("id") is None:
                self._backfill_seen.pop(chat["id"], None)
                continue
            total = done = 0
            for shard in await store.shards.list(chat["id"]):
                span = shard.hi_id - shard.lo_id
                total += span
                done += span if shard.done else max(0, shard.hi_id - max(shard.next_offset, shard.lo_id))
            first = self._backfill_seen.setdefault(chat["id"], (now, done))
            rate = (done - first[1]) / (now - first[0]) if now > first[0] and done > first[1] else 0.0
            chat.update(backfill_ids_done=done, backfill_ids_total=total,
                        eta_s=(total - done) / rate if rate > 0 else 0.0)

    def _publish_changes(self, old: dict, new: dict) -> None:
        if not self.events.subscribers:
            return      # nobody watches: no per-chat comparison at each refresh
        if old.get("state") != new.get("state"):
            self.events.publish("daemon_state", state=new["state"], error=new.get("error") or "")
        before = {c["id"]: c for c in old.get("chats", [])}
        for chat in new["chats"]:
            prev = before.get(chat["id"])
            if prev is None or prev["state"] != chat["state"] or prev.get("error") != chat.get("error"):
                self.events.publish("chat_state", chat_id=chat["id"], title=chat["title"],
                                    state=chat["state"], error=chat.get("error") or "")
            if prev is None or prev.get("written") != chat.get("written"):
                self.events.publish("progress", chat_id=chat["id"], title=chat["title"],
                                    written=chat.get("written", 0), indexed=chat.get("indexed", 0))

    def status(self) -> dict:
        """The latest snapshot (`chats` and `unresolved` as of the last
        refresh, `serial` telling which; never change them) with the
        daemon's live counters. No I/O but a few reads in /proc."""
        snap = dict(self._snapshot)
        snap["serial"] = self.serial
        source = self.daemon.source.status() if self.daemon.source else None
        chats = snap["chats"]
        rss, cpu = self.usage()
        rate = self.rate()
        writer = self.daemon.writer
        me = self.daemon.me
        snap.update({
            "version": daemon_version(), "pid": os.getpid(),
            "uptime_s": self.uptime_s(),
            "account": {"id": me.id, "name": me.name or (f"@{me.username}" if me.username else "")}
            if me else None,
            "dcs": [{"dc": self.daemon.source.home_dc,
                     "state": "connected" if source and source.connected else "disconnected"}]
            if self.daemon.source else [],
            "takeout": source.takeout if source else "",
            "flood_waits": dict(source.flood_waits) if source else {},
            "pacing": dict(getattr(source, "pacing", None) or {}) if source else {},
            "queues": {"writer_in_flight": getattr(writer, "in_flight", 0) if writer else 0,
                       "chats_waiting": sum(1 for c in chats if c["state"] in ("starting",))},
            "messages_per_s": rate, "rss_bytes": rss, "cpu_percent": cpu,
            "config_error": self.daemon.config_error or "",
            "accelerators": _accelerators(getattr(self.daemon, "processor", None)),
        })
        return snap

    # --- chats ---------------------------------------------------------------------------
    def list_chats(self) -> list[dict]:
        states = {c["id"]: c["state"] for c in self._snapshot.get("chats", [])}
        engine = self.daemon.engine
        out = []
        for chat_id, st in (engine.chats.items() if engine else []):
            out.append(self._chat_info(chat_id, st, states.get(chat_id, st.state)))
        return out

    def _chat_info(self, chat_id: int, st, state: str | None = None) -> dict:
        origin = self.daemon.origins.get(chat_id)
        options = origin.options if origin else None
        return {
            "id": chat_id, "title": st.chat.title, "kind": st.chat.kind.value,
            "username": st.chat.username or "", "origin": origin.kind if origin else "config",
            "config_entry": origin.entry if origin else "",
            "since": options.since.isoformat() if options and options.since else "",
            "media": options.media if options else True,
            "remove_deleted": options.remove_deleted if options else False,
            "paused": st.state == "paused", "state": state or st.state,
        }

    def find_chat(self, name: str):
        """The tracked chat `name` names (@username, link, id or title)."""
        engine = self._engine()
        ref = _parse(name)
        matches = [st for st in engine.chats.values() if _names(ref, st.chat)]
        if not matches:
            raise NotFound(f"no tracked chat is {name!r}; `tobsctl chats` lists them")
        if len(matches) > 1:
            raise InvalidArgument(f"{name!r} names several chats: "
                                  + ", ".join(f"{m.chat.title} ({m.chat.id})" for m in matches))
        return matches[0]

    async def add_chat(self, name: str, *, since: str = "", media: bool | None = None,
                       remove_deleted: bool | None = None) -> dict:
        engine = self._engine()
        ref = _parse(name)
        try:
            since_date = dt.date.fromisoformat(since) if since else None
        except ValueError:
            raise InvalidArgument(f"since: expected a date like 2024-01-31, got {since!r}") from None
        for st in engine.chats.values():
            if _names(ref, st.chat):
                raise AlreadyExists(f"{st.chat.title} ({st.chat.id}) is tracked already")
        sync = self.daemon.config.sync
        options = ChatConfig(ref=ref, since=since_date,
                             media=sync.media if media is None else media,
                             remove_deleted=sync.remove_deleted if remove_deleted is None
                             else remove_deleted)
        chat = await self._resolve(ref, name)
        if chat.id in engine.chats:
            raise AlreadyExists(f"{chat.title} ({chat.id}) is tracked already")
        await self.daemon.add_api_chat(chat, options, name)
        return self._chat_info(chat.id, engine.chats[chat.id])

    async def _resolve(self, ref: ChatRef, name: str):
        from tobsd.sync.selection import ref_value
        try:
            return await self.daemon.source.resolve(ref_value(ref))
        except AmbiguousChat as exc:
            raise InvalidArgument(str(exc)) from None
        except ChatUnavailable as exc:
            raise NotFound(f"Telegram has no chat {name!r} for this account: {exc}") from None

    async def remove_chat(self, name: str, *, delete_notes: bool = False) -> dict:
        st = self.find_chat(name)
        origin = self.daemon.origins.get(st.chat.id)
        if origin is None or origin.kind != "api":
            where = origin.entry if origin else str(self.daemon.config.source)
            raise FailedPrecondition(
                f"{st.chat.title} ({st.chat.id}) is declared in {where}"
                + (f" (chat = {origin.options.ref})" if origin and origin.kind == "config" else "")
                + "; remove it there "
                "(tobsd never rewrites the configuration file), then `tobsctl reload`")
        info = self._chat_info(st.chat.id, st)
        purged = await self.daemon.remove_api_chat(st.chat, delete_notes=delete_notes)
        if purged is not None:
            info.update(notes_deleted=len(purged.deleted_notes),
                        media_deleted=len(purged.deleted_media), kept=purged.kept)
        return info

    async def set_paused(self, name: str, paused: bool) -> dict:
        st = self.find_chat(name)
        await self.daemon.engine.set_paused(st.chat.id, paused)
        self.daemon.report_soon()
        return self._chat_info(st.chat.id, st)

    def sync_now(self, name: str = "") -> list[int]:
        engine = self._engine()
        if name:
            st = self.find_chat(name)
            if st.state == "paused":
                raise FailedPrecondition(f"{st.chat.title} is paused; `tobsctl resume` it first")
            engine.sync_now(st.chat.id)
            return [st.chat.id]
        engine.sync_now(None)
        return [i for i, st in engine.chats.items() if st.state != "paused"]

    async def resync(self, name: str) -> dict:
        """Compare the chat's whole history with Telegram (tobsd.sync.resync)."""
        from tobsd.sync.resync import resync
        st = self.find_chat(name)
        if st.state == "paused":
            raise FailedPrecondition(f"{st.chat.title} is paused; `tobsctl resume` it first")
        engine = self.daemon.engine
        log.info("resync of %s started", st.chat.title)
        result = await resync(self.daemon.source, engine.applier, self.daemon.store,
                              self.daemon.writer, st.chat, since=st.options.since_dt)
        log.info("resync of %s: %d messages checked, %d written, %d deleted, %d notes recreated",
                 st.chat.title, result.checked, result.changed, result.deleted, result.recreated)
        self.daemon.report_soon()
        return {"chat": self._chat_info(st.chat.id, st), "checked": result.checked,
                "changed": result.changed, "deleted": result.deleted, "recreated": result.recreated}

    async def reload_config(self) -> dict:
        return await self.daemon.reload_config()

    # --- login ---------------------------------------------------------------------------
    @property
    def login_busy(self) -> bool:
        """A login through the API is under way (the session file is in use)."""
        return self._login_lock.locked()

    async def login(self, steps):
        """Log in while the daemon waits in needs-login. `steps` yields
        ("phone" | "code" | "password", value) as the user answers; this
        yields (what comes next: "code" | "password" | "phone" again after a
        refused answer | "done", a hint for the person). The answers are used
        and dropped; the daemon notices the new session and goes on."""
        if self.daemon.state != "needs-login":
            raise FailedPrecondition(f"tobsd is {self.daemon.state}, not waiting for a login")
        if self._login_lock.locked():
            raise FailedPrecondition("another login is in progress")
        done = None
        async with self._login_lock:
            flow = self.daemon.login_flow()
            try:
                if await flow.start():
                    done = "the session is authorised already"
                expect, tries = "phone", 0
                async for kind, value in (steps if done is None else _nothing()):
                    if kind != expect:
                        raise InvalidArgument(f"expected the {expect}, got the {kind}")
                    try:
                        if kind == "phone":
                            await flow.send_code(value)
                            nxt = "code"
                        elif kind == "code":
                            nxt = await flow.sign_in_code(value)
                        else:
                            nxt = await flow.sign_in_password(value)
                    except LoginRetry as exc:
                        tries += 1
                        if tries >= LOGIN_ATTEMPTS:
                            raise LoginFailed(f"{exc}; too many tries, start the login again") from None
                        yield expect, f"{exc}; try again"
                        continue
                    finally:
                        value = None
                    tries = 0
                    if nxt == "done":
                        me = await flow.me()
                        log.info("logged in through the control API as user %s", me.id)
                        done = f"logged in as {me.name}"
                        break
                    expect = nxt
                    yield nxt, ""
            finally:
                await flow.close()     # the session file is written and made 0600
        if done is None:
            raise LoginFailed("the login was not finished")
        yield "done", done

    def _engine(self):
        engine = self.daemon.engine
        if engine is None or self.daemon.state != "running":
            raise FailedPrecondition(f"tobsd is {self.daemon.state}"
                                     + ("; run `tobsctl login`" if self.daemon.state == "needs-login"
                                        else "; try again in a moment"))
        return engine


async def _nothing():
    return
    yield


def _parse(name: str) -> ChatRef:
    try:
        return ChatRef.parse(name)
    except ValueError as exc:
        raise InvalidArgument(f"chat {name!r}: {exc}") from None


def _names(ref: ChatRef, chat) -> bool:
    if ref.id is not None:
        return chat.id == ref.id
    if ref.username is not None:
        return bool(chat.username) and chat.username.casefold() == ref.username.casefold()
    return chat.title == ref.title


def _accelerators(processor) -> dict | None:
    """Media processing's AcceleratorReport as plain values (None until the
    start-up detection has finished)."""
    if processor is None or not processor.detected:
        return None
    report = processor.report()
    return {"found": dict(report.found), "used": report.used, "can_encode": report.can_encode,
            "can_decode": report.can_decode, "fallbacks": report.fallbacks,
            "notes": list(report.notes)}
