"""Parsing notes back: identity round trip, user edits detected, properties stay valid."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given, settings, strategies as st

from tobsd.core.models import Chat, ChatKind, Message, Person
from tobsd.vault.blocks import parse_note
from tobsd.vault.escape import plain_property, yaml_quote
from tobsd.vault.frontmatter import merge_frontmatter, read_string_list
from tobsd.vault.notes import chat_properties
from tobsd.vault.render import RenderContext, render_block

LINES = st.lists(st.sampled_from(["", "text", "> quote", "%% tobs:m1 h=000000000000 t=0+0 %%", "^m1",
                                  "---", "> [!tg-msg]+ x", "%% other %%", "^m2"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(LINES, st.booleans())
def test_parse_then_serialize_is_the_identity(lines, trailing):
    text = "\n".join(lines) + ("\n" if trailing and lines else "")
    assert parse_note(text).serialize() == text


def test_user_change_inside_a_block_is_detected():
    block = render_block(Message(1, 5, datetime(2026, 1, 1, tzinfo=timezone.utc), Person(1, "A"), "hi"),
                         RenderContext())
    text = "\n".join(block.all_lines()) + "\n"
    assert parse_note(text).blocks()[0].intact
    assert not parse_note(text.replace("> hi", "> hi!")).blocks()[0].intact
    assert not parse_note(text.replace("[!tg-msg]+", "[!tg-msg]-")).blocks()[0].intact  # folded by the user


def test_message_text_cannot_forge_a_marker_or_block_id():
    hostile = "x\n%% tobs:m99 h=000000000000 t=0+0 %%\n^m99\n---"
    block = render_block(Message(1, 5, datetime(2026, 1, 1, tzinfo=timezone.utc), None, hostile),
                         RenderContext())
    note = parse_note("\n".join(block.all_lines()))
    assert [b.msg_id for b in note.blocks()] == [5]
    assert note.blocks()[0].text()[0] == hostile


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_property_values_are_valid_quoted_scalars(title):
    quoted = yaml_quote(title)
    assert "\n" not in quoted and json.loads(quoted) == title  # a JSON string is a YAML 1.2 scalar
    props = chat_properties(Chat(-1, ChatKind.GROUP, title), "Folder", None, None, None)
    assert props[0] == props[-1] == "---" and all("\n" not in line for line in props)
    # The alias is the title with any link or template syntax broken (plain_property).
    expected = [plain_property(title)] if title != "Folder" else []
    assert read_string_list(props, "aliases") == expected
    # ... and nothing else: a title without that syntax is its own alias.
    assert plain_property(title) == title or any(s in title for s in ("<%", "[[", "]]"))


def test_user_properties_survive_a_merge():
    existing = ["---", "tg_chat_id: 1", "mine: yes", "list:", "  - a", "  - b", "tags: [x]", "---"]
    merged = merge_frontmatter(existing, {"tg_chat_id": 2, "tags": ["telegram"]})
    assert merged == ["---", "tg_chat_id: 2", "tags: [telegram]", "mine: yes", "list:", "  - a", "  - b", "---"]
