"""World messages -> TL Message / MessageService / MessageEmpty."""
from __future__ import annotations

from telethon.tl import types

from ..world.model import Message, Reply
from .actions import action
from .build import make, ts
from .entities import entities
from .media import media
from .peers import peer

Key = tuple[str, int]
GENERAL_TOPIC = 1   # a forum's "General" topic; its messages carry no topic header


def reply_header(key: Key, m: Message, forum: bool):
    """MessageReplyHeader for a reply and for any message in a forum topic
    other than General (Telegram marks those with forum_topic and points
    reply_to_msg_id at the topic's first message)."""
    r: Reply | None = m.reply_to
    topic = m.topic_id if forum and m.topic_id not in (None, GENERAL_TOPIC) else None
    if r is None:
        if topic is None or m.id == topic:
            return None
        return make(types.MessageReplyHeader, reply_to_msg_id=topic, forum_topic=True)
    top_id = r.top_id
    if topic is not None and top_id is None and r.msg_id != topic:
        top_id = topic
    return make(types.MessageReplyHeader, reply_to_msg_id=r.msg_id,
                reply_to_top_id=top_id, forum_topic=r.forum_topic or topic is not None,
                quote=bool(r.quote_text), quote_text=r.quote_text,
                reply_to_peer_id=peer(r.peer) if r.peer else None)


def fwd_header(m: Message):
    f = m.fwd
    if f is None:
        return None
    if f.from_user_id is not None:
        from_id = types.PeerUser(user_id=f.from_user_id)
    elif f.from_channel_id is not None:
        from_id = types.PeerChannel(channel_id=f.from_channel_id)
    else:
        from_id = None
    return make(types.MessageFwdHeader, date=ts(f.date), from_id=from_id,
                from_name=f.from_name, channel_post=f.channel_post, post_author=f.post_author)


def reactions(m: Message):
    if not m.reactions:
        return None
    results = []
    for order, r in enumerate(m.reactions):
        results.append(make(types.ReactionCount, reaction=types.ReactionEmoji(emoticon=r.emoji),
                            count=r.count, chosen_order=order if r.chosen else None))
    return make(types.MessageReactions, results=results)


def message(world, key: Key, m: Message):
    """The TL message for `m` in chat `key` (MessageService when it has an
    action). `out` is set for the account's own messages."""
    info = world.chat(key)
    forum = info is not None and info.kind == "forum"
    broadcast = info is not None and info.kind == "channel"
    out = m.from_id is not None and m.from_id == world.me
    if broadcast and m.from_id is None and info.creator_id == world.me:
        out = True   # a channel's posts are outgoing for its owner
    from_id = types.PeerUser(user_id=m.from_id) if m.from_id is not None else None
    common = dict(id=m.id, peer_id=peer(key), date=ts(m.date), out=out, from_id=from_id,
                  reply_to=reply_header(key, m, forum), silent=m.silent,
                  post=m.post or broadcast)
    if m.action is not None:
        return make(types.MessageService, action=action(m.action, m.id), **common)
    return make(
        types.Message, message=m.text, entities=entities(m.entities),
        fwd_from=fwd_header(m), media=media(m.media, world.me),
        views=m.views, forwards=0 if m.views is not None else None,
        edit_date=ts(m.edit_date), post_author=m.post_author, pinned=m.pinned,
        grouped_id=m.grouped_id, reactions=reactions(m), **common)


def empty(msg_id: int, key: Key | None = None):
    """MessageEmpty for an id that has no message."""
    return make(types.MessageEmpty, id=msg_id, peer_id=peer(key) if key else None)
