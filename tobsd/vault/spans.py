"""Telegram entities as string ranges, and the kind groups the renderer uses.

Entity offsets count UTF-16 code units (Telegram's definition);
:func:`to_spans` maps them to Python string indices, rounding a range that
splits a surrogate pair outwards to whole characters.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable

from tobsd.core.models import Entity, EntityKind

STYLE_MD = {EntityKind.SPOILER: "==", EntityKind.STRIKE: "~~",
            EntityKind.BOLD: "**", EntityKind.ITALIC: "*"}
STYLE_HTML = {EntityKind.SPOILER: "mark", EntityKind.STRIKE: "s", EntityKind.BOLD: "b",
              EntityKind.ITALIC: "i", EntityKind.UNDERLINE: "u"}
# Outer to inner; underline is always HTML and innermost.
STYLE_ORDER = (EntityKind.SPOILER, EntityKind.STRIKE, EntityKind.BOLD, EntityKind.ITALIC,
               EntityKind.UNDERLINE)
STYLES = frozenset(STYLE_ORDER)
# Kinds shown as plain text: a span of these changes nothing in the output.
INERT = frozenset({EntityKind.CASHTAG, EntityKind.BOT_COMMAND, EntityKind.BANK_CARD,
                   EntityKind.CUSTOM_EMOJI, EntityKind.UNKNOWN})
LINKISH = {EntityKind.TEXT_URL, EntityKind.URL, EntityKind.EMAIL, EntityKind.PHONE}
# Kinds that may render as one unit (see InlineRenderer._atom_maker).
ATOMIC = frozenset({EntityKind.CODE, EntityKind.PRE, EntityKind.MENTION_NAME, EntityKind.MENTION,
                    EntityKind.HASHTAG, *LINKISH})
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(slots=True)
class TextContext:
    """What the entity renderer needs from outside.

    ``person_link(user_id)`` and ``username_link(username)`` return a note link
    target (vault path without ``.md``) or None. ``hashtags_as_tags`` turns
    hashtag entities into Obsidian tags.
    """

    person_link: Callable[[int], str | None] = lambda _uid: None
    username_link: Callable[[str], str | None] = lambda _name: None
    hashtags_as_tags: bool = True


@dataclass(slots=True)
class Span:
    """An entity mapped to string indices ``[start, end)``."""

    kind: EntityKind
    start: int
    end: int
    entity: Entity


def to_spans(text: str, entities: tuple[Entity, ...] | list[Entity]) -> list[Span]:
    """Map UTF-16 entity ranges to string index ranges; drop empty or out-of-range ones."""
    spans: list[Span] = []
    if not entities:
        return spans
    if text.isascii() or not _ASTRAL.search(text):  # common: UTF-16 offsets are string indices
        for ent in entities:
            a, b = max(ent.offset, 0), min(ent.offset + ent.length, len(text))
            if ent.length > 0 and a < b:
                spans.append(Span(ent.kind, a, b, ent))
        return spans
    # UTF-16 start of every astral character (each takes two units); a UTF-16
    # offset u maps to string index u - (astral characters starting before u).
    astral = [m.start() + k for k, m in enumerate(_ASTRAL.finditer(text))]
    last = len(text) - 1
    for ent in entities:
        if ent.length <= 0 or ent.offset < 0:
            continue
        u = ent.offset
        a = min(u - bisect.bisect_left(astral, u), last)  # the character holding unit u
        v = u + ent.length
        k = bisect.bisect_left(astral, v)
        b = v - k + (1 if k and astral[k - 1] == v - 1 else 0)  # characters starting before unit v
        b = min(b, len(text))
        if a < b:
            spans.append(Span(ent.kind, a, b, ent))
    return spans
