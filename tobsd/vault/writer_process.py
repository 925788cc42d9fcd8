"""The child side of :mod:`tobsd.vault.remote`: a VaultWriter serving requests.

Started as ``python -m tobsd.vault.writer_process FD PARENT_PID`` with one
end of a socket pair. The first message is ``init`` (vault folder, vault
config, log level, whether to watch the vault, known message locations);
then requests ``(id, method, args, kwargs)`` are served one at a time, in
the order sent, except that urgent ``apply`` requests (live messages) go
before the ordinary requests still waiting. A request with id 0 gets no answer; every other gets ``(id, True,
result)`` or ``(id, False, exception)``. Requests that arrive while
others are served are served together as one batch: their notes are staged
and made durable at once, and none is answered before they all are (so an
answer still means "durably on disk"). The process ends on ``close``, at
the end of the stream, or with its parent.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import pickle
import signal
import socket
import sys
from collections import deque
from pathlib import Path

from tobsd.core.errors import DiskFull
from tobsd.core.logs import setup_logging
from tobsd.vault.atomic import VaultError
from tobsd.vault.remote import STREAM_LIMIT, frame, read_frame
from tobsd.vault.watch import VaultWatcher
from tobsd.vault.writer import VaultWriter

log = logging.getLogger("tobsd.vault.writer_process")

# Requests served as one batch at most: the notes of all are made durable
# together (see VaultWriter.begin_batch), so the more are waiting the less
# each pays; bounded so the first of them is not kept waiting long.
MAX_BATCH = 32

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Get SIGKILL when the daemon dies, so no write of a dead daemon races
    the next one's (Linux; elsewhere the end of the socket stops us)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:   # the parent died before the prctl took effect
        os._exit(1)


async def _apply(writer: VaultWriter, chat, messages, **kwargs):
    result = await writer.apply(chat, messages, **kwargs)
    return result, {m.id: writer.note_of(chat.id, m.id) for m in messages}


async def _mark_deleted(writer: VaultWriter, chat, msg_ids, **kwargs):
    result = await writer.mark_deleted(chat, msg_ids, **kwargs)
    where = {mid: rel for mid in msg_ids if (rel := writer.note_of(chat.id, mid)) is not None}
    return result, where


async def _relink_replies(writer: VaultWriter, chat, links):
    result = await writer.relink_replies(chat, links)
    return result, {target_id: rel for _, _, target_id, rel in links}


async def _register_topic(writer: VaultWriter, topic):
    writer.register_topic(topic)


async def _remember_location(writer: VaultWriter, chat_id, msg_id, rel):
    writer.remember_location(chat_id, msg_id, rel)


async def _set_chat_settings(writer: VaultWriter, chat_id, settings):
    writer.set_chat_settings(chat_id, settings)


async def _close(writer: VaultWriter):
    return None


HANDLERS = {
    "apply": _apply,
    "mark_deleted": _mark_deleted,
    "write_chat_note": VaultWriter.write_chat_note,
    "attachments_folder": VaultWriter.attachments_folder,
    "remember_location": _remember_location,
    "relink_replies": _relink_replies,
    "register_topic": _register_topic,
    "rename_people": VaultWriter.rename_people,
    "set_chat_settings": _set_chat_settings,
    "purge_chat": VaultWriter.purge_chat,
    "close": _close,
}


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a VaultError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return VaultError(f"{type(exc).__name__}: {exc}")


async def serve(sock: socket.socket) -> None:
    reader, out = await asyncio.open_unix_connection(sock=sock, limit=STREAM_LIMIT)
    try:
        _, method, (vault_dir, config, level, watch, locations), _ = await read_frame(reader)
    except (asyncio.IncompleteReadError, ConnectionError):
        return   # started ahead of need and not used (the daemon stopped early)
    if method != "init":
        raise RuntimeError(f"expected init, got {method!r}")
    setup_logging(level or logging.WARNING)
    writer = VaultWriter(Path(vault_dir), config, in_thread=False)
    try:
        await writer.migrate()   # notes of an earlier version: current escaping before anything else
    except (VaultError, OSError) as exc:   # a full disk, say: the notes stay as they were until next start
        log.warning("notes of an earlier version not brought up to date: %s", exc)
    for (chat_id, msg_id), rel in locations:
        writer.remember_location(chat_id, msg_id, rel)
    watcher = VaultWatcher(Path(vault_dir) / config.root, writer.external_change) if watch else None
    watching = asyncio.create_task(watcher.run()) if watcher else None
    requests: asyncio.Queue = asyncio.Queue()
    reading = asyncio.create_task(_read_requests(reader, requests))
    backlog: deque = deque()
    try:
        while True:
            batch = await _next_batch(requests, backlog)
            replies = await _serve_batch(writer, [r for r in batch if r is not None])
            for reply in replies:
                if reply[0]:
                    out.write(frame(reply))
            await out.drain()
            if not batch or batch[-1] is None or batch[-1][1] == "close":
                return
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        if watcher is not None:
            watcher.stop()
            await asyncio.gather(watching, return_exceptions=True)
        out.close()


async def _read_requests(reader: asyncio.StreamReader, requests: asyncio.Queue) -> None:
    """Every request as it arrives, then None at the end of the stream."""
    try:
        while True:
            requests.put_nowait(await read_frame(reader))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        requests.put_nowait(None)


def _urgent(request) -> bool:
    return request is not None and request[1] == "apply" and bool(request[3].get("urgent"))


async def _next_batch(requests: asyncio.Queue, backlog: deque) -> list:
    """The next batch from what has arrived (at most MAX_BATCH, up to a
    ``close`` or the end of the stream, None). When urgent applies are
    waiting they make a batch of their own, ahead of the ordinary requests
    (with the requests without an answer sent before them, which only tell
    the writer something); otherwise requests go in the order sent."""
    while not requests.empty():
        backlog.append(requests.get_nowait())
    if not backlog:
        backlog.append(await requests.get())
    last_urgent = max((i for i, r in enumerate(backlog) if _urgent(r)), default=None)
    if last_urgent is not None:
        chosen = [i for i, r in enumerate(backlog)
                  if i <= last_urgent and (_urgent(r) or (r is not None and not r[0]))][:MAX_BATCH]
        batch = [backlog[i] for i in chosen]
        for i in reversed(chosen):
            del backlog[i]
        return batch
    batch = [backlog.popleft()]
    while backlog and len(batch) < MAX_BATCH and batch[-1] is not None \
            and batch[-1][1] != "close":
        batch.append(backlog.popleft())
    return batch


async def _serve_batch(writer: VaultWriter, batch: list) -> list[tuple]:
    """Serve requests in order as one batch: their notes are staged, then
    made durable together; only then are they answered (an error of that
    last step is every request's answer)."""
    replies = []
    writer.begin_batch()
    try:
        for req_id, method, args, kwargs in batch:
            try:
                replies.append((req_id, True, await HANDLERS[method](writer, *args, **kwargs)))
            except Exception as exc:
                if not isinstance(exc, VaultError | OSError | DiskFull):
                    log.exception("vault writer request %s failed", method)
                replies.append((req_id, False, _portable(exc)))
    finally:
        try:
            await writer.end_batch()
        except Exception as exc:
            if not isinstance(exc, VaultError | OSError | DiskFull):
                log.exception("vault writer: writing a batch of notes failed")
            failed = _portable(exc)
            replies = [(req_id, False, failed) if ok else (req_id, ok, payload)
                       for req_id, ok, payload in replies]
    return replies


def main(argv: list[str]) -> int:
    fd, parent_pid = int(argv[0]), int(argv[1])
    # The daemon decides when the writer stops: it asks after its last write.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    asyncio.run(serve(socket.socket(fileno=fd)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
