"""Safe names, the layout, containment, and media extensions from content."""

from __future__ import annotations

import os
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from tobsd.core.models import Chat, ChatKind, MediaKind, MediaRef, Person, Topic
from tobsd.vault.atomic import PathEscapeError
from tobsd.vault.mediafiles import attachment_name, sniff_extension
from tobsd.vault.names import MAX_COMPONENT_BYTES, collision_key, safe_component
from tobsd.vault.options import VaultConfig
from tobsd.vault.paths import VaultLayout, resolve_inside
from tobsd.vault.state import VaultState

FORBIDDEN = set('\\/:*"<>?|#^[]`$')
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def assert_safe(name: str) -> None:
    assert name and name not in (".", "..")
    assert not (set(name) & FORBIDDEN), name
    assert all(unicodedata.category(c) != "Cc" for c in name), name
    assert not name.endswith((".", " ")) and not name.startswith((".", " "))
    assert name.split(".")[0].upper().rstrip() not in RESERVED
    assert unicodedata.normalize("NFC", name) == name
    assert len(name.encode("utf-8")) <= MAX_COMPONENT_BYTES
    assert "%%" not in name and not collision_key(name).endswith(".md"), name
    assert any(unicodedata.category(c)[0] in "LNPS" for c in name), repr(name)


@pytest.mark.parametrize("title, expected", [
    ("../../etc", "_.._etc"),
    ("..", "untitled"),
    ("CON", "CON_"),
    ("nul.txt", "nul_.txt"),
    ("com1", "com1_"),
    ("a/b", "a_b"),
    ("a\\b:c*d?e\"f<g>h|i#j^k[l]m", "a_b_c_d_e_f_g_h_i_j_k_l_m"),
    ("trailing. . ", "trailing"),
    (".hidden", "hidden"),
    ("nul\x00byte", "nul_byte"),
    ("tab\tand\nnewline", "tab and newline"),
    ("e\u0301", "é"),
    ("שלום עולם", "שלום עולם"),
    ("\u202eevil\u202c", "_evil_"),
    ("😀 party", "😀 party"),
    ("", "untitled"),
    ("\u200b", "untitled"),
    ("\u200b\u2060\u3164 \u0301", "untitled"),
    ("notes.md", "notes.md_"),
    ("Notes.MD.", "Notes.MD_"),
    ("price `$5` %%off%%", "price __5_ %_off%_"),
])
def test_hostile_titles_become_safe_names(title, expected):
    assert safe_component(title) == expected
    assert_safe(safe_component(title))


def test_long_names_are_cut_with_a_hash_suffix():
    a, b = safe_component("x" * 300 + "a"), safe_component("x" * 300 + "b")
    assert a != b and len(a.encode()) <= 120 and "~" in a
    emoji = safe_component("😀" * 100)
    assert len(emoji.encode()) <= 120 and emoji.encode("utf-8").decode("utf-8") == emoji


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_becomes_a_safe_idempotent_name(text):
    name = safe_component(text)
    assert_safe(name)
    assert safe_component(name) == name


