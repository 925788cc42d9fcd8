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


def test_code_blocks_keep_language_and_dataview_is_defused():
    lines = render("run:\nTABLE file\nend", Entity(K.PRE, 5, 10, language="dataview"))
    assert lines == ["run:", "```tg-dataview", "TABLE file", "```", "end"]
    assert render("= this.file", Entity(K.CODE, 0, 11)) == ["`\u200b= this.file`"]
    assert render("a `b` c", Entity(K.CODE, 0, 7)) == ["``a `b` c``"]


def test_pre_inside_a_line_becomes_inline_code():
    assert render("say x() now", Entity(K.PRE, 4, 3, language="py")) == ["say `x()` now"]


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
