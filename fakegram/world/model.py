"""The plain data of a fakegram world: users, chats, messages, media, files.

Nothing here knows about TL or MTProto. `fakegram.tl` turns these objects
into the TL types of whatever Telethon layer is installed; `fakegram.world`
keeps them (histories, update log, file registry).

Conventions, as on Telegram:
- A user's peer id is the user id; a basic group has a chat id; broadcast
  channels, supergroups and forums are channels with a channel id. The three id
  spaces are separate, so a `Chat` is keyed by `(kind_family, id)` where the
  family is "user", "chat" or "channel" (see `Chat.family`).
- Message ids of private chats and basic groups come from one counter per
  account (the "common box"), so they are sparse in any one chat. Every
  channel has its own dense counter starting at 1.
- Text entity offsets and lengths are in UTF-16 code units.
- Dates are Unix timestamps (int, UTC).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ChatKind = Literal["private", "group", "supergroup", "channel", "forum"]
Family = Literal["user", "chat", "channel"]

# Every entity kind Telegram has; `fakegram.tl` maps each to its MessageEntity*.
ENTITY_KINDS = (
    "bold", "italic", "underline", "strike", "spoiler", "code", "pre",
    "text_url", "url", "email", "phone", "mention", "mention_name",
    "hashtag", "cashtag", "bot_command", "custom_emoji", "blockquote",
    "bank_card", "unknown",
)

MEDIA_KINDS = (
    "photo", "document", "voice", "round", "video", "audio", "gif",
    "sticker", "animated_sticker", "video_sticker",
    "geo", "venue", "contact", "poll", "dice", "webpage", "game",
    "invoice", "story", "unsupported",
)

ACTION_KINDS = (
    "chat_create", "channel_create", "add_user", "delete_user",
    "join_by_link", "pin", "title", "photo", "delete_photo",
    "phone_call", "group_call", "topic_create", "topic_edit",
    "history_clear", "screenshot", "custom", "unknown",
)


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    phone: str | None = None
    bot: bool = False
    access_hash: int = 0
    about: str = ""

    @property
    def display_name(self) -> str:
        return (self.first_name + " " + self.last_name).strip()


@dataclass(slots=True)
class Entity:
    """A text entity; offset and length are in UTF-16 code units."""
    kind: str
    offset: int
    length: int
    language: str | None = None      # pre
    url: str | None = None           # text_url
    user_id: int | None = None       # mention_name
    document_id: int | None = None   # custom_emoji
    collapsed: bool = False          # blockquote (expandable)


@dataclass(slots=True)
class FileBlob:
    """A file stored on one DC; its bytes are produced on demand.

    `source` names where the bytes come from: "asset:<file name>" for a file
    shipped in fakegram/assets, or "seed:<int>" for deterministic pseudo-random
    bytes of `size` (see `fakegram.world.files`).
    """
    id: int
    dc_id: int
    size: int
    mime_type: str
    source: str


@dataclass(slots=True)
class PhotoSize:
    type: str          # "s", "m", "x", "y", "w" as on Telegram
    w: int
    h: int
    file: FileBlob


@dataclass(slots=True)
class PollAnswer:
    text: str
    voters: int = 0
    correct: bool = False
    chosen: bool = False


@dataclass(slots=True)
class Poll:
    question: str
    answers: list[PollAnswer]
    closed: bool = False
    quiz: bool = False
    multiple_choice: bool = False
    public_voters: bool = False

    @property
    def total_voters(self) -> int:
        return sum(a.voters for a in self.answers)


@dataclass(slots=True)
class Media:
    """One message's media. Which fields matter depends on `kind`.

    photo: id, access_hash, file_reference, dc_id, sizes.
    document-like kinds (document, voice, round, video, audio, gif, sticker,
    animated_sticker, video_sticker): id, access_hash, file_reference, dc_id,
    file (the document's bytes), sizes (thumbnails), mime_type, file_name,
    duration, w, h, title, performer, emoji (stickers).
    geo: lat, long. venue: lat, long, title, address, provider, venue_id.
    contact: phone, first_name, last_name, user_id.
    poll: poll. dice: emoji, value. webpage: url, site_name, title,
    description. game/invoice/story: title, description. unsupported: nothing.
    """
    kind: str
    id: int = 0
    access_hash: int = 0
    file_reference: bytes = b""
    dc_id: int = 0
    file: FileBlob | None = None
    sizes: list[PhotoSize] = field(default_factory=list)
    mime_type: str = ""
    file_name: str | None = None
    duration: float = 0.0
    w: int = 0
    h: int = 0
    title: str = ""
    performer: str = ""
    emoji: str = ""
    value: int = 0
    lat: float = 0.0
    long: float = 0.0
    address: str = ""
    provider: str = ""
    venue_id: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    user_id: int = 0
    poll: Poll | None = None
    url: str = ""
    site_name: str = ""
    description: str = ""
    date: int = 0


@dataclass(slots=True)
class Action:
    """A service message's action. `kind` is one of ACTION_KINDS."""
    kind: str
    user_ids: list[int] = field(default_factory=list)
    title: str = ""
    duration: int = 0
    video: bool = False
    icon_color: int = 0
    closed: bool | None = None
    text: str = ""


@dataclass(slots=True)
class Forward:
    """Where a forwarded message came from: a peer, or only a name."""
    date: int
    from_user_id: int | None = None
    from_channel_id: int | None = None
    channel_post: int | None = None
    from_name: str | None = None
    post_author: str | None = None


@dataclass(slots=True)
class Reply:
    """The message this one replies to, possibly in another topic or chat."""
    msg_id: int
    top_id: int | None = None          # forum topic (the topic's first message)
    forum_topic: bool = False
    quote_text: str | None = None
    peer: tuple[str, int] | None = None  # (family, id) when in another chat


@dataclass(slots=True)
class Reaction:
    emoji: str
    count: int
    chosen: bool = False


@dataclass(slots=True)
class Message:
    id: int
    date: int
    from_id: int | None = None       # user id; None for channel posts
    text: str = ""
    entities: list[Entity] = field(default_factory=list)
    reply_to: Reply | None = None
    fwd: Forward | None = None
    edit_date: int | None = None
    media: Media | None = None
    action: Action | None = None
    reactions: list[Reaction] = field(default_factory=list)
    topic_id: int | None = None      # forum topic this message belongs to
    pinned: bool = False
    views: int | None = None
    post: bool = False               # a broadcast channel's post
    post_author: str | None = None
    grouped_id: int | None = None
    silent: bool = False


@dataclass(slots=True)
class Topic:
    """A forum topic; its id is the id of the service message that made it."""
    id: int
    title: str
    date: int
    icon_color: int = 0x6FB9F0
    closed: bool = False
    pinned: bool = False
    creator_id: int = 0


@dataclass(slots=True)
class ChatInfo:
    """A chat as the account sees it, without its history.

    kind "private" is a dialog with a user (id = the user's id); "group" a
    basic group (chat id); "supergroup", "channel" and "forum" are channels.
    """
    kind: str
    id: int
    title: str = ""
    username: str | None = None
    access_hash: int = 0
    date: int = 0
    creator_id: int = 0
    members: list[int] = field(default_factory=list)
    about: str = ""
    dc_id: int = 0                    # where the chat's photo would live
    archived: bool = False
    pinned: bool = False
    topics: list[Topic] = field(default_factory=list)

    @property
    def family(self) -> Family:
        if self.kind == "private":
            return "user"
        if self.kind == "group":
            return "chat"
        return "channel"

    @property
    def key(self) -> tuple[str, int]:
        return (self.family, self.id)

    @property
    def is_channel(self) -> bool:
        return self.family == "channel"
