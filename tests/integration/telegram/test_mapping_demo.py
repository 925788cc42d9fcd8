"""The whole fakegram demo world read through a real client and mapped to core
models: every message maps, every media and action kind shows up as the
world has it, and spot checks of entities, replies across topics, forwards."""
from __future__ import annotations

import asyncio

import pytest

from fakegram.testing import running_server
from fakegram.world import WorldBuilder, demo_world
from tobsd.core.models import ActionKind, ChatKind, EntityKind, MediaKind
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.source import TelethonSource

from .conftest import FAST, log_in_session, make_config

MEDIA = {"unsupported": MediaKind.UNKNOWN, **{k.value: k for k in MediaKind}}
ACTIONS = {
    "chat_create": ActionKind.CHAT_CREATE, "channel_create": ActionKind.CHANNEL_CREATE,
    "add_user": ActionKind.JOIN, "delete_user": ActionKind.LEAVE,
    "join_by_link": ActionKind.JOIN_BY_LINK, "pin": ActionKind.PIN, "title": ActionKind.TITLE,
    "photo": ActionKind.PHOTO, "delete_photo": ActionKind.PHOTO_DELETE,
    "phone_call": ActionKind.CALL, "group_call": ActionKind.GROUP_CALL,
    "topic_create": ActionKind.TOPIC_CREATE, "topic_edit": ActionKind.TOPIC_EDIT,
    "history_clear": ActionKind.HISTORY_CLEAR, "screenshot": ActionKind.SCREENSHOT,
    "custom": ActionKind.CUSTOM, "unknown": ActionKind.UNKNOWN,
}


async def read_all(source, chat):
    out, offset = [], 0
    while True:
        page = await source.history(chat, offset_id=offset, limit=100)
        if not page.messages:
            return out
        out += page.messages
        offset = page.messages[-1].id


def media_world():
    """A small world with the media kinds the demo world does not carry."""
    b = WorldBuilder(seed=5)
    bob = b.user(first_name="Bob")
    chat = b.private(bob)
    b.message(chat, "", from_id=bob, media=b.other("game", "Chess", "A game of chess"))
    b.message(chat, "", from_id=bob, media=b.other("invoice", "Gears", "Brass gears"))
    b.message(chat, "", from_id=bob, media=b.other("story"))
    b.message(chat, "", from_id=bob, action={"kind": "delete_photo"})
    b.message(chat, "", from_id=bob, action={"kind": "unknown"})
    return b.build()


async def load(world, rsa_key, tmp_path):
    async with running_server(world, tmp_path / "fg", rsa_key=rsa_key) as server:
        config = make_config(server, tmp_path)
        log_in_session(server, config)
        source = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
        await source.start()
        try:
            chats = await source.dialogs()
            return {c.id: (c, await read_all(source, c)) for c in chats}, \
                {c.id: await source.topics(c) for c in chats}
        finally:
            await source.stop()


@pytest.fixture(scope="module")
def demo(rsa_key, tmp_path_factory):
    """The demo world read once for the module (in its own event loop)."""
    world = demo_world()
    mapped, topics = asyncio.run(load(world, rsa_key, tmp_path_factory.mktemp("demo")))
    return world, mapped, topics


def world_messages(world, key):
    out, offset = [], 0
    while True:
        page = world.get_history(key, offset_id=offset, limit=100)
        if not page.messages:
            return out
        out += page.messages
        offset = page.messages[-1].id


def world_kinds(world, attr):
    return {getattr(m, attr).kind for info in world.chats()
            for m in world_messages(world, info.key) if getattr(m, attr) is not None}


async def test_every_chat_and_message_maps(demo):
    world, mapped, _ = demo
    assert len(mapped) == len(world.chats())
    total = sum(len(msgs) for _, msgs in mapped.values())
    assert total == sum(len(world_messages(world, c.key)) for c in world.chats())
    kinds = {chat.kind for chat, _ in mapped.values()}
    assert kinds == {ChatKind.USER, ChatKind.BOT, ChatKind.GROUP, ChatKind.SUPERGROUP,
                     ChatKind.CHANNEL, ChatKind.FORUM}


async def test_every_media_and_action_kind_of_the_world_appears(demo):
    world, mapped, _ = demo
    messages = [m for _, msgs in mapped.values() for m in msgs]
    media = {m.media.kind for m in messages if m.media}
    actions = {m.action.kind for m in messages if m.action}
    assert media >= {MEDIA[k] for k in world_kinds(world, "media")}
    assert actions >= {ACTIONS[k] for k in world_kinds(world, "action")}
    files = [m.media for m in messages if m.media and m.media.file_id]
    assert files and all(f.size for f in files)
    unknown = [m.media for m in messages if m.media and m.media.kind is MediaKind.UNKNOWN]
    assert unknown and all(u.type_name for u in unknown)


