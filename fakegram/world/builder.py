"""`WorldBuilder`: describe a world in Python, then `build()` it.

    b = WorldBuilder(seed=1, now=1_760_000_000)
    bob = b.user(first_name="Bob")
    chat = b.private(bob)
    b.message(chat, "hi", from_id=bob)
    world = b.build()

Ids follow Telegram: private chats and basic groups draw message ids from one
account-wide counter (the common box), channels from their own counter
starting at 1. Messages without a date get increasing dates before `now`,
in the order they were described (fixed up in `build()`). Telegram hands
out common-box ids as messages are sent, so `build()` numbers the common
box in date order across all its chats (messages of equal date in the
order they were described): described chat by chat with dates that
interleave, the chats' ids interleave too. Replies follow the renumbering;
a Message object returned by `message()` carries its final id after
`build()`.
"""
from __future__ import annotations

from typing import Any

from .history import ExplicitHistory
from .ids import access_hash
from .media_builder import MediaMaker
from .model import (Action, ChatInfo, Entity, Forward, Message, Reaction, Reply,
                    Topic, User)
from .synthetic import SyntheticHistory
from .updates import DEFAULT_LOG_SIZE
from .world import World

DEFAULT_ME = dict(id=1000, first_name="Ada", last_name="Lovelace", username="ada",
                  phone="15550001000")
TOPIC_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
EDIT_DELAY = 420  # seconds between a message and its edit when edit_date=True


def _chat_ref(chat: ChatInfo | tuple[str, int]) -> tuple[str, int]:
    return chat.key if isinstance(chat, ChatInfo) else tuple(chat)


def _user_id(user: User | int | None) -> int | None:
    return user.id if isinstance(user, User) else user


def _entity(e: Entity | dict | tuple) -> Entity:
    if isinstance(e, Entity):
        return e
    if isinstance(e, dict):
        return Entity(**e)
    return Entity(*e)


def _reactions(value: Any) -> list[Reaction]:
    if not value:
        return []
    if isinstance(value, dict):
        return [Reaction(emoji, count) for emoji, count in value.items()]
    return [r if isinstance(r, Reaction) else Reaction(**r) if isinstance(r, dict)
            else Reaction(*r) for r in value]


