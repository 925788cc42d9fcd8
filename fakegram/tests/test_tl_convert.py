"""World -> TL conversion: every object serializes and parses back equal,
and carries what Telegram would put in it."""
from __future__ import annotations

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import types

from fakegram.tl import convert
from fakegram.tl.testkit import BOB, BOT, EVE, ME, sample_world
from fakegram.world.model import ACTION_KINDS, ENTITY_KINDS, MEDIA_KINDS


def roundtrip(obj):
    parsed = BinaryReader(bytes(obj)).tgread_object()
    assert parsed == obj, (obj.to_dict(), parsed.to_dict())
    return parsed


@pytest.fixture(scope="module")
def world():
    return sample_world()


def all_messages(world):
    for info in world.chats():
        for m in world.get_history(info.key, limit=100).messages:
            yield info, m


def converted(world):
    return {(info.key, m.id): (m, convert.message(world, info.key, m))
            for info, m in all_messages(world)}


def test_every_message_of_the_sample_world_roundtrips(world):
    seen_media, seen_actions = set(), set()
    for info, m in all_messages(world):
        roundtrip(convert.message(world, info.key, m))
        if m.media:
            seen_media.add(m.media.kind)
        if m.action:
            seen_actions.add(m.action.kind)
    assert seen_media == set(MEDIA_KINDS)
    assert seen_actions == set(ACTION_KINDS)


def test_demo_world_roundtrips():
    from fakegram.world import demo_world
    try:
        world = demo_world()
    except NotImplementedError:
        pytest.skip("demo world not available yet")
    count = 0
    for info in world.chats():
        roundtrip(convert.chat_for_dialog(world, info))
        for m in world.get_history(info.key, limit=100).messages:
            roundtrip(convert.message(world, info.key, m))
            count += 1
    for u in world.users.values():
        roundtrip(convert.user(world, u))
    assert count > 0


def test_users_and_chats(world):
    me = roundtrip(convert.user(world, world.users[ME]))
    assert me.is_self and me.phone == "15550001000" and me.username == "ada"
    bob = roundtrip(convert.user(world, world.users[BOB]))
    assert not bob.is_self and bob.contact and bob.phone == "15550002001"
    assert bob.access_hash == world.users[BOB].access_hash
    eve = convert.user(world, world.users[EVE])
    assert eve.phone is None              # not a contact: no private dialog
    assert convert.user(world, world.users[BOT]).bot
    kinds = {info.kind: roundtrip(convert.chat(world, info))
             for info in world.chats() if info.kind != "private"}
    assert isinstance(kinds["group"], types.Chat) and kinds["group"].participants_count == 3
    news, forum = kinds["channel"], kinds["forum"]
    assert news.broadcast and not news.megagroup and news.username == "news"
    assert forum.megagroup and forum.forum and not forum.broadcast
    assert news.access_hash == world.chat(("channel", news.id)).access_hash


def test_entities_keep_offsets_and_kinds(world):
    msgs = converted(world)
    (m, tl) = next(v for v in msgs.values() if len(v[0].entities) == len(ENTITY_KINDS))
    by_class = {type(e).__name__: e for e in tl.entities}
    assert [(e.offset, e.length) for e in tl.entities] == \
        [(e.offset, e.length) for e in m.entities]
    assert by_class["MessageEntityPre"].language == "py"
    assert by_class["MessageEntityTextUrl"].url == "https://e.x"
    assert by_class["MessageEntityMentionName"].user_id == BOB
    assert by_class["MessageEntityCustomEmoji"].document_id == 77
    assert by_class["MessageEntityBlockquote"].collapsed
    assert len(by_class) == len(ENTITY_KINDS)


def _media_of(world, kind):
    for (m, tl) in converted(world).values():
        if m.media and m.media.kind == kind:
            return m, tl
    raise AssertionError(kind)


def _attrs(doc):
    return {type(a).__name__: a for a in doc.attributes}


def test_document_kinds_carry_telegram_attributes(world):
    m, tl = _media_of(world, "voice")
    assert tl.media.voice
    audio = _attrs(tl.media.document)["DocumentAttributeAudio"]
    assert audio.voice and audio.waveform
    m, tl = _media_of(world, "round")
    assert tl.media.round and _attrs(tl.media.document)["DocumentAttributeVideo"].round_message
    m, tl = _media_of(world, "video")
    video = _attrs(tl.media.document)["DocumentAttributeVideo"]
    assert not video.round_message and (video.w, video.h) == (m.media.w, m.media.h)
    m, tl = _media_of(world, "gif")
    assert "DocumentAttributeAnimated" in _attrs(tl.media.document)
    m, tl = _media_of(world, "audio")
    audio = _attrs(tl.media.document)["DocumentAttributeAudio"]
    assert not audio.voice and audio.title == m.media.title and audio.performer == m.media.performer
    for kind, mime in (("sticker", "image/webp"), ("animated_sticker", "application/x-tgsticker"),
                       ("video_sticker", "video/webm")):
        m, tl = _media_of(world, kind)
        doc = tl.media.document
        assert doc.mime_type == mime
        assert _attrs(doc)["DocumentAttributeSticker"].alt == m.media.emoji
    assert _attrs(_media_of(world, "animated_sticker")[1].media.document)[
        "DocumentAttributeFilename"].file_name.endswith(".tgs")
    m, tl = _media_of(world, "document")
    doc = tl.media.document
    assert doc.size == m.media.file.size and _attrs(doc)["DocumentAttributeFilename"].file_name == "big.bin"
    assert (doc.id, doc.access_hash, doc.file_reference, doc.dc_id) == \
        (m.media.id, m.media.access_hash, m.media.file_reference, m.media.dc_id)


