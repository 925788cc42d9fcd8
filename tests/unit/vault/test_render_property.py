"""Property tests: hostile text and random entities render into blocks that
parse back to the same messages, and nothing from the text becomes syntax."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tobsd.core.models import Entity, EntityKind as K, Message
from tobsd.vault.blocks import parse_note
from tobsd.vault.render import RenderContext, render_block

from tests.unit.vault.mdcheck import coverage, forbidden_in_body, quoted_lines

HOSTILE = ["[[", "]]", "![[", "^abc", "#tag", "# ", "## h", "- ", "* ", "+ ", "1. ", "2) ", "> ",
           "---", "***", "===", "<b>", "<script>", "%%", "<%", "%>", "$", "$$", "`", "```",
           "```dataview", "= ", "$= ", "|", "\\", "&amp;", "&#37;", "~~", "==", "**", "_",
           "    ", "\t", "\r", "\u2028", "\x00", "\x7f", "\u200b", "😀", "שלום", "[!note]",
           "![x](y)", "[x](javascript:alert(1))", "<!--", "{{", ":: ", "tobs:m1", "^m1",
           "::", ":", "!", "<", "%", "INPUT[", "&lt;", "\u200b:", "\u200b%"]
ALPHABET = st.characters(blacklist_categories=("Cs",), max_codepoint=0x1FFFF)
TEXT = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(ALPHABET, max_size=6),
                          st.just("\n"), st.just(" ")), max_size=25).map("".join)
STYLE_KINDS = [K.BOLD, K.ITALIC, K.UNDERLINE, K.STRIKE, K.SPOILER, K.BLOCKQUOTE]
ATOM_KINDS = [K.CODE, K.PRE, K.TEXT_URL]
URLS = ["https://example.com/a_b?c=(d)", "http://x.y/%%z", "t.me/c", "https://ex.com/$x$"]
CTX = RenderContext(hashtags_as_tags=False)


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@st.composite
def messages(draw):
    text = draw(TEXT)
    n = _u16(text)
    ents = []
    if n:
        for _ in range(draw(st.integers(0, 5))):
            a = draw(st.integers(0, n - 1))
            b = draw(st.integers(a + 1, n))
            kind = draw(st.sampled_from(STYLE_KINDS))
            ents.append(Entity(kind, a, b - a, collapsed=draw(st.booleans())))
        # atoms must not overlap each other (a link inside code is not a thing)
        cuts = sorted(set(draw(st.lists(st.integers(0, n), max_size=6))))
        for a, b in zip(cuts[::2], cuts[1::2]):
            if a < b:
                kind = draw(st.sampled_from(ATOM_KINDS))
                ents.append(Entity(kind, a, b - a, url=draw(st.sampled_from(URLS)),
                                   language=draw(st.sampled_from([None, "py", "dataview", "tg-x", "DataviewJS",
                                                                  "meta-bind-js-view"]))))
    return Message(-5, draw(st.integers(1, 10**9)), datetime(2026, 1, 1, tzinfo=timezone.utc),
                   None, text, tuple(ents))


def _quote_in_code(text: str, quote: tuple[int, int], pre: tuple[int, int]) -> Message:
    """A blockquote covering part of a code block's lines (found by hypothesis)."""
    return Message(-5, 1, datetime(2026, 1, 1, tzinfo=timezone.utc), None, text,
                   (Entity(K.BLOCKQUOTE, *quote), Entity(K.PRE, *pre)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
@example(_quote_in_code("\n ", (1, 1), (0, 2)))
@example(_quote_in_code("a\nb", (2, 1), (0, 3)))
@example(_quote_in_code("a\nb", (0, 1), (0, 3)))
def test_rendered_text_parses_back_and_forms_no_syntax(msg):
    block = render_block(msg, CTX)
    note = parse_note("\n".join(["---", "a: 1", "---", "user text", "", *block.all_lines(), ""]))
    blocks = note.blocks()
    assert [b.msg_id for b in blocks] == [msg.id]
    parsed = blocks[0]
    assert parsed.intact and parsed.recorded == block.digest
    # every line of the callout stays inside it
    callout = parsed.lines[:parsed.lines.index("")]
    assert all(line.startswith(">") for line in callout)
    body = parsed.lines[parsed.text_first:parsed.text_first + parsed.text_count]
    assert forbidden_in_body(body) == []
    text, entities = parsed.text()
    assert text == msg.text
    assert coverage(text, entities) == coverage(msg.text, list(msg.entities))
    assert quoted_lines(text, entities) == quoted_lines(msg.text, list(msg.entities))


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_header_fields_from_telegram_cannot_break_the_block(name, author, forward):
    from tobsd.core.models import ForwardInfo, Person, ReplyRef
    msg = Message(-5, 7, datetime(2026, 1, 1, tzinfo=timezone.utc), Person(1, name), "x",
                  forward=ForwardInfo(forward), post_author=author, reply=ReplyRef(3, quote=forward))
    block = render_block(msg, CTX)
    header = block.lines[0]
    assert "\n" not in header and header.startswith("> [!tg-msg]+ ")
    assert forbidden_in_body(["> " + header[len("> [!tg-msg]+ "):]]) == []
    assert [b.msg_id for b in parse_note("\n".join(block.all_lines())).blocks()] == [7]


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=8, max_size=8), st.sampled_from(list(__import__("tobsd.core.models", fromlist=["MediaKind"]).MediaKind)))
def test_media_and_service_fields_from_telegram_cannot_break_the_block(texts, kind):
    from tobsd.core.models import ActionKind, MediaRef, PollAnswer, ServiceAction
    q, a1, a2, title, desc, url, name, type_name = texts
    media = MediaRef(kind, type_name=type_name, file_name=name, poll_question=q,
                     poll_answers=(PollAnswer(a1, 1), PollAnswer(a2, None)), poll_total_voters=1,
                     latitude=1.5, longitude=2.5, address=desc, contact_name=name, phone=a1,
                     emoji=a2, title=title, description=desc, url=url, site_name=name,
                     amount=100, currency=a2, path="Telegram/C/attachments/1_x.bin")
    for msg in (Message(-5, 9, datetime(2026, 1, 1, tzinfo=timezone.utc), None, "", media=media),
                Message(-5, 9, datetime(2026, 1, 1, tzinfo=timezone.utc), None,
                        action=ServiceAction(ActionKind.TOPIC_CREATE, title=title, icon_emoji=a2)),
                Message(-5, 9, datetime(2026, 1, 1, tzinfo=timezone.utc), None,
                        action=ServiceAction(ActionKind.UNKNOWN, type_name=type_name)),
                Message(-5, 9, datetime(2026, 1, 1, tzinfo=timezone.utc), None,
                        action=ServiceAction(ActionKind.CUSTOM, text=desc))):
        block = render_block(msg, CTX)
        blocks = parse_note("\n".join(block.all_lines())).blocks()
        assert [b.msg_id for b in blocks] == [9] and blocks[0].intact
        callout = block.lines[:block.lines.index("")]
        assert all(line.startswith(">") for line in callout)
        # poll answers are the renderer's list items; the attachment link is the renderer's own
        body = ["> " + line[4:] if line.startswith("> - ") else line for line in callout[1:]]
        body = [line for line in body if "[[Telegram/C/attachments/" not in line]
        assert forbidden_in_body(body) == []
