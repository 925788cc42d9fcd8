"""A reply written before its target, linked later, is exactly the block the
renderer writes when it knows the target from the start, whatever the
names around it say; a block the user changed is never touched."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings, strategies as st

from tobsd.core.models import ForwardInfo, Message, Person, ReplyRef
from tobsd.vault.blocks import Block, Note, UserText
from tobsd.vault.merge import link_reply
from tobsd.vault.render import RenderContext, render_block

NAMES = st.one_of(st.sampled_from(["· ↩ reply to m7", " · ↩ reply to m7 · edited", "edited",
                                   "Ada", "[[x]]", "🗑 deleted", "revision 2"]),
                  st.text(max_size=12))
TARGET = "Telegram/Chat/2026/2026-01-02"


def as_block(rendered) -> Block:
    return Block(rendered.msg_id, rendered.rev, rendered.digest, rendered.text_first,
                 rendered.text_count, rendered.marker, rendered.lines)


@settings(max_examples=200, deadline=None)
@given(sender=NAMES, forwarded=st.one_of(st.none(), NAMES), author=st.one_of(st.none(), NAMES),
       edited=st.booleans(), deleted=st.booleans(), rev=st.integers(0, 2))
def test_linking_later_equals_knowing_at_once(sender, forwarded, author, edited, deleted, rev):
    date = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    msg = Message(chat_id=-100, id=40, date=date, sender=Person(1, sender), text="hi",
                  reply=ReplyRef(7), edit_date=date if edited else None, deleted=deleted,
                  post_author=author,
                  forward=ForwardInfo(forwarded) if forwarded is not None else None)
    plain = render_block(msg, RenderContext(), rev)
    known = render_block(msg, RenderContext(message_note=lambda c, m: TARGET if m == 7 else None),
                         rev)
    note = Note(None, [UserText(["intro", ""]), as_block(plain)])
    assert link_reply(note, 40, 7, TARGET)
    block = note.blocks_of(40)[0]
    assert (block.lines, block.marker) == (known.lines, known.marker)
    assert block.intact
    assert not link_reply(note, 40, 7, TARGET)          # twice: nothing more
    assert not link_reply(note, 40, 8, TARGET)          # another target: not this block


def test_a_block_the_user_changed_is_left_alone():
    date = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    msg = Message(chat_id=-100, id=40, date=date, sender=Person(1, "Ada"), text="hi",
                  reply=ReplyRef(7))
    block = as_block(render_block(msg, RenderContext()))
    block.lines = [*block.lines[:1], "> hi, and my own words", *block.lines[2:]]
    note = Note(None, [block])
    assert not link_reply(note, 40, 7, TARGET)
    assert note.blocks_of(40)[0].lines[1] == "> hi, and my own words"


def test_a_target_the_renderer_would_not_link_stays_plain():
    date = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    msg = Message(chat_id=-100, id=40, date=date, sender=Person(1, "Ada"), text="hi",
                  reply=ReplyRef(7))
    note = Note(None, [as_block(render_block(msg, RenderContext()))])
    assert not link_reply(note, 40, 7, "Telegram/Crew %%x%%/2026/2026-01-02")
    assert "↩ reply to m7" in note.blocks_of(40)[0].lines[0]
