"""The content hash tells apart every change the vault would show, and
nothing else; `select_fresh` keeps only news."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tobsd.core.models import Entity, EntityKind, Person, ReplyRef
from tobsd.sync.fresh import Known, content_hash, epoch, select_fresh
from tests.unit.sync.fakesource import msg

BASE = dataclasses.replace(msg(-100, 7, "hello world"), sender=Person(5, "Ada", "ada"),
                           entities=(Entity(EntityKind.BOLD, 0, 5),))

CHANGES = {
    "text": {"text": "hello there"},
    "entity kind": {"entities": (Entity(EntityKind.ITALIC, 0, 5),)},
    "entity length": {"entities": (Entity(EntityKind.BOLD, 0, 4),)},
    "no entities": {"entities": ()},
    "sender name": {"sender": Person(5, "Ada L.", "ada")},
    "reply": {"reply": ReplyRef(3)},
    "edit date": {"edit_date": BASE.date + timedelta(minutes=5)},
    "date": {"date": BASE.date + timedelta(seconds=1)},
    "deleted": {"deleted": True},
    "post author": {"post_author": "Ed"},
    "topic": {"topic_id": 1},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_shown_change_changes_the_hash(change):
    assert content_hash(dataclasses.replace(BASE, **CHANGES[change])) != content_hash(BASE)


def test_equal_messages_hash_alike_whatever_objects_they_share():
    ada = BASE.sender
    shared = dataclasses.replace(BASE, sender=ada, via_bot=ada)
    copies = dataclasses.replace(BASE, sender=Person(5, "Ada", "ada"), via_bot=Person(5, "Ada", "ada"))
    assert content_hash(shared) == content_hash(copies)
    assert content_hash(dataclasses.replace(BASE)) == content_hash(BASE)


def test_views_do_not_count():
    assert content_hash(dataclasses.replace(BASE, views=99)) == content_hash(BASE)


def test_select_fresh_keeps_news_only():
    edited = dataclasses.replace(BASE, text="edited", edit_date=BASE.date + timedelta(hours=1))
    known = {7: Known(content_hash(edited), epoch(edited.edit_date), False),
             8: Known(b"whatever", None, True)}
    out: dict = {}
    page = [BASE,                                   # older than the edit already applied
            dataclasses.replace(BASE, id=8),        # deleted stays deleted
            dataclasses.replace(BASE, id=9),        # news
            dataclasses.replace(BASE, id=10)]       # deleted before it was seen
    assert select_fresh(-100, page, known, {(-100, 10)}, out) == 1
    assert list(out) == [9] and 9 in known
