"""The `World`: one logged-in account's view of a fake Telegram.

This is the contract between the world (histories, update log, files) and the
TL layer (`fakegram.tl`) that answers MTProto requests from it. Every method
is synchronous and cheap enough to call on the event loop; large synthetic
histories are generated lazily so memory stays flat.

Mutations (`post`, `edit`, `delete`, ...) bump the right pts counter, append
to the update log and call every subscriber with a `WorldEvent`, which the
server turns into pushed updates.
"""
from __future__ import annotations

import hashlib

from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Callable, Iterable

from .files import read_blob
from .history import History, page
from .ids import split_synthetic_media_id
from .mediakit import files_of
from .model import Action, ChatInfo, Entity, FileBlob, Media, Message, Reply, Topic, User
from .synthetic import SyntheticHistory
from .updates import DEFAULT_LOG_SIZE, UpdateBox


@dataclass(slots=True)
class HistoryPage:
    """A page of history: `messages` sorted by id descending (newest first),
    and `count`, the number of messages in the whole chat (or topic)."""
    messages: list[Message]
    count: int


@dataclass(slots=True)
class WorldEvent:
    """One change to the world, as an update log entry.

    kind: "new", "edit", "delete", "pin" (`ids` pinned, or unpinned
    when `pinned` is False) or "user_name" (a user's new name: no pts, not in
    the update log; `chat` is ("user", id)). For chats in the common box
    (private, group) `pts` is the account's pts after the change; for
    channels it is the channel's pts. `pts_count` is how many pts the change
    used (1 for new, edit and pin, len(ids) for delete). `title` is set on the
    "new" event of a title-change service message: the chat's new title.
    """
    kind: str
    chat: tuple[str, int]
    pts: int
    pts_count: int
    messages: list[Message] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    date: int = 0
    pinned: bool = True
    title: str | None = None


@dataclass(slots=True)
class Difference:
    """The answer to a getDifference-like question.

    events: the log entries after the asked pts, oldest first (at most the
    asked limit). final_pts: the pts after applying them. too_long: the gap
    is longer than the log keeps (the client must refetch the chat).
    """
    events: list[WorldEvent]
    final_pts: int
    too_long: bool = False


