"""Checks on rendered Markdown used by the property tests.

``forbidden_in_body`` lists every construct from the issue's escaping rules
that appears in rendered message-text lines where it is not allowed.
``coverage`` is the normal form used to compare entities before rendering and
after parsing back (see its docstring for what is normalised and why).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from tobsd.core.models import Entity, EntityKind as K
from tobsd.vault.entities import to_spans
from tobsd.vault.escape import PLAIN_LANGUAGES, safe_url

_OWN_TAG = re.compile(r"</?(u|b|i|s|mark)>")
_LINE_START_BAD = [
    (re.compile(r"^([-+*]|\d{1,9}[.)])(\s|$)"), "list marker"),
    (re.compile(r"^#{1,6}(\s|$)"), "heading"),
    (re.compile(r"^(\s{4}|\t)"), "indented code"),
    (re.compile(r"^ {0,3}([-*_])( *\1){2,} *$"), "thematic break / frontmatter"),
    (re.compile(r"^=+ *$"), "setext heading"),
]


def _unescaped(line: str):
    """Yield (index, char) for characters not consumed by a backslash escape or entity."""
    i = 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            i += 2
            continue
        m = re.match(r"&(#\d+|lt|gt|amp);", line[i:])
        if m:
            i += m.end()
            continue
        yield i, line[i]
        i += 1


def _strip_code_spans(line: str) -> tuple[str, list[str]]:
    """Remove renderer-made code spans (unescaped backtick runs), returning line and contents."""
    out, contents, i = [], [], 0
    escaped = {j for j, _ in _unescaped(line)}
    while i < len(line):
        if line[i] == "`" and i in escaped:
            k = len(line[i:]) - len(line[i:].lstrip("`"))
            j = line.find("`" * k, i + k)
            while j >= 0 and line[j + k:j + k + 1] == "`":
                j = line.find("`" * k, j + k + 1)
            if j < 0:
                out.append(line[i:])
                break
            contents.append(line[i + k:j])
            out.append("\x00")
            i = j + k
        else:
            out.append(line[i])
            i += 1
    return "".join(out), contents


def forbidden_in_body(lines: list[str], *, allow_tags: bool = False) -> list[str]:
    """Problems in the message-text lines of one block (lines without the callout prefix)."""
    problems: list[str] = []
    in_fence = None
    for raw in lines:
        line = raw[2:] if raw.startswith("> ") else ("" if raw == ">" else raw)
        # one level of quote is the renderer's (blockquote entities); text's own ">" is escaped
        line = line[2:] if line.startswith("> ") else ("" if line == ">" else line)
        if line == "[!quote]-":
            continue
        fence = re.match(r"^(`{3,})(.*)$", line)
        if in_fence:
            if line == in_fence:
                in_fence = None
            elif "%%" in line or "<%" in line or "::" in line:
                problems.append(f"comment/templater/inline field in fence: {raw!r}")
            continue
        if fence and "`" not in fence.group(2):
            in_fence = fence.group(1)
            if fence.group(2) and fence.group(2).lower() not in PLAIN_LANGUAGES:
                problems.append(f"executable fence: {raw!r}")
            continue
        body, codes = _strip_code_spans(line)
        for code in codes:
            inner = code.strip()
            if "%%" in code or "<%" in code or "::" in code or (inner and not inner.startswith("\u200b")):
                problems.append(f"hostile inline code: {raw!r}")
        for rx, what in _LINE_START_BAD:
            if rx.search(body):
                problems.append(f"{what}: {raw!r}")
        if body.startswith(">"):
            problems.append(f"quote escapes: {raw!r}")
        visible = {i: ch for i, ch in _unescaped(body)}
        for i, ch in visible.items():
            nxt = body[i + 1:i + 2]
            if ch == "[" and nxt == "[":
                problems.append(f"wikilink/embed: {raw!r}")
            elif ch == "!" and nxt == "[":
                problems.append(f"image/embed: {raw!r}")
            elif ch == ":" and nxt == ":":
                problems.append(f"Dataview inline field: {raw!r}")
            elif ch == "$":
                problems.append(f"math: {raw!r}")
            elif ch == "%" and nxt == "%":
                problems.append(f"comment: {raw!r}")
            elif ch == "<" and not _OWN_TAG.match(body, i):
                problems.append(f"html/templater: {raw!r}")
            elif ch == "#" and not allow_tags and (i == 0 or body[i - 1] in " \t") and re.match(r"[\w/-]", nxt):
                problems.append(f"tag: {raw!r}")
            elif ch == "^" and re.match(r"\^[A-Za-z0-9-]+$", body[i:]) and (i == 0 or body[i - 1] in " \t"):
                problems.append(f"block id: {raw!r}")
        if "\r" in line or "\u2028" in line or "\u2029" in line:
            problems.append(f"raw line break: {raw!r}")
    return problems


EMPH = {K.BOLD, K.ITALIC, K.UNDERLINE, K.STRIKE, K.SPOILER}


def coverage(text: str, entities: list[Entity]) -> list[tuple[int, frozenset]]:
    """Per-character formatting, normalised the way rendering legitimately normalises.

    * PRE and CODE are both "code"; inside code other styles are dropped.
    * Whitespace, newlines and control characters are not compared (emphasis
      delimiters are kept off piece edges; controls cannot live in code).
    * Links compare by their URL as a link destination would carry it.
    Atoms (code, pre, links) must not overlap in the input.
    """
    spans = to_spans(text, entities)
    result = []
    for i, ch in enumerate(text):
        if ch.isspace() or ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f or ch in "\u2028\u2029\x85":
            continue
        kinds = set()
        for sp in spans:
            if sp.start <= i < sp.end:
                if sp.kind in (K.CODE, K.PRE):
                    kinds.add("code")
                elif sp.kind == K.TEXT_URL:
                    kinds.add(("link", unquote(safe_url(sp.entity.url or "") or "")))
                elif sp.kind in EMPH:
                    kinds.add(sp.kind.value)
        if "code" in kinds:
            kinds = {"code"}
        result.append((i, frozenset(kinds)))
    return result


def quoted_lines(text: str, entities: list[Entity]) -> list[int]:
    """Indices of non-empty lines touched by a blockquote entity (empty lines carry no quote)."""
    spans = [s for s in to_spans(text, entities) if s.kind == K.BLOCKQUOTE]
    out, pos = [], 0
    for n, line in enumerate(text.split("\n")):
        ls, le = pos, pos + len(line)
        if ls < le and any(max(ls, s.start) < min(le, s.end) for s in spans):
            out.append(n)
        pos = le + 1
    return out
