"""Core models: what TOBS knows about chats, people and messages.

These are plain slots dataclasses with no Telethon types and no I/O. The
Telegram mapping (``tobsd/telegram``) produces them; the vault renders them and
the store indexes them. This module imports nothing of ours.

Conventions that every producer must follow:

* Every ``datetime`` is timezone-aware and in UTC.
* Entity ``offset`` and ``length`` count UTF-16 code units, exactly as Telegram
  defines them (an emoji outside the BMP counts as 2).
* Optional fields are ``None`` when Telegram did not say; empty tuples mean
  "known to be empty".
* Sequences are tuples so that models are hashable-ish and safe to share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class ChatKind(str, Enum):
    """What kind of peer a chat is; decides wording and layout (forums get topic folders)."""

    USER = "user"
    BOT = "bot"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"
    FORUM = "forum"


@dataclass(slots=True)
class Chat:
    """A dialog as the vault shows it.

    ``id`` is the marked peer id (negative for groups and channels, as Telethon
    marks them). ``link`` is a public ``https://t.me/...`` link when one exists.
    ``members`` is the participant count when known. ``archived`` is True
    when the dialog is in the archive folder (known from the dialog list).
    """

    id: int
    kind: ChatKind
    title: str
    username: str | None = None
    link: str | None = None
    members: int | None = None
    archived: bool = False


@dataclass(slots=True)
class Person:
    """A user (or bot) who can send messages; becomes a people note when enabled.

    ``name`` is the display name (first + last name as Telegram shows it).
    """

    id: int
    name: str
    username: str | None = None
    is_bot: bool = False


@dataclass(slots=True)
class Topic:
    """A forum topic. ``id`` is the id of the topic's creating service message (1 = General)."""

    chat_id: int
    id: int
    title: str
    closed: bool = False


class EntityKind(str, Enum):
    """Telegram message entity types (text formatting and recognised spans)."""

    BOLD = "bold"
    ITALIC = "italic"
    UNDERLINE = "underline"
    STRIKE = "strike"
    SPOILER = "spoiler"
    CODE = "code"
    PRE = "pre"
    TEXT_URL = "text_url"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"
    MENTION = "mention"
    MENTION_NAME = "mention_name"
    HASHTAG = "hashtag"
    CASHTAG = "cashtag"
    BOT_COMMAND = "bot_command"
    BANK_CARD = "bank_card"
    CUSTOM_EMOJI = "custom_emoji"
    BLOCKQUOTE = "blockquote"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Entity:
    """One formatting or recognised span of a message's text.

    ``offset``/``length`` are in UTF-16 code units. Kind-specific fields:
    ``url`` for TEXT_URL; ``user_id`` for MENTION_NAME; ``language`` for PRE;
    ``alt`` (the fallback emoji) and ``document_id`` for CUSTOM_EMOJI;
    ``collapsed`` for an expandable BLOCKQUOTE.
    """

    kind: EntityKind
    offset: int
    length: int
    url: str | None = None
    user_id: int | None = None
    language: str | None = None
    alt: str | None = None
    document_id: int | None = None
    collapsed: bool = False


@dataclass(slots=True)
class ReplyRef:
    """What a message replies to.

    ``msg_id`` is the replied message (None for a plain reply-to-topic).
    ``top_id`` is the thread/topic top message. ``quote`` is the quoted part of
    the replied text, if the sender quoted. ``chat_id`` is set when the replied
    message lives in another chat (cross-chat replies).
    """

    msg_id: int | None
    top_id: int | None = None
    quote: str | None = None
    chat_id: int | None = None


@dataclass(slots=True)
class ForwardInfo:
    """Where a forwarded message came from. ``from_name`` is what the header shows.

    ``from_id`` is the original peer id when visible; ``from_msg_id`` the
    original message id in a channel; ``date`` the original send time (UTC).
    """

    from_name: str
    from_id: int | None = None
    from_msg_id: int | None = None
    date: datetime | None = None


