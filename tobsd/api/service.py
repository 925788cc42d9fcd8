"""The Tobs gRPC servicer. It runs on the API server's threads: GetVersion
and GetStatus are answered right there (so a busy event loop never delays
them); every other method runs its LocalTobs coroutine on the daemon's
event loop (`Bridge`). Errors become status codes (errors.mapped)."""
from __future__ import annotations

import asyncio
import threading

from tobs.v1 import pb_grpc

from .errors import mapped
from .local import LocalTobs

CALL_TIMEOUT_S = 600.0


class Bridge:
    """Runs coroutines on the daemon's loop from the server's threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop

    def run(self, coro, timeout: float = CALL_TIMEOUT_S):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def iterate(self, agen, on_cancel=None):
        """Iterate an async generator that lives on the loop."""
        try:
            while True:
                try:
                    yield self.run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(agen.aclose()))


class TobsServicer(pb_grpc.TobsServicer):
    def __init__(self, local: LocalTobs, bridge: Bridge):
        self.local, self.bridge = local, bridge

    @mapped
    def GetVersion(self, request, context):
        return self.local.get_version(request)

    @mapped
    def GetStatus(self, request, context):
        return self.local.get_status(request)

    @mapped
    def ListChats(self, request, context):
        return self.bridge.run(self.local.list_chats(request))

    @mapped
    def AddChat(self, request, context):
        return self.bridge.run(self.local.add_chat(request))

    @mapped
    def RemoveChat(self, request, context):
        return self.bridge.run(self.local.remove_chat(request))

    @mapped
    def PauseChat(self, request, context):
        return self.bridge.run(self.local.pause_chat(request))

    @mapped
    def ResumeChat(self, request, context):
        return self.bridge.run(self.local.resume_chat(request))

    @mapped
    def SyncNow(self, request, context):
        return self.bridge.run(self.local.sync_now(request))

    @mapped
    def Resync(self, request, context):
        return self.bridge.run(self.local.resync(request))

    @mapped
    def ReloadConfig(self, request, context):
        return self.bridge.run(self.local.reload_config(request))

    @mapped
    def WatchEvents(self, request, context):
        sub, first = self.bridge.run(self.local.subscribe(request))
        close = lambda: self.bridge.loop.call_soon_threadsafe(sub.close)   # noqa: E731
        context.add_callback(close)        # a client that goes away ends the stream
        try:
            yield first
            while events := self.bridge.run(self.local.next_events(sub)):
                yield from events
        finally:
            close()

    @mapped
    def Login(self, request_iterator, context):
        lock = threading.Lock()

        async def requests():
            while True:
                req = await asyncio.to_thread(_next, request_iterator, lock)
                if req is None:
                    return
                yield req
        yield from self.bridge.iterate(self.local.login(requests()))


def _next(iterator, lock):
    with lock:
        return next(iterator, None)
