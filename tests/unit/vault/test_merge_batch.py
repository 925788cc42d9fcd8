"""`apply_messages` (a batch in one pass) leaves a note exactly as
`apply_message` one message at a time, in id order, would: same text, same
block order and separators, around user text, edits, revisions and
deletions. (It may report no change where one at a time would report
one that a later message of the batch undid.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from tobsd.core.models import Message, Person
from tobsd.vault.blocks import Note, UserText, parse_note
from tobsd.vault.merge import apply_message, apply_messages
from tobsd.vault.render import RenderContext

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CTX = RenderContext()


def _msg(mid: int, kind: str) -> Message:
    msg = Message(-1, mid, T0 + timedelta(minutes=mid), Person(1, "Ada"), f"text {mid}")
    if kind == "edit":
        msg.text, msg.edit_date = f"edited {mid}", msg.date + timedelta(hours=1)
    elif kind == "delete":
        msg.deleted = True
    return msg


def _note(existing: list[int], user_after: set[int], touched: set[int]) -> Note:
    note = Note(None, [UserText(["# header", ""])])
    for mid in existing:
        apply_message(note, _msg(mid, "new"), CTX)
        if mid in user_after:   # the user wrote a line under this block
            note.parts.append(UserText(["", f"my note after {mid}"]))
    for block in note.blocks():
        if block.msg_id in touched:
            block.lines[0] += " (mine)"
    return parse_note(note.serialize())


BATCH = st.lists(st.tuples(st.integers(1, 40), st.sampled_from(["new", "edit", "delete"])),
                 max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(1, 40), unique=True, max_size=20), st.sets(st.integers(1, 40)),
       st.sets(st.integers(1, 40)), BATCH, st.booleans())
def test_a_batch_equals_one_message_at_a_time(existing, user_after, touched, batch, remove):
    one_by_one = _note(existing, user_after, touched)
    together = _note(existing, user_after, touched)
    before = together.serialize()
    msgs = [_msg(mid, kind) for mid, kind in batch]
    for msg in sorted(msgs, key=lambda m: m.id):   # stable: repeats keep their order
        apply_message(one_by_one, msg, CTX, remove_deleted=remove)
    changed = apply_messages(together, msgs, CTX, remove_deleted=remove)
    assert together.serialize() == one_by_one.serialize()
    # A message added and removed again in one batch changes nothing.
    assert changed or together.serialize() == before
    assert [(b.msg_id, b.rev) for b in parse_note(together.serialize()).blocks()] == \
        [(b.msg_id, b.rev) for b in together.blocks()]


def test_older_messages_go_before_the_blocks_they_precede():
    note = Note(None, [UserText(["# header", ""])])
    apply_messages(note, [_msg(i, "new") for i in (50, 60)], CTX)
    apply_messages(note, [_msg(i, "new") for i in (10, 55, 20, 70)], CTX)
    assert [b.msg_id for b in note.blocks()] == [10, 20, 50, 55, 60, 70]
