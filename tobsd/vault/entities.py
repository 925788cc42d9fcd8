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
:mod:`tobsd.vault.mdparse` is the inverse.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from tobsd.core.models import Entity, EntityKind
from tobsd.vault.escape import (code_span, escape_text, fence_for, fence_language,
                                has_code_hostile_chars, break_code, link_label, safe_url)

STYLE_MD = {EntityKind.SPOILER: "==", EntityKind.STRIKE: "~~",
            EntityKind.BOLD: "**", EntityKind.ITALIC: "*"}
STYLE_HTML = {EntityKind.SPOILER: "mark", EntityKind.STRIKE: "s", EntityKind.BOLD: "b",
              EntityKind.ITALIC: "i", EntityKind.UNDERLINE: "u"}
# Outer to inner; underline is always HTML and innermost.
STYLE_ORDER = (EntityKind.SPOILER, EntityKind.STRIKE, EntityKind.BOLD, EntityKind.ITALIC,
               EntityKind.UNDERLINE)
_STYLES = frozenset(STYLE_ORDER)
_LINKISH = {EntityKind.TEXT_URL, EntityKind.URL, EntityKind.EMAIL, EntityKind.PHONE}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_TAG_RE = re.compile(r"^#[\w/-]*[^\W\d][\w/-]*$")


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
    spans = []
    if not _ASTRAL.search(text):  # common case: UTF-16 offsets are string indices
        for ent in entities:
            a, b = max(ent.offset, 0), min(ent.offset + ent.length, len(text))
            if ent.length > 0 and a < b:
                spans.append(Span(ent.kind, a, b, ent))
        return spans
    starts: list[int] = []
    pos = 0
    for ch in text:
        starts.append(pos)
        pos += 2 if ord(ch) > 0xFFFF else 1
    for ent in entities:
        if ent.length <= 0 or ent.offset < 0:
            continue
        a = bisect.bisect_right(starts, ent.offset) - 1
        a = max(a, 0)
        b = bisect.bisect_left(starts, ent.offset + ent.length)
        b = min(b, len(text))
        if a < b:
            spans.append(Span(ent.kind, a, b, ent))
    return spans


def _is_ws(ch: str) -> bool:
    return ch == "" or ch.isspace()


def _is_punct(ch: str) -> bool:
    return bool(ch) and (unicodedata.category(ch).startswith(("P", "S")))


@dataclass(slots=True)
class _Piece:
    pre: str
    core: str
    post: str
    styles: tuple[EntityKind, ...]


