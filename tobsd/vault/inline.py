"""One line of message text with its entities -> Markdown (see :mod:`tobsd.vault.entities`).

:class:`InlineRenderer` handles everything inside a line: style entities
(cut at every boundary, each piece wrapped in the styles covering it, with
the HTML fallback where Markdown's flanking rules would not let a delimiter
work) and atoms (code, links, mentions, hashtags) rendered as one unit.
Fences and quotes, which span whole lines, are :mod:`entities`' business.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, NamedTuple

from tobsd.core.models import EntityKind
from tobsd.vault.escape import (code_span, escape_range, escape_text, line_context, link_label,
                                link_target_ok, safe_url, unbreak_pairs)
from tobsd.vault.spans import (ATOMIC, LINKISH, STYLE_HTML, STYLE_MD, STYLE_ORDER, STYLES, Span,
                               TextContext)

_TAG_RE = re.compile(r"^#[\w/-]*[^\W\d][\w/-]*$")


def _is_ws(ch: str) -> bool:
    return ch == "" or ch.isspace()


@functools.lru_cache(maxsize=4096)
def _is_punct(ch: str) -> bool:
    return bool(ch) and (unicodedata.category(ch).startswith(("P", "S")))


@dataclass(slots=True)
class _Piece:
    pre: str
    core: str
    post: str
    styles: tuple[EntityKind, ...]


class InlineRenderer:
    """Renders one line range with style entities and atomic spans (links, code, mentions)."""

    def __init__(self, text: str, spans: list[Span], ctx: TextContext, shortcuts: bool = True) -> None:
        self.text = text
        self.spans = spans
        self.ctx = ctx
        self.shortcuts = shortcuts  # see render_text
        # Only these kinds can cut styled text or become atoms; the others are
        # plain text, so the loops below skip them (spans no longer change kind
        # once fences were found).
        self._style_spans = [sp for sp in spans if sp.kind in STYLES]
        self._atom_spans = [sp for sp in spans if sp.kind in ATOMIC]

    def render(self, a: int, b: int) -> str:
        if self.shortcuts and not self._atom_spans:
            return self._styled(a, b, [])  # styles only: the line is one styled run
        atoms = self._atoms(a, b)
        out: list[str] = []
        pos = a
        for atom, rendered_end, rendered in atoms:
            if pos < atom.start:
                out.append(self._styled(pos, atom.start, out))
            piece = rendered(out)
            if piece[:1] == "[" and out and out[-1][-1:] == "!":
                # "!" right before a link would make it an image or an embed (a
                # remote load): the "!" stays a visible character. Escaped text
                # never ends in an escaped "!", so this one is bare.
                out[-1] = out[-1][:-1] + "\\!"
            out.append(piece)
            pos = rendered_end
        if pos < b:
            out.append(self._styled(pos, b, out))
        return "".join(out)

    # -- atoms: spans rendered as one unit ----------------------------------

    def _atoms(self, a: int, b: int):
        chosen: list[tuple[Span, int, Callable[[list[str]], str]]] = []
        cands = []
        for sp in self._atom_spans:
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
        if kind in LINKISH:
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
        if not target or link_label(piece) != piece or not link_target_ok(target):
            return None
        return lambda c, out: f"[[{target}|{piece}]]"

    @staticmethod
    def _url_for(sp: Span, piece: str) -> str | None:
        if sp.kind == EntityKind.TEXT_URL:
            return safe_url(sp.entity.url or "")
        piece = unbreak_pairs(piece)[0]  # the address as sent, without the U+200B break_pairs put in
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
        active = [sp.kind for sp in self._style_spans if sp.start <= i < sp.end]
        if len(active) <= 1:
            return tuple(active)
        return tuple(k for k in STYLE_ORDER if k in active)

    def _styled(self, a: int, b: int, out: list[str], in_link: bool = False) -> str:
        text = self.text
        if self.shortcuts and not self._style_spans:
            return escape_text(text, a, b)  # one unstyled piece
        cuts = {a, b}
        for sp in self._style_spans:
            if a < sp.start < b:
                cuts.add(sp.start)
            if a < sp.end < b:
                cuts.add(sp.end)
        bounds = sorted(cuts)
        line = line_context(text, a, b)  # [a, b) lies inside one line: shared by every piece
        pieces: list[_Piece] = []
        for x, y in zip(bounds, bounds[1:]):
            styles = self._styles_at(x)
            if not styles:
                pieces.append(_Piece("", escape_range(text, x, y, line), "", ()))
                continue
            x1, y1 = x, y
            while x1 < y and text[x1] in " \t":
                x1 += 1
            while y1 > x1 and text[y1 - 1] in " \t":
                y1 -= 1
            if x1 == y1:
                styles = ()
            pieces.append(_Piece(escape_range(text, x, x1, line), escape_range(text, x1, y1, line),
                                 escape_range(text, y1, y, line), styles))
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
        d = _delimiters(p.styles)
        inner = f"<u>{p.core}</u>" if d.underline else p.core
        if not d.opener:
            return inner
        first = d.inner_first or inner[0]
        last = d.inner_last or inner[-1]
        left_ok = not _is_ws(first) and (not _is_punct(first) or _is_ws(before) or _is_punct(before))
        right_ok = not _is_ws(last) and (not _is_punct(last) or _is_ws(after) or _is_punct(after))
        merges = before[-1:] == d.opener[0] or after[:1] == d.closer[-1]
        if left_ok and right_ok and not merges:
            return d.opener + inner + d.closer
        return d.html_open + inner + d.html_close


class _Delimiters(NamedTuple):
    underline: bool
    opener: str           # Markdown delimiters, outer to inner ("" when only underline)
    closer: str
    inner_first: str      # with nested delimiters: the character next to the content
    inner_last: str       # ("" with one delimiter: the content's own edge counts)
    html_open: str        # the HTML fallback when a delimiter would not work
    html_close: str


@functools.lru_cache(maxsize=None)  # one entry per style combination (at most 32)
def _delimiters(styles: tuple[EntityKind, ...]) -> _Delimiters:
    md = [k for k in styles if k in STYLE_MD]
    opener = "".join(STYLE_MD[k] for k in md)
    closer = "".join(STYLE_MD[k] for k in reversed(md))
    nested = len(md) > 1
    tags = [STYLE_HTML[k] for k in md]
    return _Delimiters(EntityKind.UNDERLINE in styles, opener, closer,
                       opener[len(STYLE_MD[md[0]])] if nested else "",
                       closer[-len(STYLE_MD[md[0]]) - 1] if nested else "",
                       "".join(f"<{t}>" for t in tags), "".join(f"</{t}>" for t in reversed(tags)))
