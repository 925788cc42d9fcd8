"""The notes on disk as the writer sees them: read through a cache, changed
by compare-and-swap, made durable one at a time or a batch at a time.

* **Compare-and-swap**: a note is read, changed in memory, and written only
  if the file on disk is still what was read: a cheap ``stat`` check first,
  then an atomic exchange whose displaced file must equal what was read
  (else the exchange is undone). On a conflict the whole step is redone
  from a fresh read. What was last written is cached; a watcher report or a
  changed ``stat`` makes the next step read the note again.
* **One at a time** (the default): every committed note is durable when
  :meth:`NoteFiles.update` returns (temp file, fsync, swap, fsync of the
  folder: :func:`~tobsd.vault.atomic.replace_if_unchanged`).
* **A batch at a time**: between :meth:`NoteFiles.begin_batch` and
  :meth:`NoteFiles.flush`, committed notes are staged in memory (later steps
  of the batch read what earlier ones staged) and :meth:`flush` puts them
  all on disk with shared fsyncs (:func:`~tobsd.vault.durable.replace_many`),
  their temp files made in one folder (``<root>/.tobs/tmp``).
  Nothing staged is durable, nor may be reported so, before ``flush``
  returns. A note that changed on disk since it was read is not
  overwritten: its steps are redone, one at a time, on what is there now.
* Names given in a step (a chat's folder) are made durable before any note
  lands under them, so after a crash a folder never looks like a stranger's.
* Every path is checked to stay inside the vault with no symbolic link on
  the way (:func:`~tobsd.vault.paths.resolve_inside`); within a batch a
  folder found whole is checked once, not again for each of its notes, and
  the note's own name is still refused when it is a link.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tobsd.vault.atomic import PathEscapeError, VaultError, make_dirs, replace_if_unchanged
from tobsd.vault.blocks import Note, parse_note
from tobsd.vault.durable import Replacement, replace_many
from tobsd.vault.lru import LRU
from tobsd.vault.paths import VaultLayout
from tobsd.vault.state import VaultState

MAX_CAS_ATTEMPTS = 5
# Where a batch's temp files are made (see tobsd.vault.durable): in the
# state's dot folder, which Obsidian does not index and the start sweeps.
STAGING = ".tobs/tmp"
# Notes kept parsed in memory: enough for the notes the backfill's pages in
# flight fall into, bounded by their size too (a parsed note takes many
# times its text, and a busy chat's daily notes are large).
NOTES_CACHED = 64
NOTES_CACHED_CHARS = 4 * 2**20

Change = Callable[[Note], bool]
Create = Callable[[], Note]
Sig = tuple[int, int, int]
_STAGED_SIG: Sig = (-1, -1, -1)


class ConflictError(VaultError):
    """A note kept changing under the writer; the step was not applied."""


@dataclass(slots=True)
class _Cached:
    text: str
    note: Note | None
    sig: Sig


@dataclass(slots=True)
class _Staged:
    """A note changed in this batch: what the disk held when it was read
    (None: absent), and what it is to hold."""
    on_disk: str | None
    text: str
    note: Note | None = None
    steps: list[tuple[Change, Create, bool]] = field(default_factory=list)


def _sig(st: os.stat_result) -> Sig:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def read_text(path: Path) -> str:
    """A note's text; bytes that are not UTF-8 survive a rewrite unchanged (surrogateescape)."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def lf(text: str) -> str:
    """Text with CRLF line ends made LF (an editor may have converted the note)."""
    return text.replace("\r\n", "\n") if "\r\n" in text else text


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class NoteFiles:
    """Reads and compare-and-swap writes of the notes under ``vault_dir`` (see module doc)."""

    def __init__(self, vault_dir: Path, root: str, layout: VaultLayout, state: VaultState, *,
                 durable: bool = True) -> None:
        self.vault_dir = vault_dir
        self.root = root
        self.layout = layout
        self.state = state
        self.durable = durable
        self._cache: LRU[str, _Cached] = LRU(NOTES_CACHED, max_weight=NOTES_CACHED_CHARS,
                                             weigh=lambda c: len(c.text))
        self._flagged: set[str] = set()
        self._staged: dict[str, _Staged] | None = None
        self._vault_prefix = os.path.join(os.fspath(vault_dir), "")
        # Folders (vault-relative) checked whole in this batch -> absolute path.
        self._folders: dict[str, str] = {}

    def _path(self, rel: str) -> Path:
        """The absolute path of a note, checked (see module doc)."""
        if self._staged is None:
            return self.layout.absolute(rel)
        folder, _, name = rel.rpartition("/")
        base = self._folders.get(folder)
        if base is None:
            if not folder or name in ("", ".", ".."):
                return self.layout.absolute(rel)
            checked = self.layout.absolute(folder)
            if not os.path.isdir(checked):   # not there yet: checked again once made
                return self.layout.absolute(rel)
            base = self._folders[folder] = os.fspath(checked)
        return Path(base + "/" + name)

    @staticmethod
    def _refuse_link(path: Path, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode):
            raise PathEscapeError(f"symbolic link inside the vault: {path}")

    # -- what others changed -----------------------------------------------------
    def external_change(self, path: str | Path) -> None:
        """The watcher saw ``path`` change: its next write re-reads and compares content."""
        p = os.fspath(path)
        base = self._vault_prefix
        if p.startswith(base):
            rel = p[len(base):]     # (plain strings: every write of our own comes here)
        elif os.path.isabs(p):
            return
        else:
            rel = Path(p).as_posix()
        cached = self._cache.get(rel)
        if cached is not None:
            try:
                if _sig(os.lstat(base + rel)) == cached.sig:
                    return  # our own write; a same-stat change by someone else is still
                            # caught by the content check of the next commit's swap
            except OSError:
                pass
        self._flagged.add(rel)

    def forget(self, rel: str) -> None:
        """Drop what is cached of a note (it was removed)."""
        self._cache.pop(rel, None)
        self._flagged.discard(rel)

    # -- reading ------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        """Whether the note is there (or staged to be, in a batch)."""
        if self._staged is not None and rel in self._staged:
            return True
        return os.path.lexists(self._path(rel))

    def staged_under(self, folder: str) -> list[str]:
        """Notes staged in this batch under ``folder`` (vault-relative), not on disk yet."""
        prefix = folder.rstrip("/") + "/"
        return [rel for rel, s in (self._staged or {}).items()
                if rel.startswith(prefix) and s.on_disk is None]

    def read(self, rel: str) -> tuple[str | None, Note | None, Sig | None]:
        """(text, parsed note or None, stat signature) of a note; all None if absent."""
        if self._staged is not None and (staged := self._staged.get(rel)) is not None:
            return staged.text, staged.note, _STAGED_SIG
        path = self._path(rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self._cache.pop(rel, None)
            return None, None, None
        self._refuse_link(path, st)
        cached = self._cache.get(rel)
        if cached and rel not in self._flagged and cached.sig == _sig(st):
            return cached.text, cached.note, cached.sig
        self._flagged.discard(rel)
        text, st2 = read_text(path), os.lstat(path)
        while _sig(st2) != _sig(st):  # changed while being read: read again
            st = st2
            text, st2 = read_text(path), os.lstat(path)
        note = parse_note(lf(text))
        self._cache[rel] = _Cached(text, note, _sig(st2))
        return text, note, _sig(st2)

    # -- writing --------------------------------------------------------------------
    def _commit(self, rel: str, expected: str | None, sig: Sig | None, new_text: str) -> bool:
        """Write ``new_text`` if the note is still ``expected`` (None: still
        absent); in a batch, stage it."""
        if self._staged is not None:
            staged = self._staged.get(rel)
            if staged is not None:
                staged.text, staged.note = new_text, None
                return True
        path = self._path(rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None:
            self._refuse_link(path, st)
        if (expected is None) != (st is None) or (st is not None and _sig(st) != sig):
            return False  # cheap early answer; the swap is the real check
        if self._staged is not None:
            self._staged[rel] = _Staged(expected, new_text)
            return True
        self._save_names()
        make_dirs(self.vault_dir, rel.rsplit("/", 1)[0])
        if not replace_if_unchanged(path, _encode(new_text),
                                    None if expected is None else _encode(expected),
                                    durable=self.durable):
            return False
        self._landed(rel, new_text, None, path)
        return True

    def _landed(self, rel: str, text: str, note: Note | None, path: Path | None = None) -> None:
        self._flagged.discard(rel)
        self._cache[rel] = _Cached(text, note, _sig(os.lstat(path or self._path(rel))))
        self.state.note_created(rel)

    def _save_names(self) -> None:
        # A name given in this step (a chat's folder, a topic's, a person's)
        # must be durable before anything lands under it: after a crash the
        # folder on disk would otherwise look like a stranger's and the chat
        # would get a second folder.
        if self.state.names_dirty:
            self.state.save(self.vault_dir, self.root, durable=self.durable)

    def update(self, rel: str, change: Change, create: Create, resync: bool) -> str:
        """Read-modify-CAS loop. ``change(note) -> bool``; ``create() -> Note`` for a new note.

        Returns "written", "unchanged" or "skipped" (a note the user deleted)."""
        for _ in range(MAX_CAS_ATTEMPTS):
            text, note, sig = self.read(rel)
            if text is None:
                if rel in self.state.known_notes and not resync:
                    return "skipped"
                note = create()
            elif note is None:
                note = parse_note(lf(text))
            changed = change(note)
            if not changed:
                return "unchanged"   # also: a missing note that would get nothing is not created
            new_text = note.serialize()
            if text is not None and new_text == lf(text):
                return "unchanged"
            try:
                committed = self._commit(rel, text, sig, new_text)
            except BaseException:
                self._cache.pop(rel, None)  # the cached note may hold the failed change
                raise
            if committed:
                if self._staged is not None and (staged := self._staged.get(rel)) is not None:
                    staged.note = note
                    staged.steps.append((change, create, resync))
                elif (cached := self._cache.get(rel)) is not None:
                    cached.note = note
                return "written"
            self._cache.pop(rel, None)
        raise ConflictError(f"{rel} kept changing while it was being updated")

    # -- batches --------------------------------------------------------------------
    @property
    def batching(self) -> bool:
        return self._staged is not None

    def begin_batch(self) -> None:
        """Stage committed notes from now until :meth:`flush`."""
        if self._staged is None:
            self._staged = {}
            self._folders.clear()

    def flush(self) -> None:
        """Put every staged note on disk, durably (see module doc), and end
        the batch. On an error nothing of the batch may be reported durable
        (notes that landed are, and stay correct); the batch ends either way."""
        staged, self._staged = self._staged or {}, None
        try:
            self._save_names()
            items: list[tuple[str, _Staged, Path]] = []
            made: dict[str, Path] = {}     # each folder made (and checked) once
            for rel, s in staged.items():
                if s.on_disk is not None and s.text == s.on_disk:
                    continue   # changed and changed back within the batch
                folder, _, name = rel.rpartition("/")
                if folder not in made:
                    made[folder] = make_dirs(self.vault_dir, folder)
                if name in ("", ".", ".."):
                    raise PathEscapeError(f"not a note name: {rel!r}")
                items.append((rel, s, made[folder] / name))
            staging = make_dirs(self.vault_dir, f"{self.root}/{STAGING}") if items else None
            landed = replace_many(
                [Replacement(path, _encode(s.text), None if s.on_disk is None else _encode(s.on_disk))
                 for _, s, path in items], durable=self.durable, staging=staging)
        except BaseException:
            for rel in staged:   # cached notes may hold staged changes
                self._cache.pop(rel, None)
            raise
        for (rel, s, path), ok in zip(items, landed):
            if ok:
                self._landed(rel, s.text, s.note, path)
                continue
            # Someone changed the note since it was read: redo its steps on
            # what is there now, one at a time.
            self._cache.pop(rel, None)
            self._flagged.add(rel)
            for change, create, resync in s.steps:
                self.update(rel, change, create, resync)
