"""World -> Telethon TL objects: one import for the whole conversion layer.

The work is split by job: `peers` (User, Chat, Channel, Peer), `message`
(Message, MessageService, reply and forward headers, reactions), `entities`,
`media` (every MessageMedia kind), `actions` (service actions) and `refs`
(the users and chats a result must carry).
"""
from __future__ import annotations

from .actions import action
from .entities import entities, entity
from .media import document, media, photo
from .message import empty as empty_message
from .message import message
from .peers import chat, chat_for_dialog, peer, peer_key, user
from .refs import Refs

__all__ = ["action", "entities", "entity", "document", "media", "photo", "empty_message",
           "message", "chat", "chat_for_dialog", "peer", "peer_key", "user", "Refs"]