class WorldBuilder(MediaMaker):
    """Collects users, chats and messages; `build()` makes the `World`."""

    def __init__(self, seed: int = 1, me: dict | None = None, home_dc: int = 2,
                 now: int = 1_760_000_000, password: str | None = None,
                 dc_ids: tuple[int, ...] = (1, 2, 3, 4, 5), date_step: int | None = None):
        self.seed = seed
        self.now = now
        self.home_dc = home_dc
        self.dc_ids = list(dc_ids)
        self.password = password
        self.date_step = date_step
        self._init_media()
        self.users: dict[int, User] = {}
        self._chats: dict[tuple[str, int], ChatInfo] = {}
        self._messages: dict[tuple[str, int], list[Message]] = {}
        self._synthetic: dict[tuple[str, int], SyntheticHistory] = {}
        self._channel_top: dict[tuple[str, int], int] = {}
        self._common_top = 0
        self._undated: list[Message] = []
        self._edit_later: list[Message] = []
        self._next_user = 2001
        self._next_group = 4001
        self._next_channel = 1_700_000_001
        self._built = False
        self.me = self.user(**{**DEFAULT_ME, **(me or {})})

    # --- users and chats ------------------------------------------------------------
    def user(self, id: int | None = None, first_name: str = "", last_name: str = "",
             username: str | None = None, phone: str | None = None, bot: bool = False,
             about: str = "") -> User:
        if id is None:
            while self._next_user in self.users:
                self._next_user += 1
            id = self._next_user
        if id in self.users:
            raise ValueError(f"user {id} already exists")
        user = User(id=id, first_name=first_name or f"User {id}", last_name=last_name,
                    username=username, phone=phone, bot=bot,
                    access_hash=access_hash(self.seed, "user", id), about=about)
        self.users[id] = user
        return user

    def _add_chat(self, info: ChatInfo) -> ChatInfo:
        if info.key in self._chats:
            raise ValueError(f"chat {info.key} already exists")
        self._chats[info.key] = info
        self._messages[info.key] = []
        if info.is_channel:
            self._channel_top[info.key] = 0
        return info

    def private(self, user: User | int) -> ChatInfo:
        """The dialog with `user` (kind "private", id = the user's id)."""
        user = self.users[_user_id(user)]
        return self._add_chat(ChatInfo("private", user.id, title=user.display_name,
                                       username=user.username, access_hash=user.access_hash,
                                       members=[self.me.id, user.id]))

    def _members(self, members) -> list[int]:
        ids = [self.me.id] + [_user_id(m) for m in (members or [])]
        return list(dict.fromkeys(ids))

    def group(self, title: str, members: list | None = None, about: str = "") -> ChatInfo:
        """A basic group made by the account, with its chat_create message."""
        chat_id = self._next_group
        self._next_group += 1
        members = self._members(members)
        info = self._add_chat(ChatInfo("group", chat_id, title=title, creator_id=self.me.id,
                                       members=members, about=about,
                                       dc_id=self._pick_dc(None)))
        self.message(info, "", from_id=self.me.id,
                     action=Action("chat_create", user_ids=members[1:], title=title))
        return info

    def _channel(self, kind: str, title: str, username: str | None, members,
                 about: str) -> ChatInfo:
        channel_id = self._next_channel
        self._next_channel += 1
        info = ChatInfo(kind, channel_id, title=title, username=username,
                        access_hash=access_hash(self.seed, "channel", channel_id),
                        creator_id=self.me.id, members=self._members(members), about=about,
                        dc_id=self._pick_dc(None))
        return self._add_chat(info)

    def _channel_created(self, info: ChatInfo) -> None:
        self.message(info, "", from_id=None if info.kind == "channel" else self.me.id,
                     action=Action("channel_create", title=info.title))

    def supergroup(self, title: str, username: str | None = None, members: list | None = None,
                   about: str = "") -> ChatInfo:
        info = self._channel("supergroup", title, username, members, about)
        self._channel_created(info)
        return info

    def channel(self, title: str, username: str | None = None, about: str = "") -> ChatInfo:
        """A broadcast channel; its posts have no sender and carry views."""
        info = self._channel("channel", title, username, None, about)
        self._channel_created(info)
        return info

    def forum(self, title: str, username: str | None = None, members: list | None = None,
              about: str = "") -> ChatInfo:
        """A forum supergroup. Its first message (id 1) is also the "General"
        topic, which holds every message outside the other topics."""
        info = self._channel("forum", title, username, members, about)
        self._channel_created(info)
        info.topics.append(Topic(1, "General", self.now, creator_id=self.me.id))
        return info

    def topic(self, forum: ChatInfo | tuple[str, int], title: str,
              from_id: User | int | None = None, icon_color: int | None = None,
              date: int | None = None, closed: bool = False, pinned: bool = False) -> Topic:
        """A forum topic, created by its topic_create service message."""
        info = self._chats[_chat_ref(forum)]
        if info.kind != "forum":
            raise ValueError(f"{info.key} is not a forum")
        color = icon_color if icon_color is not None else \
            TOPIC_COLORS[len(info.topics) % len(TOPIC_COLORS)]
        creator = _user_id(from_id) or self.me.id
        msg = self.message(info, "", from_id=creator, date=date,
                           action=Action("topic_create", title=title, icon_color=color))
        msg.topic_id = msg.id
        topic = Topic(msg.id, title, msg.date, icon_color=color, closed=closed,
                      pinned=pinned, creator_id=creator)
        info.topics.append(topic)
        return topic

    def synthetic_channel(self, title: str, count: int = 1_000_000,
                          username: str | None = None, kind: str = "channel",
                          media_every: int = 0, members: list | None = None,
                          about: str = "") -> ChatInfo:
        """A channel (or supergroup) whose `count` messages are computed on
        demand (see `fakegram.world.synthetic`); posts by `members` when a
        supergroup."""
        if kind not in ("channel", "supergroup"):
            raise ValueError("a synthetic chat is a channel or a supergroup")
        info = self._channel(kind, title, username, members, about)
        authors = [m for m in info.members if m != self.me.id] or [self.me.id]
        self._synthetic[info.key] = SyntheticHistory(
            seed=self.seed, channel_id=info.id, base_count=count, now=self.now,
            broadcast=kind == "channel", authors=authors, media_every=media_every,
            dc_ids=tuple(self.dc_ids))
        return info

    def set_created(self, chat: ChatInfo | tuple[str, int], date: int) -> None:
        """Date the chat's creation: the messages described in it so far
        without a date (its creation service message) get `date`."""
        info = self._chats[_chat_ref(chat)]
        mine = {id(m) for m in self._messages[info.key]}
        for m in self._messages[info.key]:
            if any(m is u for u in self._undated):
                m.date = date
        self._undated = [m for m in self._undated if id(m) not in mine]

    # --- messages -------------------------------------------------------------------------
    def _next_id(self, info: ChatInfo) -> int:
        if info.key in self._synthetic:
            raise ValueError("synthetic chats take no described messages")
        if info.is_channel:
            self._channel_top[info.key] += 1
            return self._channel_top[info.key]
        self._common_top += 1
        return self._common_top

    def _default_sender(self, info: ChatInfo) -> int | None:
        if info.kind == "channel":
            return None
        if info.kind == "private":
            return info.id
        others = [m for m in info.members if m != self.me.id]
        return others[0] if others else self.me.id

    def message(self, chat: ChatInfo | tuple[str, int], text: str = "", from_id=None,
                date: int | None = None, entities=None, media=None, reply_to=None,
                fwd=None, action=None, topic=None, edit_date=None, reactions=None,
                pinned: bool = False, views: int | None = None,
                grouped_id: int | None = None, **extra) -> Message:
        """Add a message to `chat` (next id of its box) and return it.

        from_id: User or id; defaults to the peer in a private chat, the first
        other member in a group, none in a broadcast channel. reply_to: a
        message id, Message or Reply. topic: a forum Topic or its id (adds
        Telegram's reply header). edit_date: a date, or True for "a few
        minutes after the message". action: an Action, a dict or a kind name.
        Extra keywords set other Message fields (post_author, silent, ...)."""
        info = self._chats[_chat_ref(chat)]
        sender = self._default_sender(info) if from_id is None else _user_id(from_id)
        if isinstance(action, str):
            action = Action(action)
        elif isinstance(action, dict):
            action = Action(**action)
        if action is not None and from_id is None and info.kind != "channel":
            sender = self.me.id
        msg = Message(id=self._next_id(info), date=date or 0, from_id=sender, text=text,
                      entities=[_entity(e) for e in entities or []], media=media,
                      action=action, reactions=_reactions(reactions), pinned=pinned,
                      views=views, grouped_id=grouped_id, post=info.kind == "channel")
        if msg.post and views is None and action is None:
            msg.views = 40 + (msg.id * 7919) % 5000
        if fwd is not None:
            msg.fwd = fwd if isinstance(fwd, Forward) else Forward(**fwd)
        msg.reply_to = self._reply(reply_to, topic)
        if topic is not None:
            msg.topic_id = topic.id if isinstance(topic, Topic) else int(topic)
        for name, value in extra.items():
            setattr(msg, name, value)
        if date is None:
            self._undated.append(msg)
            msg.date = self.now - 86400  # placeholder until build()
        if edit_date is True:
            self._edit_later.append(msg)
        elif edit_date:
            msg.edit_date = edit_date
        self._messages[info.key].append(msg)
        return msg

    @staticmethod
    def _reply(reply_to, topic) -> Reply | None:
        top = topic.id if isinstance(topic, Topic) else topic
        if isinstance(reply_to, Message):
            reply_to = reply_to.id
        if isinstance(reply_to, Reply):
            return reply_to
        if reply_to is None:
            return Reply(msg_id=top, forum_topic=True) if top not in (None, 1) else None
        if top in (None, 1):
            return Reply(msg_id=int(reply_to))
        return Reply(msg_id=int(reply_to), top_id=None if reply_to == top else top,
                     forum_topic=True)

    # --- building -----------------------------------------------------------------------------
    def _assign_dates(self) -> None:
        n = len(self._undated)
        if n:
            step = self.date_step or max(1, min(3600, 60 * 86400 // n))
            for i, msg in enumerate(self._undated):
                msg.date = self.now - (n - i) * step
        for msg in self._edit_later:
            msg.edit_date = min(self.now, msg.date + EDIT_DELAY)
        for key, info in self._chats.items():
            msgs = self._messages[key]
            if msgs:
                info.date = msgs[0].date
                by_id = {m.id: m for m in msgs}
                for topic in info.topics:
                    if topic.id in by_id:
                        topic.date = by_id[topic.id].date
            elif not info.date:
                info.date = self.now - 86400

    def _number_common_box(self) -> None:
        """Common-box ids in date order across every private chat and basic
        group, as Telegram assigns them when messages are sent."""
        common = [m for key, info in self._chats.items() if not info.is_channel
                  for m in self._messages[key]]
        ordered = sorted(common, key=lambda m: (m.date, m.id))
        renumber = {m.id: n for n, m in enumerate(ordered, start=1)}
        if all(old == new for old, new in renumber.items()):
            return
        replies = {id(m.reply_to): m.reply_to for m in common if m.reply_to is not None}
        for m in common:
            m.id = renumber[m.id]
        for reply in replies.values():   # each once, even when messages share one
            if reply.msg_id in renumber and (reply.peer is None or reply.peer[0] != "channel"):
                reply.msg_id = renumber[reply.msg_id]
        for key, info in self._chats.items():
            if not info.is_channel:
                self._messages[key].sort(key=lambda m: m.id)

    def build(self, log_size: int = DEFAULT_LOG_SIZE) -> World:
        """The World described so far (a builder builds once); `log_size`
        is how many events each update box remembers."""
        if self._built:
            raise RuntimeError("this builder already built its world")
        self._built = True
        self._assign_dates()
        self._number_common_box()
        chats = []
        for key, info in self._chats.items():
            history = self._synthetic.get(key) or ExplicitHistory(self._messages[key])
            chats.append((info, history))
        return World(seed=self.seed, me=self.me.id, users=self.users, chats=chats,
                     media=self._media, date=self.now, home_dc=self.home_dc,
                     dc_ids=self.dc_ids, password=self.password, log_size=log_size)
