"""World text entities -> MessageEntity* objects (offsets stay in UTF-16 units)."""
from __future__ import annotations

from telethon.tl import types

from ..world.model import Entity
from .build import get_type, has, make

# kind -> the entity class, for kinds that carry only offset and length.
_PLAIN = {
    "bold": "MessageEntityBold", "italic": "MessageEntityItalic",
    "underline": "MessageEntityUnderline", "strike": "MessageEntityStrike",
    "spoiler": "MessageEntitySpoiler", "code": "MessageEntityCode",
    "url": "MessageEntityUrl", "email": "MessageEntityEmail",
    "phone": "MessageEntityPhone", "mention": "MessageEntityMention",
    "hashtag": "MessageEntityHashtag", "cashtag": "MessageEntityCashtag",
    "bot_command": "MessageEntityBotCommand", "bank_card": "MessageEntityBankCard",
    "unknown": "MessageEntityUnknown",
}


def entity(e: Entity):
    """One entity; kinds this layer lacks become MessageEntityUnknown."""
    kind = e.kind
    if kind in _PLAIN and get_type(_PLAIN[kind]) is not None:
        return make(get_type(_PLAIN[kind]), offset=e.offset, length=e.length)
    if kind == "pre":
        return make(types.MessageEntityPre, offset=e.offset, length=e.length,
                    language=e.language or "")
    if kind == "text_url":
        return make(types.MessageEntityTextUrl, offset=e.offset, length=e.length,
                    url=e.url or "")
    if kind == "mention_name":
        return make(types.MessageEntityMentionName, offset=e.offset, length=e.length,
                    user_id=e.user_id or 0)
    if kind == "custom_emoji" and has("MessageEntityCustomEmoji"):
        return make(types.MessageEntityCustomEmoji, offset=e.offset, length=e.length,
                    document_id=e.document_id or 0)
    if kind == "blockquote" and has("MessageEntityBlockquote"):
        return make(types.MessageEntityBlockquote, offset=e.offset, length=e.length,
                    collapsed=e.collapsed)
    return make(types.MessageEntityUnknown, offset=e.offset, length=e.length)


def entities(items: list[Entity]) -> list | None:
    """The message's entity list, or None when it has none (flag unset)."""
    return [entity(e) for e in items] if items else None
