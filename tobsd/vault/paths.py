"""Where everything lives in the vault, and the guarantee that it stays inside.

Default layout (``root`` = ``Telegram``)::

    Telegram/
      <Chat>/                      one folder per chat, named once from its title
        <Chat>.md                  the chat note (properties + list of period notes)
        2026/2026-11-20.md         daily period notes (``2026/2026-11.md`` when monthly)
        <Topic>/2026/2026-11-20.md forum topics: one sub-folder per topic
        attachments/               media files of the chat
      People/<Name>.md             people notes (optional)

All paths handed around are POSIX, relative to the vault folder (that is also
how Obsidian links them). Every component that comes from Telegram goes
through :func:`~tobsd.vault.names.safe_component`; a name collision (two chats
with one title, a topic called ``attachments`` or ``2026``, or names equal
under :func:`~tobsd.vault.names.collision_key`, such as ``Tıtle`` and
``Title``, which are one folder on macOS and Windows) gets `` (<id>)`` with
the shortest id suffix that is free. Names are remembered in
:class:`~tobsd.vault.state.VaultState`, so renames never move folders; if that
state is lost, a chat folder whose chat note carries the same ``tg_chat_id``
is recognised and reused.

:func:`resolve_inside` is the containment check every read and write uses: it
rejects ``..``, absolute paths and any symbolic link on the way.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime
from pathlib import Path

from tobsd.core.models import Chat, ChatKind, Person, Topic
from tobsd.vault.atomic import PathEscapeError
from tobsd.vault.dates import period_name
from tobsd.vault.names import collision_key, safe_component, with_suffix
from tobsd.vault.options import VaultConfig
from tobsd.vault.state import VaultState

_YEARLIKE = re.compile(r"^\d{4}$")


def resolve_inside(vault_dir: Path, rel: str) -> Path:
    """Absolute path of ``rel`` inside ``vault_dir``; raises PathEscapeError otherwise.

    Every existing component is ``lstat``-ed: a symbolic link anywhere below
    the vault folder is refused, so a link can never lead a write outside.
    Missing components are fine (the caller may create them).
    """
    if not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        raise PathEscapeError(f"not a vault-relative path: {rel!r}")
    # Plain strings while walking (what pathlib's "/" gives for these checked
    # components, without its per-join cost); every component is still lstat-ed.
    current = os.fspath(vault_dir)
    for part in rel.split("/"):
        if part in ("", ".", ".."):
            raise PathEscapeError(f"refusing component {part!r} in {rel!r}")
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise PathEscapeError(f"symbolic link inside the vault: {Path(current)}")
    return Path(current)


def link_target(rel_note: str) -> str:
    """The wikilink target for a note path: the path without ``.md``."""
    return rel_note[:-3] if rel_note.endswith(".md") else rel_note


class VaultLayout:
    """Maps chats, topics, dates and people to vault-relative paths (see module doc)."""

    def __init__(self, vault_dir: Path, config: VaultConfig, state: VaultState) -> None:
        self.vault_dir = vault_dir
        self.config = config
        self.state = state
        self._topic_titles: dict[tuple[int, int], str] = {}
        self._disk_keys: dict[str, set[str]] = {}   # parent folder -> collision keys of its entries

    # -- naming ------------------------------------------------------------

    def _allocate(self, namespace: str, key: str, desired: str, ident: int,
                  parent: str, reserved: set[str] = frozenset(), ext: str = "") -> str:
        known = self.state.name_for(namespace, key)
        if known is not None:
            return known
        base = safe_component(desired, max_bytes=120 - len(ext))
        taken = self.state.taken(namespace)
        reserved_keys = {collision_key(r) for r in reserved}
        on_disk = self._sibling_keys(parent)
        digits = str(abs(ident))
        candidates = [base] + [with_suffix(base, digits[-n:], max_bytes=120 - len(ext))
                               for n in (4, 6, 8, len(digits)) if n <= len(digits)]
        candidates.append(with_suffix(base, f"{digits}-{namespace}", max_bytes=120 - len(ext)))
        for name in candidates:
            if collision_key(name) in taken or collision_key(name) in reserved_keys:
                continue
            if collision_key(name + ext) in on_disk or os.path.lexists(self.vault_dir / parent / (name + ext)):
                # Something of that name (or one a case-insensitive file system
                # would confuse with it) is there already: only this chat's own
                # folder from before may be reused, under its exact name.
                if not (namespace == "chats" and os.path.lexists(self.vault_dir / parent / name)
                        and self._holds_chat(parent, name, ident)):
                    continue
            self.state.assign(namespace, key, name)
            on_disk.add(collision_key(name + ext))
            return name
        raise PathEscapeError(f"no free name for {namespace}:{key}")

    def _sibling_keys(self, parent: str) -> set[str]:
        """Collision keys of what ``parent`` holds (listed once, then kept up to date
        with the names given here: a People folder can hold thousands)."""
        keys = self._disk_keys.get(parent)
        if keys is None:
            try:
                keys = {collision_key(n) for n in os.listdir(resolve_inside(self.vault_dir, parent))}
            except (OSError, PathEscapeError):
                keys = set()
            self._disk_keys[parent] = keys
        return keys

    def _holds_chat(self, parent: str, name: str, chat_id: int) -> bool:
        """True when ``parent/name`` is this chat's folder from before (state file lost)."""
        try:
            note = resolve_inside(self.vault_dir, f"{parent}/{name}/{name}.md")
            with open(note, encoding="utf-8", errors="replace") as fh:
                head = fh.read(4096)
        except (OSError, PathEscapeError):
            return False
        return f"\ntg_chat_id: {chat_id}\n" in head

    def chat_folder(self, chat: Chat) -> str:
        """``<root>/<Chat>``; the name is chosen at first sight and then kept."""
        name = self.state.name_for("chats", str(chat.id))  # known: the usual case, asked per message
        if name is None:
            reserved = {self.config.people_folder} | (
                {self.config.shared_attachments} if self.config.shared_attachments else set())
            name = self._allocate("chats", str(chat.id), chat.title, chat.id, self.config.root, reserved)
        return f"{self.config.root}/{name}"

    def chat_note(self, chat: Chat) -> str:
        """The chat note: ``<root>/<Chat>/<Chat>.md`` (a folder note)."""
        folder = self.chat_folder(chat)
        return f"{folder}/{folder.rsplit('/', 1)[1]}.md"

    def attachments_folder(self, chat: Chat) -> str:
        """The chat's media folder."""
        return f"{self.chat_folder(chat)}/{self.config.attachments_folder}"

    def register_topic(self, topic: Topic) -> None:
        """Tell the layout a topic's title (used the first time its folder is named)."""
        self._topic_titles[(topic.chat_id, topic.id)] = topic.title

    def topic_title(self, chat_id: int, topic_id: int) -> str:
        """The topic's title as last registered (a placeholder when unknown)."""
        return self._topic_titles.get((chat_id, topic_id)) or (
            "General" if topic_id == 1 else f"Topic {topic_id}")

    def topic_folder(self, chat: Chat, topic_id: int) -> str:
        """``<root>/<Chat>/<Topic>`` for forum topics."""
        chat_folder = self.chat_folder(chat)
        title = self.topic_title(chat.id, topic_id)
        reserved = {self.config.attachments_folder, chat_folder.rsplit("/", 1)[1]}
        if _YEARLIKE.match(safe_component(title)):
            reserved.add(safe_component(title))
        name = self._allocate(f"topics:{chat.id}", str(topic_id), title, topic_id,
                              chat_folder, reserved)
        return f"{chat_folder}/{name}"

    def period_key(self, chat_id: int, date: datetime) -> str:
        """``YYYY-MM-DD`` (or ``YYYY-MM`` when monthly) in the chat's time zone."""
        settings = self.config.chat_settings(chat_id)
        return period_name(date.astimezone(settings.tz), settings.period)

    def period_note(self, chat: Chat, date: datetime, topic_id: int | None = None) -> str:
        """The period note a message of ``date`` (and topic) belongs to."""
        if chat.kind == ChatKind.FORUM:
            base = self.topic_folder(chat, topic_id or 1)
        else:
            base = self.chat_folder(chat)
        key = self.period_key(chat.id, date)
        return f"{base}/{key[:4]}/{key}.md"

    def person_note(self, person: Person) -> str | None:
        """``<root>/<People>/<Name>.md`` when people notes are on, else None."""
        if not self.config.people_notes:
            return None
        folder = f"{self.config.root}/{self.config.people_folder}"
        name = self.state.name_for("people", str(person.id))  # known: asked for every sender
        if name is None:
            name = self._allocate("people", str(person.id), person.name or f"user {person.id}",
                                  person.id, folder, ext=".md")
        return f"{folder}/{name}.md"

    def absolute(self, rel: str) -> Path:
        """Absolute path of a vault-relative path, checked by :func:`resolve_inside`."""
        return resolve_inside(self.vault_dir, rel)
