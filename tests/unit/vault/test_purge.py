"""Removing a chat's files (tobsd.vault.purge) against notes the real writer
wrote: only tobsd's own notes and media go; whatever the user touched stays."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from tobsd.core.models import Chat, ChatKind, MediaKind, MediaRef, Message, Person
from tobsd.vault.state import VaultState
from tobsd.vault.writer import VaultWriter

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
CHAT = Chat(-77, ChatKind.GROUP, "Team")
OTHER = Chat(-88, ChatKind.GROUP, "Other")
ADA = Person(1, "Ada")
DIR = "Telegram/Team"


def msg(chat: Chat, mid: int, day: int = 0, **kw) -> Message:
    return Message(chat.id, mid, T0 + timedelta(days=day, minutes=mid), ADA, f"message {mid}", **kw)


def photo(mid: int, name: str) -> MediaRef:
    return MediaRef(MediaKind.PHOTO, path=f"{DIR}/attachments/{name}")


async def synced_vault(tmp_path) -> VaultWriter:
    """Team: three daily notes (the second shows a photo, the third a
    document), a chat note, a people note; Other: one note."""
    writer = VaultWriter(tmp_path, durable=False)
    await writer.apply(CHAT, [msg(CHAT, 1)])          # names the chat's folder
    att = tmp_path / DIR / "attachments"
    att.mkdir()
    for name in ("2_photo.png", "2_photo.poster.jpg", "3_doc.pdf"):   # as the downloader leaves them
        (att / name).write_bytes(b"\x89PNG\r\n\x1a\n data")
    await writer.apply(CHAT, [msg(CHAT, 2, 1, media=photo(2, "2_photo.png")),
                              msg(CHAT, 3, 2, media=photo(3, "3_doc.pdf"))])
    await writer.write_chat_note(CHAT, message_count=3)
    await writer.write_person(ADA)
    await writer.apply(OTHER, [msg(OTHER, 1)])
    return writer


def files(tmp_path, under: str) -> set[str]:
    base = tmp_path / under
    return {p.relative_to(tmp_path).as_posix() for p in base.rglob("*") if not p.is_dir()} \
        if base.exists() else set()


async def test_an_untouched_chat_goes_entirely_and_nothing_else(tmp_path):
    writer = await synced_vault(tmp_path)
    people_before = files(tmp_path, "Telegram/People")
    result = await writer.purge_chat(CHAT)
    assert result.kept == []
    assert result.deleted_notes == [f"{DIR}/2026/2026-03-01.md", f"{DIR}/2026/2026-03-02.md",
                                    f"{DIR}/2026/2026-03-03.md", f"{DIR}/Team.md"]
    assert result.deleted_media == [f"{DIR}/attachments/2_photo.png",
                                    f"{DIR}/attachments/2_photo.poster.jpg",
                                    f"{DIR}/attachments/3_doc.pdf"]
    assert not (tmp_path / DIR).exists()             # emptied folders go too
    assert files(tmp_path, "Telegram/People") == people_before and people_before
    assert (tmp_path / "Telegram/Other/2026/2026-03-01.md").is_file()
    # forgotten: the chat added again gets its notes written afresh
    state = VaultState.load(tmp_path, "Telegram")
    assert not any(n.startswith(DIR + "/") for n in state.known_notes)
    # a chat-note refresh that was on its way when the chat was removed writes nothing
    assert await writer.write_chat_note(CHAT, message_count=3) == "unchanged"
    assert not (tmp_path / DIR).exists()
    again = await writer.apply(CHAT, [msg(CHAT, 1)])
    assert again.written == [f"{DIR}/2026/2026-03-01.md"]
    await writer.write_chat_note(CHAT, message_count=1)
    assert (tmp_path / DIR / "Team.md").is_file()


async def test_notes_the_user_touched_stay_and_are_listed(tmp_path):
    writer = await synced_vault(tmp_path)
    day1, day2, day3 = (tmp_path / DIR / "2026" / f"2026-03-0{d}.md" for d in (1, 2, 3))
    day1.write_text(day1.read_text("utf-8") + "\nmy own thoughts\n", "utf-8")
    day2.write_text(day2.read_text("utf-8").replace("message 2", "message 2 (fixed)"), "utf-8")
    chat_note = tmp_path / DIR / "Team.md"
    chat_note.write_text(chat_note.read_text("utf-8").replace("tags: [telegram]",
                                                              "tags: [telegram, work]"), "utf-8")
    (tmp_path / DIR / "attachments" / "mine.pdf").write_bytes(b"%PDF-1.4 mine")
    (tmp_path / DIR / "ideas.md").write_text("# my note\n", "utf-8")
    result = await writer.purge_chat(CHAT)
    kept = dict(result.kept)
    assert result.deleted_notes == [f"{DIR}/2026/2026-03-03.md"]
    assert kept[f"{DIR}/2026/2026-03-01.md"] == "the user added text"
    assert kept[f"{DIR}/2026/2026-03-02.md"] == "the user edited message 2"
    assert kept[f"{DIR}/Team.md"] == "the user changed its tags"
    assert f"{DIR}/ideas.md" in kept and f"{DIR}/attachments/mine.pdf" in kept
    # the photo the kept note shows stays; the document of the removed note goes
    assert kept[f"{DIR}/attachments/2_photo.png"] == "a kept note shows it"
    assert f"{DIR}/attachments/2_photo.poster.jpg" in kept
    assert result.deleted_media == [f"{DIR}/attachments/3_doc.pdf"]
    assert "my own thoughts" in day1.read_text("utf-8")
    assert "(fixed)" in day2.read_text("utf-8")
    assert not day3.exists()


async def test_symbolic_links_are_never_followed(tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "2026-03-09.md").write_text("precious\n", "utf-8")
    (outside / "2_photo.png").write_bytes(b"precious")
    vault = tmp_path / "vault"
    vault.mkdir()
    writer = await synced_vault(vault)
    # a linked folder where a year folder could be, a linked note and a linked attachment
    os.symlink(outside, vault / DIR / "2027")
    os.symlink(outside / "2026-03-09.md", vault / DIR / "2026" / "2026-03-09.md")
    os.remove(vault / DIR / "attachments" / "2_photo.poster.jpg")
    os.symlink(outside / "2_photo.png", vault / DIR / "attachments" / "2_photo.poster.jpg")
    result = await writer.purge_chat(CHAT)
    kept = dict(result.kept)
    for link in ("2027", "2026/2026-03-09.md", "attachments/2_photo.poster.jpg"):
        assert kept[f"{DIR}/{link}"] == "a symbolic link (never followed)"
        assert os.path.islink(vault / DIR / link)
    assert sorted(p.name for p in outside.iterdir()) == ["2026-03-09.md", "2_photo.png"]
    assert (outside / "2_photo.png").read_bytes() == b"precious"
    assert len(result.deleted_notes) == 4


async def test_a_linked_chat_folder_is_not_entered(tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    writer = await synced_vault(tmp_path)
    os.rename(tmp_path / DIR, outside)
    os.symlink(outside, tmp_path / DIR)
    result = await writer.purge_chat(CHAT)
    assert result.deleted_notes == [] and result.deleted_media == []
    assert (outside / "Team.md").is_file() and os.path.islink(tmp_path / DIR)


async def test_a_forums_topic_folders_go_too(tmp_path):
    from tobsd.core.models import Topic
    forum = Chat(-99, ChatKind.FORUM, "Forum")
    writer = VaultWriter(tmp_path, durable=False)
    writer.register_topic(Topic(forum.id, 5, "Ideas"))
    await writer.apply(forum, [msg(forum, 1, topic_id=1), msg(forum, 6, topic_id=5)])
    await writer.write_chat_note(forum)
    notes = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "Telegram/Forum").rglob("*.md"))
    assert len(notes) == 3 and any("/Ideas/" in n for n in notes)
    result = await writer.purge_chat(forum)
    assert result.deleted_notes == notes and result.kept == []
    assert not (tmp_path / "Telegram/Forum").exists()


async def test_a_copy_another_chats_note_shows_is_kept_with_its_derived_files(tmp_path):
    """A file forwarded to several chats is stored once, in the folder of the
    chat that got it first; that chat's removal keeps it for the others."""
    writer = await synced_vault(tmp_path)
    result = await writer.purge_chat(CHAT, shown_elsewhere={f"{DIR}/attachments/2_photo.png",
                                                           "Telegram/Other/attachments/9_x.png"})
    kept = dict(result.kept)
    assert kept == {f"{DIR}/attachments/2_photo.png": "another chat's note shows it",
                    f"{DIR}/attachments/2_photo.poster.jpg": "another chat's note shows it"}
    assert result.deleted_media == [f"{DIR}/attachments/3_doc.pdf"]
    assert (tmp_path / DIR / "attachments" / "2_photo.poster.jpg").is_file()
    assert not (tmp_path / DIR / "2026").exists()