NAMEISH = st.text(st.sampled_from(list("aiIıİTtlefﬁǄǅǆDdžŽ.md _\u200b\u0307\u00df\u1e9eK\u212a")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(NAMEISH, NAMEISH)
def test_names_a_file_system_could_confuse_share_a_collision_key(a, b):
    """Case folding, NFKC and Windows' upper-casing: equal under any of them -> equal keys."""
    sa, sb = safe_component(a), safe_component(b)
    for form in (lambda s: s.casefold(), lambda s: s.upper(), lambda s: unicodedata.normalize("NFKC", s),
                 lambda s: unicodedata.normalize("NFKC", s).casefold(),
                 lambda s: unicodedata.normalize("NFD", s).casefold()):
        if form(sa) == form(sb):
            assert collision_key(sa) == collision_key(sb), (sa, sb)
    assert collision_key(sa) == collision_key(safe_component(sa))


@pytest.mark.parametrize("a, b", [("Tıtle", "Title"), ("Ǆ", "ǅ"), ("ﬁle", "file"), ("Straße", "STRASSE"),
                                  ("\u200bAda", "Ada"), ("\u212aelvin", "kelvin")])
def test_confusable_names_get_separate_folders(tmp_path, a, b):
    lay = layout(tmp_path)
    fa = lay.chat_folder(Chat(-1001, ChatKind.GROUP, a)).rsplit("/", 1)[1]
    fb = lay.chat_folder(Chat(-1002, ChatKind.GROUP, b)).rsplit("/", 1)[1]
    assert collision_key(fa) != collision_key(fb) and fb.endswith(" (1002)"), (fa, fb)
    pa = lay.person_note(Person(1, a))
    pb = lay.person_note(Person(2, b))
    assert collision_key(pa) != collision_key(pb)


def test_a_folder_already_on_disk_under_a_confusable_name_is_not_reused(tmp_path):
    (tmp_path / "Telegram" / "TITLE").mkdir(parents=True)
    lay = layout(tmp_path)
    assert lay.chat_folder(Chat(-1005, ChatKind.GROUP, "Tıtle")) == "Telegram/Tıtle (1005)"


def layout(tmp_path, **cfg) -> VaultLayout:
    return VaultLayout(tmp_path, VaultConfig(**cfg), VaultState())


def test_same_title_gets_a_short_id_suffix(tmp_path):
    lay = layout(tmp_path)
    a = lay.chat_folder(Chat(-1001234567, ChatKind.GROUP, "Family"))
    b = lay.chat_folder(Chat(-1009999567, ChatKind.GROUP, "family"))  # case-insensitive clash
    c = lay.chat_folder(Chat(-1000000567, ChatKind.GROUP, "Family"))
    assert a == "Telegram/Family" and b == "Telegram/family (9567)" and c == "Telegram/Family (0567)"
    d = lay.chat_folder(Chat(-1000990567, ChatKind.GROUP, "Family"))
    assert d == "Telegram/Family (990567)"


def test_folder_name_survives_renames_and_restarts(tmp_path):
    state = VaultState()
    lay = VaultLayout(tmp_path, VaultConfig(), state)
    assert lay.chat_note(Chat(-1, ChatKind.GROUP, "Old")) == "Telegram/Old/Old.md"
    assert lay.chat_note(Chat(-1, ChatKind.GROUP, "New")) == "Telegram/Old/Old.md"
    (tmp_path / "Telegram").mkdir()
    state.save(tmp_path, "Telegram", durable=False)
    again = VaultLayout(tmp_path, VaultConfig(), VaultState.load(tmp_path, "Telegram"))
    assert again.chat_folder(Chat(-1, ChatKind.GROUP, "Newer")) == "Telegram/Old"


def test_topics_get_their_own_folders_and_avoid_reserved_names(tmp_path):
    from datetime import datetime, timezone
    lay = layout(tmp_path)
    forum = Chat(-5, ChatKind.FORUM, "Forum")
    for topic in (Topic(-5, 1, "General"), Topic(-5, 7, "attachments"), Topic(-5, 8, "2026"),
                  Topic(-5, 9, "a/../b")):
        lay.register_topic(topic)
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert lay.period_note(forum, when, None) == "Telegram/Forum/General/2026/2026-01-02.md"
    assert lay.period_note(forum, when, 7) == "Telegram/Forum/attachments (7)/2026/2026-01-02.md"
    assert lay.period_note(forum, when, 8) == "Telegram/Forum/2026 (8)/2026/2026-01-02.md"
    assert lay.period_note(forum, when, 9) == "Telegram/Forum/a_.._b/2026/2026-01-02.md"
    assert lay.period_note(forum, when, 10) == "Telegram/Forum/Topic 10/2026/2026-01-02.md"


def test_people_notes_are_optional_and_safe(tmp_path):
    assert layout(tmp_path, people_notes=False).person_note(Person(1, "A")) is None
    lay = layout(tmp_path)
    assert lay.person_note(Person(1, "CON")) == "Telegram/People/CON_.md"
    assert lay.person_note(Person(2, "CON")) == "Telegram/People/CON_ (2).md"
    assert lay.person_note(Person(3, "")) == "Telegram/People/user 3.md"


def test_resolve_inside_refuses_escapes(tmp_path):
    for bad in ("../x", "/etc/passwd", "a/../../x", "a//b", "a\\b", "", "a/./b", "a\x00b"):
        with pytest.raises(PathEscapeError):
            resolve_inside(tmp_path, bad)
    (tmp_path / "real").mkdir()
    os.symlink("/", tmp_path / "link")
    assert resolve_inside(tmp_path, "real/new.md") == tmp_path / "real" / "new.md"
    with pytest.raises(PathEscapeError):
        resolve_inside(tmp_path, "link/etc/passwd")


@pytest.mark.parametrize("head, ext", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
    (b"\x89PNG\r\n\x1a\n\x00", "png"),
    (b"GIF89a\x01\x00", "gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    (b"\x00\x00\x00\x20ftypisom\x00", "mp4"),
    (b"\x00\x00\x00\x20ftypM4A \x00", "m4a"),
    (b"\x00\x00\x00\x14ftypqt  \x00", "mov"),
    (b"OggS\x00\x02", "ogg"),
    (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x86\x81\x01webm", "webm"),
    (b"ID3\x04\x00", "mp3"),
    (b"%PDF-1.7\n", "pdf"),
    (b"\x1f\x8b\x08\x00", "tgs"),
    (b"plain text", None),
])
def test_media_types_come_from_content(head, ext):
    assert sniff_extension(head) == ext


def test_attachment_names_never_trust_the_declared_extension():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    assert attachment_name(MediaRef(MediaKind.DOCUMENT, file_name="evil.md"), 5, png) == "5_evil.png"
    assert attachment_name(MediaRef(MediaKind.DOCUMENT, file_name="notes.md"), 6, b"# hi") == "6_notes.bin"
    assert attachment_name(MediaRef(MediaKind.DOCUMENT, file_name="data.csv"), 7, b"a,b\n1,2") == "7_data.csv"
    assert attachment_name(MediaRef(MediaKind.DOCUMENT, file_name="x.csv"), 8, b"\x00\x01") == "8_x.bin"
    assert attachment_name(MediaRef(MediaKind.PHOTO), 9, b"\xff\xd8\xff\xe0") == "9_photo.jpg"
    name = attachment_name(MediaRef(MediaKind.DOCUMENT, file_name="../../" + "a" * 300 + ".pdf"), 1, b"%PDF-")
    assert name.endswith(".pdf") and "/" not in name and len(name.encode()) <= 120
