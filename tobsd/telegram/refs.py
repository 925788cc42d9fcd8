"""Parsing the ways a user names a chat in the config.

A chat reference is a @username, a t.me link (https://t.me/name, t.me/name,
t.me/c/123 for a private channel or supergroup, optionally followed by a
message id), a marked numeric id (as a number or a string), or otherwise an
exact dialog title. This module only parses; the source resolves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from telethon import utils
from telethon.tl import types

_LINK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/"
    r"(?:(?P<private>c/(?P<cid>\d+))|(?P<name>[A-Za-z0-9_]{3,}))(?:/\d+)?/?(?:\?.*)?$")
_USERNAME = re.compile(r"^@(?P<name>[A-Za-z0-9_]{3,})$")
_NUMBER = re.compile(r"^-?\d+$")


@dataclass(frozen=True, slots=True)
class ParsedRef:
    """One of: `username`, `peer_id` (marked), or `title`."""
    username: str | None = None
    peer_id: int | None = None
    title: str | None = None


def parse_ref(ref: str | int) -> ParsedRef:
    if isinstance(ref, int):
        return ParsedRef(peer_id=ref)
    text = ref.strip()
    if _NUMBER.match(text):
        return ParsedRef(peer_id=int(text))
    m = _USERNAME.match(text)
    if m:
        return ParsedRef(username=m["name"])
    m = _LINK.match(text)
    if m:
        if m["cid"]:
            return ParsedRef(peer_id=utils.get_peer_id(types.PeerChannel(int(m["cid"]))))
        if m["name"].lower() not in ("joinchat", "addstickers", "share", "proxy"):
            return ParsedRef(username=m["name"])
    return ParsedRef(title=text)
