"""Scenario files: a world described in TOML or JSON, read by `load(path)`.

The top level holds the world's settings, the account (`[me]`), other users
(`[[users]]`) and chats (`[[chats]]`), each chat with its messages. JSON
files have the same structure. Anything can be left out; ids are allocated
when not given. Example (TOML):

    seed = 7
    now = 1760000000        # the world's "now"; undated messages come before it
    home_dc = 2
    password = "secret"     # two-step verification, optional
    flood_model = "default" # rate limits (fakegram/flood.py): "default", a path or a table

    [me]
    id = 1000
    first_name = "Ada"
    last_name = "Lovelace"
    username = "ada"
    phone = "15550001000"

    [[users]]
    ref = "bob"             # a name other entries use; default: the username or id
    first_name = "Bob"
    username = "bob"
    bot = false

    [[chats]]
    kind = "private"        # private | group | supergroup | channel | forum | synthetic
    user = "bob"            # private chats: the user (ref or id)

    [[chats.messages]]
    ref = "hello"           # so later messages can reply to it
    from = "bob"            # user ref or id, or "me"; default as WorldBuilder.message
    text = "Hello, Ada!"
    entities = [{kind = "bold", offset = 0, length = 5}]

    [[chats.messages]]
    from = "me"
    text = "Look at this"
    reply_to = "hello"      # a message ref in the same chat, or an id
    media = {kind = "photo", dc_id = 4}
    reactions = {"👍" = 2}
    edit_date = true        # edited a few minutes later (or a date)

    [[chats]]
    kind = "forum"
    title = "Makers"
    username = "makers"
    members = ["bob"]
    topics = [{ref = "hw", title = "Hardware"}]

    [[chats.messages]]
    topic = "hw"            # a topic ref
    from = "bob"
    text = "Soldering tonight"
    action = {kind = "pin"}                # a service message (or action = "pin")
    fwd = {from_user = "bob", date = 1759000000}

    [[chats]]
    kind = "synthetic"      # a lazy history (see fakegram.world.synthetic)
    title = "Archive"
    count = 100000
    chat_kind = "channel"   # or "supergroup"
    media_every = 50

Media tables take `kind` plus the keyword arguments of the builder method of
that kind: photo, voice, round, video, gif, audio, sticker,
animated_sticker, video_sticker, document (size, file_name, mime_type), geo
(lat, long), venue (lat, long, title, address), contact (phone, first_name,
last_name, user_id), poll (question, answers, voters, closed, quiz), dice
(emoji, value), webpage (url, title, description, site_name), and game,
invoice, story or unsupported (title, description). Every media table may
set dc_id where the builder method takes one.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from .builder import WorldBuilder
from .model import Action, ChatInfo, Forward, Media, Message, Topic, User
from .world import World
from ..flood import load_model

# The example scenario shipped with fakegram.
EXAMPLE = Path(__file__).resolve().parent.parent / "worlds" / "example.toml"

_MEDIA_METHODS = {
    "photo": "photo", "voice": "voice", "round": "round_video", "video": "video",
    "gif": "gif", "audio": "audio", "sticker": "sticker",
    "animated_sticker": "animated_sticker", "video_sticker": "video_sticker",
    "document": "document", "geo": "geo", "venue": "venue", "contact": "contact",
    "poll": "poll", "dice": "dice", "webpage": "webpage",
}
_OTHER_MEDIA = ("game", "invoice", "story", "unsupported")


class ScenarioError(ValueError):
    """The scenario file is malformed; the message says where."""


def load(path: str | Path) -> World:
    """Build the World a .toml or .json scenario file describes."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        data = tomllib.loads(text)
    return from_dict(data)


def from_dict(data: dict[str, Any]) -> World:
    """Build the World a parsed scenario describes."""
    return _Loader(data).build()


