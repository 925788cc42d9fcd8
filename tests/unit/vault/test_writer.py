"""The writer against real files: order, idempotence, edits, deletions, the user's writing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tobsd.core.models import Chat, ChatKind, Message, Person
from tobsd.vault.blocks import parse_note
from tobsd.vault.options import ChatSettings, VaultConfig
from tobsd.vault.writer import VaultWriter

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
CHAT = Chat(-77, ChatKind.GROUP, "Team")
ADA = Person(1, "Ada")


def msg(mid: int, text: str = "", minutes: int = 0, **kw) -> Message:
    return Message(CHAT.id, mid, T0 + timedelta(minutes=minutes or mid), ADA, text or f"message {mid}", **kw)


@pytest.fixture
def writer(tmp_path):
    return VaultWriter(tmp_path, durable=False)


NOTE = "Telegram/Team/2026/2026-03-01.md"


def read(tmp_path) -> str:
    return (tmp_path / NOTE).read_text("utf-8")


def ids(tmp_path) -> list[tuple[int, int]]:
    return [(b.msg_id, b.rev) for b in parse_note(read(tmp_path)).blocks()]


async def test_blocks_are_inserted_in_id_order(writer, tmp_path):
    await writer.apply(CHAT, [msg(5), msg(1)])
    await writer.apply(CHAT, [msg(3)])
    await writer.apply(CHAT, [msg(9), msg(2)])
    assert [i for i, _ in ids(tmp_path)] == [1, 2, 3, 5, 9]
    text = read(tmp_path)
    assert "\n\n\n" not in text  # one blank line between blocks, no pile-up


async def test_applying_twice_changes_nothing(writer, tmp_path):
    batch = [msg(1), msg(2, "hello **there**")]
    first = await writer.apply(CHAT, batch)
    before = (tmp_path / NOTE).stat()
    second = await writer.apply(CHAT, batch)
    assert first.written == [NOTE] and second.written == [] and second.unchanged == [NOTE]
    after = (tmp_path / NOTE).stat()
    # Not rewritten: a rewrite renames a new file over it (a new inode), which
    # an mtime within the same clock tick would not show.
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # a fresh writer (new process) agrees
    again = await VaultWriter(tmp_path, durable=False).apply(CHAT, batch)
    assert again.written == []


async def test_edit_rerenders_only_that_block(writer, tmp_path):
    await writer.apply(CHAT, [msg(1), msg(2), msg(3)])
    old = parse_note(read(tmp_path))
    await writer.apply(CHAT, [msg(2, "changed", edit_date=T0 + timedelta(hours=1))])
    new = parse_note(read(tmp_path))
    assert [b.all_lines() for b in new.blocks()][0::2] == [b.all_lines() for b in old.blocks()][0::2]
    assert "> changed" in new.blocks()[1].lines and "edited" in new.blocks()[1].lines[0]


async def test_deletion_marks_the_block(writer, tmp_path):
    await writer.apply(CHAT, [msg(1), msg(2)])
    await writer.apply(CHAT, [msg(2, deleted=True)])
    block = parse_note(read(tmp_path)).blocks()[1]
    assert block.lines[0].startswith("> [!tg-deleted]+") and "🗑 deleted" in block.lines[0]
    assert "> message 2" in block.lines


async def test_deletion_by_id_marks_the_block(writer, tmp_path):
    await writer.apply(CHAT, [msg(1), msg(2)])
    await writer.mark_deleted(CHAT, [2, 999])
    blocks = parse_note(read(tmp_path)).blocks()
    assert blocks[1].deleted_mark and blocks[1].intact and not blocks[0].deleted_mark
    assert (await writer.mark_deleted(CHAT, [2])).written == []  # idempotent


async def test_removing_deleted_messages_when_configured(tmp_path):
    config = VaultConfig(per_chat={CHAT.id: ChatSettings(remove_deleted=True)})
    writer = VaultWriter(tmp_path, config, durable=False)
    await writer.apply(CHAT, [msg(1), msg(2), msg(3)])
    await writer.apply(CHAT, [msg(2, deleted=True)])
    assert [i for i, _ in ids(tmp_path)] == [1, 3]
    assert "\n\n\n" not in read(tmp_path)


async def test_user_text_outside_blocks_survives_rewrites(writer, tmp_path):
    await writer.apply(CHAT, [msg(1), msg(5)])
    text = read(tmp_path).replace("^m1\n", "^m1\n\nMy note about message one.\n- [ ] follow up\n")
    text += "\n## Summary\nwritten by me\n"
    (tmp_path / NOTE).write_text(text)
    writer.external_change(tmp_path / NOTE)
    await writer.apply(CHAT, [msg(3), msg(5, "edited five", edit_date=T0), msg(7)])
    after = read(tmp_path)
    assert "My note about message one.\n- [ ] follow up\n" in after
    assert after.index("follow up") < after.index("^m3")  # stays under message 1
    assert after.index("written by me") < after.index("^m7")  # new messages go after it
    assert [i for i, _ in ids(tmp_path)] == [1, 3, 5, 7]


async def test_user_edited_block_gets_a_revision_not_an_overwrite(writer, tmp_path):
    await writer.apply(CHAT, [msg(1), msg(2, "original")])
    text = read(tmp_path).replace("> original", "> original (my correction)")
    (tmp_path / NOTE).write_text(text)
    writer.external_change(tmp_path / NOTE)
    # Telegram's version did not change: nothing to add
    assert (await writer.apply(CHAT, [msg(2, "original")])).written == []
    await writer.apply(CHAT, [msg(2, "edited in telegram", edit_date=T0)])
    after = read(tmp_path)
    assert "> original (my correction)" in after
    assert ids(tmp_path) == [(1, 0), (2, 0), (2, 1)]
    assert "revision 1" in after and "^m2-r1" in after
    # the revision is TOBS's own: later edits update it in place
    await writer.apply(CHAT, [msg(2, "edited again", edit_date=T0)])
    assert ids(tmp_path) == [(1, 0), (2, 0), (2, 1)]
    assert "> edited again" in read(tmp_path) and "> original (my correction)" in read(tmp_path)


async def test_block_with_removed_id_line_counts_as_user_edited(writer, tmp_path):
    await writer.apply(CHAT, [msg(1, "keep me")])
    (tmp_path / NOTE).write_text(read(tmp_path).replace("^m1\n", "my words instead\n"))
    await writer.apply(CHAT, [msg(1, "new text", edit_date=T0)])
    after = read(tmp_path)
    assert "my words instead" in after and "> keep me" in after and "> new text" in after


async def test_note_deleted_by_user_is_recreated_only_on_resync(writer, tmp_path):
    await writer.apply(CHAT, [msg(1)])
    (tmp_path / NOTE).unlink()
    result = await writer.apply(CHAT, [msg(2)])
    assert result.skipped_user_deleted == [NOTE] and not (tmp_path / NOTE).exists()
    # a restarted daemon remembers too
    result = await VaultWriter(tmp_path, durable=False).apply(CHAT, [msg(2)])
    assert not (tmp_path / NOTE).exists()
    await writer.apply(CHAT, [msg(1), msg(2)], resync=True)
    assert [i for i, _ in ids(tmp_path)] == [1, 2]


async def test_chat_rename_keeps_folder_and_adds_alias(writer, tmp_path):
    await writer.apply(CHAT, [msg(1)])
    await writer.write_chat_note(CHAT, synced_through=T0, message_count=1)
    renamed = Chat(CHAT.id, CHAT.kind, "Team: renamed")
    await writer.apply(renamed, [msg(2)])
    await writer.write_chat_note(renamed, synced_through=T0, message_count=2)
    note = (tmp_path / "Telegram/Team/Team.md").read_text()
    assert 'title: "Team: renamed"' in note and 'aliases: ["Team", "Team: renamed"]' in note
    assert "message_count: 2" in note and "[[Telegram/Team/2026/2026-03-01|2026-03-01]]" in note
    assert not (tmp_path / "Telegram/Team_ renamed").exists()


async def test_chat_note_keeps_user_properties_and_text(writer, tmp_path):
    await writer.apply(CHAT, [msg(1)])
    await writer.write_chat_note(CHAT, message_count=1)
    path = tmp_path / "Telegram/Team/Team.md"
    text = path.read_text().replace("tags: [telegram]\n", "tags: [telegram]\nrating: 5\nmy_list:\n  - a\n")
    path.write_text(text + "\nMy thoughts on this chat.\n")
    await writer.write_chat_note(CHAT, message_count=9)
    after = path.read_text()
    assert "rating: 5\nmy_list:\n  - a\n" in after and "My thoughts on this chat." in after
    assert "message_count: 9" in after and after.count("tobs:index-begin") == 1


async def test_daily_notes_follow_the_chat_time_zone(tmp_path):
    from zoneinfo import ZoneInfo
    config = VaultConfig(per_chat={CHAT.id: ChatSettings(tz=ZoneInfo("Asia/Tokyo"), period="day")})
    writer = VaultWriter(tmp_path, config, durable=False)
    late = Message(CHAT.id, 1, datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc), ADA, "late")
    await writer.apply(CHAT, [late])
    assert (tmp_path / "Telegram/Team/2026/2026-03-02.md").exists()
    (tmp_path / "m").mkdir()
    monthly = VaultWriter(tmp_path / "m", VaultConfig(default_chat=ChatSettings(period="month")), durable=False)
    await monthly.apply(CHAT, [late])
    assert "> [!tg-msg]+ 2026-03-01 20:00" in (tmp_path / "m/Telegram/Team/2026/2026-03.md").read_text()


async def test_crlf_and_non_utf8_notes_are_understood_and_preserved(writer, tmp_path):
    await writer.apply(CHAT, [msg(1)])
    path = tmp_path / NOTE
    raw = path.read_bytes().replace(b"\n", b"\r\n") + b"\r\nmine: \xff\xfe bytes\r\n"
    path.write_bytes(raw)
    writer.external_change(path)
    assert (await writer.apply(CHAT, [msg(1)])).written == []  # same message: nothing to do
    await writer.apply(CHAT, [msg(2)])
    after = path.read_bytes()
    assert after.count(b"^m1") == 1 and b"^m2" in after and b"mine: \xff\xfe bytes" in after


async def test_media_path_that_is_not_a_safe_vault_path_is_not_embedded(writer, tmp_path):
    from tobsd.core.models import MediaKind, MediaRef
    bad = msg(1, media=MediaRef(MediaKind.PHOTO, path="Telegram/x]]/../../etc/passwd.png"))
    await writer.apply(CHAT, [bad])
    assert "![[" not in read(tmp_path) and "not downloaded" in read(tmp_path)


async def test_chat_folder_is_found_again_when_the_state_file_is_lost(writer, tmp_path):
    await writer.apply(CHAT, [msg(1)])
    await writer.write_chat_note(CHAT)
    (tmp_path / "Telegram/.tobs/state.json").unlink()
    fresh = VaultWriter(tmp_path, durable=False)
    await fresh.apply(CHAT, [msg(1), msg(2)])
    assert [i for i, _ in ids(tmp_path)] == [1, 2]
    assert sorted(p.name for p in (tmp_path / "Telegram").iterdir() if not p.name.startswith(".")) == \
        ["People", "Team"]


async def test_a_note_deleted_by_the_user_comes_back_with_new_messages_only(writer, tmp_path,
                                                                            caplog):
    import logging
    caplog.set_level(logging.INFO, logger="tobsd.vault.writer")
    await writer.apply(CHAT, [msg(1, "old one"), msg(2, "old two")])
    (tmp_path / NOTE).unlink()
    # An edit of an old message is not new: the note stays deleted.
    result = await writer.apply(CHAT, [msg(2, "old two, edited", edit_date=T0)],
                                new_ids=frozenset())
    assert result.skipped_user_deleted == [NOTE] and not (tmp_path / NOTE).exists()
    # A new message of the same period brings the note back, holding only it.
    result = await writer.apply(CHAT, [msg(1, "old one again"), msg(3, "new three")],
                                new_ids=frozenset({3}))
    assert result.recreated == [NOTE]
    assert [i for i, _ in ids(tmp_path)] == [3]
    assert "old one" not in read(tmp_path)
    assert sum("was deleted in the vault" in r.getMessage() for r in caplog.records) == 1
    # Later: an edit of an old message stays out, a newer message goes in,
    # also for a restarted writer.
    restarted = VaultWriter(tmp_path, durable=False)
    await restarted.apply(CHAT, [msg(2, "old two, edited again", edit_date=T0)],
                          new_ids=frozenset())
    await restarted.apply(CHAT, [msg(4, "new four")], new_ids=frozenset({4}))
    assert [i for i, _ in ids(tmp_path)] == [3, 4]
    assert writer.deleted_notes(CHAT.id) == [NOTE] == restarted.deleted_notes(CHAT.id)
    # An explicit resync brings everything back.
    await restarted.apply(CHAT, [msg(1), msg(2), msg(3), msg(4)], resync=True)
    assert [i for i, _ in ids(tmp_path)] == [1, 2, 3, 4]


async def test_media_go_to_the_chats_attachments_folder_or_the_shared_one(tmp_path):
    own = VaultWriter(tmp_path / "a", durable=False)
    assert await own.attachments_folder(Chat(-5, ChatKind.CHANNEL, "News")) == "Telegram/News/attachments"
    shared = VaultWriter(tmp_path / "b", VaultConfig(shared_attachments="Attachments"), durable=False)
    assert await shared.attachments_folder(Chat(-5, ChatKind.CHANNEL, "News")) == "Telegram/Attachments"
    # A chat whose title is the shared folder's name gets a folder of its own.
    clash = Chat(-6, ChatKind.CHANNEL, "Attachments")
    assert shared.layout.chat_folder(clash) != "Telegram/Attachments"
