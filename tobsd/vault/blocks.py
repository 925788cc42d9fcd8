"""A note as the writer sees it: frontmatter, the user's text, and message blocks.

The inverse of rendering. A note is split into parts, in order:

* ``frontmatter``: the ``---`` fenced lines at the very top, if any;
* :class:`Block`: a TOBS marker line (``%% tobs:m123 h=… t=… v=… %%`` at the
  start of a line) and the lines below it up to and including its block-id
  line (``^m123``). When the user broke a block (removed its id line), the
  block ends at its last callout (``>``) line, and since its hash no longer
  matches it counts as user-edited;
* :class:`UserText`: every other line, kept verbatim.

``Note.serialize()`` gives back the exact text that was parsed (lines joined
with ``\\n``), so parse -> serialize is the identity; the writer only ever
replaces, inserts or removes whole parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tobsd.core.models import Entity
from tobsd.vault.mdparse import parse_text
from tobsd.vault.render import RENDER_VERSION, digest_lines

MARKER_RE = re.compile(r"^%% tobs:m(\d+)(?:-r(\d+))? h=([0-9a-f]{12}) t=(\d+)\+(\d+)(?: v=(\d+))? %%$")


@dataclass(slots=True)
class Block:
    """One message block as found in a note."""

    msg_id: int
    rev: int
    recorded: str
    text_first: int
    text_count: int
    marker: str
    lines: list[str]
    version: int = RENDER_VERSION   # the escaping rules it was rendered with (marker's v=, else 1)

    @property
    def intact(self) -> bool:
        """True when the block is exactly what TOBS wrote (the user did not touch it)."""
        return digest_lines(self.lines) == self.recorded

    @property
    def deleted_mark(self) -> bool:
        return bool(self.lines) and self.lines[0].startswith("> [!tg-deleted]")

    def all_lines(self) -> list[str]:
        return [self.marker, *self.lines]

    def text(self) -> tuple[str, list[Entity]]:
        """The message text and entities recovered from the block (see :mod:`mdparse`)."""
        if not self.text_count:
            return "", []
        body = self.lines[self.text_first:self.text_first + self.text_count]
        return parse_text([ln[2:] if ln.startswith("> ") else "" for ln in body])


@dataclass(slots=True)
class UserText:
    """Lines that belong to the user (or to the note skeleton); never rewritten."""

    lines: list[str]


Part = Block | UserText


@dataclass(slots=True)
class Note:
    """A parsed note (see module doc)."""

    frontmatter: list[str] | None
    parts: list[Part] = field(default_factory=list)
    trailing_newline: bool = True
    _by_id: dict[int, list[Block]] | None = None
    _max_id: int | None = None     # greatest key of _by_id, kept along with it

    def blocks(self) -> list[Block]:
        return [p for p in self.parts if isinstance(p, Block)]

    def _index(self) -> dict[int, list[Block]]:
        if self._by_id is None:
            by_id: dict[int, list[Block]] = {}
            for b in self.blocks():
                by_id.setdefault(b.msg_id, []).append(b)
            self._by_id = by_id
            self._max_id = max(by_id) if by_id else None
        return self._by_id

    def blocks_of(self, msg_id: int) -> list[Block]:
        """The blocks of one message (original and revisions), in note order."""
        return list(self._index().get(msg_id, ()))

    def max_msg_id(self) -> int | None:
        """The greatest message id with a block in this note (O(1) once indexed)."""
        self._index()
        return self._max_id

    def note_inserted(self, block: Block) -> None:
        """Keep the id index current after ``block`` was inserted into ``parts``."""
        if self._by_id is not None:
            revs = self._by_id.setdefault(block.msg_id, [])
            revs.append(block)
            if len(revs) > 1:
                revs.sort(key=lambda b: b.rev)
            if self._max_id is None or block.msg_id > self._max_id:
                self._max_id = block.msg_id

    def note_replaced(self, old: Block, new: Block) -> None:
        """Keep the id index current after ``old`` was replaced by ``new`` (same message and revision)."""
        if self._by_id is not None:
            revs = self._by_id[old.msg_id]
            revs[next(k for k, b in enumerate(revs) if b is old)] = new

    def reindex(self) -> None:
        """Forget the id index after ``parts`` changed."""
        self._by_id = None
        self._max_id = None

    def serialize(self) -> str:
        lines: list[str] = list(self.frontmatter or [])
        for part in self.parts:
            if isinstance(part, Block):
                lines.append(part.marker)
            lines.extend(part.lines)
        text = "\n".join(lines)
        return text + "\n" if self.trailing_newline and lines else text


def _block_end(lines: list[str], start: int, ref: str) -> int:
    """Index one past the last line of the block whose marker is at ``start``."""
    id_line = f"^{ref}"
    i = start + 1
    last_callout = start
    while i < len(lines):
        line = lines[i]
        if line == id_line:
            return i + 1
        if MARKER_RE.match(line):
            break
        if line.startswith(">"):
            last_callout = i
        elif line.strip() and last_callout < i - 1:
            break  # user text after a gap: the id line is gone
        i += 1
    return last_callout + 1


def parse_note(text: str) -> Note:
    """Split note text into frontmatter, blocks and user text."""
    trailing = text.endswith("\n")
    lines = text.split("\n")
    if trailing:
        lines.pop()
    frontmatter = None
    i = 0
    if lines and lines[0] == "---":
        for j in range(1, len(lines)):
            if lines[j] == "---":
                frontmatter, i = lines[:j + 1], j + 1
                break
    note = Note(frontmatter, [], trailing)
    pending: list[str] = []
    while i < len(lines):
        m = MARKER_RE.match(lines[i])
        if not m:
            pending.append(lines[i])
            i += 1
            continue
        if pending:
            note.parts.append(UserText(pending))
            pending = []
        msg_id, rev = int(m.group(1)), int(m.group(2) or 0)
        ref = f"m{msg_id}" if rev == 0 else f"m{msg_id}-r{rev}"
        end = _block_end(lines, i, ref)
        note.parts.append(Block(msg_id, rev, m.group(3), int(m.group(4)), int(m.group(5)),
                                lines[i], lines[i + 1:end], int(m.group(6) or 1)))
        i = end
    if pending:
        note.parts.append(UserText(pending))
    return note
