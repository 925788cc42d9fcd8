"""A fixture world: chats, people and messages of every kind, as core models.

Used by the golden-file test and the link checker test. Deterministic: fixed
ids and dates, no randomness.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tobsd.core.models import (ActionKind, Chat, ChatKind, Entity, EntityKind, ForwardInfo,
                               MediaKind, MediaRef, Message, Person, PollAnswer, Reaction,
                               ReplyRef, ServiceAction, Topic)

K = EntityKind
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)

ADA = Person(101, "Ada Lovelace", "ada")
BOB = Person(102, "Bob [the] #builder", "bob")
EVE = Person(103, "../../etc/passwd", None)
BOT = Person(104, "Helper Bot", "helperbot", is_bot=True)

GROUP = Chat(-1001, ChatKind.SUPERGROUP, "Design Crew", "designcrew", "https://t.me/designcrew", 42)
CHANNEL = Chat(-1002, ChatKind.CHANNEL, "News: daily/weekly?", None, None, 1000)
FORUM = Chat(-1003, ChatKind.FORUM, "Forum", "forum", "https://t.me/forum", 7)
TOPICS = [Topic(-1003, 1, "General"), Topic(-1003, 50, "Ideas / Plans")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
OGG = b"OggS" + b"\x00" * 20
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 12
PDF = b"%PDF-1.4\n" + b"\x00" * 8

ATTACH = "Telegram/Design Crew/attachments"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _m(chat: Chat, mid: int, minutes: int, sender=ADA, text="", **kw) -> Message:
    return Message(chat.id, mid, at(minutes), sender, text, **kw)


def group_messages() -> list[Message]:
    g = GROUP
    return [
        _m(g, 1, 0, None, action=ServiceAction(ActionKind.CHAT_CREATE, title="Design Crew")),
        _m(g, 2, 1, BOB, action=ServiceAction(ActionKind.JOIN, users=(BOB,))),
        _m(g, 3, 2, text="Hello **not bold** [[not a link]] #real and #notatag ^m3",
           entities=(Entity(K.HASHTAG, 34, 5),)),
        _m(g, 4, 3, BOB, "bold italic under strike spoiler code",
           entities=(Entity(K.BOLD, 0, 11), Entity(K.ITALIC, 5, 6), Entity(K.UNDERLINE, 12, 5),
                     Entity(K.STRIKE, 18, 6), Entity(K.SPOILER, 25, 7), Entity(K.CODE, 33, 4)),
           reply=ReplyRef(3), reactions=(Reaction("👍", 3), Reaction("❤", 1))),
        _m(g, 5, 4, text="def f():\n    return 1\n", entities=(Entity(K.PRE, 0, 21, language="python"),),
           edit_date=at(6)),
        _m(g, 6, 5, text="```dataviewjs\ndv.el('b','x')\n```\n`= this.file.name` `$= 1`",
           entities=(Entity(K.PRE, 0, 32, language="dataviewjs"), Entity(K.CODE, 33, 18),
                     Entity(K.CODE, 52, 6))),
        _m(g, 7, 6, text="Quote me\nsecond line\nafter", entities=(Entity(K.BLOCKQUOTE, 0, 20),)),
        _m(g, 8, 7, text="hidden\nmore\nvisible", entities=(Entity(K.BLOCKQUOTE, 0, 11, collapsed=True),)),
        _m(g, 9, 8, text="site https://example.com/a_b mail a@b.io call +1 555 0100 @bob @nobody $USD /start",
           entities=(Entity(K.URL, 5, 23), Entity(K.EMAIL, 34, 6), Entity(K.PHONE, 46, 11),
                     Entity(K.MENTION, 58, 4), Entity(K.MENTION, 63, 7), Entity(K.CASHTAG, 71, 4),
                     Entity(K.BOT_COMMAND, 76, 6))),
        _m(g, 10, 9, text="link text and Eve", entities=(Entity(K.TEXT_URL, 0, 9, url="https://t.me/x"),
                                                       Entity(K.MENTION_NAME, 14, 3, user_id=103))),
        _m(g, 11, 10, text="photo caption", media=MediaRef(MediaKind.PHOTO, file_id="p1", size=2048,
                                                          width=800, height=600,
                                                          path=f"{ATTACH}/11_photo.png")),
        _m(g, 12, 11, media=MediaRef(MediaKind.VOICE, file_id="v1", duration=7.0, mime="audio/ogg",
                                     path=f"{ATTACH}/12_voice.ogg")),
        _m(g, 13, 12, media=MediaRef(MediaKind.ROUND, file_id="r1", duration=12, path=f"{ATTACH}/13_round.mp4")),
        _m(g, 14, 13, media=MediaRef(MediaKind.VIDEO, file_id="vd", duration=3725, size=5_000_000)),
        _m(g, 15, 14, media=MediaRef(MediaKind.AUDIO, file_id="a1", file_name="song.mp3", duration=200)),
        _m(g, 16, 15, media=MediaRef(MediaKind.GIF, file_id="g1", path=f"{ATTACH}/16_gif.mp4")),
        _m(g, 17, 16, media=MediaRef(MediaKind.STICKER, file_id="s1", emoji="😀")),
        _m(g, 18, 17, media=MediaRef(MediaKind.ANIMATED_STICKER, file_id="s2", emoji="🔥",
                                     path=f"{ATTACH}/18_animated_sticker.tgs")),
        _m(g, 19, 18, media=MediaRef(MediaKind.VIDEO_STICKER, file_id="s3", emoji="🎉")),
        _m(g, 20, 19, text="the spec", media=MediaRef(MediaKind.DOCUMENT, file_id="d1",
                                                      file_name="spec [v2].pdf", size=1234567,
                                                      path=f"{ATTACH}/20_spec _v2_.pdf")),
        _m(g, 21, 20, media=MediaRef(MediaKind.GEO, latitude=52.52, longitude=13.405)),
        _m(g, 22, 21, media=MediaRef(MediaKind.VENUE, latitude=48.8584, longitude=2.2945,
                                     title="Tour *Eiffel*", address="Champ de Mars, Paris")),
        _m(g, 23, 22, media=MediaRef(MediaKind.CONTACT, contact_name="Grace Hopper", phone="+1 555 0199")),
        _m(g, 24, 23, media=MediaRef(MediaKind.POLL, poll_question="Lunch? #food",
                                     poll_answers=(PollAnswer("- pizza", 3, chosen=True),
                                                   PollAnswer("1. salad", 1)),
                                     poll_total_voters=4, poll_closed=True)),
        _m(g, 25, 24, media=MediaRef(MediaKind.DICE, emoji="🎲", value=5)),
        _m(g, 26, 25, text="see https://example.org", entities=(Entity(K.URL, 4, 19),),
           media=MediaRef(MediaKind.WEBPAGE, url="https://example.org", title="Example <b>",
                          description="An example\nsite", site_name="Example")),
        _m(g, 27, 26, BOT, media=MediaRef(MediaKind.GAME, title="Snake", description="Eat apples")),
        _m(g, 28, 27, BOT, media=MediaRef(MediaKind.INVOICE, title="Coffee", amount=450, currency="EUR",
                                          description="One cup")),
        _m(g, 29, 28, media=MediaRef(MediaKind.STORY, story_id=77, peer_id=101)),
        _m(g, 30, 29, media=MediaRef(MediaKind.UNKNOWN, type_name="MessageMediaPaidMedia")),
        _m(g, 31, 30, action=ServiceAction(ActionKind.PIN, pinned_msg_id=4)),
        _m(g, 32, 31, action=ServiceAction(ActionKind.TITLE, title="Design Crew 2")),
        _m(g, 33, 32, action=ServiceAction(ActionKind.PHOTO), media=MediaRef(MediaKind.PHOTO,
                                                                             path=f"{ATTACH}/33_photo.png")),
        _m(g, 34, 33, action=ServiceAction(ActionKind.PHOTO_DELETE)),
        _m(g, 35, 34, action=ServiceAction(ActionKind.GROUP_CALL, duration=125)),
        _m(g, 36, 35, BOB, action=ServiceAction(ActionKind.LEAVE, users=(BOB,))),
        _m(g, 37, 36, action=ServiceAction(ActionKind.JOIN, users=(EVE, BOT))),
        _m(g, 38, 37, action=ServiceAction(ActionKind.UNKNOWN, type_name="MessageActionGiftCode")),
        _m(g, 39, 38, BOB, "forwarded text", forward=ForwardInfo("Some *Channel*", from_id=-1009)),
        _m(g, 40, 39, text="gone soon", deleted=True),
        _m(g, 41, 40, BOT, "via inline", via_bot=BOT),
        # next day, replying to a message of the first day
        _m(g, 42, 60 * 24, BOB, "a reply across days <% tp.file.title %> %%c%% $x$ | = 1",
           reply=ReplyRef(4, quote="bold italic")),
        _m(g, 43, 60 * 24 + 1, text="emoji 😀 **b**", entities=(Entity(K.BOLD, 6, 2),
                                                                    Entity(K.CUSTOM_EMOJI, 6, 2,
                                                                           alt="😀", document_id=5))),
    ]


def channel_messages() -> list[Message]:
    c = CHANNEL
    return [
        Message(c.id, 1, at(0), None, action=ServiceAction(ActionKind.CHANNEL_CREATE, title=c.title)),
        Message(c.id, 2, at(5), None, "Post one\n# not a heading\n- not a list\n> not a quote",
                post_author="Editor", views=10),
        Message(c.id, 3, at(6), None, "Post two", reply=ReplyRef(2)),
    ]


def forum_messages() -> list[Message]:
    f = FORUM
    return [
        Message(f.id, 1, at(0), ADA, action=ServiceAction(ActionKind.CHAT_CREATE, title="Forum"), topic_id=1),
        Message(f.id, 50, at(1), ADA, action=ServiceAction(ActionKind.TOPIC_CREATE, title="Ideas / Plans",
                                                           icon_emoji="💡"), topic_id=50),
        Message(f.id, 51, at(2), BOB, "idea one", topic_id=50, reply=ReplyRef(50, top_id=50)),
        Message(f.id, 52, at(3), ADA, "general chat", topic_id=1),
        Message(f.id, 53, at(4), ADA, action=ServiceAction(ActionKind.TOPIC_EDIT, closed=True), topic_id=50),
        Message(f.id, 54, at(5), ADA, action=ServiceAction(ActionKind.CALL, duration=61, video=True,
                                                           reason="hangup"), topic_id=1),
    ]


def write_attachments(vault: Path) -> None:
    """The media files the world's messages point at (tiny, with real magic numbers)."""
    folder = vault / ATTACH
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in [("11_photo.png", PNG), ("12_voice.ogg", OGG), ("13_round.mp4", MP4),
                       ("16_gif.mp4", MP4), ("18_animated_sticker.tgs", b"\x1f\x8b" + b"\x00" * 8),
                       ("20_spec _v2_.pdf", PDF), ("33_photo.png", PNG)]:
        (folder / name).write_bytes(data)


async def build_vault(vault: Path):
    """Write the whole world into ``vault`` with a fresh writer; returns the writer."""
    from tobsd.vault.writer import VaultWriter

    writer = VaultWriter(vault, durable=False)
    for topic in TOPICS:
        writer.register_topic(topic)
    await writer.learn_people([ADA, BOB, EVE, BOT])
    for chat in (GROUP, CHANNEL, FORUM):
        writer.layout.chat_folder(chat)  # name the folders before anything lands in them
    write_attachments(vault)
    for chat, msgs in ((GROUP, group_messages()), (CHANNEL, channel_messages()), (FORUM, forum_messages())):
        await writer.apply(chat, msgs)
        last = max(m.date for m in msgs)
        await writer.write_chat_note(chat, synced_through=last, message_count=len(msgs))
    renamed = Chat(GROUP.id, GROUP.kind, "Design Crew 2", GROUP.username, GROUP.link, 43)
    await writer.write_chat_note(renamed, synced_through=at(60 * 24 + 1), message_count=43)
    return writer
