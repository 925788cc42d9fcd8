"""Entity rendering cases worth pinning down one by one."""

from __future__ import annotations

from tobsd.core.models import Entity, EntityKind as K
from tobsd.vault.entities import TextContext, render_text
from tobsd.vault.mdparse import parse_text


def render(text, *ents, **ctx):
    return render_text(text, ents, TextContext(**ctx))


def test_nested_and_overlapping_styles():
    assert render("bold italic", Entity(K.BOLD, 0, 11), Entity(K.ITALIC, 5, 6)) == ["**bold** ***italic***"]
    # overlapping (not nested): delimiter runs would merge, so the middle piece uses tags
    lines = render("abcdef", Entity(K.BOLD, 0, 4), Entity(K.ITALIC, 2, 4))
    assert lines == ["**ab**<b><i>cd</i></b>*ef*"]
    text, ents = parse_text(lines)
    assert text == "abcdef"
    assert sorted((e.kind.value, e.offset, e.length) for e in ents) == [
        ("bold", 0, 2), ("bold", 2, 2), ("italic", 2, 2), ("italic", 4, 2)]


def test_offsets_are_utf16_code_units():
    # 😀 is two UTF-16 units: "bold" starts at 3, not 2
    assert render("😀 bold", Entity(K.BOLD, 3, 4)) == ["😀 **bold**"]
    # an emoji is punctuation for flanking rules: a*😀*b would not be italic
    assert render("a😀b", Entity(K.ITALIC, 1, 2)) == ["a<i>😀</i>b"]


def test_whitespace_stays_outside_delimiters_and_flanking_falls_back_to_html():
    assert render("a bold b", Entity(K.BOLD, 1, 6)) == ["a **bold** b"]
    assert render('x"q"y', Entity(K.BOLD, 1, 3)) == ['x<b>"q"</b>y']


def test_code_blocks_keep_only_plain_languages_and_inline_code_is_defused():
    lines = render("run:\nTABLE file\nend", Entity(K.PRE, 5, 10, language="dataview"))
    assert lines == ["run:", "```", "TABLE file", "```", "end"]
    for lang in ("meta-bind-js-view", "meta-bind-button", "dataviewjs", "tasks", "tg-x", "unheard-of"):
        assert render("x", Entity(K.PRE, 0, 1, language=lang)) == ["```", "x", "```"]
    assert render("x", Entity(K.PRE, 0, 1, language="Python")) == ["```Python", "x", "```"]
    # every inline code span starts with U+200B: no plugin sees "=", "$=", "INPUT[", "button-"
    assert render("= this.file", Entity(K.CODE, 0, 11)) == ["`\u200b= this.file`"]
    assert render("VIEW[{x}]", Entity(K.CODE, 0, 9)) == ["`\u200bVIEW[{x}]`"]
    assert render("a `b` c", Entity(K.CODE, 0, 7)) == ["``\u200ba `b` c``"]
    for lines in (["`\u200b= this.file`"], ["``\u200ba `b` c``"], ["`= old`"], ["`\u200b= older`"]):
        assert parse_text(lines)[0] in ("= this.file", "a `b` c", "= old", "= older")


def test_pre_inside_a_line_becomes_inline_code():
    assert render("say x() now", Entity(K.PRE, 4, 3, language="py")) == ["say `\u200bx()` now"]


def test_templater_and_dataview_pairs_are_broken_in_text_and_code():
    z = "\u200b"
    assert render("<%+ tp.file.title %>") == [f"&lt;{z}%+ tp.file.title %&gt;"]
    assert render("status:: pwned") == [f"status:{z}: pwned"]
    assert render("a<%b", Entity(K.CODE, 1, 2)) == [f"a`{z}<{z}%`b"]
    # a pair across an entity boundary is broken too, and the entity keeps its characters
    lines = render("x<%y", Entity(K.BOLD, 0, 2))
    assert lines == [f"<b>x&lt;</b>{z}%y"]
    text, ents = parse_text(lines)
    assert text == "x<%y" and [(e.kind, e.offset, e.length) for e in ents] == [(K.BOLD, 0, 2)]
    # U+200B already there: one more, and reading back removes exactly one
    for original in (f"<{z}%", f":{z}{z}:", ":::", "<%%", f"😀<%{z}::"):
        lines = render(original, Entity(K.ITALIC, 0, 2))
        assert "<%" not in lines[0] and "::" not in lines[0]
        assert parse_text(lines)[0] == original


