"""Collecting the users and chats a result mentions.

Every Telegram answer that carries messages or dialogs also carries the User
and Chat/Channel objects they refer to (senders, forward sources, mentioned
users, the chats themselves), so the client can resolve every peer id.
"""
from __future__ import annotations

from ..world.model import Message
from .message import message as convert_message
from .peers import chat as convert_chat
from .peers import user as convert_user

Key = tuple[str, int]


class Refs:
    """Accumulates user ids and chat keys, then converts them once each."""

    def __init__(self, world):
        self.world = world
        self._users: dict[int, None] = {}    # dicts keep first-seen order
        self._chats: dict[Key, None] = {}

    def user(self, user_id: int | None) -> None:
        if user_id:
            self._users.setdefault(user_id, None)

    def chat(self, key: Key | None) -> None:
        if key is None:
            return
        if key[0] == "user":
            self.user(key[1])
        else:
            self._chats.setdefault(key, None)

    def message(self, key: Key, m: Message) -> None:
        """The chat, sender and every peer the message mentions."""
        self.chat(key)
        self.user(m.from_id)
        if m.fwd is not None:
            self.user(m.fwd.from_user_id)
            if m.fwd.from_channel_id:
                self.chat(("channel", m.fwd.from_channel_id))
        if m.reply_to is not None and m.reply_to.peer is not None:
            self.chat(m.reply_to.peer)
        if m.action is not None:
            for uid in m.action.user_ids:
                self.user(uid)
        if m.media is not None and m.media.kind == "contact":
            self.user(m.media.user_id)
        for e in m.entities:
            if e.kind == "mention_name":
                self.user(e.user_id)

    def messages(self, key: Key, msgs: list[Message]) -> list:
        """Record the messages' references and return them converted."""
        out = []
        for m in msgs:
            self.message(key, m)
            out.append(convert_message(self.world, key, m))
        return out

    def users(self) -> list:
        """The User objects, skipping ids the world does not know."""
        world = self.world
        return [convert_user(world, world.users[uid]) for uid in self._users if uid in world.users]

    def chats(self) -> list:
        """The Chat/Channel objects, skipping keys the world does not know."""
        out = []
        for key in self._chats:
            info = self.world.chat(key)
            if info is not None:
                out.append(convert_chat(self.world, info))
        return out
