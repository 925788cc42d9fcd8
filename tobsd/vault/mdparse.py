"""The inverse of :mod:`tobsd.vault.entities`: rendered body lines -> text + entities.

It understands exactly the Markdown the renderer produces (escapes, numeric
and named character references, code spans, fenced blocks, ``** * ~~ ==``,
``<b> <i> <s> <mark> <u>``, ``[text](url)``, ``[[target|label]]``, ``#tag``,
``> `` quotes and ``[!quote]-`` headers). Used by the property tests and by
tools that read a note back; it is not a general Markdown parser.

Entity offsets in the result are UTF-16 code units, like Telegram's.
Mentions come back as MENTION_NAME with ``url`` holding the link target
(the user id is not in the note). The U+200B that broke ``<%`` and ``::`` in
the text (:func:`~tobsd.vault.escape.break_pairs`) are removed again.
"""

from __future__ import annotations

import bisect
import re
from urllib.parse import unquote

from tobsd.core.models import Entity, EntityKind
from tobsd.vault.escape import (parse_code_span_inner, unbreak_code, unbreak_pairs,
                                unfence_language)

_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|(lt|gt|amp));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&"}
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_TAGS = {"b": EntityKind.BOLD, "i": EntityKind.ITALIC, "s": EntityKind.STRIKE,
         "mark": EntityKind.SPOILER, "u": EntityKind.UNDERLINE}
_TAG_RE = re.compile(r"<(/?)(b|i|s|mark|u)>")
_FENCE_OPEN = re.compile(r"^(`{3,})([A-Za-z0-9_+.#-]*)$")
_HASHTAG = re.compile(r"#[\w/-]+")


class _Line:
    """Parses one inline line into plain text and local (string index) spans."""

    def __init__(self, md: str) -> None:
        self.md = md
        self.out: list[str] = []
        self.spans: list[tuple[EntityKind, int, int, str | None]] = []
        self.open: dict[EntityKind, int] = {}
        self.links: list[int] = []

    @property
    def pos(self) -> int:
        return sum(len(s) for s in self.out)

    def _toggle(self, kind: EntityKind) -> None:
        if kind in self.open:
            start = self.open.pop(kind)
            self.spans.append((kind, start, self.pos, None))
        else:
            self.open[kind] = self.pos

    def _stars(self, k: int) -> None:
        if EntityKind.ITALIC in self.open or EntityKind.BOLD in self.open:
            if EntityKind.ITALIC in self.open and k >= 1:
                self._toggle(EntityKind.ITALIC)
                k -= 1
            if EntityKind.BOLD in self.open and k >= 2:
                self._toggle(EntityKind.BOLD)
                k -= 2
        if k >= 2:
            self._toggle(EntityKind.BOLD)
            k -= 2
        if k == 1:
            self._toggle(EntityKind.ITALIC)

    def parse(self) -> tuple[str, list[tuple[EntityKind, int, int, str | None]]]:
        md, i, n = self.md, 0, len(self.md)
        while i < n:
            c = md[i]
            if c == "\\" and i + 1 < n and md[i + 1] in _ASCII_PUNCT:
                self.out.append(md[i + 1])
                i += 2
            elif c == "&" and (m := _ENTITY_RE.match(md, i)):
                self.out.append(chr(int(m.group(1))) if m.group(1) else _NAMED[m.group(2)])
                i = m.end()
            elif c == "`":
                i = self._code(i)
            elif c == "<" and (m := _TAG_RE.match(md, i)):
                self._toggle(_TAGS[m.group(2)])
                i = m.end()
            elif c == "*":
                k = len(md[i:]) - len(md[i:].lstrip("*"))
                self._stars(k)
                i += k
            elif md.startswith("~~", i):
                self._toggle(EntityKind.STRIKE)
                i += 2
            elif md.startswith("==", i):
                self._toggle(EntityKind.SPOILER)
                i += 2
            elif md.startswith("[[", i):
                end = md.index("]]", i)
                target, _, label = md[i + 2:end].partition("|")
                start = self.pos
                self.out.append(label)
                self.spans.append((EntityKind.MENTION_NAME, start, self.pos, target))
                i = end + 2
            elif c == "[":
                self.links.append(self.pos)
                i += 1
            elif c == "]" and md.startswith("](", i) and self.links:
                end = md.index(")", i)
                self.spans.append((EntityKind.TEXT_URL, self.links.pop(), self.pos, unquote(md[i + 2:end])))
                i = end + 1
            elif c == "#" and (m := _HASHTAG.match(md, i)):
                start = self.pos
                self.out.append(m.group(0))
                self.spans.append((EntityKind.HASHTAG, start, self.pos, None))
                i = m.end()
            else:
                self.out.append(c)
                i += 1
        return "".join(self.out), self.spans

    def _code(self, i: int) -> int:
        md = self.md
        k = len(md[i:]) - len(md[i:].lstrip("`"))
        fence = "`" * k
        j = i + k
        while True:
            j = md.find(fence, j)
            if j < 0:  # not produced by the renderer; keep literally
                self.out.append(fence)
                return i + k
            run_end = j + len(md[j:]) - len(md[j:].lstrip("`"))
            if run_end - j == k:
                break
            j = run_end
        start = self.pos
        self.out.append(parse_code_span_inner(md[i + k:j]))
        self.spans.append((EntityKind.CODE, start, self.pos, None))
        return j + k


