"""Read a generated vault back into messages, to compare it with the world.

The oracle of every test that checks the vault against the world, so it
shares no code with tobsd's writer or its note parser: it is written from
the note format tobsd documents and the golden files show, and reads the
message text with a third-party CommonMark parser (markdown-it-py), the way
Obsidian's reading view shows it. One message block in a note:

    %% tobs:m123 h=0f1e2d3c4b5a t=1+2 v=2 %%   the marker (m123-r2: a revision;
                                               v=: the escaping version, absent for 1)
    > [!tg-msg]+ 14:03 · Ada · edited          the callout header, line 0
    > first line of the text                   callout lines t=first+count:
    > second line                              the message text, as Markdown
    >
    ^m123                                      the block id, after a blank line

`h` is the first 12 hex digits of SHA-256 over the block's lines below the
marker (joined with newlines), so a block whose lines still hash to it is
as tobsd wrote it. The callout type is `tg-msg`, `tg-service`, or
`tg-deleted` once Telegram deleted the message.

`scan(vault_dir)` returns every block of every note, so a test can check
that each message appears exactly once, with the right text, and deletion
marks where Telegram deleted it.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

MARKER = re.compile(r"^%% tobs:m(\d+)(?:-r(\d+))? h=([0-9a-f]{12}) t=(\d+)\+(\d+)(?: v=\d+)? %%$")
CALLOUT_TYPE = re.compile(r"^\[!([a-z-]+)\][+-]? ")
QUOTE_CALLOUT = re.compile(r"^\[![a-z-]+\][+-]?\s*$")   # a folded quote's own header line


@dataclass(frozen=True)
class BlockView:
    note: str          # the note's path, relative to the vault
    msg_id: int
    rev: int
    text: str          # the message text as a reader sees it (formatting gone)
    deleted: bool
    intact: bool


# --- Markdown -> the text a reader sees -----------------------------------------------

def _wikilink(state: StateInline, silent: bool) -> bool:
    """Obsidian's [[target|label]] (and ![[embed]]): one token, the label as text."""
    src, pos = state.src, state.pos
    embed = src.startswith("![[", pos)
    if not (embed or src.startswith("[[", pos)):
        return False
    start = pos + (3 if embed else 2)
    end = src.find("]]", start)
    if end < 0 or "\n" in src[start:end]:
        return False
    if not silent:
        inner = src[start:end]
        token = state.push("wikilink", "", 0)
        token.content = "" if embed else inner.split("|", 1)[-1] if "|" in inner else inner
    state.pos = end + 2
    return True


def _highlight(state: StateInline, silent: bool) -> bool:
    """Obsidian's ==highlight==: its content, parsed inline."""
    src, pos = state.src, state.pos
    if not src.startswith("==", pos) or src.startswith("===", pos):
        return False
    end = src.find("==", pos + 2)
    if end <= pos + 2 or src[pos + 2].isspace() or src[end - 1].isspace():
        return False
    if not silent:
        state.push("mark_open", "mark", 1)
        old_max = state.posMax
        state.pos, state.posMax = pos + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("mark_close", "mark", -1)
    state.pos = end + 2
    return True


_MD = MarkdownIt("commonmark").enable("strikethrough")
_MD.inline.ruler.before("link", "wikilink", _wikilink)
_MD.inline.ruler.before("emphasis", "highlight", _highlight)


def _inline_text(token) -> str:
    out = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "wikilink"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(_inline_text(child))
    return "".join(out)


def _drop_quote_header(text: str, in_quote: bool) -> str:
    first, _, rest = text.partition("\n")
    return rest if in_quote and QUOTE_CALLOUT.match(first) else text


ZERO_WIDTH_SPACE = "\u200b"   # invisible: what breaks plugin syntax (`<%`, `= `) is not read


def markdown_text(lines: list[str]) -> str:
    """The plain text of Markdown `lines`, as a reader sees it: each leaf
    block's text, separated by as many newlines as lines lie between them
    (blank lines kept), less the blank line that Markdown needs to end a
    quote; zero-width spaces are not seen."""
    tokens = _MD.parse("\n".join(lines))
    leaves: list[tuple[int, int, str, bool]] = []
    quotes = 0
    for i, tok in enumerate(tokens):
        if tok.type == "blockquote_open":
            quotes += 1
        elif tok.type == "blockquote_close":
            quotes -= 1
        elif tok.type == "inline":
            start, end = tokens[i - 1].map
            leaves.append((start, end, _drop_quote_header(_inline_text(tok), quotes > 0),
                           quotes > 0))
        elif tok.type in ("fence", "code_block"):
            start, end = tok.map
            body = tok.content[:-1] if tok.content.endswith("\n") else tok.content
            leaves.append((start, end, body, quotes > 0))
        elif tok.type == "html_block":
            start, end = tok.map
            leaves.append((start, end, tok.content.rstrip("\n"), quotes > 0))
    out, line, quoted = [], 0, False
    for start, end, text, in_quote in leaves:
        if out:
            gap = start - line
            out.append("\n" * (gap - 1 if quoted and not in_quote and gap > 1 else gap))
        out.append(text)
        line, quoted = end - 1, in_quote
    if leaves:
        out.append("\n" * (len(lines) - 1 - line))
    return "".join(out).replace(ZERO_WIDTH_SPACE, "")


# --- notes -> blocks --------------------------------------------------------------------

def _unquote(line: str) -> str:
    return line[2:] if line.startswith("> ") else line[1:]


def read_blocks(text: str, note: str = "") -> list[BlockView]:
    """The message blocks of one note's text, in note order."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        msg_id, rev, digest = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        first, count = int(m.group(4)), int(m.group(5))
        ref = f"^m{msg_id}" if rev == 0 else f"^m{msg_id}-r{rev}"
        j = i + 1
        while j < len(lines) and lines[j].startswith(">"):
            j += 1
        callout = [_unquote(ln) for ln in lines[i + 1:j]]
        if lines[j:j + 2] == ["", ref]:
            j += 2
        body = lines[i + 1:j]
        intact = hashlib.sha256("\n".join(body).encode("utf-8", "surrogatepass")).hexdigest()[:12] == digest
        kind = CALLOUT_TYPE.match(callout[0]) if callout else None
        message = markdown_text(callout[first:first + count]) if count else ""
        out.append(BlockView(note, msg_id, rev, message,
                             bool(kind) and kind.group(1) == "tg-deleted", intact))
        i = j
    return out


def scan(vault_dir: Path) -> list[BlockView]:
    """Every message block of every note under `vault_dir`."""
    vault_dir = Path(vault_dir)
    out = []
    for path in sorted(vault_dir.rglob("*.md")):
        out.extend(read_blocks(path.read_text(encoding="utf-8"),
                               path.relative_to(vault_dir).as_posix()))
    return out


def by_message(blocks: list[BlockView]) -> dict[int, list[BlockView]]:
    """Blocks grouped by message id (revisions included)."""
    grouped: dict[int, list[BlockView]] = defaultdict(list)
    for b in blocks:
        grouped[b.msg_id].append(b)
    return dict(grouped)


def leftovers(vault_dir: Path) -> list[str]:
    """Temporary files a writer left behind (there must be none)."""
    return [p.name for p in Path(vault_dir).rglob("*") if p.is_file() and
            p.name.startswith(".tobs-tmp-")]