class MediaKind(str, Enum):
    """Every kind of attachment a message can carry."""

    PHOTO = "photo"
    VOICE = "voice"
    ROUND = "round"
    VIDEO = "video"
    AUDIO = "audio"
    GIF = "gif"
    STICKER = "sticker"
    ANIMATED_STICKER = "animated_sticker"
    VIDEO_STICKER = "video_sticker"
    DOCUMENT = "document"
    GEO = "geo"
    VENUE = "venue"
    CONTACT = "contact"
    POLL = "poll"
    DICE = "dice"
    WEBPAGE = "webpage"
    GAME = "game"
    INVOICE = "invoice"
    STORY = "story"
    UNKNOWN = "unknown"


#: Media kinds that are files which can be downloaded into the attachments folder.
FILE_MEDIA_KINDS = frozenset({
    MediaKind.PHOTO, MediaKind.VOICE, MediaKind.ROUND, MediaKind.VIDEO,
    MediaKind.AUDIO, MediaKind.GIF, MediaKind.STICKER, MediaKind.ANIMATED_STICKER,
    MediaKind.VIDEO_STICKER, MediaKind.DOCUMENT,
})


@dataclass(slots=True)
class PollAnswer:
    """One poll option; ``voters`` is None while results are hidden to us."""

    text: str
    voters: int | None = None
    chosen: bool = False
    correct: bool = False


@dataclass(slots=True)
class MediaRef:
    """An attachment, described well enough to render it and to download it.

    Common fields: ``kind``; ``type_name`` (the raw Telegram type, always set
    for UNKNOWN so the placeholder can name it); ``file_id`` (opaque id the
    downloader uses); ``file_name``, ``mime``, ``size`` (bytes), ``duration``
    (seconds), ``width``/``height``.

    ``path`` is the vault-relative POSIX path of the downloaded file (for
    example ``Telegram/Chat/attachments/photo_12.jpg``): set as soon as the
    download is planned (the embed points at the file's final name while it
    downloads), else None; the renderer embeds it when set and shows a
    placeholder otherwise. ``status`` says where the download stands: None
    (the file is there, or no download is planned), ``"downloading"``,
    ``"failed"`` or ``"skipped"``, with ``status_detail`` saying why.
    ``media_key`` is Telegram's identity of the file's content (the same for
    every forward of it; None when unknown). ``derived`` lists files made
    from the original as (role, vault path) pairs (see core.media.DerivedRole);
    ``transcript`` is the speech of a voice note or round video.

    Kind-specific fields (None when not applicable):
    POLL: ``poll_question``, ``poll_answers``, ``poll_total_voters``,
    ``poll_closed``, ``poll_quiz``. GEO/VENUE: ``latitude``, ``longitude``;
    VENUE also ``title`` and ``address``. CONTACT: ``contact_name``,
    ``phone``, ``contact_user_id``. DICE: ``emoji``, ``value``.
    WEBPAGE: ``url``, ``title``, ``description``, ``site_name``.
    GAME: ``title``, ``description``. INVOICE: ``title``, ``description``,
    ``amount`` (smallest currency unit), ``currency``. STORY: ``story_id``,
    ``peer_id``. STICKER kinds: ``emoji`` is the sticker's emoji.
    """

    kind: MediaKind
    type_name: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    mime: str | None = None
    size: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    path: str | None = None
    media_key: str | None = None
    status: str | None = None
    status_detail: str | None = None
    derived: tuple[tuple[str, str], ...] = ()
    transcript: str | None = None
    # poll
    poll_question: str | None = None
    poll_answers: tuple[PollAnswer, ...] = ()
    poll_total_voters: int | None = None
    poll_closed: bool = False
    poll_quiz: bool = False
    # geo / venue
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    # contact
    contact_name: str | None = None
    phone: str | None = None
    contact_user_id: int | None = None
    # dice / sticker emoji
    emoji: str | None = None
    value: int | None = None
    # webpage / game / invoice / venue title
    url: str | None = None
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    amount: int | None = None
    currency: str | None = None
    # story
    story_id: int | None = None
    peer_id: int | None = None