def _utf16_index(text: str) -> list[int]:
    table, pos = [], 0
    for ch in text:
        table.append(pos)
        pos += 2 if ord(ch) > 0xFFFF else 1
    table.append(pos)
    return table


def parse_text(lines: list[str]) -> tuple[str, list[Entity]]:
    """Recover (text, entities) from body lines made by ``render_text``."""
    texts: list[str] = []
    spans: list[tuple[EntityKind, int, int, str | None, bool]] = []
    offset = 0
    quote_start: int | None = None
    quote_collapsed = False
    pending_collapsed = False
    i = 0

    def close_quote(end: int) -> None:
        nonlocal quote_start
        if quote_start is not None:
            spans.append((EntityKind.BLOCKQUOTE, quote_start, end, None, quote_collapsed))
            quote_start = None

    while i < len(lines):
        line = lines[i]
        if line == "> [!quote]-":
            close_quote(offset - 1)
            pending_collapsed = True
            i += 1
            continue
        quoted = line == ">" or line.startswith("> ")
        content = line[2:] if quoted else line
        if quoted and quote_start is None:
            quote_start, quote_collapsed, pending_collapsed = offset, pending_collapsed, False
        elif not quoted and quote_start is not None:
            close_quote(offset - 1)
            if line == "":  # the separator the renderer puts after a quote
                i += 1
                continue
        m = _FENCE_OPEN.match(content)
        if m:
            body: list[str] = []
            i += 1
            while i < len(lines):
                inner = lines[i][2:] if quoted else lines[i]
                if quoted and lines[i] == ">":
                    inner = ""
                if inner == m.group(1):
                    break
                body.append(unbreak_code(inner.rstrip("\n"), inline=False))
                i += 1
            block = "\n".join(body)
            spans.append((EntityKind.PRE, offset, offset + len(block), unfence_language(m.group(2)) or None, False))
            texts.append(block)
            offset += len(block) + 1
            i += 1
            continue
        plain, local = _Line(content).parse()
        for kind, s, e, extra in local:
            spans.append((kind, offset + s, offset + e, extra, False))
        texts.append(plain)
        offset += len(plain) + 1
        i += 1
    close_quote(offset - 1)
    text, removed = unbreak_pairs("\n".join(texts))
    if removed:  # spans move left by the U+200B removed before them
        spans = [(kind, s - bisect.bisect_left(removed, s), e - bisect.bisect_left(removed, e),
                  extra, collapsed) for kind, s, e, extra, collapsed in spans]
    table = _utf16_index(text)
    entities = []
    for kind, s, e, extra, collapsed in spans:
        if s >= e:
            continue
        ent = Entity(kind, table[s], table[e] - table[s], collapsed=collapsed)
        if kind == EntityKind.PRE:
            ent.language = extra
        elif kind in (EntityKind.TEXT_URL, EntityKind.MENTION_NAME):
            ent.url = extra
        entities.append(ent)
    return text, entities
