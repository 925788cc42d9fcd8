"""Telethon users, chats and channels -> core `Person` and `Chat`.

Chat ids are marked peer ids (telethon.utils.get_peer_id): users as is,
basic groups -id, channels -(10**12 + id).
"""
from __future__ import annotations

from typing import Mapping

from telethon import utils
from telethon.tl import types

from tobsd.core.models import Chat, ChatKind, Person

#: Marked peer id -> Telethon User/Chat/Channel, as a response lists them.
Entities = Mapping[int, object]


def display_name(user) -> str:
    """First and last name as Telegram shows them ("Deleted Account" when empty)."""
    first = getattr(user, "first_name", None) or ""
    last = getattr(user, "last_name", None) or ""
    name = f"{first} {last}".strip()
    if name:
        return name
    return "Deleted Account" if getattr(user, "deleted", False) else f"User {user.id}"


def username_of(entity) -> str | None:
    """The entity's public username: the main one, else its first active one."""
    name = getattr(entity, "username", None)
    if name:
        return name
    for extra in getattr(entity, "usernames", None) or ():
        if getattr(extra, "active", False):
            return extra.username
    return None


def person_from_user(user) -> Person:
    """A Telethon User (or a channel posting as itself) -> Person."""
    if isinstance(user, (types.Channel, types.ChannelForbidden, types.Chat)):
        return Person(id=utils.get_peer_id(user), name=user.title or "",
                      username=username_of(user))
    return Person(id=user.id, name=display_name(user), username=username_of(user),
                  is_bot=bool(getattr(user, "bot", False)))


def person_by_id(peer_id: int, entities: Entities) -> Person:
    """The Person for a marked id, from the response's entities when listed."""
    entity = entities.get(peer_id)
    if entity is not None:
        return person_from_user(entity)
    return Person(id=peer_id, name=f"User {peer_id}")


def chat_kind(entity) -> ChatKind:
    if isinstance(entity, types.User):
        return ChatKind.BOT if entity.bot else ChatKind.USER
    if isinstance(entity, (types.Chat, types.ChatForbidden, types.ChatEmpty)):
        return ChatKind.GROUP
    if getattr(entity, "broadcast", False):
        return ChatKind.CHANNEL
    if getattr(entity, "forum", False):
        return ChatKind.FORUM
    return ChatKind.SUPERGROUP


def chat_from_entity(entity, members: int | None = None) -> Chat:
    """A Telethon User/Chat/Channel -> the core Chat of its dialog."""
    kind = chat_kind(entity)
    if isinstance(entity, types.User):
        title = display_name(entity)
    else:
        title = getattr(entity, "title", None) or ""
    username = username_of(entity)
    if members is None:
        members = getattr(entity, "participants_count", None)
    return Chat(id=utils.get_peer_id(entity), kind=kind, title=title, username=username,
                link=f"https://t.me/{username}" if username else None, members=members)


def entities_of(response) -> dict[int, object]:
    """Marked id -> entity for the users and chats a response carries."""
    out: dict[int, object] = {}
    for user in getattr(response, "users", None) or ():
        out[user.id] = user
    for chat in getattr(response, "chats", None) or ():
        out[utils.get_peer_id(chat)] = chat
    return out