class _InlineRenderer:
    """Renders one line range with style entities and atomic spans (links, code, mentions)."""

    def __init__(self, text: str, spans: list[Span], ctx: TextContext) -> None:
        self.text = text
        self.spans = spans
        self.ctx = ctx

    def render(self, a: int, b: int) -> str:
        atoms = self._atoms(a, b)
        out: list[str] = []
        pos = a
        for atom, rendered_end, rendered in atoms:
            if pos < atom.start:
                out.append(self._styled(pos, atom.start, out))
            out.append(rendered(out))
            pos = rendered_end
        if pos < b:
            out.append(self._styled(pos, b, out))
        return "".join(out)

    # -- atoms: spans rendered as one unit ----------------------------------

    def _atoms(self, a: int, b: int):
        chosen: list[tuple[Span, int, Callable[[list[str]], str]]] = []
        cands = []
        for sp in self.spans:
            s, e = max(sp.start, a), min(sp.end, b)
            if s >= e:
                continue
            maker = self._atom_maker(sp, s, e)
            if maker is not None:
                cands.append((s, -e, sp, e, maker))
        cands.sort(key=lambda c: (c[0], c[1]))
        last_end = a
        picked: list[tuple[Span, Callable]] = []
        for s, _neg, sp, e, maker in cands:
            if s < last_end:
                continue
            code = sp.kind in (EntityKind.CODE, EntityKind.PRE)
            if code and picked and picked[-1][0].end == s and picked[-1][1] == self._code:
                # Touching code spans would merge their backtick runs: make them one span.
                picked[-1][0].end = e
            else:
                picked.append((Span(sp.kind, s, e, sp.entity), maker))
            last_end = e
        for clipped, maker in picked:
            chosen.append((clipped, clipped.end, (lambda out, m=maker, c=clipped: m(c, out))))
        return chosen

    def _atom_maker(self, sp: Span, s: int, e: int):
        kind, piece = sp.kind, self.text[s:e]
        if kind in (EntityKind.CODE, EntityKind.PRE):
            return self._code
        if kind in _LINKISH:
            url = self._url_for(sp, piece)
            if url:
                return lambda c, out, u=url: f"[{self._styled(c.start, c.end, out, in_link=True)}]({u})"
            return None
        if kind == EntityKind.MENTION_NAME and sp.entity.user_id is not None:
            target = self.ctx.person_link(sp.entity.user_id)
            return self._wikilink(target, piece)
        if kind == EntityKind.MENTION and piece.startswith("@"):
            target = self.ctx.username_link(piece[1:])
            return self._wikilink(target, piece)
        if kind == EntityKind.HASHTAG and self.ctx.hashtags_as_tags and _TAG_RE.match(piece):
            return lambda c, out: self.text[c.start:c.end] if self._tag_ok(c, out) else escape_text(
                self.text, c.start, c.end)
        return None

    def _tag_ok(self, c: Span, out: list[str]) -> bool:
        # A tag needs whitespace (or the line start) before it and must not run on into text.
        prev = "".join(out)[-1:] if out else (self.text[c.start - 1] if c.start else "")
        nxt = self.text[c.end] if c.end < len(self.text) else ""
        return (prev == "" or prev in " \t\n") and not (nxt.isalnum() or nxt in "_/-")

    def _wikilink(self, target: str | None, piece: str):
        if not target or link_label(piece) != piece:
            return None
        return lambda c, out: f"[[{target}|{piece}]]"

    @staticmethod
    def _url_for(sp: Span, piece: str) -> str | None:
        if sp.kind == EntityKind.TEXT_URL:
            return safe_url(sp.entity.url or "")
        if sp.kind == EntityKind.EMAIL:
            return safe_url("mailto:" + piece)
        if sp.kind == EntityKind.PHONE:
            digits = "".join(ch for ch in piece if ch.isdigit() or ch == "+")
            return safe_url("tel:" + digits) if digits else None
        return safe_url(piece)

    def _code(self, c: Span, out: list[str]) -> str:
        parts, pos = [], c.start
        piece = self.text[c.start:c.end]
        # Control characters cannot live in a code span: they break it into pieces.
        for m in re.finditer(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\r\u2028\u2029\x85]+", piece):
            s, e = c.start + m.start(), c.start + m.end()
            if pos < s:
                parts.append(code_span(self.text[pos:s]))
            parts.append(escape_text(self.text, s, e))
            pos = e
        if pos < c.end:
            parts.append(code_span(self.text[pos:c.end]))
        return "".join(parts)

    # -- styled plain text ----------------------------------------------------

    def _styles_at(self, i: int) -> tuple[EntityKind, ...]:
        active = {sp.kind for sp in self.spans if sp.kind in _STYLES and sp.start <= i < sp.end}
        return tuple(k for k in STYLE_ORDER if k in active)

    def _styled(self, a: int, b: int, out: list[str], in_link: bool = False) -> str:
        cuts = {a, b}
        for sp in self.spans:
            if sp.kind in _STYLES:
                cuts.update(x for x in (sp.start, sp.end) if a < x < b)
        bounds = sorted(cuts)
        pieces: list[_Piece] = []
        for x, y in zip(bounds, bounds[1:]):
            styles = self._styles_at(x)
            x1, y1 = x, y
            if styles:
                while x1 < y and self.text[x1] in " \t":
                    x1 += 1
                while y1 > x1 and self.text[y1 - 1] in " \t":
                    y1 -= 1
            if x1 == y1:
                styles = ()
            pieces.append(_Piece(escape_text(self.text, x, x1), escape_text(self.text, x1, y1),
                                 escape_text(self.text, y1, y), styles))
        prev = "".join(out)[-1:] if out else ("[" if in_link else "")
        result: list[str] = []
        for idx, p in enumerate(pieces):
            if not p.styles:
                result.append(p.pre + p.core + p.post)
                prev = (result[-1][-1:] or prev)
                continue
            nxt = pieces[idx + 1] if idx + 1 < len(pieces) else None
            after = self._first_char(nxt, b, in_link)
            before = p.pre[-1:] or prev
            result.append(p.pre + self._wrap(p, before, after) + p.post)
            prev = result[-1][-1:] or prev
        return "".join(result)

    def _first_char(self, nxt: _Piece | None, b: int, in_link: bool) -> str:
        if nxt is None:
            if in_link:
                return "]"
            return escape_text(self.text, b, b + 1)[:1] if b < len(self.text) and self.text[b] != "\n" else ""
        if nxt.pre:
            return nxt.pre[0]
        if nxt.styles:
            return "!"  # some opener follows: punctuation, and it guards its own merging
        return nxt.core[:1] or nxt.post[:1]

    @staticmethod
    def _wrap(p: _Piece, before: str, after: str) -> str:
        md = [k for k in p.styles if k in STYLE_MD]
        underline = EntityKind.UNDERLINE in p.styles
        inner = f"<u>{p.core}</u>" if underline else p.core
        if not md:
            return inner
        opener = "".join(STYLE_MD[k] for k in md)
        closer = "".join(STYLE_MD[k] for k in reversed(md))
        first = opener[len(STYLE_MD[md[0]])] if len(md) > 1 else inner[0]
        last = closer[-len(STYLE_MD[md[0]]) - 1] if len(md) > 1 else inner[-1]
        left_ok = not _is_ws(first) and (not _is_punct(first) or _is_ws(before) or _is_punct(before))
        right_ok = not _is_ws(last) and (not _is_punct(last) or _is_ws(after) or _is_punct(after))
        merges = before[-1:] == opener[0] or after[:1] == closer[-1]
        if left_ok and right_ok and not merges:
            return opener + inner + closer
        tags = [STYLE_HTML[k] for k in md]
        return "".join(f"<{t}>" for t in tags) + inner + "".join(f"</{t}>" for t in reversed(tags))


@dataclass(slots=True)
class _Fence:
    first_line: int
    last_line: int
    language: str | None


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


def render_text(text: str, entities, ctx: TextContext | None = None) -> list[str]:
    """Markdown lines (without the callout prefix) for a message's text and entities."""
    if not text:
        return []
    ctx = ctx or TextContext()
    spans = to_spans(text, entities)
    lines = _line_ranges(text)
    fences = _find_fences(text, spans, lines)
    quotes = _quote_kinds(spans, lines)
    inline = _InlineRenderer(text, spans, ctx)
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
        out.append((prefix + inline.render(ls, le)) if ls < le else prefix.rstrip())
        i += 1
    return out
