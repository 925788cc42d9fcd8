"""Deleting a chat's files from the vault: only what tobsd wrote, nothing the user touched.

`purge_chat_folder` walks one chat's folder (``<root>/<Chat>/``, topics and
attachments included) and removes:

* **notes that hold nothing but tobsd's writing**: a period note whose
  properties are the ones tobsd sets (``tg_chat_id`` of this chat,
  ``tg_period``, ``tg_topic_id``, ``tags: [telegram]``), whose lines outside
  message blocks are blank or the heading tobsd writes (``… · <period>``),
  and whose every block still hashes to what tobsd recorded; the chat note
  when its properties are tobsd's only and its body outside the generated
  index region is blank;
* **media files tobsd downloaded**: files in the chat's attachments folder
  that an intact block of a deleted note embeds or links, and the files
  derived from them (``<stem>.<anything>``: posters, remuxes).

Everything else stays and is listed in `PurgeResult.kept` with the reason: a
note the user edited (text of their own, a changed block, a property they
added), a file tobsd did not write, a media file a kept note still shows,
and any symbolic link (never followed: the walk opens every folder and file
relative to its parent's descriptor with ``O_NOFOLLOW``, so a link, even one
swapped in during the walk, cannot lead it out of the vault). Folders left
empty are removed. A note that changes between being read and being
removed is kept (its stat is compared first).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Collection

from tobsd.vault.blocks import Block, UserText, parse_note
from tobsd.vault.frontmatter import read_string, split_entries
from tobsd.vault.notes import INDEX_BEGIN, INDEX_END

PERIOD_KEYS = {"tg_chat_id", "tg_period", "tg_topic_id", "tags"}
CHAT_NOTE_KEYS = {"tg_chat_id", "tg_kind", "tg_username", "tg_link", "title", "aliases",
                  "members", "synced_through", "message_count", "tags"}
_PERIOD_STEM = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_EMBED = re.compile(r"\[\[([^\]|#^]+)")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
MAX_NOTE_BYTES = 64 * 2**20


@dataclass(slots=True)
class PurgeResult:
    """Vault-relative paths: what was removed, and what was kept with why."""

    deleted_notes: list[str] = field(default_factory=list)
    deleted_media: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)     # (path, reason)


@dataclass(slots=True)
class _Entry:
    rel: str
    parent_fd: int
    name: str
    sig: tuple[int, int, int]


def purge_chat_folder(vault_dir: os.PathLike | str, folder_rel: str, chat_id: int,
                      attachments: str = "attachments",
                      shown_elsewhere: Collection[str] = ()) -> PurgeResult:
    """Remove tobsd's own files from the chat folder ``folder_rel`` (see module doc).

    ``shown_elsewhere``: vault-relative paths of media copies that notes of
    other chats show (a file forwarded to several chats is stored once);
    they and the files derived from them are kept.

    ``folder_rel`` is vault-relative; a folder that does not exist gives an
    empty result; a symbolic link on the way to it is refused (nothing is
    removed). Folders are opened by descriptor, so the caller's current
    directory does not matter."""
    result = PurgeResult()
    root_fd = _open_path(os.fspath(vault_dir), folder_rel)
    if root_fd is None:
        return result
    opened: list[int] = [root_fd]
    try:
        notes: list[_Entry] = []
        media: list[_Entry] = []
        dirs: list[tuple[int, str, str]] = []      # (parent fd, name, rel), parents first
        chat_note = f"{folder_rel}/{folder_rel.rsplit('/', 1)[-1]}.md"
        _walk(root_fd, folder_rel, f"{folder_rel}/{attachments}", notes, media, dirs, opened, result)
        embedded_by_kept: set[str] = set()
        embedded_by_deleted: set[str] = set()
        for entry in notes:
            text = _read(entry)
            verdict, embeds = _judge(text, entry, chat_id, is_chat_note=entry.rel == chat_note)
            if verdict is not None:
                result.kept.append((entry.rel, verdict))
                embedded_by_kept |= embeds
                continue
            if _unchanged(entry) and _unlink(entry):
                result.deleted_notes.append(entry.rel)
                embedded_by_deleted |= embeds
            else:
                result.kept.append((entry.rel, "changed while tobsd was removing it"))
                embedded_by_kept |= embeds
        stems = {_stem(p) for p in embedded_by_deleted}
        kept_stems = {_stem(p) for p in embedded_by_kept}
        elsewhere = {p for p in shown_elsewhere if p.startswith(folder_rel + "/")}
        elsewhere_stems = {_stem(p) for p in elsewhere}
        for entry in media:
            name = entry.rel.rsplit("/", 1)[-1]
            ours = entry.rel in embedded_by_deleted or any(name.startswith(s + ".") for s in stems)
            if entry.rel in embedded_by_kept or any(name.startswith(s + ".") for s in kept_stems):
                result.kept.append((entry.rel, "a kept note shows it"))
            elif entry.rel in elsewhere or any(name.startswith(s + ".") for s in elsewhere_stems):
                result.kept.append((entry.rel, "another chat's note shows it"))
            elif not ours:
                result.kept.append((entry.rel, "not a file tobsd downloaded for a removed note"))
            elif _unchanged(entry) and _unlink(entry):
                result.deleted_media.append(entry.rel)
            else:
                result.kept.append((entry.rel, "changed while tobsd was removing it"))
        for parent_fd, name, _rel in reversed(dirs):
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except OSError:
                pass     # not empty: something was kept there
        _rmdir_top(os.fspath(vault_dir), folder_rel)
    finally:
        for fd in opened:
            os.close(fd)
    result.deleted_notes.sort()
    result.deleted_media.sort()
    result.kept.sort()
    return result


def _open_path(vault_dir: str, rel: str) -> int | None:
    """A descriptor of the folder ``rel`` opened component by component
    without following links; None when it is missing or not a folder."""
    fd = os.open(vault_dir, _DIR_FLAGS & ~os.O_NOFOLLOW)
    for part in rel.split("/"):
        if part in ("", ".", ".."):
            os.close(fd)
            raise ValueError(f"not a vault-relative folder: {rel!r}")
        try:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except (FileNotFoundError, NotADirectoryError, OSError):
            os.close(fd)
            return None      # missing, a file, or a symbolic link (ELOOP): nothing of ours
        os.close(fd)
        fd = nxt
    return fd


def _walk(fd: int, rel: str, attachments_rel: str, notes: list[_Entry], media: list[_Entry],
          dirs: list, opened: list[int], result: PurgeResult) -> None:
    in_media = rel == attachments_rel or rel.startswith(attachments_rel + "/")
    with os.scandir(fd) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        child = f"{rel}/{e.name}"
        try:
            st = os.stat(e.name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            result.kept.append((child, "a symbolic link (never followed)"))
        elif stat.S_ISDIR(st.st_mode):
            if e.name.startswith("."):
                result.kept.append((child, "a hidden folder tobsd does not write"))
                continue
            try:
                sub = os.open(e.name, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                result.kept.append((child, "a folder tobsd cannot open"))
                continue
            opened.append(sub)
            dirs.append((fd, e.name, child))
            _walk(sub, child, attachments_rel, notes, media, dirs, opened, result)
        elif not stat.S_ISREG(st.st_mode):
            result.kept.append((child, "not a regular file"))
        elif in_media:
            media.append(_Entry(child, fd, e.name, _sig(st)))
        elif e.name.endswith(".md"):
            notes.append(_Entry(child, fd, e.name, _sig(st)))
        else:
            result.kept.append((child, "not a file tobsd writes there"))


def _judge(text: str | None, entry: _Entry, chat_id: int, *,
           is_chat_note: bool) -> tuple[str | None, set[str]]:
    """(None when the note is tobsd's alone, else why it is kept; the
    vault paths its blocks embed or link)."""
    if text is None:
        return "not readable as a note tobsd wrote (changed, too large or not UTF-8)", set()
    note = parse_note(text.replace("\r\n", "\n"))
    embeds = {m.group(1).strip() for b in note.blocks() for ln in b.lines for m in _EMBED.finditer(ln)}
    fm = note.frontmatter
    if not fm:
        return "no properties: not a note tobsd wrote", embeds
    keys = {k for k, _ in split_entries(fm[1:-1])}
    if read_string(fm, "tg_chat_id") != str(chat_id):
        return "not a note of this chat (tg_chat_id)", embeds
    if dict(split_entries(fm[1:-1])).get("tags") != ["tags: [telegram]"]:
        return "the user changed its tags", embeds
    if is_chat_note:
        if not keys <= CHAT_NOTE_KEYS:
            return "the user added properties", embeds
        if note.blocks():
            return "holds message blocks the chat note never has", embeds
        body = [ln for p in note.parts for ln in p.lines]
        try:
            start = body.index(INDEX_BEGIN)
            end = body.index(INDEX_END, start)
        except ValueError:
            return "the user changed the generated list of notes", embeds
        if any(ln.strip() for ln in body[:start] + body[end + 1:]):
            return "the user added text", embeds
        return None, embeds
    stem = entry.name[:-3]
    if not _PERIOD_STEM.match(stem) or not keys <= PERIOD_KEYS or read_string(fm, "tg_period") != stem:
        return "not a period note tobsd wrote (name or properties)", embeds
    heading_seen = False
    for part in note.parts:
        if isinstance(part, Block):
            if not part.intact:
                return f"the user edited message {part.msg_id}", embeds
            continue
        assert isinstance(part, UserText)
        for line in part.lines:
            if not line.strip():
                continue
            if not heading_seen and _is_heading(line, stem):
                heading_seen = True
                continue
            return "the user added text", embeds
    return None, embeds


def _is_heading(line: str, period: str) -> bool:
    """The line tobsd puts above a period note's blocks: ``<chat> · <period>``
    (``<chat> › <topic> · <period>`` in a forum; the chat's title as it was
    when the note was made)."""
    return line.endswith(f" · {period}")


def _stem(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _sig(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(entry: _Entry) -> str | None:
    try:
        fd = os.open(entry.name, _FILE_FLAGS, dir_fd=entry.parent_fd)
    except OSError:
        return None
    try:
        if _sig(os.fstat(fd)) != entry.sig or entry.sig[1] > MAX_NOTE_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read()
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unchanged(entry: _Entry) -> bool:
    try:
        st = os.stat(entry.name, dir_fd=entry.parent_fd, follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and _sig(st) == entry.sig


def _unlink(entry: _Entry) -> bool:
    try:
        os.unlink(entry.name, dir_fd=entry.parent_fd)
    except FileNotFoundError:
        return False
    return True


def _rmdir_top(vault_dir: str, folder_rel: str) -> None:
    """Remove the chat folder itself when it was left empty."""
    parent, _, name = folder_rel.rpartition("/")
    fd = _open_path(vault_dir, parent) if parent else os.open(vault_dir, _DIR_FLAGS & ~os.O_NOFOLLOW)
    if fd is None:
        return
    try:
        os.rmdir(name, dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)
