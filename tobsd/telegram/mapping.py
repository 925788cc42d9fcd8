"""Telethon Message / MessageService -> core `Message`.

The mapping is pure: it reads the TL object and the users and chats the same
response listed (`entities`, marked id -> entity), and never calls Telegram.

Forum topics: in a forum, a message whose reply header has `forum_topic`
belongs to the topic `reply_to_top_id` (or, when that is absent, to the
replied message, which is then the topic's creating message itself); other
messages belong to General (1). A topic's creating service message belongs
to its own topic.
"""
from __future__ import annotations

from telethon import utils
from telethon.tl import types

from tobsd.core.models import ForwardInfo, Message, Person, Reaction, ReplyRef

from .mapping_actions import map_action
from .mapping_entities import map_entities
from .mapping_media import map_media
from .mapping_peers import Entities, display_name, entities_of, person_by_id, person_from_user

GENERAL_TOPIC = 1


def _is_forum(chat_id: int, entities: Entities) -> bool:
    return bool(getattr(entities.get(chat_id), "forum", False))


def _sender(msg, chat_id: int, entities: Entities, me: Person | None) -> Person | None:
    from_id = msg.from_id
    if from_id is not None:
        return person_by_id(utils.get_peer_id(from_id), entities)
    if isinstance(msg.peer_id, types.PeerUser):
        # Private chats leave from_id out: the peer wrote it unless it is ours.
        if msg.out and me is not None:
            return me
        return person_by_id(chat_id, entities)
    return None


def _reply(header, forum: bool) -> ReplyRef | None:
    if not isinstance(header, types.MessageReplyHeader):
        return None       # story replies are not message replies
    top_id = header.reply_to_top_id
    msg_id = header.reply_to_msg_id
    if forum and header.forum_topic and top_id is None:
        # A plain message in a topic: the header only names the topic.
        top_id, msg_id = msg_id, None
    if msg_id is None and top_id is None:
        return None
    chat_id = utils.get_peer_id(header.reply_to_peer_id) if header.reply_to_peer_id else None
    return ReplyRef(msg_id=msg_id, top_id=top_id, quote=header.quote_text or None,
                    chat_id=chat_id)


def _topic_id(msg, reply: ReplyRef | None, forum: bool) -> int | None:
    if not forum:
        return None
    if isinstance(msg, types.MessageService) and \
            isinstance(msg.action, types.MessageActionTopicCreate):
        return msg.id
    header = msg.reply_to
    if isinstance(header, types.MessageReplyHeader) and header.forum_topic and reply is not None:
        return reply.top_id or reply.msg_id
    return GENERAL_TOPIC


def _forward(fwd, entities: Entities) -> ForwardInfo | None:
    if fwd is None:
        return None
    from_id = utils.get_peer_id(fwd.from_id) if fwd.from_id is not None else None
    name = fwd.from_name
    if not name and from_id is not None:
        entity = entities.get(from_id)
        if isinstance(entity, types.User):
            name = display_name(entity)
        elif entity is not None:
            name = getattr(entity, "title", None)
    if not name:
        name = fwd.post_author or (f"User {from_id}" if from_id is not None else "Unknown")
    return ForwardInfo(from_name=name, from_id=from_id, from_msg_id=fwd.channel_post,
                       date=fwd.date)


def _reactions(reactions) -> tuple[Reaction, ...]:
    out = []
    for r in getattr(reactions, "results", None) or ():
        reaction = r.reaction
        if isinstance(reaction, types.ReactionEmoji):
            emoji = reaction.emoticon
        elif isinstance(reaction, types.ReactionCustomEmoji):
            emoji = f"custom_emoji:{reaction.document_id}"
        else:
            emoji = "⭐" if type(reaction).__name__ == "ReactionPaid" else type(reaction).__name__
        out.append(Reaction(emoji=emoji, count=r.count))
    return tuple(out)


def map_message(msg, entities: Entities, me: Person | None = None) -> Message | None:
    """One TL message -> core Message; None for MessageEmpty (a deleted or
    never existing id)."""
    if isinstance(msg, types.MessageEmpty) or msg is None:
        return None
    chat_id = utils.get_peer_id(msg.peer_id)
    forum = _is_forum(chat_id, entities)
    reply = _reply(msg.reply_to, forum)
    out = Message(chat_id=chat_id, id=msg.id, date=msg.date,
                  sender=_sender(msg, chat_id, entities, me), reply=reply,
                  topic_id=_topic_id(msg, reply, forum))
    if isinstance(msg, types.MessageService):
        pinned = reply.msg_id if reply is not None else None
        out.action = map_action(msg.action, entities, pinned)
        out.reactions = _reactions(getattr(msg, "reactions", None))
        return out
    out.text = msg.message or ""
    out.entities = map_entities(msg.entities, out.text)
    out.forward = _forward(msg.fwd_from, entities)
    out.edit_date = msg.edit_date
    out.media = map_media(msg.media, chat_id, msg.id)
    out.reactions = _reactions(msg.reactions)
    out.grouped_id = msg.grouped_id
    out.views = msg.views
    out.post_author = msg.post_author
    if msg.via_bot_id:
        out.via_bot = person_by_id(msg.via_bot_id, entities)
    return out


def map_messages(response, me: Person | None = None,
                 extra_entities: Entities | None = None) -> list[Message]:
    """Every message of a messages.Messages* response, in the response's
    order, MessageEmpty left out."""
    entities = dict(extra_entities or {})
    entities.update(entities_of(response))
    out = []
    for msg in response.messages:
        mapped = map_message(msg, entities, me)
        if mapped is not None:
            out.append(mapped)
    return out


__all__ = ["map_message", "map_messages", "person_from_user"]
