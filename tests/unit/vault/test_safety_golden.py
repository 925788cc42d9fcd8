"""One golden case per class of the threat model (docs/threat-model.md): the
exact Markdown TOBS writes for a stranger's attempt (``Z`` is U+200B ZERO
WIDTH SPACE, invisible when shown)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tobsd.core.models import Chat, ChatKind, Entity, EntityKind as K, ForwardInfo, Message, Person
from tobsd.vault.names import safe_component
from tobsd.vault.notes import chat_properties, period_skeleton, person_properties
from tobsd.vault.render import RenderContext, render_block
from tobsd.vault.writer import _heading

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
Z = "\u200b"
PEOPLE = {7: "Telegram/People/Ada"}
CTX = RenderContext(person_link=PEOPLE.get, chat_title="Channel <%+ tp.file.title %>")


def body(text, *entities, sender=Person(7, "Ada"), **kw) -> list[str]:
    block = render_block(Message(-1, 5, T0, sender, text, entities, **kw), CTX)
    return block.lines[:block.lines.index("")]


CASES = {
    "templater, reading view: message text": (
        body("<%+ tp.file.title %>"),
        ["> [!tg-msg]+ 12:00 · [[Telegram/People/Ada|Ada]]", f"> &lt;{Z}%+ tp.file.title %&gt;"]),
    "templater, reading view: callout header (chat title, names)": (
        body("x", sender=None, post_author="<% a %>", forward=ForwardInfo("<%* b %>")),
        [f"> [!tg-msg]+ 12:00 · Channel &lt;{Z}%+ tp.file.title %&gt; · ✍ &lt;{Z}% a %&gt; · "
         f"↪ forwarded from &lt;{Z}%\\* b %&gt;", "> x"]),
    "templater, reading view: people heading": (
        ["# " + _heading("Ada <%+ tp.file.title %>")], [f"# Ada &lt;{Z}%+ tp.file.title %&gt;"]),
    "templater, code": (
        body("<% x %>", Entity(K.CODE, 0, 7))[1:], [f"> `{Z}<{Z}% x %>`"]),
    "plugin code fences": (
        body("a\nINPUT[x]\nb", Entity(K.PRE, 2, 8, language="meta-bind-js-view"))[1:],
        ["> a", "> ```", "> INPUT[x]", "> ```", "> b"]),
    "plain code fence keeps its language": (
        body("print(1)", Entity(K.PRE, 0, 8, language="python"))[1:], ["> ```python", "> print(1)", "> ```"]),
    "inline code a plugin reads by its start": (
        body("= this.file.name VIEW[{x}]", Entity(K.CODE, 0, 16), Entity(K.CODE, 17, 9))[1:],
        [f"> `{Z}= this.file.name` `{Z}VIEW[{{x}}]`"]),
    "dataview inline fields": (
        body("status:: pwned (hidden:: yes) [k:: v]")[1:],
        [f"> status:{Z}: pwned (hidden:{Z}: yes) \\[k:{Z}: v\\]"]),
    "dataview inline field from a name": (
        body("x", sender=Person(8, "key:: value"))[:1], [f"> [!tg-msg]+ 12:00 · key:{Z}: value"]),
    "remote image from a text link": (
        body("!click me", Entity(K.TEXT_URL, 1, 8, url="https://evil.example/pixel.png"))[1:],
        ["> \\![click me](https://evil.example/pixel.png)"]),
    "embed from a mention": (
        body("!Ada", Entity(K.MENTION_NAME, 1, 3, user_id=7))[1:], ["> \\![[Telegram/People/Ada|Ada]]"]),
    "markdown image in text": (
        body("![x](https://evil.example/p.png) ![[Secret note]]")[1:],
        ["> !\\[x\\](https://evil.example/p.png) !\\[\\[Secret note\\]\\]"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    got, expected = CASES[case]
    assert got == expected


def test_golden_properties_are_plain_strings():
    chat = Chat(-1, ChatKind.SUPERGROUP, "![[Secret note]] <%* x %>")
    props = chat_properties(chat, safe_component(chat.title), None, None, None)
    assert f'title: "![{Z}[Secret note]{Z}] <{Z}%* x %>"' in props
    assert f'aliases: ["![{Z}[Secret note]{Z}] <{Z}%* x %>"]' in props
    person = person_properties(Person(3, "[[link]]", "bob"), None)
    assert f'aliases: ["[{Z}[link]{Z}]", "@bob"]' in person


def test_golden_link_targets_and_names():
    assert safe_component("Ada `$%%x%%$`") == "Ada __%_x%___"
    assert safe_component("Tıtle") == "Tıtle"      # kept, but allocated apart from "Title" (test_paths)
    assert safe_component("\u200b\u200b") == "untitled"
    assert safe_component("notes.md") == "notes.md_"
    # a target an earlier version gave a name with "$" is not linked
    chat = Chat(-1, ChatKind.GROUP, "Cash")
    props, lines = period_skeleton(chat, "Telegram/Ca$h/Ca$h", "2026-03-01", None, None)
    assert lines[0] == "Cash · 2026-03-01"
