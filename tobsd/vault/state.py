"""What the vault remembers between runs: the names it gave and the notes it made.

* Folder and note names are chosen once per chat, topic and person and then
  kept, so a renamed chat keeps its folder (the chat note gains an alias).
* ``known_notes`` lists every note the writer has created. A known note that
  is missing was deleted by the user: its old messages are only brought back
  by an explicit resync. A message that is new to tobsd still gets written
  there (the note comes back holding only the new messages), and ``floors``
  remembers, per such note, the first message id it holds again: older
  messages (message ids only grow) stay out of it until a resync.
* ``render_version``: the escaping rules all those notes follow (see
  :mod:`tobsd.vault.migrate`).

The state lives in ``<root>/.tobs/state.json`` (a dot folder: Obsidian does not
index it) and is saved atomically whenever it changes. Notes created since
that save are appended to ``<root>/.tobs/notes.log`` instead (one JSON
string a line, fsynced): a backfill creates thousands of notes, and
rewriting every name known at each of its batches would cost more the
bigger the vault. The log is folded into ``state.json`` once it would hold
more names than the state itself (or any other part of the state changes);
a line a crash cut short is ignored (its note is recorded again when it is
next written), and a name both in the state and the log counts once.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tobsd.vault.atomic import _full, atomic_write, fsync_dir, make_dirs
from tobsd.vault.names import collision_key

LOG_FOLD_MIN = 1000   # the log is folded into the state at this many lines at the least


@dataclass(slots=True)
class VaultState:
    """Names by namespace and key, plus the set of notes the writer created."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)
    known_notes: set[str] = field(default_factory=set)
    floors: dict[str, int] = field(default_factory=dict)
    dirty: bool = False
    names_dirty: bool = False      # a name was given since the last save
    # The escaping rules every note is known to follow (tobsd.vault.migrate);
    # 0: a vault TOBS has not written to yet, 1: a state saved before versions.
    render_version: int = 0
    _taken: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)
    # Notes created since the last save, for the log; whether anything else
    # changed (then state.json itself is written); lines in the log now.
    _fresh: list[str] = field(default_factory=list, repr=False, compare=False)
    _whole: bool = field(default=False, repr=False, compare=False)
    _log_lines: int = field(default=0, repr=False, compare=False)

    def _changed(self) -> None:
        self.dirty = self._whole = True

    def name_for(self, namespace: str, key: str) -> str | None:
        """The name given earlier to ``key`` in ``namespace``, if any."""
        return self.names.get(namespace, {}).get(key)

    def taken(self, namespace: str) -> set[str]:
        """Collision keys of the names used in ``namespace`` (see :func:`~tobsd.vault.names.collision_key`).

        Kept up to date as names are given (a namespace may hold thousands of
        people); the caller must not change the set."""
        keys = self._taken.get(namespace)
        if keys is None:
            keys = self._taken[namespace] = {collision_key(n) for n in self.names.get(namespace, {}).values()}
        return keys

    def assign(self, namespace: str, key: str, name: str) -> None:
        """Remember ``name`` for ``key``."""
        names = self.names.setdefault(namespace, {})
        earlier = names.get(key)
        names[key] = name
        keys = self._taken.get(namespace)
        if keys is not None:
            if earlier is None:
                keys.add(collision_key(name))
            else:
                del self._taken[namespace]  # a name replaced: count again when asked
        self._changed()
        self.names_dirty = True

    def set_render_version(self, version: int) -> None:
        """Record that every note follows the escaping rules of ``version``."""
        if version != self.render_version:
            self.render_version = version
            self._changed()

    def note_created(self, rel_path: str) -> None:
        """Record that the writer created ``rel_path``."""
        if rel_path not in self.known_notes:
            self.known_notes.add(rel_path)
            self._fresh.append(rel_path)
            self.dirty = True

    def forget_note(self, rel_path: str) -> None:
        """Forget ``rel_path`` (after an explicit resync recreated or dropped it)."""
        if rel_path in self.known_notes:
            self.known_notes.discard(rel_path)
            self._changed()
        if self.floors.pop(rel_path, None) is not None:
            self._changed()

    def set_floor(self, rel_path: str, msg_id: int) -> None:
        """The user deleted ``rel_path``; it comes back holding messages from
        ``msg_id`` on only."""
        self.floors[rel_path] = msg_id
        self._changed()

    def clear_floor(self, rel_path: str) -> None:
        """A resync brought every message of ``rel_path`` back."""
        if self.floors.pop(rel_path, None) is not None:
            self._changed()

    # -- persistence -------------------------------------------------------

    @staticmethod
    def state_path(vault_dir: Path, root: str) -> Path:
        return vault_dir / root / ".tobs" / "state.json"

    @staticmethod
    def log_path(vault_dir: Path, root: str) -> Path:
        return vault_dir / root / ".tobs" / "notes.log"

    @classmethod
    def load(cls, vault_dir: Path, root: str) -> "VaultState":
        """Load the saved state and the notes logged since, or an empty
        state when there is none yet."""
        path = cls.state_path(vault_dir, root)
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            state = cls()
        else:
            state = cls(names={k: dict(v) for k, v in raw.get("names", {}).items()},
                        known_notes=set(raw.get("known_notes", [])),
                        render_version=int(raw.get("render_version", 1)),
                        floors={k: int(v) for k, v in raw.get("floors", {}).items()})
        try:
            logged = cls.log_path(vault_dir, root).read_bytes()
        except FileNotFoundError:
            return state
        lines = logged.split(b"\n")
        for line in lines[:-1]:     # the last is empty, or a line a crash cut short
            try:
                rel = json.loads(line)
            except ValueError:
                continue
            if isinstance(rel, str):
                state.known_notes.add(rel)
        state._log_lines = len(lines) - 1
        return state

    def save(self, vault_dir: Path, root: str, *, durable: bool = True) -> None:
        """Record what changed since the last save: the notes created only,
        by appending them to the log; anything else, or a log as long as
        the state, by writing the state atomically (see module doc).
        Durable when it returns (unless ``durable=False``)."""
        if not self.dirty:
            return
        folder = make_dirs(vault_dir, f"{root}/.tobs")
        if stat.S_IMODE(os.stat(folder).st_mode) != 0o700:
            os.chmod(folder, 0o700)   # chat and people names: not for other users
        log = self.log_path(vault_dir, root)
        logged = self._log_lines + len(self._fresh)
        if not self._whole and logged <= max(LOG_FOLD_MIN, len(self.known_notes) - logged):
            lines = "".join(json.dumps(rel, ensure_ascii=False) + "\n" for rel in self._fresh)
            try:
                self._append(log, lines.encode("utf-8"), durable)
            except Exception:
                self._whole = True   # a torn line may be left: the next save writes it all
                raise
            self._log_lines += len(self._fresh)
        else:
            data = json.dumps({"names": self.names, "known_notes": sorted(self.known_notes),
                               "render_version": self.render_version, "floors": self.floors},
                              ensure_ascii=False, indent=1, sort_keys=True)
            atomic_write(self.state_path(vault_dir, root), data.encode("utf-8"),
                         durable=durable, mode=0o600)
            if self._log_lines or os.path.lexists(log):
                # Emptied durably: a name the state just forgot must not come back from it.
                self._append(log, b"", durable, truncate=True)
                self._log_lines = 0
        self._fresh.clear()
        self.dirty = self.names_dirty = self._whole = False

    @staticmethod
    def _append(log: Path, data: bytes, durable: bool, truncate: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | \
            (os.O_TRUNC if truncate else os.O_APPEND)
        created = not os.path.lexists(log)
        try:
            fd = os.open(log, flags, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if created and durable:
                fsync_dir(log.parent)
        except OSError as exc:
            raise _full(log, exc) from exc