def test_bang_before_a_link_stays_a_character():
    ctx = dict(person_link=lambda uid: "Telegram/People/Ada")
    assert render("!click", Entity(K.TEXT_URL, 1, 5, url="https://evil.example/p.png")) == [
        "\\![click](https://evil.example/p.png)"]
    assert render("!Ada", Entity(K.MENTION_NAME, 1, 3, user_id=1), **ctx) == [
        "\\![[Telegram/People/Ada|Ada]]"]
    assert render("\\!x.org", Entity(K.URL, 2, 5)) == ["\\\\\\![x.org](https://x.org)"]
    assert parse_text(["\\![click](https://e.x/p.png)"])[0] == "!click"


def test_links_only_with_safe_schemes():
    assert render("click", Entity(K.TEXT_URL, 0, 5, url="javascript:alert(1)")) == ["click"]
    assert render("click", Entity(K.TEXT_URL, 0, 5, url="obsidian://open?vault=x")) == ["click"]
    assert render("click", Entity(K.TEXT_URL, 0, 5, url="https://a.b/c d")) == ["[click](https://a.b/c%20d)"]
    assert render("x.org", Entity(K.URL, 0, 5)) == ["[x.org](https://x.org)"]


def test_mentions_link_to_people_notes_when_known():
    ctx = dict(person_link=lambda uid: "Telegram/People/Ada" if uid == 1 else None,
               username_link=lambda u: "Telegram/People/Ada" if u == "ada" else None)
    assert render("hi Ada", Entity(K.MENTION_NAME, 3, 3, user_id=1), **ctx) == ["hi [[Telegram/People/Ada|Ada]]"]
    assert render("hi @ada @bob", Entity(K.MENTION, 3, 4), Entity(K.MENTION, 8, 4), **ctx) == \
        ["hi [[Telegram/People/Ada|@ada]] @bob"]


def test_hashtags_become_tags_only_when_enabled_and_valid():
    assert render("#news today", Entity(K.HASHTAG, 0, 5)) == ["#news today"]
    assert render("#news today", Entity(K.HASHTAG, 0, 5), hashtags_as_tags=False) == ["\\#news today"]
    assert render("#2026", Entity(K.HASHTAG, 0, 5)) == ["\\#2026"]  # all digits: not a tag in Obsidian
    assert render("x#news", Entity(K.HASHTAG, 1, 5)) == ["x\\#news"]


def test_quotes_and_expandable_quotes():
    assert render("a\nb\nc", Entity(K.BLOCKQUOTE, 0, 3)) == ["> a", "> b", "", "c"]
    assert render("a\nb", Entity(K.BLOCKQUOTE, 2, 1, collapsed=True)) == ["a", "> [!quote]-", "> b"]
    text, ents = parse_text(["> a", "> b", "", "c"])
    assert text == "a\nb\nc" and [(e.kind, e.offset, e.length) for e in ents] == [(K.BLOCKQUOTE, 0, 3)]


def test_cashtags_commands_and_custom_emoji_are_plain_text():
    assert render("$BTC /start 😀", Entity(K.CASHTAG, 0, 4), Entity(K.BOT_COMMAND, 5, 6),
                  Entity(K.CUSTOM_EMOJI, 12, 2, alt="😀", document_id=9)) == ["\\$BTC /start 😀"]


def test_out_of_range_entities_are_ignored():
    assert render("abc", Entity(K.BOLD, 5, 3), Entity(K.BOLD, 1, 0), Entity(K.ITALIC, -1, 1)) == ["abc"]
