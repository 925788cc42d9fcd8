"""Telegram text + entities -> Obsidian Markdown lines.

Offsets are UTF-16 code units (Telegram's definition); they are mapped to
Python string indices first, rounding a range that splits a surrogate pair
outwards to whole characters.

How each entity is shown:

* bold ``**``, italic ``*``, strikethrough ``~~``, spoiler ``==`` (Obsidian's
  highlight; Obsidian has no spoiler), underline ``<u>``. Entities may nest
  and overlap: the text is cut at every boundary and each piece is wrapped in
  the styles that cover it. Whitespace at a piece's edges stays outside the
  delimiters. When Markdown's flanking rules would not let a delimiter work
  (``a**"b"**c``), that piece uses ``<b> <i> <s> <mark>`` instead.
* code: an inline code span (per line); pre: a fenced block with its
  language when it covers whole lines, else inline code.
* text links, URLs, e-mails, phone numbers: ``[text](url)`` (only safe
  schemes; others stay plain text). Mentions: a wikilink to the person's note
  when one is known. Hashtags: a real ``#tag`` when enabled and valid.
  Cashtags, bot commands, bank cards, custom emoji (the text already holds the
  fallback emoji): plain text.
* blockquote: the whole lines it touches get ``> ``; an expandable quote is a
  collapsed ``[!quote]-`` callout. Adjacent quotes merge into one.

The result is a list of lines *without* the message callout's ``> `` prefix.
:mod:`tobsd.vault.mdparse` is the inverse. Entities become string ranges in
:mod:`tobsd.vault.spans`; :mod:`tobsd.vault.inline` renders inside a line,
this module does what spans lines (fences, quotes). A line no entity touches
is escaped on its own, which is what the inline renderer would give for it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

from tobsd.core.models import EntityKind
from tobsd.vault.escape import (ZWSP, break_code, escape_line, fence_for, fence_language,
                                has_code_hostile_chars, pair_sites)
from tobsd.vault.inline import InlineRenderer
from tobsd.vault.spans import INERT, Span, TextContext, to_spans


@dataclass(slots=True)
class _Fence:
    first_line: int
    last_line: int
    language: str | None


def _break_pairs(text: str, entities, sites: list[int]):
    """``break_pairs(text)`` with the entities moved along (UTF-16 offsets).

    The U+200B inserted before a character belongs to every entity that
    covers both that character and the one before it; an entity that starts
    at the character starts after the U+200B.
    """
    broken = []
    pos = 0
    for i in sites:
        broken.append(text[pos:i])
        broken.append(ZWSP)
        pos = i
    broken.append(text[pos:])
    if not entities:
        return "".join(broken), entities
    units = sites  # UTF-16 offsets of the sites: one more per astral character before
    if not text.isascii():
        units, extra, prev = [], 0, 0
        for i in sites:
            extra += sum(1 for ch in text[prev:i] if ord(ch) > 0xFFFF)
            prev = i
            units.append(i + extra)
    moved = []
    for ent in entities:
        start = ent.offset + bisect.bisect_right(units, ent.offset)
        end = ent.offset + ent.length + bisect.bisect_left(units, ent.offset + ent.length)
        moved.append(replace(ent, offset=start, length=end - start))
    return "".join(broken), tuple(moved)


def _line_ranges(text: str) -> list[tuple[int, int]]:
    ranges, pos = [], 0
    for line in text.split("\n"):
        ranges.append((pos, pos + len(line)))
        pos += len(line) + 1
    return ranges


def _find_fences(text: str, spans: list[Span], lines: list[tuple[int, int]]) -> dict[int, _Fence]:
    starts = [ls for ls, _ in lines]
    fences: dict[int, _Fence] = {}
    covered: set[int] = set()
    for sp in sorted((s for s in spans if s.kind == EntityKind.PRE), key=lambda s: s.start):
        s, e = sp.start, sp.end
        if e > s and text[e - 1] == "\n":
            e -= 1
        if s >= e or has_code_hostile_chars(text[s:e]):
            continue
        if not (s == 0 or text[s - 1] == "\n") or not (e == len(text) or text[e] == "\n"):
            continue
        first = bisect.bisect_right(starts, s) - 1
        last = bisect.bisect_right(starts, e - 1) - 1
        if any(i in covered for i in range(first, last + 1)):
            continue
        covered.update(range(first, last + 1))
        fences[first] = _Fence(first, last, sp.entity.language)
        sp.kind = EntityKind.UNKNOWN  # consumed: not rendered again as inline code
    return fences


def _split_at_quotes(fences: dict[int, _Fence], quotes: list[str | None],
                     lines: list[tuple[int, int]]) -> dict[int, _Fence]:
    """Fences cut where the quote changes: Markdown cannot quote part of a fenced block.

    A run of only empty lines gets no fence (it holds no code to mark).
    """
    out: dict[int, _Fence] = {}
    for fence in fences.values():
        start = fence.first_line
        for i in range(fence.first_line, fence.last_line + 1):
            if i == fence.last_line or quotes[i + 1] != quotes[start]:
                if any(lines[j][0] < lines[j][1] for j in range(start, i + 1)):
                    out[start] = _Fence(start, i, fence.language)
                start = i + 1
    return out


def _quote_kinds(spans: list[Span], lines: list[tuple[int, int]]) -> list[str | None]:
    kinds: list[str | None] = [None] * len(lines)
    for sp in spans:
        if sp.kind != EntityKind.BLOCKQUOTE:
            continue
        for i, (ls, le) in enumerate(lines):
            touches = max(ls, sp.start) < min(le, sp.end) or (ls == le and sp.start <= ls < sp.end)
            if touches and kinds[i] is None:
                kinds[i] = "collapsed" if sp.entity.collapsed else "quote"
    # A quote run takes the kind of its first line.
    for i in range(1, len(kinds)):
        if kinds[i] and kinds[i - 1]:
            kinds[i] = kinds[i - 1]
    return kinds


def render_text(text: str, entities, ctx: TextContext | None = None, *,
                shortcuts: bool = True) -> list[str]:
    """Markdown lines (without the callout prefix) for a message's text and entities.

    ``shortcuts=False`` sends every line through the inline renderer instead
    of taking the fast paths for text no entity formats; the output is the
    same either way (the tests compare the two).
    """
    if not text:
        return []
    sites = pair_sites(text)
    if sites:
        text, entities = _break_pairs(text, entities, sites)
    spans = to_spans(text, entities)
    kinds = {sp.kind for sp in spans}
    if shortcuts and kinds <= INERT:
        # Nothing to format: each line is plain text, escaped on its own (what
        # the inline renderer yields for a line no span touches).
        return [escape_line(line) for line in text.split("\n")]
    ctx = ctx or TextContext()
    lines = _line_ranges(text)
    one_line = shortcuts and len(lines) == 1  # then every span touches it
    fences = _find_fences(text, spans, lines) if EntityKind.PRE in kinds else {}
    quotes = _quote_kinds(spans, lines) if EntityKind.BLOCKQUOTE in kinds else [None] * len(lines)
    if fences and EntityKind.BLOCKQUOTE in kinds:
        fences = _split_at_quotes(fences, quotes, lines)
    inline = InlineRenderer(text, spans, ctx, shortcuts)
    out: list[str] = []
    i = 0
    while i < len(lines):
        q = quotes[i]
        prefix = "> " if q else ""
        if not q and i > 0 and quotes[i - 1]:
            out.append("")  # ends the quote: without it the line would continue the quote lazily
        if q == "collapsed" and (i == 0 or quotes[i - 1] is None):
            out.append("> [!quote]-")
        fence = fences.get(i)
        if fence:
            content = text[lines[fence.first_line][0]:lines[fence.last_line][1]]
            marks = fence_for(content)
            out.append(prefix + marks + fence_language(fence.language))
            for j in range(fence.first_line, fence.last_line + 1):
                out.append((prefix + break_code(text[lines[j][0]:lines[j][1]], inline=False)))
            out.append(prefix + marks)
            i = fence.last_line + 1
            continue
        ls, le = lines[i]
        if ls >= le:
            out.append(prefix.rstrip())
        elif not shortcuts or one_line or any(sp.start < le and ls < sp.end for sp in spans):
            out.append(prefix + inline.render(ls, le))
        else:
            out.append(prefix + escape_line(text[ls:le]))  # untouched by any span: plain text
        i += 1
    return out
