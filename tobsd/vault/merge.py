"""Pure edits of a parsed note: put one message's block where it belongs.

Rules (the writer applies them, then writes the note once):

* New message: its block goes right before the first block with a greater
  message id; with none, at the end of the note (so text the user wrote
  under the last message stays where it was, in time order).
* Known message, block untouched by the user: re-rendered in place; if the
  new rendering hashes to the recorded value nothing changes (idempotent).
* Known message whose latest block the user changed: if Telegram's version
  is unchanged (same hash as recorded), nothing happens; otherwise a new
  revision block (``^m123-r1``, ``-r2``...) is inserted right after it. The
  user's block is never modified.
* Deleted message: re-rendered with the deleted mark; with ``remove`` the
  untouched blocks of that message are dropped instead (blocks the user
  edited always stay).

Blocks are separated by one blank line.
"""

from __future__ import annotations

from tobsd.core.models import Message
from tobsd.vault.blocks import Block, Note, UserText
from tobsd.vault.render import (RenderContext, RenderedBlock, digest_lines, marker_line,
                                render_block)


def _as_block(r: RenderedBlock) -> Block:
    return Block(r.msg_id, r.rev, r.digest, r.text_first, r.text_count, r.marker, r.lines)


def _ends_blank(part) -> bool:
    return isinstance(part, UserText) and (not part.lines or part.lines[-1] == "")


def _insert(note: Note, index: int, block: Block) -> None:
    """Insert ``block`` at part ``index`` with blank-line separators around it."""
    parts = note.parts
    if index == len(parts):  # the usual case (a newer message): append, no list surgery
        if index > 0 and not _ends_blank(parts[-1]):
            parts.append(UserText([""]))
        parts.append(block)
        note.note_inserted(block)
        return
    new: list = []
    if index > 0 and not _ends_blank(parts[index - 1]):
        new.append(UserText([""]))
    new.append(block)
    if index < len(parts) and not (isinstance(parts[index], UserText)
                                   and parts[index].lines and parts[index].lines[0] == ""):
        new.append(UserText([""]))
    parts[index:index] = new
    note.note_inserted(block)


def _remove(note: Note, block: Block) -> None:
    note.reindex()
    i = next(k for k, p in enumerate(note.parts) if p is block)
    del note.parts[i]
    # Drop the blank separator the block brought along.
    if i < len(note.parts) and isinstance(note.parts[i], UserText) and note.parts[i].lines == [""]:
        del note.parts[i]
    elif i > 0 and isinstance(note.parts[i - 1], UserText) and note.parts[i - 1].lines == [""] \
            and i == len(note.parts):
        del note.parts[i - 1]


def apply_message(note: Note, msg: Message, ctx: RenderContext, *, remove_deleted: bool = False) -> bool:
    """Apply ``msg`` to ``note`` in place (see module doc); True when the note changed."""
    mine = note.blocks_of(msg.id)
    if not mine:
        if msg.deleted and remove_deleted:
            return False
        rendered = _as_block(render_block(msg, ctx))
        top = note.max_msg_id()
        if top is None or top < msg.id:
            later = len(note.parts)  # the usual case: a newer message goes to the end
        else:
            later = next(k for k, p in enumerate(note.parts) if isinstance(p, Block) and p.msg_id > msg.id)
        _insert(note, later, rendered)
        return True
    if msg.deleted and remove_deleted:
        untouched = [b for b in mine if b.intact]
        for b in untouched:
            _remove(note, b)
        return bool(untouched)
    current = max(mine, key=lambda b: b.rev)
    fresh = render_block(msg, ctx, rev=current.rev)
    if fresh.digest == current.recorded:
        return False  # Telegram's version is what we wrote last time
    if current.intact:
        i = next(k for k, p in enumerate(note.parts) if p is current)
        note.parts[i] = replacement = _as_block(fresh)
        note.note_replaced(current, replacement)  # not a rebuild: one edit in a big note stays cheap
        return True
    revision = _as_block(render_block(msg, ctx, rev=current.rev + 1))
    i = next(k for k, p in enumerate(note.parts) if p is current)
    _insert(note, i + 1, revision)
    return True


def apply_messages(note: Note, msgs: list[Message], ctx: RenderContext, *,
                   remove_deleted: bool = False) -> bool:
    """Apply several messages of one note exactly as :func:`apply_message`
    would one by one in id order, but with each run of new messages put in
    place in one pass over the note (a backfill brings older messages in
    runs that each go before the note's blocks, and looking up each place
    alone would walk the note once per message). True when the note changed."""
    changed = False
    run: dict[int, Block] = {}   # new messages not yet placed, by id
    for msg in sorted(msgs, key=lambda m: m.id):
        if note.blocks_of(msg.id):
            changed |= _place(note, run)
            changed |= apply_message(note, msg, ctx, remove_deleted=remove_deleted)
        elif msg.deleted and remove_deleted:
            run.pop(msg.id, None)   # new, and gone again within the batch
        else:
            run[msg.id] = _as_block(render_block(msg, ctx))   # a repeat: the last copy wins
    return _place(note, run) or changed


def _place(note: Note, run: dict[int, Block]) -> bool:
    """Put a run of new blocks (ascending ids, none in the note) where they
    belong, and empty the run. True when there was any."""
    if not run:
        return False
    blocks = list(run.values())
    run.clear()
    top = note.max_msg_id()
    if top is not None and blocks[0].msg_id < top:
        _merge_in(note, [b for b in blocks if b.msg_id < top])
        blocks = [b for b in blocks if b.msg_id > top]
    for block in blocks:   # newer than every block: to the end, in order
        _insert(note, len(note.parts), block)
    return True


def _merge_in(note: Note, blocks: list[Block]) -> None:
    """Put ``blocks`` (ascending ids, none in the note, each below the note's
    greatest id) before the first block with a greater id, with the blank
    separators :func:`_insert` gives them."""
    out: list = []
    i = 0
    for part in note.parts:
        if isinstance(part, Block):
            while i < len(blocks) and blocks[i].msg_id < part.msg_id:
                if out and not _ends_blank(out[-1]):
                    out.append(UserText([""]))
                out.append(blocks[i])
                out.append(UserText([""]))   # the next part is a block
                i += 1
        out.append(part)
    note.parts = out
    note.reindex()


def mark_blocks_deleted(note: Note, ids: set[int], remove: bool) -> bool:
    """Mark (or, with ``remove``, drop) the untouched blocks of ``ids`` as deleted.

    Used when only message ids are known. The header gets ``🗑 deleted``,
    the callout type becomes ``tg-deleted`` and a line says so; the recorded
    hash is updated so the block still counts as untouched. Blocks the user
    changed are left exactly as they are.
    """
    changed = False
    for block in [b for b in note.blocks() if b.msg_id in ids and b.intact and not b.deleted_mark]:
        changed = True
        if remove:
            _remove(note, block)
            continue
        header = block.lines[0]
        kind_end = header.index("]")
        header = "> [!tg-deleted" + header[kind_end:] + " · 🗑 deleted"
        body = block.lines[1:]
        cut = len(body)
        while cut and not body[cut - 1].startswith(">"):
            cut -= 1
        lines = [header, *body[:cut], "> *🗑 deleted in Telegram*", *body[cut:]]
        digest = digest_lines(lines)
        fresh = Block(block.msg_id, block.rev, digest, block.text_first, block.text_count,
                      marker_line(block.msg_id, block.rev, digest, block.text_first, block.text_count,
                                  block.version),
                      lines, block.version)
        i = next(k for k, p in enumerate(note.parts) if p is block)
        note.parts[i] = fresh
        note.reindex()
    return changed
