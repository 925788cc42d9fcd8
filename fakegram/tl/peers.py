"""World users and chats -> TL User / Chat / Channel and Peer objects."""
from __future__ import annotations

from telethon.tl import types

from ..world.model import ChatInfo, User
from .build import make, ts

Key = tuple[str, int]


def peer(key: Key):
    """PeerUser / PeerChat / PeerChannel for a (family, id) key."""
    family, ident = key
    if family == "user":
        return types.PeerUser(user_id=ident)
    if family == "chat":
        return types.PeerChat(chat_id=ident)
    return types.PeerChannel(channel_id=ident)


def peer_key(p) -> Key | None:
    """The (family, id) key of a Peer object, or None for other objects."""
    if isinstance(p, types.PeerUser):
        return ("user", p.user_id)
    if isinstance(p, types.PeerChat):
        return ("chat", p.chat_id)
    if isinstance(p, types.PeerChannel):
        return ("channel", p.channel_id)
    return None


def is_contact(world, user_id: int) -> bool:
    """Users the account has a private dialog with count as its contacts."""
    return user_id != world.me and world.chat(("user", user_id)) is not None


def user(world, u: User):
    """The User as the account sees it: `is_self` for the account itself, the
    phone only for itself and its contacts (as Telegram hides it otherwise)."""
    me = u.id == world.me
    contact = is_contact(world, u.id)
    return make(
        types.User, id=u.id, is_self=me, contact=contact, mutual_contact=contact,
        bot=u.bot, bot_info_version=1 if u.bot else None,
        access_hash=u.access_hash, first_name=u.first_name,
        last_name=u.last_name or None, username=u.username,
        phone=u.phone if (me or contact) else None,
        status=None if u.bot else make(types.UserStatusRecently),
    )


def chat(world, info: ChatInfo):
    """Chat for a basic group; Channel for broadcast channels, supergroups and
    forums (with the broadcast / megagroup / forum flags)."""
    creator = info.creator_id == world.me
    if info.kind == "group":
        return make(types.Chat, id=info.id, title=info.title, photo=types.ChatPhotoEmpty(),
                    participants_count=len(info.members), date=ts(info.date), version=1,
                    creator=creator)
    return make(
        types.Channel, id=info.id, title=info.title, photo=types.ChatPhotoEmpty(),
        date=ts(info.date), creator=creator, broadcast=info.kind == "channel",
        megagroup=info.kind in ("supergroup", "forum"), forum=info.kind == "forum",
        access_hash=info.access_hash, username=info.username,
        participants_count=len(info.members) or None,
    )


def chat_for_dialog(world, info: ChatInfo):
    """The TL object that stands for a dialog: its User or its Chat/Channel."""
    if info.family == "user":
        u = world.users.get(info.id)
        return None if u is None else user(world, u)
    return chat(world, info)
