"""The vault writer in a process of its own, behind the same interface.

Rendering messages and rewriting notes is most of the daemon's CPU per
message during a backfill, and all of it is Python holding the GIL. Run in
a child process, it uses another core while the daemon's event loop keeps
receiving and decoding the next pages; during a big backfill it also keeps
the event loop free for live updates and the systemd watchdog.

:class:`RemoteWriter` offers the :class:`~tobsd.vault.writer.VaultWriter`
methods the sync engine uses, with the same contracts: ``apply`` returns
only after every note it touched is durably on disk, and errors (a full
disk among them) reach the caller as the same exception types. The child
(:mod:`tobsd.vault.writer_process`) serves requests one at a time, in the
order they were sent (an urgent apply before ordinary ones still waiting),
and also runs the vault watcher, so it owns every
read and write of notes.

``note_of`` and ``remember_location`` are answered from a local mirror of
message locations (filled from what each ``apply`` reports); what the child
must also know is sent along, in order, before the next request.

Failure handling: if the child dies, every request in flight fails with
:class:`WriterGone` (nothing of them is committed to the state database,
so the engine's retry applies them again) and the next request starts a
new child, told the settings and the known locations. The child dies with
the daemon (``PR_SET_PDEATHSIG``), ignores SIGTERM/SIGINT (the daemon
shuts it down after its own last write), and exits when the socket closes.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, Collection

from tobsd.core.models import Chat, Message, Person, Topic
from tobsd.vault.atomic import VaultError
from tobsd.vault.lru import LRU
from tobsd.vault.options import ChatSettings, VaultConfig
from tobsd.vault.purge import PurgeResult
from tobsd.vault.writer import LOCATIONS_KNOWN, ApplyResult

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
STREAM_LIMIT = 64 * 2**20
STOP_TIMEOUT_S = 30


class WriterGone(VaultError):
    """The writer process exited before answering; the request was not applied."""


def frame(obj: Any) -> bytes:
    """One message on the socket: a 4-byte length, then the pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next message; raises ``asyncio.IncompleteReadError`` at the end of the stream."""
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return pickle.loads(await reader.readexactly(size))


def _spawn() -> tuple[subprocess.Popen, socket.socket]:
    """A new writer process and our end of its socket; it waits for `init`."""
    ours, theirs = socket.socketpair()
    with theirs:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tobsd.vault.writer_process",
             str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
    return proc, ours


class SpawnedWriter:
    """A writer process started before the daemon has imported the rest of
    itself, so the two interpreters start up side by side; a RemoteWriter
    takes it over at its first start. `discard()` stops it if none did."""

    def __init__(self) -> None:
        self.proc, self._sock = _spawn()
        self._taken = False

    def take(self) -> tuple[subprocess.Popen, socket.socket]:
        self._taken = True
        return self.proc, self._sock

    def discard(self) -> None:
        if self._taken:
            return
        self._taken = True
        self._sock.close()   # the child sees the end of its stream before init and exits
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class RemoteWriter:
    """A :class:`VaultWriter` running in a child process (see module doc)."""

    def __init__(self, vault_dir: Path, config: VaultConfig | None = None, *, watch: bool = True,
                 spawned: "SpawnedWriter | None" = None):
        """`spawned`: a child started earlier (see SpawnedWriter), used for
        the first start."""
        self.vault_dir = Path(vault_dir)
        self._spawned = spawned
        self.config = config or VaultConfig()
        self.watch = watch
        self._where: LRU[tuple[int, int], str] = LRU(LOCATIONS_KNOWN)
        self._user_deleted: dict[int, set[str]] = {}   # chat id -> notes the user deleted
        self._topics: dict[tuple[int, int], Topic] = {}   # told to every new child
        self._proc: subprocess.Popen | None = None
        self._stream: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._starting = asyncio.Lock()
        self._broken = False   # a send failed: the child is replaced at the next request

    # -- lifecycle --------------------------------------------------------------
    async def start(self) -> None:
        """Start the child now (it also starts on the first request)."""
        await self._ensure_running()

    async def close(self) -> None:
        """Let the child finish what it was sent, then stop it."""
        if self._running():
            try:
                await self._call("close")
            except WriterGone:
                pass
        if self._stream is not None:
            self._stream.close()
        if self._proc is not None:
            try:
                await asyncio.to_thread(self._proc.wait, STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error("the vault writer process did not stop; killing it")
                self._proc.kill()
                await asyncio.to_thread(self._proc.wait)
        if self._replies is not None:
            self._replies.cancel()
            await asyncio.gather(self._replies, return_exceptions=True)
        self._proc = self._stream = self._replies = None

    def _running(self) -> bool:
        return self._proc is not None and self._stream is not None and not self._broken and \
            self._replies is not None and not self._replies.done()

    async def _ensure_running(self) -> None:
        async with self._starting:
            if self._running():
                return
            if self._proc is not None:   # it died, or its socket broke: replace it
                log.warning("restarting the vault writer process (%d, status %s)",
                            self._proc.pid, self._proc.poll())
                self._stream.close()
                self._proc.kill()
                await asyncio.to_thread(self._proc.wait)
                # The old child's reader fails what was sent to it, and must
                # be over before anything is sent to the new one.
                await asyncio.gather(self._replies, return_exceptions=True)
            self._broken = False
            if self._spawned is not None and self._spawned.proc.poll() is None:
                self._proc, ours = self._spawned.take()
            else:
                self._proc, ours = _spawn()
            self._spawned = None
            reader, self._stream = await asyncio.open_unix_connection(sock=ours, limit=STREAM_LIMIT)
            self._replies = asyncio.create_task(self._read_replies(reader, self._proc))
            self._send(0, "init", self.vault_dir, self.config,
                       logging.getLogger("tobsd").getEffectiveLevel(),
                       self.watch, list(self._where.items()))
            for topic in self._topics.values():
                self._send(0, "register_topic", topic)
            log.debug("vault writer process %d started", self._proc.pid)

    async def _read_replies(self, reader: asyncio.StreamReader, proc: subprocess.Popen) -> None:
        try:
            while True:
                req_id, ok, payload = await read_frame(reader)
                future = self._pending.pop(req_id, None)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(payload)
                else:
                    future.set_exception(payload)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            code = proc.poll()
            gone = WriterGone(f"the vault writer process {proc.pid} exited"
                              + (f" with status {code}" if code is not None else ""))
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(gone)
            self._pending.clear()

    # -- requests ------------------------------------------------------------------
    def _send(self, req_id: int, method: str, *args, **kwargs) -> None:
        self._stream.write(frame((req_id, method, args, kwargs)))

    def _post(self, method: str, *args, **kwargs) -> None:
        """Send without waiting for an answer; a child not running hears it at its next start."""
        if self._running():
            self._send(0, method, *args, **kwargs)

    async def _call(self, method: str, *args, **kwargs) -> Any:
        return await (await self._request(method, *args, **kwargs))

    async def _request(self, method: str, *args, **kwargs) -> asyncio.Future:
        """Send a request; the returned future gives its answer. The child
        serves requests in the order they were sent."""
        await self._ensure_running()
        req_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        try:
            self._send(req_id, method, *args, **kwargs)
            await self._stream.drain()
        except (ConnectionError, OSError) as exc:
            self._pending.pop(req_id, None)
            self._broken = True
            raise WriterGone(f"the vault writer process is gone: {exc}") from exc
        return future

    # -- the writer's interface -------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Requests sent to the writer process and not answered yet."""
        return len(self._pending)

    def remember_location(self, chat_id: int, msg_id: int, note_rel: str) -> None:
        """Tell the writer where an older message lives, so replies to it can link there."""
        self._where[(chat_id, msg_id)] = note_rel
        self._post("remember_location", chat_id, msg_id, note_rel)

    def note_of(self, chat_id: int, msg_id: int) -> str | None:
        """The note that holds a message, if known here."""
        return self._where.get((chat_id, msg_id))

    def deleted_notes(self, chat_id: int) -> list[str]:
        """See :meth:`VaultWriter.deleted_notes` (from what the applies reported)."""
        return sorted(self._user_deleted.get(chat_id, ()))

    def set_chat_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Per-chat rendering settings (kept for a restarted child too)."""
        self.config.per_chat[chat_id] = settings
        self._post("set_chat_settings", chat_id, settings)

    async def apply(self, chat: Chat, messages: list[Message], *, resync: bool = False,
                    new_ids: frozenset[int] | None = None, urgent: bool = False) -> ApplyResult:
        """See :meth:`VaultWriter.apply`."""
        return await (await self.submit(chat, messages, resync=resync, new_ids=new_ids,
                                        urgent=urgent))

    async def submit(self, chat: Chat, messages: list[Message], *, resync: bool = False,
                     new_ids: frozenset[int] | None = None, urgent: bool = False) -> asyncio.Future:
        """See :meth:`VaultWriter.submit`: sent now, applied in the order
        sent, an urgent one before the ordinary ones the child has not
        started yet."""
        answer = await self._request("apply", chat, messages, resync=resync, new_ids=new_ids,
                                     urgent=urgent)
        outcome = asyncio.get_running_loop().create_future()

        def landed(answer: asyncio.Future) -> None:
            if outcome.cancelled():
                return
            if answer.cancelled() or answer.exception() is not None:
                outcome.set_exception(answer.exception() if not answer.cancelled()
                                      else WriterGone("the apply was abandoned"))
                return
            result, where = answer.result()
            for msg_id, rel in where.items():
                self._where[(chat.id, msg_id)] = rel
            if result.skipped_user_deleted or result.recreated:
                self._user_deleted.setdefault(chat.id, set()).update(
                    result.skipped_user_deleted + result.recreated)
            outcome.set_result(result)

        answer.add_done_callback(landed)
        return outcome

    async def mark_deleted(self, chat: Chat, msg_ids: list[int], *,
                           hints: dict[int, tuple[int, int | None]] | None = None) -> ApplyResult:
        """See :meth:`VaultWriter.mark_deleted`."""
        result, where = await self._call("mark_deleted", chat, msg_ids, hints=hints)
        for msg_id, rel in where.items():
            self._where[(chat.id, msg_id)] = rel
        return result

    def register_topic(self, topic: Topic) -> None:
        """See :meth:`VaultWriter.register_topic` (kept for a restarted child too)."""
        self._topics[(topic.chat_id, topic.id)] = topic
        self._post("register_topic", topic)

    async def rename_people(self, people: list[Person]) -> None:
        """See :meth:`VaultWriter.rename_people`."""
        await self._call("rename_people", people)

    async def relink_replies(self, chat: Chat, links: list[tuple[int, str, int, str]]) -> ApplyResult:
        """See :meth:`VaultWriter.relink_replies`."""
        result, where = await self._call("relink_replies", chat, links)
        for msg_id, rel in where.items():
            self._where[(chat.id, msg_id)] = rel
        return result

    async def write_chat_note(self, chat: Chat, **kwargs) -> str:
        """See :meth:`VaultWriter.write_chat_note`."""
        return await self._call("write_chat_note", chat, **kwargs)

    async def purge_chat(self, chat: Chat, shown_elsewhere: Collection[str] = ()) -> PurgeResult:
        """See :meth:`VaultWriter.purge_chat` (served after every write sent before it)."""
        result = await self._call("purge_chat", chat, sorted(shown_elsewhere))
        self._user_deleted.pop(chat.id, None)
        return result

    async def attachments_folder(self, chat: Chat) -> str:
        """See :meth:`VaultWriter.attachments_folder`."""
        return await self._call("attachments_folder", chat)
