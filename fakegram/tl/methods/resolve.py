"""Input peers, users and channels from a request -> world keys, with the
access-hash checks and the errors Telegram gives for bad ones."""
from __future__ import annotations

from telethon.tl import types

from ...rpc import RequestContext, RpcError
from ...world.model import ChatInfo, User

Key = tuple[str, int]
CHANNEL_KINDS = ("channel", "supergroup", "forum")


def _user(ctx: RequestContext, user_id: int, access_hash: int | None) -> User | None:
    u = ctx.world.users.get(user_id)
    if u is None:
        return None
    if access_hash is not None and u.id != ctx.world.me and access_hash != u.access_hash:
        return None
    return u


def _channel(ctx: RequestContext, channel_id: int, access_hash: int | None) -> ChatInfo | None:
    info = ctx.world.chat(("channel", channel_id))
    if info is None or (access_hash is not None and access_hash != info.access_hash):
        return None
    return info


def input_peer(ctx: RequestContext, p) -> Key:
    """The world key of an InputPeer. PEER_ID_INVALID for unknown users and
    chats or a wrong user access hash; CHANNEL_INVALID for channels."""
    world = ctx.world
    if isinstance(p, types.InputPeerSelf):
        return ("user", world.me)
    if isinstance(p, types.InputPeerUser):
        if _user(ctx, p.user_id, p.access_hash) is None:
            raise RpcError(400, "PEER_ID_INVALID")
        return ("user", p.user_id)
    if isinstance(p, types.InputPeerChat):
        if world.chat(("chat", p.chat_id)) is None:
            raise RpcError(400, "PEER_ID_INVALID")
        return ("chat", p.chat_id)
    if isinstance(p, types.InputPeerChannel):
        if _channel(ctx, p.channel_id, p.access_hash) is None:
            raise RpcError(400, "CHANNEL_INVALID")
        return ("channel", p.channel_id)
    if isinstance(p, types.InputPeerUserFromMessage):
        if p.user_id not in world.users:
            raise RpcError(400, "PEER_ID_INVALID")
        return ("user", p.user_id)
    if isinstance(p, types.InputPeerChannelFromMessage):
        if world.chat(("channel", p.channel_id)) is None:
            raise RpcError(400, "CHANNEL_INVALID")
        return ("channel", p.channel_id)
    raise RpcError(400, "PEER_ID_INVALID")


def input_user(ctx: RequestContext, u) -> User:
    """The world user of an InputUser; USER_ID_INVALID when unknown."""
    world = ctx.world
    if isinstance(u, types.InputUserSelf):
        return world.users[world.me]
    if isinstance(u, types.InputUser):
        found = _user(ctx, u.user_id, u.access_hash)
    elif isinstance(u, types.InputUserFromMessage):
        found = world.users.get(u.user_id)
    elif isinstance(u, (types.InputPeerUser, types.InputPeerSelf)):
        return world.users[input_peer(ctx, u)[1]]
    else:
        found = None
    if found is None:
        raise RpcError(400, "USER_ID_INVALID")
    return found


def input_channel(ctx: RequestContext, c) -> ChatInfo:
    """The world channel of an InputChannel (or InputPeerChannel);
    CHANNEL_INVALID when unknown or the access hash is wrong."""
    if isinstance(c, (types.InputChannel, types.InputPeerChannel)):
        info = _channel(ctx, c.channel_id, c.access_hash)
    elif isinstance(c, (types.InputChannelFromMessage, types.InputPeerChannelFromMessage)):
        info = ctx.world.chat(("channel", c.channel_id))
    else:
        info = None
    if info is None:
        raise RpcError(400, "CHANNEL_INVALID")
    return info


def chat_info(ctx: RequestContext, key: Key) -> ChatInfo | None:
    return ctx.world.chat(key)
