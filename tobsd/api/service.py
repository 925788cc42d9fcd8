"""The Tobs gRPC servicer: each method hands the request to LocalTobs;
errors become status codes (errors.mapped)."""
from __future__ import annotations

import grpc

from tobs.v1 import pb_grpc
from tobsd.core.errors import TobsError

from .errors import code_for, mapped
from .local import LocalTobs


class TobsServicer(pb_grpc.TobsServicer):
    def __init__(self, local: LocalTobs):
        self.local = local

    @mapped
    async def GetVersion(self, request, context):
        return await self.local.get_version(request)

    @mapped
    async def GetStatus(self, request, context):
        return await self.local.get_status(request)

    @mapped
    async def ListChats(self, request, context):
        return await self.local.list_chats(request)

    @mapped
    async def AddChat(self, request, context):
        return await self.local.add_chat(request)

    @mapped
    async def RemoveChat(self, request, context):
        return await self.local.remove_chat(request)

    @mapped
    async def PauseChat(self, request, context):
        return await self.local.pause_chat(request)

    @mapped
    async def ResumeChat(self, request, context):
        return await self.local.resume_chat(request)

    @mapped
    async def SyncNow(self, request, context):
        return await self.local.sync_now(request)

    @mapped
    async def ReloadConfig(self, request, context):
        return await self.local.reload_config(request)

    async def WatchEvents(self, request, context):
        try:
            async for event in self.local.watch_events(request):
                yield event
        except TobsError as exc:
            await context.abort(code_for(exc), str(exc))

    async def Login(self, request_iterator, context):
        try:
            async for answer in self.local.login(request_iterator):
                yield answer
        except TobsError as exc:
            await context.abort(code_for(exc), str(exc))