class World:
    """Holds users, chats with their histories, files and the update state.

    Build one with `fakegram.world.WorldBuilder` (from Python),
    `fakegram.world.load` (from a JSON or TOML scenario file) or
    `fakegram.world.demo_world()`.
    """

    me: int                       # the logged-in user's id
    users: dict[int, User]
    date: int                     # the world's "now" for updates.getState
    home_dc: int                  # the account's home DC
    dc_ids: list[int]             # the DCs that exist (default 1..5)
    password: str | None          # two-step verification password, if set
    flood_model = None            # a fakegram.flood.FloodModel for the server, if the world sets one

    def __init__(self, *, seed: int, me: int, users: dict[int, User],
                 chats: Iterable[tuple[ChatInfo, History]], media: dict[int, Media],
                 date: int, home_dc: int = 2, dc_ids: Iterable[int] = (1, 2, 3, 4, 5),
                 password: str | None = None, log_size: int = DEFAULT_LOG_SIZE):
        """Usually called by `WorldBuilder.build()`. Initial messages make no
        log entries: each box starts at pts = max(1, its message count)."""
        self.seed = seed
        self.me = me
        self.users = users
        self.date = date
        self.home_dc = home_dc
        self.dc_ids = list(dc_ids)
        self.password = password
        self.qts = 0
        self.seq = 1
        self._media = media
        self._log_size = log_size
        self._chats: dict[tuple[str, int], ChatInfo] = {}
        self._histories: dict[tuple[str, int], History] = {}
        self._common_owner: dict[int, tuple[str, int]] = {}
        self._channel_boxes: dict[tuple[str, int], UpdateBox] = {}
        self._subscribers: list[Callable[[WorldEvent], None]] = []
        for info, history in chats:
            self._add_chat(info, history)
        self._common_top = max(self._common_owner, default=0)
        self._common = UpdateBox(max(1, len(self._common_owner)), log_size)

    def _add_chat(self, info: ChatInfo, history: History) -> None:
        if info.key in self._chats:
            raise ValueError(f"duplicate chat {info.key}")
        self._chats[info.key] = info
        self._histories[info.key] = history
        if info.is_channel:
            self._channel_boxes[info.key] = UpdateBox(max(1, history.count()), self._log_size)
        else:
            for msg in history.window(0, history.count()):
                self._common_owner[msg.id] = info.key

    # --- reading -----------------------------------------------------------
    def chat(self, key: tuple[str, int]) -> ChatInfo | None:
        """The chat with this (family, id), or None."""
        return self._chats.get(tuple(key))

    def chats(self) -> list[ChatInfo]:
        """Every dialog, newest top message first (messages.getDialogs order)."""
        def order(info: ChatInfo) -> tuple[int, int]:
            top = self.top_message(info.key)
            return (top.date if top else info.date, top.id if top else 0)
        return sorted(self._chats.values(), key=order, reverse=True)

    def top_message(self, key: tuple[str, int]) -> Message | None:
        """The chat's newest message that is not deleted, or None."""
        top = self._history(key).window(0, 1)
        return top[0] if top else None

    def get_history(self, key: tuple[str, int], *, offset_id: int = 0,
                    offset_date: int = 0, add_offset: int = 0, limit: int = 100,
                    max_id: int = 0, min_id: int = 0,
                    topic_id: int | None = None) -> HistoryPage:
        """messages.getHistory (or getReplies for a forum topic) exactly as
        Telegram defines it: start at the newest message with id < offset_id
        (0 = from the top) or date < offset_date, move by add_offset (negative
        reaches newer messages), take at most `limit` (capped at 100), then
        keep only ids in (min_id, max_id) where those are non-zero.

        offset_id, when non-zero, wins over offset_date (Telethon sends
        both). The start is clamped at the newest message before `limit` is applied
        (see `fakegram.world.history.page`). A topic's messages are those
        whose topic_id is `topic_id`, its creating service message included;
        topic 1 ("General") holds the messages outside any topic."""
        history = self._history(key)
        view = history if topic_id is None else history.topic_view(topic_id)
        msgs = page(view, offset_id=offset_id, offset_date=offset_date,
                    add_offset=add_offset, limit=limit, max_id=max_id, min_id=min_id)
        return HistoryPage(msgs, view.count())

    def get_messages(self, key: tuple[str, int], ids: Iterable[int]) -> list[Message | None]:
        """The messages with these ids in this chat, None where missing or deleted."""
        history = self._history(key)
        return [history.get(i) for i in ids]

    def find_common(self, msg_id: int) -> tuple[tuple[str, int], Message] | None:
        """A message in the common box (private chats and basic groups) by its id."""
        key = self._common_owner.get(msg_id)
        if key is None:
            return None
        msg = self._histories[key].get(msg_id)
        return (key, msg) if msg is not None else None

    def count(self, key: tuple[str, int]) -> int:
        """Messages in the chat that are not deleted."""
        return self._history(key).count()

    def resolve_username(self, username: str) -> tuple[str, int] | None:
        """("user", id) or ("channel", id) for a @username (case-insensitive)."""
        name = username.lstrip("@").lower()
        if not name:
            return None
        for user in self.users.values():
            if user.username and user.username.lower() == name:
                return ("user", user.id)
        for info in self._chats.values():
            if info.is_channel and info.username and info.username.lower() == name:
                return info.key
        return None

    def topics(self, key: tuple[str, int]) -> list[Topic]:
        """A forum's topics, newest first; [] for other chats."""
        info = self.chat(key)
        if info is None or info.kind != "forum":
            return []
        return sorted(info.topics, key=lambda t: t.id, reverse=True)

    def split_ranges(self) -> list[tuple[int, int]]:
        """messages.getSplitRanges: (min_id, max_id) ranges of the common box."""
        if not self._common_owner:
            return []
        return [(min(self._common_owner), self._common_top)]

    # --- files --------------------------------------------------------------
    def media_file(self, media_id: int, thumb_type: str = "") -> FileBlob | None:
        """The file of a photo size (thumb_type "s", "m", "x", ...), or of a
        document ("" for the document itself, a size type for a thumbnail).
        For a photo, "" means its largest size."""
        media = self.media(media_id)
        if media is None:
            return None
        if media.kind == "photo" and not thumb_type:
            return media.sizes[-1].file if media.sizes else None
        return files_of(media).get(thumb_type)

    def media(self, media_id: int) -> Media | None:
        """The photo or document with this id, to check access hash and
        file reference."""
        media = self._media.get(media_id)
        if media is not None:
            return media
        where = split_synthetic_media_id(media_id)
        if where is None:
            return None
        history = self._histories.get(("channel", where[0]))
        if not isinstance(history, SyntheticHistory):
            return None
        if not history.media_every or where[1] > history.base_count \
                or where[1] % history.media_every:
            return None
        return history.base_media(where[1])

    def add_media(self, media: Media) -> Media:
        """Register a photo/document so `media()` and `media_file()` find it."""
        if media.id:
            self._media[media.id] = media
        return media

    def expire_file_references(self) -> int:
        """Give every registered photo and document a new file reference, as
        Telegram's expire: a client holding an old one gets
        FILE_REFERENCE_EXPIRED and must fetch the message again (which
        carries the new one). Media of synthetic histories are made on demand
        with their first reference and do not expire. Returns how many changed."""
        for media in self._media.values():
            if media.file_reference:
                media.file_reference = hashlib.sha256(b"ref" + media.file_reference).digest()[:16]
        return len(self._media)

    def read_file(self, blob: FileBlob, offset: int, limit: int) -> bytes:
        """Bytes [offset, offset+limit) of the file (shorter at its end)."""
        return read_blob(blob, offset, limit)

    # --- update state ---------------------------------------------------------
    pts: int        # the account's pts (common box)
    qts: int
    seq: int

    @property
    def pts(self) -> int:  # noqa: F811 -- the annotation above is the contract
        return self._common.pts

    def channel_pts(self, key: tuple[str, int]) -> int:
        return self._channel_box(key).pts

    def set_log_size(self, size: int) -> None:
        """How many events each update box (the account's, every channel's)
        remembers: a client away for more changes than that gets
        differenceTooLong / channelDifferenceTooLong."""
        self._log_size = max(1, int(size))
        for box in (self._common, *self._channel_boxes.values()):
            box.resize(self._log_size)

    def difference(self, pts: int, limit: int = 1000) -> Difference:
        """Common-box events after `pts` (updates.getDifference)."""
        return Difference(*self._common.difference(pts, limit))

    def channel_difference(self, key: tuple[str, int], pts: int,
                           limit: int = 100) -> Difference:
        """Channel events after `pts` (updates.getChannelDifference)."""
        return Difference(*self._channel_box(key).difference(pts, limit))

    # --- changes ----------------------------------------------------------------
    def post(self, key: tuple[str, int], text: str = "", *, from_id: int | None = None,
             entities: list[Entity] | None = None, media: Media | None = None,
             reply_to: Reply | None = None, topic_id: int | None = None,
             date: int | None = None, action: Action | None = None) -> Message:
        """Add a new message (next id of the chat's box) and emit "new".

        from_id defaults to the account (None for a broadcast channel's post);
        date to one second after the world's latest date. A message in a
        forum topic without a reply gets Telegram's implicit reply to the
        topic (reply_to=topic_id, forum_topic=True). `action` makes it a
        service message."""
        info = self._info(key)
        history = self._histories[info.key]
        broadcast = info.kind == "channel"
        if info.is_channel:
            msg_id = history.top_id() + 1
        else:
            msg_id = self._common_top + 1
        date = self._advance(date)
        if topic_id is not None and topic_id != 1:
            if reply_to is None:
                reply_to = Reply(msg_id=topic_id, forum_topic=True)
            elif reply_to.top_id is None and reply_to.msg_id != topic_id:
                reply_to = dc_replace(reply_to, top_id=topic_id, forum_topic=True)
        if from_id is None and not broadcast:
            from_id = self.me
        msg = Message(id=msg_id, date=date, from_id=from_id, text=text,
                      entities=list(entities or []), reply_to=reply_to, media=media,
                      topic_id=topic_id, post=broadcast, views=1 if broadcast else None,
                      action=action)
        history.add(msg)
        if media is not None:
            self.add_media(media)
        if not info.is_channel:
            self._common_top = msg_id
            self._common_owner[msg_id] = info.key
        self._emit(info, WorldEvent("new", info.key, 0, 1, messages=[msg], date=date))
        return msg

    def edit(self, key: tuple[str, int], msg_id: int, text: str,
             entities: list[Entity] | None = None, date: int | None = None) -> Message:
        """Change a message's text, set edit_date and emit "edit".
        Raises KeyError when the message does not exist."""
        info = self._info(key)
        history = self._histories[info.key]
        old = history.get(msg_id)
        if old is None:
            raise KeyError(f"no message {msg_id} in {info.key}")
        date = self._advance(date)
        msg = dc_replace(old, text=text, entities=list(entities or []), edit_date=date)
        history.replace(msg)
        self._emit(info, WorldEvent("edit", info.key, 0, 1, messages=[msg], date=date))
        return msg

    def edit_title(self, key: tuple[str, int], title: str, *, from_id: int | None = None,
                   date: int | None = None) -> Message:
        """messages.editChatTitle / channels.editTitle: rename a group or
        channel; posts the MessageActionChatEditTitle service message (a
        "new" event whose `title` says the chat changed). Raises ValueError
        for a private chat or an empty title."""
        info = self._info(key)
        if info.kind == "private":
            raise ValueError("a private chat has no title to edit")
        if not title.strip():
            raise ValueError("a chat title cannot be empty")
        info.title = title
        return self._post_service(info, Action(kind="title", title=title), from_id, date,
                                  title=title)

    def pin(self, key: tuple[str, int], msg_id: int, *, pinned: bool = True,
            from_id: int | None = None, date: int | None = None) -> Message | None:
        """messages.updatePinnedMessage: pin (or unpin) a message; emits "pin"
        (UpdatePinnedMessages / UpdatePinnedChannelMessages) and, when
        pinning, the MessageActionPinMessage service message replying to it.
        Returns that service message (None when unpinning). Raises KeyError
        when the message does not exist."""
        info = self._info(key)
        history = self._histories[info.key]
        old = history.get(msg_id)
        if old is None:
            raise KeyError(f"no message {msg_id} in {info.key}")
        history.replace(dc_replace(old, pinned=pinned))
        when = self._advance(date)
        self._emit(info, WorldEvent("pin", info.key, 0, 1, ids=[msg_id], date=when,
                                    pinned=pinned))
        if not pinned:
            return None
        return self._post_service(info, Action(kind="pin"), from_id, None,
                                  reply_to=Reply(msg_id=msg_id))

    def _post_service(self, info: ChatInfo, action: Action, from_id: int | None,
                      date: int | None, *, reply_to: Reply | None = None,
                      title: str | None = None) -> Message:
        history = self._histories[info.key]
        msg_id = history.top_id() + 1 if info.is_channel else self._common_top + 1
        date = self._advance(date)
        if from_id is None and info.kind != "channel":
            from_id = self.me
        msg = Message(id=msg_id, date=date, from_id=from_id, action=action, reply_to=reply_to,
                      post=info.kind == "channel")
        history.add(msg)
        if not info.is_channel:
            self._common_top = msg_id
            self._common_owner[msg_id] = info.key
        self._emit(info, WorldEvent("new", info.key, 0, 1, messages=[msg], date=date,
                                    title=title))
        return msg

    def delete(self, key: tuple[str, int], ids: list[int]) -> list[int]:
        """Delete messages; returns the ids that existed; emits "delete"
        (nothing when none existed)."""
        info = self._info(key)
        gone = self._histories[info.key].remove(list(dict.fromkeys(ids)))
        if not gone:
            return []
        if not info.is_channel:
            for msg_id in gone:
                self._common_owner.pop(msg_id, None)
        date = self._advance(None)
        self._emit(info, WorldEvent("delete", info.key, 0, len(gone), ids=gone, date=date))
        return gone

    def rename_chat(self, key: tuple[str, int], title: str, *,
                    from_id: int | None = None) -> Message:
        """messages.editChatTitle / channels.editTitle: the chat's new title
        and its service message (messageActionChatEditTitle), emitted as "new"."""
        try:
            return self.edit_title(key, title, from_id=from_id)
        except ValueError as exc:   # a private chat, an empty title
            raise KeyError(f"{exc}; a private chat is renamed through its user") from None

    def rename_topic(self, key: tuple[str, int], topic_id: int, title: str, *,
                     from_id: int | None = None) -> Message:
        """channels.editForumTopic with a title: the topic's new title and its
        service message (messageActionTopicEdit) in the topic, emitted as "new"."""
        info = self._info(key)
        topic = next((t for t in info.topics if t.id == topic_id), None)
        if topic is None:
            raise KeyError(f"no topic {topic_id} in {info.key}")
        topic.title = title
        return self.post(info.key, from_id=from_id, topic_id=topic_id,
                         action=Action("topic_edit", title=title))

    def rename_user(self, user_id: int, first_name: str, last_name: str = "") -> User:
        """A user changed their name: updateUserName, which uses no pts (it
        is pushed, not kept for getDifference)."""
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"no user {user_id}")
        user.first_name, user.last_name = first_name, last_name
        event = WorldEvent("user_name", ("user", user_id), 0, 0, date=self._advance(None))
        for callback in list(self._subscribers):
            callback(event)
        return user

    def delete_common(self, ids: list[int]) -> list[int]:
        """messages.deleteMessages: delete common-box ids wherever they are
        (one "delete" event per chat); returns the ids that existed."""
        by_chat: dict[tuple[str, int], list[int]] = {}
        for msg_id in dict.fromkeys(ids):
            key = self._common_owner.get(msg_id)
            if key is not None:
                by_chat.setdefault(key, []).append(msg_id)
        gone: list[int] = []
        for key, chat_ids in by_chat.items():
            gone += self.delete(key, chat_ids)
        return gone

    def subscribe(self, callback: Callable[[WorldEvent], None]) -> Callable[[], None]:
        """Call `callback` for every event from now on; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
        return unsubscribe

    # --- internals ----------------------------------------------------------
    def _info(self, key: tuple[str, int]) -> ChatInfo:
        info = self._chats.get(tuple(key))
        if info is None:
            raise KeyError(f"no chat {key!r}")
        return info

    def _history(self, key: tuple[str, int]) -> History:
        return self._histories[self._info(key).key]

    def _channel_box(self, key: tuple[str, int]) -> UpdateBox:
        box = self._channel_boxes.get(tuple(key))
        if box is None:
            raise KeyError(f"no channel {key!r}")
        return box

    def _advance(self, date: int | None) -> int:
        """The date of a change: `date`, or one second after the world's
        latest; the world's clock never goes back."""
        if date is None:
            date = self.date + 1
        self.date = max(self.date, date)
        return date

    def _emit(self, info: ChatInfo, event: WorldEvent) -> None:
        box = self._channel_boxes[info.key] if info.is_channel else self._common
        box.record(event)
        for callback in list(self._subscribers):
            callback(event)
