"""Telethon MessageEntity* -> core `Entity`, offsets kept in UTF-16 code units.

Telegram counts offsets in UTF-16 code units and so do the core models, so
offsets and lengths are copied as they are; only a custom emoji's fallback
text is cut out of the message, which needs the UTF-16 view of the text.
"""
from __future__ import annotations

from telethon.tl import types

from tobsd.core.models import Entity, EntityKind

_SIMPLE = {
    types.MessageEntityBold: EntityKind.BOLD,
    types.MessageEntityItalic: EntityKind.ITALIC,
    types.MessageEntityUnderline: EntityKind.UNDERLINE,
    types.MessageEntityStrike: EntityKind.STRIKE,
    types.MessageEntitySpoiler: EntityKind.SPOILER,
    types.MessageEntityCode: EntityKind.CODE,
    types.MessageEntityUrl: EntityKind.URL,
    types.MessageEntityEmail: EntityKind.EMAIL,
    types.MessageEntityPhone: EntityKind.PHONE,
    types.MessageEntityMention: EntityKind.MENTION,
    types.MessageEntityHashtag: EntityKind.HASHTAG,
    types.MessageEntityCashtag: EntityKind.CASHTAG,
    types.MessageEntityBotCommand: EntityKind.BOT_COMMAND,
    types.MessageEntityBankCard: EntityKind.BANK_CARD,
}


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` at a UTF-16 offset and length (as Telegram counts)."""
    data = text.encode("utf-16-le")
    return data[offset * 2:(offset + length) * 2].decode("utf-16-le", errors="replace")


def map_entity(e, text: str) -> Entity:
    """One entity; kinds this layer does not know become UNKNOWN."""
    kind = _SIMPLE.get(type(e))
    if kind is not None:
        return Entity(kind, e.offset, e.length)
    if isinstance(e, types.MessageEntityPre):
        return Entity(EntityKind.PRE, e.offset, e.length, language=e.language or None)
    if isinstance(e, types.MessageEntityTextUrl):
        return Entity(EntityKind.TEXT_URL, e.offset, e.length, url=e.url)
    if isinstance(e, types.MessageEntityMentionName):
        return Entity(EntityKind.MENTION_NAME, e.offset, e.length, user_id=e.user_id)
    if isinstance(e, types.InputMessageEntityMentionName):
        user_id = getattr(e.user_id, "user_id", None)
        return Entity(EntityKind.MENTION_NAME, e.offset, e.length, user_id=user_id)
    if isinstance(e, types.MessageEntityCustomEmoji):
        return Entity(EntityKind.CUSTOM_EMOJI, e.offset, e.length, document_id=e.document_id,
                      alt=utf16_slice(text, e.offset, e.length))
    if isinstance(e, types.MessageEntityBlockquote):
        return Entity(EntityKind.BLOCKQUOTE, e.offset, e.length, collapsed=bool(e.collapsed))
    return Entity(EntityKind.UNKNOWN, e.offset, e.length)


def map_entities(entities, text: str) -> tuple[Entity, ...]:
    return tuple(map_entity(e, text) for e in entities or ())
