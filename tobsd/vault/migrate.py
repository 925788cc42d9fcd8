"""Notes written with older escaping rules, brought up to the current ones.

A block's marker says which rules rendered it (``v=``, see
:data:`~tobsd.vault.render.RENDER_VERSION`; no ``v=``: version 1). The
writer runs :func:`migrate_note` over every note it made once, at start
(:meth:`~tobsd.vault.writer.VaultWriter.migrate`), and records in its state
that the vault is up to date; a start that was cut short does it again, and
blocks already current are left as they are.

What changes, and what never does:

* A block the user has not touched (its hash still matches) is rendered
  again: its message text is read back (:mod:`tobsd.vault.mdparse`) and
  rendered with the current rules; its other lines (header, media, preview,
  service text), which hold names and titles, get the line fixes of
  :func:`harden_line`. Its hash and marker are renewed, so it still counts
  as untouched.
* A block the user edited is the user's: it stays byte for byte, marker
  included.
* Properties TOBS manages that hold titles and names (``title`` and
  ``aliases`` of chat and people notes) become plain strings
  (:func:`~tobsd.vault.escape.plain_property`); the user's other
  properties stay as they are.
* The lines TOBS put above the blocks (a people note's ``# name`` heading,
  a period note's first line, the chat note's index region) get
  :func:`harden_line`; every other line of user text is left alone.
"""

from __future__ import annotations

import re

from tobsd.core.models import Entity, EntityKind
from tobsd.vault.blocks import Block, Note, UserText
from tobsd.vault.entities import render_text
from tobsd.vault.escape import ZWSP, link_target_ok, plain_property, yaml_quote, yaml_unquote
from tobsd.vault.frontmatter import format_value, read_string_list, split_entries
from tobsd.vault.notes import INDEX_BEGIN, INDEX_END
from tobsd.vault.render import RENDER_VERSION, digest_lines, marker_line
from tobsd.vault.spans import TextContext

# Version 1 wrote "<" as "&lt;" and "%" as "%" or "&#37;": decoded, "<%".
_OLD_TEMPLATER = re.compile("&lt;(?=%|&#37;)")
_DOUBLE_COLON = re.compile(":(?=:)")
# A Markdown link's destination (percent-encoded by safe_url: no spaces or parentheses).
_DESTINATION = re.compile(r"(\]\([^()\s]*\))")


def harden_line(line: str) -> str:
    """A line rendered by version 1 (not message text) without ``<%`` or ``::``.

    Inserts U+200B after ``&lt;`` when a ``%`` follows and between two
    colons, outside link destinations. Idempotent; the line reads the same.
    """
    if "&lt;" not in line and "::" not in line:
        return line
    parts = _DESTINATION.split(line)
    for k in range(0, len(parts), 2):  # even parts: outside destinations
        part = _OLD_TEMPLATER.sub("&lt;" + ZWSP, parts[k])
        parts[k] = _DOUBLE_COLON.sub(":" + ZWSP, part)
    return "".join(parts)


def _text_lines(block: Block) -> list[str]:
    """The block's message text rendered again with the current rules (callout prefix included)."""
    text, entities = block.text()
    targets: dict[int, str] = {}
    fixed: list[Entity] = []
    for ent in entities:
        if ent.kind == EntityKind.MENTION_NAME:  # read back with its link target in url
            key = len(targets) + 1
            targets[key] = ent.url or ""
            ent = Entity(EntityKind.MENTION_NAME, ent.offset, ent.length, user_id=key)
        fixed.append(ent)
    ctx = TextContext(person_link=lambda uid: (t if (t := targets.get(uid)) and link_target_ok(t)
                                               else None),
                      hashtags_as_tags=True)  # a tag version 1 wrote was an enabled hashtag
    return [f"> {line}" if line else ">" for line in render_text(text, fixed, ctx)]


def migrate_block(block: Block) -> Block | None:
    """The block rendered with the current rules, or None when it stays as it is
    (already current, or edited by the user)."""
    if block.version >= RENDER_VERSION or not block.intact:
        return None
    lines = block.lines
    first, count = block.text_first, block.text_count
    if count:
        text = _text_lines(block)
        new = [harden_line(ln) for ln in lines[:first]] + text + \
              [harden_line(ln) for ln in lines[first + count:]]
        count = len(text)
    else:
        new = [harden_line(ln) for ln in lines]
    digest = digest_lines(new)
    return Block(block.msg_id, block.rev, digest, first, count,
                 marker_line(block.msg_id, block.rev, digest, first, count), new, RENDER_VERSION)


def _plain_entry(key: str, lines: list[str]) -> list[str]:
    """A ``title`` or ``aliases`` entry of TOBS's rewritten as plain strings."""
    if key == "aliases":
        items = []
        for item in read_string_list(["---", *lines, "---"], key):
            item = plain_property(item)
            if item not in items:
                items.append(item)
        return [f"{key}: {format_value(key, items)}"]
    value = lines[0].split(":", 1)[1].strip()
    if len(lines) != 1 or not value.startswith('"'):
        return lines  # not what TOBS wrote: leave it
    try:
        return [f"{key}: {yaml_quote(plain_property(yaml_unquote(value)))}"]
    except ValueError:
        return lines


def _migrate_frontmatter(frontmatter: list[str]) -> list[str]:
    body = frontmatter[1:-1]
    entries = split_entries(body)
    keys = {k for k, _ in entries}
    managed = {"title", "aliases"} if "tg_kind" in keys else {"aliases"} if "tg_user_id" in keys else set()
    if not managed:
        return frontmatter
    out = ["---"]
    for key, lines in entries:
        out += _plain_entry(key, lines) if key in managed else lines
    return out + ["---"]


def _migrate_user_text(note: Note) -> bool:
    """Harden the lines TOBS wrote among the user's text (see module doc)."""
    keys = {k for k, _ in split_entries((note.frontmatter or ["", ""])[1:-1])}
    changed = False
    first = True
    in_index = False
    for part in note.parts:
        if not isinstance(part, UserText):
            first = False
            continue
        for i, line in enumerate(part.lines):
            ours = in_index or line in (INDEX_BEGIN, INDEX_END)
            if first and line:
                ours = ours or ("tg_user_id" in keys and line.startswith("# ")) \
                    or ("tg_period" in keys and line.startswith("[["))
                first = False
            if line == INDEX_BEGIN:
                in_index = True
            elif line == INDEX_END:
                in_index = False
            if ours:
                fixed = harden_line(line)
                if fixed != line:
                    part.lines[i] = fixed
                    changed = True
    return changed


def migrate_note(note: Note) -> bool:
    """Bring ``note`` (parsed) up to the current rules in place; True when it changed."""
    changed = False
    if note.frontmatter:
        fm = _migrate_frontmatter(note.frontmatter)
        if fm != note.frontmatter:
            note.frontmatter = fm
            changed = True
    changed |= _migrate_user_text(note)
    for k, part in enumerate(note.parts):
        if isinstance(part, Block):
            fresh = migrate_block(part)
            if fresh is not None:
                note.parts[k] = fresh
                changed = True
    if changed:
        note.reindex()
    return changed
