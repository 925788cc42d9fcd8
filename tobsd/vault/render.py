"""Message -> block text (pure: no I/O, no clock).

One message is one block::

    %% tobs:m123 h=0f1e2d3c4b5a t=1+2 v=2 %%
    > [!tg-msg]+ 14:03 · [[Telegram/People/Ada|Ada]] · ↩ [[Telegram/Chat/2026/2026-11-20#^m120|reply]] · edited
    > ![[Telegram/Chat/attachments/123_photo.jpg]]
    > the text, escaped, every line inside the callout

    ^m123

* The first line is TOBS's marker, an Obsidian comment (hidden in reading
  view). It carries the message id (``m123``, or ``m123-r2`` for a revision),
  ``h``: the first 12 hex digits of SHA-256 over the block's lines below the
  marker (how the writer tells that the user changed a block), ``t``:
  where the message text sits among the callout lines (first line + count),
  so the text can be read back, and ``v``: the version of the escaping rules
  (:data:`RENDER_VERSION`; absent: 1). Message text can never forge a marker: every
  line of it starts with ``> `` and ``%%`` is escaped.
* The callout type is ``tg-msg``, ``tg-service`` for service messages and
  ``tg-deleted`` once Telegram deleted the message (the header says
  ``deleted`` too). ``+`` keeps it expanded.
* The header: local time (``HH:MM`` in daily notes, ``YYYY-MM-DD HH:MM`` in
  monthly ones), the sender (a link to the person's note when there is one),
  channel signature, ``via @bot``, "forwarded from", a reply link to the
  replied block in whichever note holds it, ``edited``, ``deleted``.
* Then media above the text, the text, then a web preview and reactions.
* The block id ``^m123`` sits on its own line after a blank line, so
  ``[[note#^m123]]`` references the whole callout.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import tzinfo, timezone
from typing import Callable

from tobsd.core.models import Message, Person
from tobsd.vault.dates import clock
from tobsd.vault.entities import TextContext, render_text
from tobsd.vault.escape import escape_name, link_label, link_target_ok
from tobsd.vault.options import Period
from tobsd.vault.render_extras import after_lines, media_lines, service_lines


# The escaping rules blocks are rendered with. 1: until notes carried ``v=``;
# 2: pairs broken, plain fence languages only, "!" before links escaped, inline
# code led by U+200B (see tobsd.vault.escape). Blocks of an older version are
# brought up to date at start (tobsd.vault.migrate).
RENDER_VERSION = 2


@dataclass(slots=True)
class RenderContext:
    """What rendering needs to know about the rest of the vault.

    ``message_note(chat_id, msg_id)`` gives the link target (vault path without
    ``.md``) of the note holding a message, or None when unknown; replies and
    pins link there. ``person_link(user_id)``/``username_link(username)`` give
    people-note targets or None.
    """

    tz: tzinfo = timezone.utc
    period: Period = "day"
    hashtags_as_tags: bool = True
    message_note: Callable[[int, int], str | None] = lambda _c, _m: None
    person_link: Callable[[int], str | None] = lambda _uid: None
    username_link: Callable[[str], str | None] = lambda _u: None
    chat_title: str = ""

    def text_context(self) -> TextContext:
        return TextContext(self.person_link, self.username_link, self.hashtags_as_tags)


@dataclass(slots=True)
class RenderedBlock:
    """A rendered block: ``lines`` are the lines below the marker; ``marker`` the marker line."""

    msg_id: int
    rev: int
    lines: list[str]
    text_first: int
    text_count: int
    digest: str = field(default="")

    @property
    def marker(self) -> str:
        return marker_line(self.msg_id, self.rev, self.digest, self.text_first, self.text_count)

    def all_lines(self) -> list[str]:
        return [self.marker, *self.lines]


def block_ref(msg_id: int, rev: int = 0) -> str:
    """The block id (without ``^``): ``m123`` or ``m123-r2``."""
    return f"m{msg_id}" if rev == 0 else f"m{msg_id}-r{rev}"


def marker_line(msg_id: int, rev: int, digest: str, first: int, count: int,
                version: int = RENDER_VERSION) -> str:
    """The marker line; ``version`` 1 (the first escaping) is written without ``v=``."""
    tail = f" v={version}" if version != 1 else ""
    return f"%% tobs:{block_ref(msg_id, rev)} h={digest} t={first}+{count}{tail} %%"


def digest_lines(lines: list[str]) -> str:
    """The recorded hash of a block's lines (below the marker)."""
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()[:12]