def test_photo_sizes_and_file_location_fields(world):
    m, tl = _media_of(world, "photo")
    photo = tl.media.photo
    assert (photo.id, photo.access_hash, photo.file_reference, photo.dc_id) == \
        (m.media.id, m.media.access_hash, m.media.file_reference, m.media.dc_id)
    assert isinstance(photo.sizes[0], types.PhotoStrippedSize)
    sizes = {s.type: s for s in photo.sizes[1:]}
    assert {t: (s.w, s.h, s.size) for t, s in sizes.items()} == \
        {s.type: (s.w, s.h, s.file.size) for s in m.media.sizes}


def test_other_media_kinds(world):
    _, tl = _media_of(world, "geo")
    assert (tl.media.geo.lat, tl.media.geo.long) == (51.5, -0.12)
    _, tl = _media_of(world, "venue")
    assert tl.media.title == "Museum"
    _, tl = _media_of(world, "contact")
    assert tl.media.user_id == EVE and tl.media.first_name == "Eve"
    m, tl = _media_of(world, "poll")
    assert tl.media.poll.question.text == m.media.poll.question
    assert [r.voters for r in tl.media.results.results] == [a.voters for a in m.media.poll.answers]
    assert tl.media.results.total_voters == m.media.poll.total_voters
    _, tl = _media_of(world, "dice")
    assert tl.media.emoticon == "🎲" and tl.media.value == 3
    _, tl = _media_of(world, "webpage")
    assert tl.media.webpage.url == "https://example.org/a" and tl.media.webpage.title == "Example"
    assert isinstance(_media_of(world, "game")[1].media, types.MessageMediaGame)
    assert isinstance(_media_of(world, "invoice")[1].media, types.MessageMediaInvoice)
    assert isinstance(_media_of(world, "story")[1].media, types.MessageMediaStory)
    assert isinstance(_media_of(world, "unsupported")[1].media, types.MessageMediaUnsupported)


def test_service_actions(world):
    by_kind = {m.action.kind: tl for (m, tl) in converted(world).values() if m.action}
    assert isinstance(by_kind["chat_create"], types.MessageService)
    expected = {
        "chat_create": "MessageActionChatCreate", "channel_create": "MessageActionChannelCreate",
        "add_user": "MessageActionChatAddUser", "delete_user": "MessageActionChatDeleteUser",
        "join_by_link": "MessageActionChatJoinedByLink", "pin": "MessageActionPinMessage",
        "title": "MessageActionChatEditTitle", "photo": "MessageActionChatEditPhoto",
        "delete_photo": "MessageActionChatDeletePhoto", "phone_call": "MessageActionPhoneCall",
        "group_call": "MessageActionGroupCall", "topic_create": "MessageActionTopicCreate",
        "topic_edit": "MessageActionTopicEdit", "history_clear": "MessageActionHistoryClear",
        "screenshot": "MessageActionScreenshotTaken", "custom": "MessageActionCustomAction",
        "unknown": "MessageActionEmpty",
    }
    assert {k: type(v.action).__name__ for k, v in by_kind.items()} == expected
    assert by_kind["add_user"].action.users == [EVE]
    assert by_kind["custom"].action.message == "did it"
    assert by_kind["phone_call"].action.duration == 5
    assert by_kind["topic_edit"].action.closed is True


def test_message_headers(world):
    msgs = list(converted(world).values())
    reply = next(tl for m, tl in msgs if m.text == "reply")
    assert reply.out and reply.reply_to.quote_text == "xx" and reply.reply_to.quote
    assert {r.reaction.emoticon: r.count for r in reply.reactions.results} == {"👍": 3, "❤": 1}
    fwd = next(tl for m, tl in msgs if m.text == "fwd")
    assert fwd.fwd_from.from_id == types.PeerUser(user_id=EVE)
    assert next(tl for m, tl in msgs if m.text == "fwd2").fwd_from.from_name == "Anon"
    posts = [tl for m, tl in msgs if m.text.startswith("post ")]
    assert all(p.post and p.views is not None and p.from_id is None for p in posts)
    assert all(p.out for p in posts)       # the account owns the channel
    assert sum(1 for p in posts if p.grouped_id == 99) == 2
    assert sum(1 for p in posts if p.edit_date) == 1
    assert any(tl.pinned for m, tl in msgs if m.text.startswith("group "))
    incoming = next(tl for m, tl in msgs if m.text == "fwd")
    assert not incoming.out and incoming.from_id == types.PeerUser(user_id=BOB)


def test_forum_topic_headers(world):
    msgs = {m.text: tl for m, tl in converted(world).values() if m.text}
    topics = {t.title: t.id for t in world.topics(next(
        i.key for i in world.chats() if i.kind == "forum"))}
    assert msgs["general chat"].reply_to is None
    solder = msgs["solder"].reply_to
    assert solder.forum_topic and solder.reply_to_msg_id == topics["Hardware"]
    assert solder.reply_to_top_id is None
    answer = msgs["which iron?"].reply_to
    assert answer.forum_topic and answer.reply_to_top_id == topics["Hardware"]
    assert answer.reply_to_msg_id == msgs["solder"].id
    assert msgs["rust"].reply_to.reply_to_msg_id == topics["Software"]


def test_refs_collect_every_peer_a_message_mentions(world):
    refs = convert.Refs(world)
    for info, m in all_messages(world):
        refs.message(info.key, m)
    assert {u.id for u in refs.users()} == {ME, BOB, EVE}
    assert {c.id for c in refs.chats()} == {i.id for i in world.chats() if i.kind != "private"}
    for obj in refs.users() + refs.chats():
        roundtrip(obj)
