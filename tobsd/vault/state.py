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
index it) and is saved atomically whenever it changes.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tobsd.vault.atomic import atomic_write, make_dirs
from tobsd.vault.names import collision_key


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
        self.dirty = self.names_dirty = True

    def set_render_version(self, version: int) -> None:
        """Record that every note follows the escaping rules of ``version``."""
        if version != self.render_version:
            self.render_version = version
            self.dirty = True

    def note_created(self, rel_path: str) -> None:
        """Record that the writer created ``rel_path``."""
        if rel_path not in self.known_notes:
            self.known_notes.add(rel_path)
            self.dirty = True

    def forget_note(self, rel_path: str) -> None:
        """Forget ``rel_path`` (after an explicit resync recreated or dropped it)."""
        if rel_path in self.known_notes:
            self.known_notes.discard(rel_path)
            self.dirty = True
        if self.floors.pop(rel_path, None) is not None:
            self.dirty = True

    def set_floor(self, rel_path: str, msg_id: int) -> None:
        """The user deleted ``rel_path``; it comes back holding messages from
        ``msg_id`` on only."""
        self.floors[rel_path] = msg_id
        self.dirty = True

    def clear_floor(self, rel_path: str) -> None:
        """A resync brought every message of ``rel_path`` back."""
        if self.floors.pop(rel_path, None) is not None:
            self.dirty = True

    # -- persistence -------------------------------------------------------

    @staticmethod
    def state_path(vault_dir: Path, root: str) -> Path:
        return vault_dir / root / ".tobs" / "state.json"

    @classmethod
    def load(cls, vault_dir: Path, root: str) -> "VaultState":
        """Load the saved state, or an empty one when there is none yet."""
        path = cls.state_path(vault_dir, root)
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        return cls(names={k: dict(v) for k, v in raw.get("names", {}).items()},
                   known_notes=set(raw.get("known_notes", [])),
                   render_version=int(raw.get("render_version", 1)),
                   floors={k: int(v) for k, v in raw.get("floors", {}).items()})

    def save(self, vault_dir: Path, root: str, *, durable: bool = True) -> None:
        """Write the state atomically when it changed since the last save."""
        if not self.dirty:
            return
        folder = make_dirs(vault_dir, f"{root}/.tobs")
        if stat.S_IMODE(os.stat(folder).st_mode) != 0o700:
            os.chmod(folder, 0o700)   # chat and people names: not for other users
        data = json.dumps({"names": self.names, "known_notes": sorted(self.known_notes),
                           "render_version": self.render_version, "floors": self.floors},
                          ensure_ascii=False, indent=1, sort_keys=True)
        atomic_write(self.state_path(vault_dir, root), data.encode("utf-8"), durable=durable,
                     mode=0o600)
        self.dirty = self.names_dirty = False
