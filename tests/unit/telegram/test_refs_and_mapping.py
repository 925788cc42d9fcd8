"""Pure parts of the Telegram layer: chat reference parsing, UTF-16 entity
handling and the TL -> core mapping of hand-built TL objects."""
from __future__ import annotations

import datetime as dt

import pytest
from telethon.tl import types

from tobsd.core.models import ActionKind, ChatKind, EntityKind, MediaKind
from tobsd.telegram.mapping import map_message
from tobsd.telegram.mapping_entities import utf16_slice
from tobsd.telegram.mapping_media import file_id_for, parse_file_id
from tobsd.telegram.mapping_peers import chat_from_entity
from tobsd.telegram.refs import ParsedRef, parse_ref

NOW = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("ref, expected", [
    ("@news", ParsedRef(username="news")),
    ("https://t.me/news", ParsedRef(username="news")),
    ("http://telegram.me/news/", ParsedRef(username="news")),
    ("t.me/news/42", ParsedRef(username="news")),
    ("t.me/c/123", ParsedRef(peer_id=-1000000000123)),
    ("https://t.me/c/123/7", ParsedRef(peer_id=-1000000000123)),
    ("-1001700000001", ParsedRef(peer_id=-1001700000001)),
    (" 2001 ", ParsedRef(peer_id=2001)),
    (2001, ParsedRef(peer_id=2001)),
    ("Book club", ParsedRef(title="Book club")),
    ("@x", ParsedRef(title="@x")),
])
def test_parse_ref(ref, expected):
    assert parse_ref(ref) == expected


def test_utf16_slice_counts_surrogate_pairs():
    text = "🚂 go"
    assert utf16_slice(text, 0, 2) == "🚂"
    assert utf16_slice(text, 3, 2) == "go"


def test_file_id_round_trip():
    assert parse_file_id(file_id_for(-1001700000001, 42)) == (-1001700000001, 42)


def test_channel_kinds_and_links():
    forum = types.Channel(id=5, title="F", photo=types.ChatPhotoEmpty(), date=NOW,
                          megagroup=True, forum=True, username="f_chat")
    chat = chat_from_entity(forum)
    assert (chat.id, chat.kind, chat.link) == (-1000000000005, ChatKind.FORUM, "https://t.me/f_chat")
    bot = types.User(id=7, bot=True, first_name="Weather")
    assert chat_from_entity(bot).kind is ChatKind.BOT


def test_message_with_emoji_entities_forward_and_sender():
    msg = types.Message(
        id=10, peer_id=types.PeerUser(2001), date=NOW, message="🚂 bold",
        entities=[types.MessageEntityBold(offset=3, length=4),
                  types.MessageEntityCustomEmoji(offset=0, length=2, document_id=9)],
        fwd_from=types.MessageFwdHeader(date=NOW, from_name="A. Admirer"),
        out=False)
    users = {2001: types.User(id=2001, first_name="Bob", last_name="Stone")}
    out = map_message(msg, users)
    assert out.chat_id == 2001 and out.sender.name == "Bob Stone"
    assert [(e.kind, e.offset, e.length) for e in out.entities] == \
        [(EntityKind.BOLD, 3, 4), (EntityKind.CUSTOM_EMOJI, 0, 2)]
    assert out.entities[1].alt == "🚂"
    assert out.forward.from_name == "A. Admirer" and out.forward.from_id is None
    assert out.date == NOW and out.topic_id is None


def test_unknown_media_and_action_keep_their_type_name():
    msg = types.Message(id=1, peer_id=types.PeerChannel(5), date=NOW, message="",
                        media=types.MessageMediaUnsupported())
    assert map_message(msg, {}).media.kind is MediaKind.UNKNOWN
    assert map_message(msg, {}).media.type_name == "MessageMediaUnsupported"
    service = types.MessageService(id=2, peer_id=types.PeerChannel(5), date=NOW,
                                   action=types.MessageActionEmpty())
    action = map_message(service, {}).action
    assert action.kind is ActionKind.UNKNOWN and action.type_name == "MessageActionEmpty"


def test_forum_reply_across_topics():
    forum = types.Channel(id=5, title="F", photo=types.ChatPhotoEmpty(), date=NOW,
                          megagroup=True, forum=True)
    entities = {-1000000000005: forum}
    across = types.Message(id=20, peer_id=types.PeerChannel(5), date=NOW, message="x",
                           reply_to=types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=11,
                                                             reply_to_top_id=3))
    plain = types.Message(id=21, peer_id=types.PeerChannel(5), date=NOW, message="y",
                          reply_to=types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=3))
    general = types.Message(id=22, peer_id=types.PeerChannel(5), date=NOW, message="z")
    a, p, g = (map_message(m, entities) for m in (across, plain, general))
    assert (a.topic_id, a.reply.msg_id, a.reply.top_id) == (3, 11, 3)
    assert (p.topic_id, p.reply.msg_id, p.reply.top_id) == (3, None, 3)
    assert g.topic_id == 1 and g.reply is None


def test_message_empty_maps_to_none():
    assert map_message(types.MessageEmpty(id=5, peer_id=None), {}) is None
