"""The renderer's fast paths give exactly what the general paths give.

Plain text skips the inline renderer, escaping skips its substitution when
nothing is special, labels and names skip their per-character passes,
header times skip ``strftime``, UTF-16 offsets map without a per-character
table. Each is compared here with the general path (or with the plain
per-character rule it replaces) on hostile input.
"""

from __future__ import annotations

import bisect
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from tobsd.core.models import Entity, EntityKind as K
from tobsd.vault.dates import clock, period_name
from tobsd.vault.entities import TextContext, render_text, to_spans
from tobsd.vault.escape import escape_line, escape_range, escape_text, line_context, link_label
from tobsd.vault.names import _clean, _clean_char

PIECES = ["\\", "`", "*", "_", "[[", "]]", "#", "^", "$", "~", "=", "|", "{", "}", "<", ">", "&",
          "&#", "&amp;", "%", "%%", "<%", "-", "+", "1", "12", ".", ")", "٣", "²", " ", "  ", "\t",
          "\n", "\r\n", "\r", "\x00", "\x0b", "\x7f", "\x85", "\u2028", "\u2029", "\u200b", "é",
          "😀", "👨‍👩‍👧", "𝔘", "\ud83d", "a", "word", "A_b", "x" * 40,
          "the quick brown fox jumps over the lazy dog ", "[!note]", "tobs:m1", "^m1"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
ALL_KINDS = list(K)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- the per-character rules the fast paths replace ---------------------------

_SPECIAL = re.compile("[\\\\`*_\\[\\]#^$~=|{}<>&%\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _oracle_escape(text: str, start: int, end: int) -> str:
    """escape_text as one regex substitution with a per-match rule."""
    if start >= end:
        return ""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    lead_end = line_start
    while lead_end < line_end and text[lead_end] in " \t":
        lead_end += 1
    trail_start = line_end
    while trail_start > lead_end and text[trail_start - 1] in " \t":
        trail_start -= 1
    a, b = max(start, min(lead_end, end)), min(end, max(trail_start, start))
    out = [f"&#{ord(ch)};" for ch in text[start:a]]
    if a < b:
        def repl(m: re.Match) -> str:
            ch, i = m.group(), a + m.start()
            if ch in "\\`*_[]#^$~=|{}":
                return "\\" + ch
            if ch in "<>":
                return "&lt;" if ch == "<" else "&gt;"
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if ch == "&":
                return "&amp;" if (nxt.isalnum() or nxt == "#") else "&"
            if ch == "%":
                prev = text[i - 1] if i > 0 else ""
                return "&#37;" if "%" in (prev, nxt) else "%"
            return f"&#{ord(ch)};"

        middle = _SPECIAL.sub(repl, text[a:b])
        if a == lead_end and text[a] in "-+":
            middle = "\\" + middle
        else:
            digits_end = lead_end
            while digits_end < line_end and text[digits_end].isdigit():
                digits_end += 1
            if lead_end < digits_end <= lead_end + 9 and a <= digits_end < b \
                    and text[digits_end] in ".)" and digits_end < line_end:
                k = digits_end - a
                middle = middle[:k] + "\\" + middle[k:]
        out.append(middle)
    out.extend(f"&#{ord(ch)};" for ch in text[max(b, a):end])
    return "".join(out)


def _oracle_label(text: str) -> str:
    controls = {"\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\n", "\t"}
    cleaned = "".join(" " if (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in controls) else c
                      for c in text)
    for bad in ("[", "]", "|", "^", "#"):
        cleaned = cleaned.replace(bad, "")
    while "%%" in cleaned:
        cleaned = cleaned.replace("%%", "%")
    cleaned = cleaned.replace("<", "‹").replace(">", "›").replace("`", "'").replace("$", "＄")
    return " ".join(cleaned.split()) or "?"


def _oracle_spans(text: str, entities) -> list[tuple[K, int, int]]:
    if all(ord(ch) <= 0xFFFF for ch in text):  # offsets are indices (clipped, never rounded)
        return [(e.kind, max(e.offset, 0), min(e.offset + e.length, len(text))) for e in entities
                if e.length > 0 and max(e.offset, 0) < min(e.offset + e.length, len(text))]
    starts, pos = [], 0
    for ch in text:
        starts.append(pos)
        pos += 2 if ord(ch) > 0xFFFF else 1
    out = []
    for ent in entities:
        if ent.length <= 0 or ent.offset < 0:
            continue
        a = max(bisect.bisect_right(starts, ent.offset) - 1, 0)
        b = min(bisect.bisect_left(starts, ent.offset + ent.length), len(text))
        if a < b:
            out.append((ent.kind, a, b))
    return out


# -- escaping -------------------------------------------------------------------

@SETTINGS
@given(TEXT, st.data())
def test_escape_matches_the_per_character_rule(text, data):
    assert escape_text(text) == _oracle_escape(text, 0, len(text))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    if "\n" not in text[start:end]:
        expected = _oracle_escape(text, start, end)
        assert escape_text(text, start, end) == expected
        assert escape_range(text, start, end, line_context(text, start, end)) == expected


@SETTINGS
@given(TEXT)
def test_escape_line_fast_path_matches_escape_text(text):
    for line in text.split("\n"):
        assert escape_line(line) == escape_text(line, 0, len(line)) == _oracle_escape(line, 0, len(line))


def test_escape_line_on_the_cases_worth_naming():
    cases = {"plain words": "plain words", "a%%b": "a&#37;&#37;b", "50% off": "50% off",
             "[[x]]": "\\[\\[x\\]\\]", "^m1 #t": "\\^m1 \\#t", "<b>|c": "&lt;b&gt;\\|c",
             "a\\b": "a\\\\b", "1. x": "1\\. x", "- x": "\\- x", " x ": "&#32;x&#32;",
             "x\r": "x&#13;", "😀 ok": "😀 ok", "&amp": "&amp;amp", "x &": "x &", "": ""}
    for line, expected in cases.items():
        assert escape_line(line) == expected, line


@SETTINGS
@given(TEXT)
def test_link_label_fast_path_matches_the_general_rule(text):
    assert link_label(text) == _oracle_label(text)


# -- text with entities ---------------------------------------------------------

@st.composite
def texts_with_entities(draw):
    text = draw(TEXT)
    n = _u16(text)
    ents = []
    for _ in range(draw(st.integers(0, 5))):
        if n and draw(st.integers(0, 3)):  # mostly ranges inside the text, sometimes wild ones
            a = draw(st.integers(0, n - 1))
            length = draw(st.integers(1, n - a))
        else:
            a, length = draw(st.integers(-1, n + 1)), draw(st.integers(-1, n + 2))
        ents.append(Entity(draw(st.sampled_from(ALL_KINDS)), a, length,
                           url=draw(st.sampled_from([None, "https://e.com/a_b", "javascript:x"])),
                           user_id=draw(st.sampled_from([None, 1, 2])),
                           language=draw(st.sampled_from([None, "py", "dataview"])),
                           collapsed=draw(st.booleans())))
    return text, tuple(ents)


CONTEXTS = [TextContext(), TextContext(hashtags_as_tags=False),
            TextContext(lambda uid: f"People/P{uid}" if uid == 1 else None,
                        lambda name: "People/U" if name.startswith("w") else None)]


@SETTINGS
@given(texts_with_entities(), st.sampled_from(CONTEXTS))
def test_render_text_shortcuts_match_the_inline_renderer(case, ctx):
    text, ents = case

    def outcome(**kw):
        try:
            return render_text(text, ents, ctx, **kw)
        except UnicodeError as e:  # a lone surrogate in a link: both paths must fail alike
            return type(e)
    assert outcome() == outcome(shortcuts=False)


def test_plain_text_shortcut_on_named_cases():
    text = "1. first\n- second\r\n%%\n\n  [[x]] ^m1 #tag 😀 \n|a|b|"
    for ents in ((), (Entity(K.CASHTAG, 0, 2), Entity(K.BOT_COMMAND, 3, 4))):
        assert render_text(text, ents) == render_text(text, ents, shortcuts=False)
        assert render_text(text, ents) == [escape_line(line) for line in text.split("\n")]
    # lines no span touches are plain; the others go through the inline renderer
    ents = (Entity(K.CASHTAG, 0, 2), Entity(K.BOLD, 11, 5), Entity(K.ITALIC, 31, 3))
    lines = render_text(text, ents)
    assert lines == render_text(text, ents, shortcuts=False)
    assert lines[0] == "1\\. first" and lines[1] == "\\- **secon**d&#13;"
    assert lines[4] == "&#32;&#32;\\[\\[x\\]\\] *\\^m1* \\#tag 😀&#32;"


@SETTINGS
@given(texts_with_entities())
def test_utf16_offsets_map_like_a_per_character_table(case):
    text, ents = case
    assert [(s.kind, s.start, s.end) for s in to_spans(text, ents)] == _oracle_spans(text, ents)


# -- header times and period names ----------------------------------------------

ZONES = [timezone.utc, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=9, minutes=30)),
         ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"), ZoneInfo("Australia/Lord_Howe"),
         ZoneInfo("America/Santiago")]


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(timezone.utc)), st.sampled_from(ZONES))
def test_times_and_period_names_are_what_strftime_writes(moment, zone):
    local = moment.astimezone(zone)
    assert clock(local, "day") == local.strftime("%H:%M")
    assert clock(local, "month") == local.strftime("%Y-%m-%d %H:%M")
    assert period_name(local, "day") == local.strftime("%Y-%m-%d")
    assert period_name(local, "month") == local.strftime("%Y-%m")


def test_times_across_a_dst_change_follow_the_zone():
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc).astimezone(berlin)
    after = datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc).astimezone(berlin)
    assert (clock(before, "day"), clock(after, "day")) == ("01:59", "03:00")
    assert clock(datetime(999, 5, 6, 7, 8, tzinfo=timezone.utc), "month") == \
        datetime(999, 5, 6, 7, 8).strftime("%Y-%m-%d %H:%M")


# -- names ------------------------------------------------------------------------

def test_name_cleaning_fast_path_matches_the_per_character_pass():
    samples = [chr(c) for c in range(0x3000)] + ["\U0001F600", "\U000E0001", "\ud800", "\uffff"]
    for ch in samples:
        for name in (ch, "ab" + ch, ch * 3 + "x", "Report 2026" + ch):
            assert _clean(name) == "".join(_clean_char(c) for c in name), repr(name)