class ActionKind(str, Enum):
    """Service message actions. UNKNOWN carries the raw type in ``ServiceAction.type_name``."""

    CHAT_CREATE = "chat_create"
    CHANNEL_CREATE = "channel_create"
    JOIN = "join"                 # users added or joined
    JOIN_BY_LINK = "join_by_link"
    JOIN_BY_REQUEST = "join_by_request"
    LEAVE = "leave"               # user left or was removed
    PIN = "pin"
    TITLE = "title"
    PHOTO = "photo"
    PHOTO_DELETE = "photo_delete"
    CALL = "call"                 # private phone/video call
    GROUP_CALL = "group_call"
    TOPIC_CREATE = "topic_create"
    TOPIC_EDIT = "topic_edit"
    MIGRATE = "migrate"
    SCREENSHOT = "screenshot"
    HISTORY_CLEAR = "history_clear"
    GAME_SCORE = "game_score"
    PAYMENT = "payment"
    CUSTOM = "custom"             # free-form text from Telegram
    UNKNOWN = "unknown"


@dataclass(slots=True)
class ServiceAction:
    """A service message's action.

    ``actor`` is who did it (the message sender is used when None).
    ``users`` are the people joined/removed. ``title`` is the new chat or topic
    title, ``pinned_msg_id`` the pinned message, ``duration`` a call length in
    seconds, ``video`` whether a call had video, ``reason`` a call end reason,
    ``text`` free text for CUSTOM, ``icon_emoji`` for topics, ``closed`` for a
    topic close/reopen, ``migrated_to`` the new chat id, ``type_name`` the raw
    Telegram type (always set for UNKNOWN).
    """

    kind: ActionKind
    actor: Person | None = None
    users: tuple[Person, ...] = ()
    title: str | None = None
    pinned_msg_id: int | None = None
    duration: int | None = None
    video: bool = False
    reason: str | None = None
    text: str | None = None
    icon_emoji: str | None = None
    closed: bool | None = None
    migrated_to: int | None = None
    score: int | None = None
    type_name: str | None = None


@dataclass(slots=True)
class Reaction:
    """One reaction and its count; ``emoji`` is the emoji or a custom emoji's alt text."""

    emoji: str
    count: int


@dataclass(slots=True)
class Message:
    """One Telegram message (regular or service).

    ``date``/``edit_date`` are aware UTC datetimes. ``sender`` is None for
    channel posts (then ``post_author`` may hold the signature). ``text`` is
    the message text or media caption; ``entities`` format it (UTF-16 offsets).
    ``topic_id`` is the forum topic (None outside forums; 1 for General).
    ``grouped_id`` ties album parts together. ``views`` is a channel post's
    view count (not rendered: it changes too often to be worth a rewrite).
    ``deleted`` is True once Telegram deleted the message; the vault keeps the
    block and marks it. ``via_bot`` is the inline bot the message was sent via.
    """

    chat_id: int
    id: int
    date: datetime
    sender: Person | None = None
    text: str = ""
    entities: tuple[Entity, ...] = ()
    reply: ReplyRef | None = None
    forward: ForwardInfo | None = None
    edit_date: datetime | None = None
    media: MediaRef | None = None
    action: ServiceAction | None = None
    reactions: tuple[Reaction, ...] = ()
    topic_id: int | None = None
    grouped_id: int | None = None
    views: int | None = None
    post_author: str | None = None
    deleted: bool = False
    via_bot: Person | None = None

    @property
    def is_service(self) -> bool:
        """True for service messages (joins, pins, title changes, ...)."""
        return self.action is not None