async def test_remaining_media_and_action_kinds(rsa_key, tmp_path):
    mapped, _ = await load(media_world(), rsa_key, tmp_path)
    messages = [m for _, msgs in mapped.values() for m in msgs]
    media = {m.media.kind: m.media for m in messages if m.media}
    assert {MediaKind.GAME, MediaKind.INVOICE, MediaKind.STORY} <= set(media)
    assert media[MediaKind.GAME].title == "Chess"
    assert media[MediaKind.INVOICE].currency == "USD"
    assert media[MediaKind.STORY].story_id
    actions = {m.action.kind: m.action for m in messages if m.action}
    assert ActionKind.PHOTO_DELETE in actions
    assert actions[ActionKind.UNKNOWN].type_name == "MessageActionEmpty"


def find(mapped, title):
    return next(msgs for chat, msgs in mapped.values() if chat.title == title)


async def test_entities_keep_utf16_offsets_after_emoji(demo):
    _, mapped, _ = demo
    showcase = next(m for m in find(mapped, "Charles Babbage") if "Notes for Thursday" in m.text)
    utf16 = showcase.text.encode("utf-16-le")
    bold = next(e for e in showcase.entities if e.kind is EntityKind.BOLD)
    assert utf16[bold.offset * 2:(bold.offset + 6) * 2].decode("utf-16-le") == "Bold, "
    emoji = next(e for e in showcase.entities if e.kind is EntityKind.CUSTOM_EMOJI)
    assert emoji.alt == "🔩" and emoji.document_id
    assert {e.kind for e in showcase.entities} == set(EntityKind)
    mention = next(e for e in showcase.entities if e.kind is EntityKind.MENTION_NAME)
    assert mention.user_id == 2002
    pre = next(e for e in showcase.entities if e.kind is EntityKind.PRE)
    assert pre.language == "python"
    quote = next(e for e in showcase.entities if e.kind is EntityKind.BLOCKQUOTE)
    assert quote.collapsed
    assert showcase.edit_date is not None


async def test_forum_topics_and_a_reply_across_topics(demo):
    _, mapped, topics = demo
    forum_id, (forum, msgs) = next((k, v) for k, v in mapped.items() if v[0].kind is ChatKind.FORUM)
    titles = {t.title: t for t in topics[forum_id]}
    assert {"General", "Hardware", "Software", "Off-topic & tea"} <= set(titles)
    assert titles["Hardware"].closed
    by_id = {m.id: m for m in msgs}
    across = next(m for m in msgs if m.text.startswith("Will the gears"))
    gear = next(m for m in msgs if m.text.startswith("Cutting the brass"))
    assert across.topic_id == titles["Software"].id
    assert across.reply.msg_id == gear.id and gear.topic_id == titles["Hardware"].id
    welcome = next(m for m in msgs if m.text.startswith("Welcome to the workshop"))
    assert welcome.topic_id == 1
    create = by_id[titles["Software"].id]
    assert create.action.kind is ActionKind.TOPIC_CREATE and create.topic_id == create.id


async def test_forwards_replies_reactions_and_polls(demo):
    _, mapped, _ = demo
    mary = find(mapped, "Mary Somerville")
    fwd = next(m for m in mary if m.text.startswith("Thursday at seven"))
    assert fwd.forward.from_id == 2001 and fwd.forward.from_name == "Charles Babbage"
    hidden = next(m for m in mary if m.forward and m.forward.from_id is None)
    assert hidden.forward.from_name == "A. Admirer"
    builders = find(mapped, "Difference Engine Builders")
    channel_fwd = next(m for m in builders if m.forward)
    assert channel_fwd.forward.from_msg_id == 2 and channel_fwd.forward.from_id < 0
    charles = find(mapped, "Charles Babbage")
    quoted = next(m for m in charles if m.reply and m.reply.quote)
    assert quoted.reply.quote == "look at the notes"
    notices = find(mapped, "Royal Society Notices")
    lecture = next(m for m in notices if m.text.startswith("Lecture"))
    assert {r.emoji: r.count for r in lecture.reactions} == {"👍": 41, "❤️": 12}
    assert lecture.sender is None and lecture.post_author == "Secretary" and lecture.views
    society = find(mapped, "Analytical Society")
    quiz = next(m.media for m in society if m.media and m.media.poll_quiz)
    assert quiz.poll_closed and quiz.poll_answers[0].correct and quiz.poll_total_voters == 5
    pin = next(m.action for m in society if m.action and m.action.kind is ActionKind.PIN)
    assert pin.pinned_msg_id