@functools.lru_cache(maxsize=4096)  # a chat has few senders and every message names one
def _name_forms(raw: str) -> tuple[str, str]:
    """(wikilink label, escaped text) of a non-empty display name, whitespace collapsed."""
    return link_label(" ".join(raw.split())), escape_name(raw)


def person_ref(person: Person, ctx: RenderContext) -> str:
    """A sender as a link to their people note, or their escaped name."""
    raw = person.name or ""
    if raw and not raw.isspace():
        label, escaped = _name_forms(raw)
    else:
        name = f"user {person.id}"
        label, escaped = link_label(name), escape_name(name)
    target = ctx.person_link(person.id)
    if target and link_target_ok(target):
        return f"[[{target}|{label}]]"
    return escaped


def _reply_part(msg: Message, ctx: RenderContext) -> str | None:
    r = msg.reply
    if r is None or r.msg_id is None:
        return None
    chat_id = r.chat_id if r.chat_id is not None else msg.chat_id
    target = ctx.message_note(chat_id, r.msg_id)
    if target and link_target_ok(target):
        return f"↩ [[{target}#^{block_ref(r.msg_id)}|reply]]"
    return f"↩ reply to m{r.msg_id}"


def _header(msg: Message, ctx: RenderContext, rev: int) -> str:
    parts = [clock(msg.date.astimezone(ctx.tz), ctx.period)]
    if msg.sender is not None:
        parts.append(person_ref(msg.sender, ctx))
    elif ctx.chat_title:
        parts.append(escape_name(ctx.chat_title))
    if msg.post_author:
        parts.append("✍ " + escape_name(msg.post_author))
    if msg.via_bot is not None:
        parts.append("via " + person_ref(msg.via_bot, ctx))
    if msg.forward is not None:
        parts.append("↪ forwarded from " + (escape_name(msg.forward.from_name) or "?"))
    reply = _reply_part(msg, ctx)
    if reply:
        parts.append(reply)
    if msg.edit_date is not None:
        parts.append("edited")
    if msg.deleted:
        parts.append("🗑 deleted")
    if rev:
        parts.append(f"revision {rev} (Telegram's version; the edited copy is above)")
    kind = "tg-deleted" if msg.deleted else ("tg-service" if msg.is_service else "tg-msg")
    return f"[!{kind}]+ " + " · ".join(parts)


def render_block(msg: Message, ctx: RenderContext, rev: int = 0) -> RenderedBlock:
    """The block for ``msg`` (see module doc); ``rev`` > 0 renders a marked revision."""
    body: list[str] = []
    text_first = text_count = 0
    if msg.is_service:
        pinned = lambda mid: (f"[[{t}#^{block_ref(mid)}|a message]]"  # noqa: E731
                              if (t := ctx.message_note(msg.chat_id, mid)) and link_target_ok(t)
                              else f"message m{mid}")
        body += service_lines(msg, lambda p: person_ref(p, ctx), pinned)
    else:
        if msg.reply is not None and msg.reply.quote:
            body.append("↩ “" + escape_name(msg.reply.quote) + "”")
        if msg.media is not None:
            body += media_lines(msg.media, msg.id)
        text_lines = render_text(msg.text, msg.entities, ctx.text_context())
        if text_lines:
            text_first, text_count = len(body) + 1, len(text_lines)
            body += text_lines
        if msg.media is not None or msg.reactions:  # else there is nothing below the text
            body += after_lines(msg)
        if not body:
            body.append("*(empty message)*")
    if msg.deleted:
        body.append("*🗑 deleted in Telegram*")
    lines = ["> " + _header(msg, ctx, rev)]
    lines += [f"> {line}" if line else ">" for line in body]
    lines += ["", f"^{block_ref(msg.id, rev)}"]
    block = RenderedBlock(msg.id, rev, lines, text_first, text_count)
    block.digest = digest_lines(lines)
    return block