class _Loader:
    def __init__(self, data: dict[str, Any]):
        self.data = data
        kwargs = {k: data[k] for k in ("seed", "now", "home_dc", "password") if k in data}
        if "dc_ids" in data:
            kwargs["dc_ids"] = tuple(data["dc_ids"])
        self.b = WorldBuilder(me=data.get("me"), **kwargs)
        self.users: dict[str, User] = {"me": self.b.me, str(self.b.me.id): self.b.me}

    def build(self) -> World:
        for spec in self.data.get("users", []):
            self._user(dict(spec))
        for n, spec in enumerate(self.data.get("chats", [])):
            try:
                self._chat(dict(spec))
            except (KeyError, TypeError, ValueError) as exc:
                raise ScenarioError(f"chats[{n}]: {exc}") from exc
        world = self.b.build()
        if self.data.get("flood_model") is not None:
            try:
                world.flood_model = load_model(self.data["flood_model"])
            except (OSError, ValueError) as exc:
                raise ScenarioError(f"flood_model: {exc}") from exc
        return world

    # --- references -----------------------------------------------------------------
    def _user(self, spec: dict) -> None:
        ref = spec.pop("ref", None)
        user = self.b.user(**spec)
        for name in (ref, user.username, str(user.id)):
            if name:
                self.users[str(name)] = user

    def user_id(self, ref: Any) -> int:
        user = self.users.get(str(ref))
        if user is None:
            raise KeyError(f"unknown user {ref!r}")
        return user.id

    # --- chats --------------------------------------------------------------------------
    def _chat(self, spec: dict) -> None:
        kind = spec.get("kind", "private")
        members = [self.user_id(m) for m in spec.get("members", [])]
        common = dict(username=spec.get("username"), about=spec.get("about", ""))
        topics: dict[str, Topic] = {}
        if kind == "private":
            info = self.b.private(self.user_id(spec["user"]))
        elif kind == "group":
            info = self.b.group(spec["title"], members=members, about=common["about"])
        elif kind == "supergroup":
            info = self.b.supergroup(spec["title"], members=members, **common)
        elif kind == "channel":
            info = self.b.channel(spec["title"], **common)
        elif kind == "forum":
            info = self.b.forum(spec["title"], members=members, **common)
            for t in spec.get("topics", []):
                topic = self.b.topic(info, t["title"], icon_color=t.get("icon_color"),
                                     closed=t.get("closed", False))
                topics[str(t.get("ref", t["title"]))] = topic
        elif kind == "synthetic":
            self.b.synthetic_channel(spec["title"], count=spec.get("count", 1000),
                                     kind=spec.get("chat_kind", "channel"),
                                     media_every=spec.get("media_every", 0),
                                     members=members, **common)
            return
        else:
            raise ScenarioError(f"unknown chat kind {kind!r}")
        self._flags(info, spec)
        refs: dict[str, Message] = {}
        for n, m in enumerate(spec.get("messages", [])):
            try:
                self._message(info, dict(m), refs, topics)
            except (KeyError, TypeError, ValueError) as exc:
                raise ScenarioError(f"message {n}: {exc}") from exc

    @staticmethod
    def _flags(info: ChatInfo, spec: dict) -> None:
        info.archived = bool(spec.get("archived", False))
        info.pinned = bool(spec.get("pinned", False))

    def _message(self, info: ChatInfo, m: dict, refs: dict[str, Message],
                 topics: dict[str, Topic]) -> None:
        ref = m.pop("ref", None)
        if "from" in m:
            m["from_id"] = self.user_id(m.pop("from"))
        if "reply_to" in m:
            target = m["reply_to"]
            m["reply_to"] = refs[target].id if isinstance(target, str) else int(target)
        if "topic" in m:
            t = m.pop("topic")
            m["topic"] = topics[t] if isinstance(t, str) else int(t)
        if "media" in m:
            m["media"] = self.media(dict(m["media"]))
        if "action" in m:
            m["action"] = self._action(m["action"])
        if "fwd" in m:
            m["fwd"] = self._forward(dict(m["fwd"]))
        msg = self.b.message(info, **m)
        if ref:
            refs[str(ref)] = msg

    def _action(self, spec: Any) -> Action:
        if isinstance(spec, str):
            return Action(spec)
        spec = dict(spec)
        spec["user_ids"] = [self.user_id(u) for u in spec.get("user_ids", [])]
        return Action(**spec)

    def _forward(self, spec: dict) -> Forward:
        if "from_user" in spec:
            spec["from_user_id"] = self.user_id(spec.pop("from_user"))
        spec.setdefault("date", self.b.now - 7 * 86400)
        return Forward(**spec)

    def media(self, spec: dict) -> Media:
        kind = spec.pop("kind")
        if kind in _OTHER_MEDIA:
            return self.b.other(kind, **spec)
        method = _MEDIA_METHODS.get(kind)
        if method is None:
            raise ScenarioError(f"unknown media kind {kind!r}")
        if kind == "contact" and "user" in spec:
            spec["user_id"] = self.user_id(spec.pop("user"))
        return getattr(self.b, method)(**spec)
