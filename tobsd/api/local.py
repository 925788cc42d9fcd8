"""The control service's logic, speaking protobuf: parse the request, call
the daemon's service facade, build the response. Errors are tobsd's own
(tobsd.core.errors); service.py maps them to status codes."""
from __future__ import annotations

from typing import AsyncIterator

from tobs.v1 import API_VERSION, pb
from tobsd.core.errors import InvalidArgument
from tobsd.events import DaemonEvent
from tobsd.service import DaemonService, daemon_version

from . import helpers


class LocalTobs:
    """The async methods run on the daemon's event loop; `get_version` and
    `get_status` are plain methods that any thread may call: GetStatus is
    answered from a response built on the loop at each status refresh
    (at once when a state changes, about once a second while anything is
    under way, rarely at rest), with the uptime, memory, CPU, write rate
    and lags read at the call."""

    def __init__(self, service: DaemonService):
        self.service = service
        self._status = helpers.status(service.status())
        service.on_refresh.append(self._rebuild_status)

    def _rebuild_status(self) -> None:
        self._status = helpers.status(self.service.status())   # one reference swap

    def get_version(self, req: pb.GetVersionRequest) -> pb.GetVersionResponse:
        return pb.GetVersionResponse(daemon_version=daemon_version(), api_version=API_VERSION)

    def get_status(self, req: pb.GetStatusRequest) -> pb.GetStatusResponse:
        resp = pb.GetStatusResponse()
        resp.CopyFrom(self._status)
        rss, cpu = self.service.usage()
        resp.daemon.uptime_s = self.service.uptime_s()
        resp.daemon.rss_bytes, resp.daemon.cpu_percent = rss, cpu
        # At rest the response is rebuilt rarely: what the clock moves is set now.
        resp.daemon.messages_per_s = self.service.rate()
        for chat in resp.chats:
            if chat.HasField("newest_message"):
                chat.lag_s = self.service.lag_s(chat.newest_message.seconds)
        return resp

    async def list_chats(self, req: pb.ListChatsRequest) -> pb.ListChatsResponse:
        return pb.ListChatsResponse(chats=[helpers.chat_info(c) for c in self.service.list_chats()])

    async def add_chat(self, req: pb.AddChatRequest) -> pb.AddChatResponse:
        info = await self.service.add_chat(
            _chat(req.chat), since=req.since,
            media=req.media if req.HasField("media") else None,
            remove_deleted=req.remove_deleted if req.HasField("remove_deleted") else None)
        return pb.AddChatResponse(chat=helpers.chat_info(info))

    async def remove_chat(self, req: pb.RemoveChatRequest) -> pb.RemoveChatResponse:
        info = await self.service.remove_chat(_chat(req.chat), delete_notes=req.delete_notes)
        return pb.RemoveChatResponse(
            chat=helpers.chat_info(info), notes_deleted=info.get("notes_deleted", 0),
            media_deleted=info.get("media_deleted", 0),
            kept=[pb.KeptFile(path=p, reason=r) for p, r in info.get("kept", ())])

    async def pause_chat(self, req: pb.PauseChatRequest) -> pb.PauseChatResponse:
        return pb.PauseChatResponse(chat=helpers.chat_info(
            await self.service.set_paused(_chat(req.chat), True)))

    async def resume_chat(self, req: pb.ResumeChatRequest) -> pb.ResumeChatResponse:
        return pb.ResumeChatResponse(chat=helpers.chat_info(
            await self.service.set_paused(_chat(req.chat), False)))

    async def sync_now(self, req: pb.SyncNowRequest) -> pb.SyncNowResponse:
        return pb.SyncNowResponse(chat_ids=self.service.sync_now(req.chat.strip()))

    async def resync(self, req: pb.ResyncRequest) -> pb.ResyncResponse:
        r = await self.service.resync(_chat(req.chat))
        return pb.ResyncResponse(chat=helpers.chat_info(r["chat"]), checked=r["checked"],
                                 changed=r["changed"], deleted=r["deleted"], recreated=r["recreated"])

    async def reload_config(self, req: pb.ReloadConfigRequest) -> pb.ReloadConfigResponse:
        result = await self.service.reload_config()
        return pb.ReloadConfigResponse(chats=result["chats"], unresolved=[
            pb.UnresolvedChat(ref=u["ref"], error=u["error"]) for u in result["unresolved"]])

    async def login(self, requests) -> AsyncIterator[pb.LoginResponse]:
        """NEXT_UNSPECIFIED asks for the phone number again (it was refused)."""
        async for nxt, hint in self.service.login(_steps(requests)):
            yield pb.LoginResponse(next=NEXT[nxt], hint=hint)

    async def subscribe(self, req: pb.WatchEventsRequest):
        """A subscription to the daemon's events (tobsd.events), and the
        stream's first event: the daemon's state (once a client has read
        it, it misses nothing after)."""
        level = None
        if req.log_level:
            if req.log_level.lower() not in helpers.LOG_LEVELS:
                raise InvalidArgument(f"log_level: expected one of {', '.join(helpers.LOG_LEVELS)}, "
                                      f"got {req.log_level!r}")
            level = helpers.LOG_LEVELS[req.log_level.lower()]
        sub = self.service.events.subscribe(level)
        snap = self.service.status()
        first = helpers.event(DaemonEvent("daemon_state", {"state": snap["state"],
                                                           "error": snap.get("error") or ""}))
        return sub, first

    async def next_events(self, sub) -> list[pb.Event]:
        """The events waiting for this subscriber (at least one); [] once the daemon stops."""
        return [helpers.event(ev) for ev in await sub.next_batch()]


NEXT = {"code": pb.LoginResponse.NEXT_CODE, "password": pb.LoginResponse.NEXT_PASSWORD,
        "done": pb.LoginResponse.NEXT_DONE, "phone": pb.LoginResponse.NEXT_UNSPECIFIED}


async def _steps(requests):
    async for req in requests:
        kind = req.WhichOneof("step")
        if kind is None:
            raise InvalidArgument("a login step needs the phone, the code or the password")
        yield kind, getattr(req, kind)


def _chat(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidArgument("chat: name a chat (@username, t.me link, numeric id or exact title)")
    return name
