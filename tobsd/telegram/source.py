"""`TelethonSource`: the `TelegramSource` the sync engine drives, over Telethon.

Every request goes through the one `RateScheduler` (flood waits honoured and
persisted, transient failures retried) and through `_rpc`, which turns login
errors into `NeedsLogin` (and remembers it for the status) and per-chat
refusals into `ChatUnavailable`. History goes through the Takeout session
while one is open. Live updates come from Telethon's own update loop (which
also reconnects by itself) and are mapped by `live.LiveDispatcher`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Sequence

from telethon import errors, events, functions, types, utils

from tobsd.core.config import Config
from tobsd.core.errors import AmbiguousChat, ChatUnavailable, NeedsLogin
from tobsd.core.models import Chat, ChatKind, Message, Person, Topic
from tobsd.core.ports import (DialogTop, Difference, EventHandler, HistoryPage, SourceStatus,
                              UpdateState)

from .client import build_client, key_fingerprint, secure_session_file
from .difference import (entities_in, map_channel_difference, map_difference, state_date,
                         state_from)
from .floodstore import FloodPersistence
from .hashing import ids_hash
from .live import LiveDispatcher
from .mapping import map_messages
from .mapping_peers import chat_from_entity, entities_of, person_from_user
from .refs import parse_ref
from .rpcerrors import translate
from .scheduler import RateScheduler
from .takeout import TakeoutManager
from .topics import fetch_topics, fetch_topics_by_id

log = logging.getLogger(__name__)

MESSAGES_PER_REQUEST = 100
CHANNEL_DIFFERENCE_LIMIT = 100     # Telegram's cap for user accounts
PEER_DIALOGS_PER_REQUEST = 100


class TelethonSource:
    """The account's Telegram, as core models.

    `client_options` are passed to the Telethon client (tests shorten its
    reconnect delays); `use_takeout=False` keeps history on the normal API.
    """

    def __init__(self, config: Config, flood_store: FloodPersistence, *,
                 client_options: dict | None = None, use_takeout: bool = True,
                 scheduler: RateScheduler | None = None) -> None:
        self._config = config
        self._flood_store = flood_store
        self._client = build_client(config, **(client_options or {}))
        self.scheduler = scheduler or RateScheduler(flood_store, limits={
            "messages.getHistory": config.limits.backfill_requests_in_flight,
            # Part requests in flight per DC (the download pool's connections).
            "upload.getFile": config.limits.connections_per_dc,
            "upload.getFileHashes": config.limits.connections_per_dc,
        })
        self.takeout = TakeoutManager(self._invoke, self._client.session, flood_store,
                                      enabled=use_takeout)
        self._live = LiveDispatcher(lambda: self._me)
        # Registered before connecting: Telethon fetches the difference as
        # soon as it connects with a saved update state.
        self._client.add_event_handler(self._live.on_update, events.Raw)
        self._client.on_reconnect = self._live.reconnected
        self._me: Person | None = None
        self._needs_login = False
        self._input_peers: dict[int, object] = {}
        self._entities: dict[int, object] = {}
        self._dialogs_loaded = False
        self._dialog_lock = asyncio.Lock()
        self._takeout_opening: asyncio.Task | None = None

    @property
    def client(self):
        """The Telethon client (for the media pool; never leaves tobsd.telegram)."""
        return self._client

    @property
    def config(self) -> Config:
        return self._config

    async def request(self, method: str, request, what: str = ""):
        """Send one request through the scheduler, with the core errors of
        `_rpc` (for the media pool)."""
        return await self._rpc(method, request, what)

    async def run_guarded(self, method: str, fn, what: str = ""):
        """Run `fn()` (client calls of `method`) through the scheduler, with
        the core errors (for the media pool)."""
        return await self._guarded(method, fn, what)

    async def input_peer(self, chat_id: int, what: str = ""):
        """The input peer of a chat (cached; dialogs are loaded if needed)."""
        return await self._input_peer(chat_id, what)

    @property
    def home_dc(self) -> int:
        return self._client.session.dc_id

    # --- lifecycle -----------------------------------------------------------------
    async def start(self) -> Person:
        await self.scheduler.load()
        await self.takeout.load()
        if not self._client.is_connected():
            await self._client.connect()
        # get_me answers None for a session that is not authorised, so it is
        # also the login check (one round trip, not two). It also teaches
        # Telethon's update handling who we are.
        me = await self._guarded("users.getUsers", self._client.get_me)
        if me is None:
            self._needs_login = True
            await self._client.disconnect()
            raise NeedsLogin("this account is not logged in; run `tobsd login`")
        self._me = person_from_user(me)
        self._needs_login = False
        secure_session_file(self._config.session)
        # Opened while the chats are being resolved; the first history
        # request waits for it (see TakeoutManager.current).
        self._takeout_opening = asyncio.get_running_loop().create_task(self._open_takeout())
        return self._me

    async def _open_takeout(self) -> None:
        try:
            await self.takeout.current()
        except Exception as exc:   # the next history request tries again
            log.warning("Takeout not opened now (%s: %s)", type(exc).__name__, exc)

    async def stop(self) -> None:
        if self._takeout_opening is not None and not self._takeout_opening.done():
            self._takeout_opening.cancel()
            await asyncio.gather(self._takeout_opening, return_exceptions=True)
        try:
            if self._client.is_connected():
                await self.takeout.finish(success=True)
        finally:
            await self._client.disconnect()
            secure_session_file(self._config.session)

    async def check(self) -> None:
        """One cheap authorised request (updates.getState); NeedsLogin when
        the session was revoked meanwhile."""
        await self._rpc("updates.getState", functions.updates.GetStateRequest())

    def session_fingerprint(self) -> str | None:
        """The digest of the auth key this source uses (see
        client.session_fingerprint), to notice when a new login replaced it."""
        auth_key = self._client.session.auth_key
        return key_fingerprint(auth_key.key if auth_key is not None else None)

    def status(self) -> SourceStatus:
        return SourceStatus(connected=self._client.is_connected(), needs_login=self._needs_login,
                            takeout=self.takeout.status(), flood_waits=self.scheduler.waits(),
                            pacing=self.scheduler.pacing())

    # --- the request path --------------------------------------------------------------
    async def _invoke(self, method: str, request, dc_id: int | None = None):
        """Send one request through the scheduler (no error translation)."""
        return await self.scheduler.call(method, dc_id or self.home_dc,
                                         lambda: self._client(request))

    async def _rpc(self, method: str, request, what: str = "", *, takeout: bool = False):
        """Send one request; core errors for login and per-chat refusals."""
        return await self._guarded(method, lambda: self._client(request), what, takeout=takeout)

    async def _guarded(self, method: str, fn, what: str = "", *, takeout: bool = False):
        """Run `fn()` (one or more requests of `method`) through the scheduler;
        core errors for login and per-chat refusals."""
        try:
            return await self.scheduler.call(method, self.home_dc, fn, takeout=takeout)
        except Exception as exc:
            core = translate(exc, what)
            if isinstance(core, NeedsLogin):
                self._needs_login = True
            if core is not None:
                raise core from None
            raise

    # --- chats ----------------------------------------------------------------------------
    async def dialogs(self) -> list[Chat]:
        found = await self._guarded("messages.getDialogs",
                                    lambda: self._client.get_dialogs(limit=None))
        chats = []
        for dialog in found:
            entity = dialog.entity
            self._entities[utils.get_peer_id(entity)] = entity
            chat = chat_from_entity(entity)
            chat.archived = bool(getattr(dialog, "archived", False))
            chats.append(chat)
        self._dialogs_loaded = True
        return chats

    async def _load_dialogs_once(self) -> None:
        async with self._dialog_lock:
            if not self._dialogs_loaded:
                await self.dialogs()

    async def _input_peer(self, chat_id: int, what: str = ""):
        peer = self._input_peers.get(chat_id)
        if peer is not None:
            return peer
        for attempt in range(2):
            # Entities seen in this run (dialogs, history, updates) first:
            # the session file may lack one when an earlier run was killed
            # before Telethon saved it.
            entity = self._entities.get(chat_id)
            if entity is not None:
                peer = utils.get_input_peer(entity)
                break
            try:
                peer = await self._client.get_input_entity(chat_id)
                break
            except (ValueError, TypeError):
                if attempt:
                    raise ChatUnavailable(f"{what or chat_id}: not among this account's "
                                          "chats") from None
                # Look again after the dialogs, even when they were already
                # loaded: another caller may have loaded them while this
                # lookup was in flight.
                await self._load_dialogs_once()
        self._input_peers[chat_id] = peer
        return peer

    async def resolve(self, ref: str | int) -> Chat:
        parsed = parse_ref(ref)
        if parsed.username is not None:
            result = await self._rpc("contacts.resolveUsername",
                                     functions.contacts.ResolveUsernameRequest(parsed.username),
                                     what=f"@{parsed.username}")
            entity = entities_of(result).get(utils.get_peer_id(result.peer))
            if entity is None:
                raise ChatUnavailable(f"@{parsed.username}: not found")
            return self._remember(entity)
        if parsed.peer_id is not None:
            return await self._resolve_id(parsed.peer_id)
        await self._load_dialogs_once()
        matches = [e for e in self._entities.values()
                   if chat_from_entity(e).title == parsed.title]
        if not matches:
            raise ChatUnavailable(f"no chat titled {parsed.title!r} among the dialogs")
        if len({utils.get_peer_id(e) for e in matches}) > 1:
            candidates = sorted({f"{chat_from_entity(e).title} ({utils.get_peer_id(e)})"
                                 for e in matches})
            raise AmbiguousChat(f"several chats are titled {parsed.title!r}: "
                                f"{', '.join(candidates)}; name it by @username or id", candidates)
        return self._remember(matches[0])

    async def _resolve_id(self, peer_id: int) -> Chat:
        if not -2**63 < peer_id < 2**63:   # Telegram's ids (marked too) are 64-bit
            raise ChatUnavailable(f"{peer_id}: not a Telegram chat id")
        entity = self._entities.get(peer_id)
        if entity is None:
            peer = await self._input_peer(peer_id)
            entity = self._entities.get(peer_id) or await self._fetch_entity(peer, peer_id)
        return self._remember(entity)

    async def _fetch_entity(self, peer, peer_id: int):
        if isinstance(peer, types.InputPeerChannel):
            result = await self._rpc("channels.getChannels", functions.channels.GetChannelsRequest(
                [utils.get_input_channel(peer)]), what=str(peer_id))
            found = result.chats
        elif isinstance(peer, types.InputPeerChat):
            result = await self._rpc("messages.getChats",
                                     functions.messages.GetChatsRequest([peer.chat_id]),
                                     what=str(peer_id))
            found = result.chats
        else:
            found = await self._rpc("users.getUsers", functions.users.GetUsersRequest(
                [utils.get_input_user(peer)]), what=str(peer_id))
        for entity in found:
            if utils.get_peer_id(entity) == peer_id and not isinstance(entity, types.UserEmpty):
                return entity
        raise ChatUnavailable(f"{peer_id}: Telegram does not know this chat")

    def _remember(self, entity) -> Chat:
        chat_id = utils.get_peer_id(entity)
        self._entities[chat_id] = entity
        self._input_peers.setdefault(chat_id, utils.get_input_peer(entity))
        return chat_from_entity(entity)

    # --- messages -----------------------------------------------------------------------
    async def history(self, chat: Chat, *, offset_id: int = 0, min_id: int = 0,
                      limit: int = 100, unless_ids: Sequence[int] | None = None,
                      add_offset: int = 0) -> HistoryPage:
        peer = await self._input_peer(chat.id, chat.title)
        request = functions.messages.GetHistoryRequest(
            peer=peer, offset_id=offset_id, offset_date=None, add_offset=add_offset, limit=limit,
            max_id=0, min_id=min_id, hash=ids_hash(unless_ids) if unless_ids else 0)
        takeout_id = await self.takeout.current()
        result = None
        if takeout_id is not None:
            try:
                result = await self._rpc("messages.getHistory",
                                         self.takeout.wrap(takeout_id, request), chat.title,
                                         takeout=True)
            except errors.TakeoutInvalidError:
                self.takeout.invalidate(takeout_id)
        if result is None:
            result = await self._rpc("messages.getHistory", request, chat.title)
        if isinstance(result, types.messages.MessagesNotModified):
            return HistoryPage([], count=result.count, not_modified=True)
        listed = entities_of(result).get(chat.id)
        return HistoryPage(map_messages(result, self._me, self._entities),
                           count=getattr(result, "count", None),
                           title=chat_from_entity(listed).title if listed is not None else None)

    async def messages(self, chat: Chat, ids: Sequence[int]) -> list[Message | None]:
        peer = await self._input_peer(chat.id, chat.title)
        found: dict[int, Message] = {}
        ids = list(ids)
        for start in range(0, len(ids), MESSAGES_PER_REQUEST):
            batch = [types.InputMessageID(i) for i in ids[start:start + MESSAGES_PER_REQUEST]]
            if isinstance(peer, types.InputPeerChannel):
                result = await self._rpc("channels.getMessages", functions.channels.GetMessagesRequest(
                    utils.get_input_channel(peer), batch), chat.title)
            else:
                result = await self._rpc("messages.getMessages",
                                         functions.messages.GetMessagesRequest(batch), chat.title)
            for message in map_messages(result, self._me, self._entities):
                # The common box answers ids of any private chat or group: keep ours.
                if message.chat_id == chat.id:
                    found[message.id] = message
        return [found.get(i) for i in ids]

    async def topics(self, chat: Chat) -> list[Topic]:
        if chat.kind is not ChatKind.FORUM:
            return []
        peer = await self._input_peer(chat.id, chat.title)
        return await fetch_topics(lambda req: self._rpc("messages.getForumTopics", req, chat.title),
                                  peer, chat.id)

    async def topics_by_id(self, chat: Chat, ids: Sequence[int]) -> list[Topic]:
        if chat.kind is not ChatKind.FORUM or not ids:
            return []
        peer = await self._input_peer(chat.id, chat.title)
        return await fetch_topics_by_id(
            lambda req: self._rpc("messages.getForumTopicsByID", req, chat.title),
            peer, chat.id, ids)

    # --- live ------------------------------------------------------------------------------
    def subscribe(self, handler: EventHandler) -> None:
        self._live.subscribe(handler)

    async def update_state(self) -> UpdateState:
        return state_from(await self._rpc("updates.getState", functions.updates.GetStateRequest()))

    async def difference(self, state: UpdateState) -> Difference:
        request = functions.updates.GetDifferenceRequest(
            pts=state.pts, date=state_date(state), qts=state.qts, pts_total_limit=None)
        answer = await self._rpc("updates.getDifference", request)
        self._entities.update(entities_in(answer))
        return map_difference(answer, self._me, state)

    async def channel_difference(self, chat: Chat, pts: int) -> Difference:
        peer = await self._input_peer(chat.id, chat.title)
        request = functions.updates.GetChannelDifferenceRequest(
            channel=utils.get_input_channel(peer), filter=types.ChannelMessagesFilterEmpty(),
            pts=max(1, pts), limit=CHANNEL_DIFFERENCE_LIMIT, force=False)
        answer = await self._rpc("updates.getChannelDifference", request, chat.title)
        self._entities.update(entities_in(answer))
        return map_channel_difference(answer, self._me)

    async def channel_pts(self, chats: Sequence[Chat]) -> dict[int, int]:
        channels = [c for c in chats if c.kind in (ChatKind.CHANNEL, ChatKind.SUPERGROUP,
                                                   ChatKind.FORUM)]
        return {chat_id: top.pts for chat_id, top in (await self.dialog_tops(channels)).items()
                if top.pts}

    async def dialog_tops(self, chats: Sequence[Chat]) -> dict[int, DialogTop]:
        """messages.getPeerDialogs, 100 peers a request: each dialog's
        top_message and (channels) pts."""
        found: dict[int, DialogTop] = {}
        chats = list(chats)
        for start in range(0, len(chats), PEER_DIALOGS_PER_REQUEST):
            peers = [types.InputDialogPeer(await self._input_peer(c.id, c.title))
                     for c in chats[start:start + PEER_DIALOGS_PER_REQUEST]]
            answer = await self._rpc("messages.getPeerDialogs",
                                     functions.messages.GetPeerDialogsRequest(peers))
            for dialog in answer.dialogs:
                if isinstance(dialog, types.Dialog):
                    found[utils.get_peer_id(dialog.peer)] = DialogTop(
                        dialog.top_message or 0, getattr(dialog, "pts", None) or None)
        return found
