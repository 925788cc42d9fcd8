"""The vault writer: applies messages to notes on disk, safely.

Guarantees (each is tested):

* **Atomic and durable**: every note is replaced by compare-and-swap
  (temp file, fsync, atomic swap, fsync of the folder; see
  :mod:`tobsd.vault.notefiles`). A full disk raises :class:`~tobsd.core.errors.DiskFull`
  and leaves the old note intact and no temp file behind. Each call is
  durable when it returns, unless the writer is in a batch
  (:meth:`VaultWriter.begin_batch`): then the calls' notes are staged and
  :meth:`VaultWriter.end_batch` makes them all durable at once, with shared
  fsyncs; nothing of the batch counts as written before it returns.
* **Idempotent**: applying the same messages twice writes nothing the second
  time (see :mod:`tobsd.vault.merge` for the block rules).
* **The user's writing survives**: only whole blocks that still hash to what
  TOBS recorded are replaced; user text between blocks is kept verbatim; a
  changed block gets a revision after it instead of being overwritten.
* **Compare-and-swap**: a note changed on disk after it was read is never
  overwritten: the step is redone on what is there (:mod:`tobsd.vault.notefiles`).
* **Deleted notes keep their old messages out**: a note TOBS created and the
  user deleted gets none of the messages it held back unless ``resync=True``.
  A message new to TOBS (``new_ids``) that belongs there is still written:
  the note comes back holding only such messages (and later ones). Each
  such note is logged once at info and listed by :meth:`deleted_notes`.
* **Current escaping**: notes an earlier version wrote are brought up to the
  current escaping rules once, at start (:meth:`VaultWriter.migrate`).
* **Off the event loop**: all file I/O of one note runs in a worker thread
  (``asyncio.to_thread``); calls are serialised by a lock. A writer alone in
  its process (:mod:`tobsd.vault.writer_process`) runs it inline instead
  (``in_thread=False``), where a thread hop would only cost time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection

from tobsd.core.models import Chat, ChatKind, Message, Person, Topic
from tobsd.core.prioritylock import PriorityLock
from tobsd.vault.atomic import VaultError
from tobsd.vault.blocks import Block, Note, UserText
from tobsd.vault.escape import escape_name
from tobsd.vault.lru import LRU
from tobsd.vault.merge import apply_messages, link_reply, mark_blocks_deleted
from tobsd.vault.migrate import migrate_note
from tobsd.vault.notefiles import NOTES_CACHED, ConflictError, NoteFiles
from tobsd.vault.notes import (chat_properties, index_lines, period_skeleton,
                               person_properties, replace_index)
from tobsd.vault.options import VaultConfig
from tobsd.vault.paths import VaultLayout, link_target
from tobsd.vault.people import People
from tobsd.vault.periods import period_groups
from tobsd.vault.purge import PurgeResult, purge_chat_folder
from tobsd.vault.render import RENDER_VERSION, RenderContext
from tobsd.vault.state import VaultState

log = logging.getLogger(__name__)

LOCATIONS_KNOWN = 20_000        # (chat, message) -> note entries kept

__all__ = ["ApplyResult", "ConflictError", "LOCATIONS_KNOWN", "VaultWriter"]


@dataclass(slots=True)
class ApplyResult:
    """What one ``apply`` did: notes written, notes left alone because the user deleted them."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped_user_deleted: list[str] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)   # deleted by the user; new messages only
    #: (reply msg id, replied msg id): replies rendered without a link because
    #: the writer did not know where the replied message is (yet).
    unlinked: list[tuple[int, int]] = field(default_factory=list)

    def record(self, outcome: str, rel: str) -> None:
        """File ``rel`` under the outcome ``_update_note`` returned."""
        {"written": self.written, "unchanged": self.unchanged,
         "skipped": self.skipped_user_deleted, "recreated": self.recreated}[outcome].append(rel)


class VaultWriter:
    """Writes chats, messages and people into the vault under ``vault_dir`` (see module doc)."""

    def __init__(self, vault_dir: Path, config: VaultConfig | None = None, *,
                 durable: bool = True, in_thread: bool = True) -> None:
        self.vault_dir = Path(vault_dir)
        self.config = config or VaultConfig()
        self.state = VaultState.load(self.vault_dir, self.config.root)
        if self.state.render_version == 0:   # a vault new to TOBS: whatever it writes is current
            self.state.set_render_version(RENDER_VERSION)
        self.layout = VaultLayout(self.vault_dir, self.config, self.state)
        self.durable = durable
        self._io = asyncio.to_thread if in_thread else _inline
        self.files = NoteFiles(self.vault_dir, self.config.root, self.layout, self.state,
                               durable=durable)
        # Where recent messages live (the sync engine tells the writer about older ones).
        self._where: LRU[tuple[int, int], str] = LRU(LOCATIONS_KNOWN)
        self._located: LRU[str, int] = LRU(4 * NOTES_CACHED)   # note -> id() of the parse registered
        self._user_deleted: dict[int, set[str]] = defaultdict(set)   # chat id -> notes
        self.people = People()
        # Urgent applies (live messages) go before queued ordinary ones.
        self._lock = PriorityLock()
        # Chats whose files purge_chat removed: a chat-note refresh that was
        # already on its way writes nothing for them until messages come again.
        self._purged: set[int] = set()

    # -- knowledge from outside ----------------------------------------------

    def external_change(self, path: str | Path) -> None:
        """The watcher saw ``path`` change: its next write re-reads and compares content."""
        self.files.external_change(path)

    def set_chat_settings(self, chat_id: int, settings) -> None:
        """Per-chat rendering settings (time zone, period, removal of deleted messages)."""
        self.config.per_chat[chat_id] = settings

    def register_topic(self, topic: Topic) -> None:
        """Name a forum topic's folder from its title (first sight wins; later renames keep it)."""
        self.layout.register_topic(topic)

    def remember_location(self, chat_id: int, msg_id: int, note_rel: str) -> None:
        """Tell the writer where an older message lives, so replies to it can link there."""
        self._where[(chat_id, msg_id)] = note_rel

    def note_of(self, chat_id: int, msg_id: int) -> str | None:
        """The note (vault-relative path) that holds a message, if the writer knows."""
        return self._where.get((chat_id, msg_id))

    def deleted_notes(self, chat_id: int) -> list[str]:
        """Notes of the chat that the user deleted, as far as this run has seen."""
        return sorted(self._user_deleted.get(chat_id, ()))

    def _deleted_by_user(self, chat: Chat, rel: str) -> None:
        if rel not in self._user_deleted[chat.id]:
            self._user_deleted[chat.id].add(rel)
            log.info("%s was deleted in the vault: its old messages stay out (a resync brings "
                     "them back); new messages of its period are written to it", rel)

    # -- batches ---------------------------------------------------------------------

    def begin_batch(self) -> None:
        """From now until :meth:`end_batch`, calls stage their notes instead
        of writing each durably: a call's return no longer means its notes
        are on disk. For a writer that alone decides when to acknowledge
        (the writer process), not for one shared by callers."""
        self.files.begin_batch()

    async def end_batch(self) -> None:
        """Make every note staged since :meth:`begin_batch` durable, with
        shared fsyncs, then the vault state; the batch ends either way. On
        an error none of the batch's calls may be taken as written."""
        async with self._lock:
            # In a thread even for a writer alone in its process: while the
            # fsyncs wait on the disk its loop keeps taking in requests.
            await asyncio.to_thread(self._flush)

    def _flush(self) -> None:
        self.files.flush()
        self._save_state()

    def _save_state(self) -> None:
        """Save the vault state, unless a batch will (its flush comes after its notes)."""
        if not self.files.batching:
            self.state.save(self.vault_dir, self.config.root, durable=self.durable)

    def _update_note(self, rel, change, create, resync: bool) -> str:
        return self.files.update(rel, change, create, resync)

    # -- notes written by an earlier version -------------------------------------

    async def migrate(self) -> int:
        """Bring every note TOBS wrote up to the current escaping rules (see
        :mod:`tobsd.vault.migrate`), once per vault: the state records that it
        is done. Returns how many notes were rewritten. A note that cannot be
        rewritten now (kept changing, unreadable) is logged and tried again at
        the next start."""
        async with self._lock:
            if self.state.render_version >= RENDER_VERSION:
                return 0
            written, failed = 0, 0
            for rel in sorted(self.state.known_notes):
                try:
                    outcome = await self._io(self._update_note, rel, migrate_note,
                                             lambda: Note(None, []), False)
                except (VaultError, OSError) as exc:
                    failed += 1
                    log.warning("could not bring %s up to the current escaping: %s", rel, exc)
                    continue
                written += outcome == "written"
            if not failed:
                self.state.set_render_version(RENDER_VERSION)
            await self._io(self._save_state)
            if written:
                log.info("%d notes brought up to the current escaping rules", written)
            return written

    # -- messages ---------------------------------------------------------------

    def _context(self, chat: Chat, unlinked: list[tuple[int, int]] | None = None) -> RenderContext:
        """The render context of one apply; replies rendered without a link
        go into ``unlinked`` as (msg id, replied id)."""
        s = self.config.chat_settings(chat.id)

        def message_note(chat_id: int, msg_id: int) -> str | None:
            rel = self._where.get((chat_id, msg_id))
            return link_target(rel) if rel else None

        def person_link(uid: int) -> str | None:
            return _person_link(self.people.get(uid))

        def username_link(name: str) -> str | None:
            return _person_link(self.people.by_username(name))

        def _person_link(person: Person | None) -> str | None:
            rel = self.layout.person_note(person) if person else None
            return link_target(rel) if rel else None

        return RenderContext(tz=s.tz, period=s.period, hashtags_as_tags=s.hashtags_as_tags,
                             message_note=message_note,
                             unlinked_reply=(lambda m, r: unlinked.append((m, r)))
                             if unlinked is not None else (lambda _m, _r: None),
                             person_link=person_link,
                             username_link=username_link, chat_title=chat.title)

    async def learn_people(self, people: list[Person]) -> None:
        """Make people known (and write their notes) so mentions of them become links."""
        for p in people:
            self.people.add(p)
            if self.config.people_notes:
                await self.write_person(p)

    async def rename_people(self, people: list[Person]) -> None:
        """New names of people: the notes of those who have one (or whom the
        writer has seen) get the new name as an alias, and later mentions
        and headers use it. Others are ignored (no note is made for them)."""
        async with self._lock:
            for p in people:
                known = self.people.get(p.id)
                if known is None and self.state.name_for("people", str(p.id)) is None:
                    continue
                if known is not None:
                    p = Person(p.id, p.name, p.username, known.is_bot)
                self.people.add(p)
                await self._write_person_locked(p, False)

    async def apply(self, chat: Chat, messages: list[Message], *, resync: bool = False,
                    new_ids: frozenset[int] | None = None, urgent: bool = False) -> ApplyResult:
        """Apply messages of one chat (new, edited or deleted) to their period notes.

        ``new_ids``: the messages TOBS never recorded before (not edits of
        known ones); only they are written into a note the user deleted.
        ``urgent``: goes before every ordinary request still waiting (the
        caller guarantees that it commutes with them: other message ids)."""
        async with self._lock.hold(urgent=urgent):
            self._purged.discard(chat.id)
            result = ApplyResult()
            if self.config.people_notes:
                for person in self.people.learn(messages):
                    await self._write_person_locked(person, resync)
            by_note: dict[str, list[Message]] = defaultdict(list)
            for msg in messages:
                rel = self._where.get((chat.id, msg.id)) or self.layout.period_note(
                    chat, msg.date, msg.topic_id)
                self._where[(chat.id, msg.id)] = rel
                by_note[rel].append(msg)
            ctx = self._context(chat, result.unlinked)
            remove = self.config.chat_settings(chat.id).remove_deleted
            for rel, msgs in by_note.items():
                outcome = await self._io(self._apply_note, chat, rel, msgs, ctx, remove, resync,
                                         new_ids)
                if outcome in ("skipped", "recreated"):
                    self._deleted_by_user(chat, rel)
                result.record(outcome, rel)
            await self._io(self._save_state)
            return result

    async def submit(self, chat: Chat, messages: list[Message], *, resync: bool = False,
                     new_ids: frozenset[int] | None = None, urgent: bool = False) -> asyncio.Future:
        """Hand messages over for :meth:`apply` now; the returned future
        gives its outcome. Submissions are applied in the order they were
        made (each waits for the writer's lock, which is first come, first
        served), urgent ones before the ordinary ones still waiting."""
        return asyncio.ensure_future(self.apply(chat, messages, resync=resync, new_ids=new_ids,
                                                urgent=urgent))

    def _apply_note(self, chat: Chat, rel: str, msgs: list[Message], ctx: RenderContext,
                    remove: bool, resync: bool, new_ids: frozenset[int] | None = None) -> str:
        recreated = False
        if resync:
            self.state.clear_floor(rel)
        else:
            floor = self.state.floors.get(rel)
            if floor is not None:   # the user deleted this note once: older messages stay out
                msgs = [m for m in msgs if m.id >= floor]
                if not msgs:
                    return "skipped"
            if rel in self.state.known_notes and not self.files.exists(rel):
                msgs = [m for m in msgs if new_ids is not None and m.id in new_ids]
                if not msgs:
                    return "skipped"
                self.state.set_floor(rel, min(m.id for m in msgs))
                recreated, resync = True, True   # create it again, with these messages only

        def change(note: Note) -> bool:
            # Where the note's older messages are, for links to them: once
            # per note read from disk, not at every write of it.
            if self._located.get(rel) != id(note):
                self._where.setdefault_many(((chat.id, p.msg_id), rel) for p in note.parts
                                            if isinstance(p, Block))
                self._located[rel] = id(note)
            return apply_messages(note, msgs, ctx, remove_deleted=remove)

        def create() -> Note:
            period = rel.rsplit("/", 1)[1][:-3]
            topic_id = msgs[0].topic_id or 1 if chat.kind == ChatKind.FORUM else None
            topic_title = None
            if topic_id is not None:
                topic_title = self.layout.topic_title(chat.id, topic_id)
            props, body = period_skeleton(chat, link_target(self.layout.chat_note(chat)), period,
                                          topic_id, topic_title)
            return Note(props, [UserText(body)])

        outcome = self._update_note(rel, change, create, resync)
        return "recreated" if recreated and outcome == "written" else outcome

    async def mark_deleted(self, chat: Chat, msg_ids: list[int], *,
                           hints: dict[int, tuple[int, int | None]] | None = None) -> ApplyResult:
        """Mark messages deleted given only their ids (Telegram's delete updates carry no dates).

        Only messages whose note the writer knows (it wrote or read them, or was
        told with :meth:`remember_location`) can be marked, or those with a
        hint ``id -> (date as epoch seconds, topic id)`` that names their note;
        others are ignored. A note that does not exist is not created.
        """
        async with self._lock:
            result = ApplyResult()
            remove = self.config.chat_settings(chat.id).remove_deleted
            by_note: dict[str, set[int]] = defaultdict(set)
            for mid in msg_ids:
                rel = self._where.get((chat.id, mid))
                if rel is None and hints and mid in hints:
                    date, topic_id = hints[mid]
                    rel = self.layout.period_note(chat, datetime.fromtimestamp(date, timezone.utc),
                                                  topic_id)
                    self._where[(chat.id, mid)] = rel
                if rel:
                    by_note[rel].add(mid)
            for rel, ids in by_note.items():
                outcome = await self._io(self._update_note, rel,
                                         lambda note, ids=ids: _mark_deleted(note, ids, remove),
                                         lambda: Note(None, []), False)
                result.record(outcome, rel)
            return result

    async def relink_replies(self, chat: Chat,
                             links: list[tuple[int, str, int, str]]) -> ApplyResult:
        """Give replies written before their target the link to it.

        ``links`` holds (reply msg id, its note, target msg id, the target's
        note). Only blocks still as TOBS wrote them are changed, and in them
        only the reply part of the header (see :func:`~tobsd.vault.merge.link_reply`);
        a note that does not exist is not created. Applying it twice changes
        nothing the second time.
        """
        async with self._lock:
            result = ApplyResult()
            by_note: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
            for msg_id, rel, target_id, target_rel in links:
                self._where.setdefault((chat.id, target_id), target_rel)
                by_note[rel].append((msg_id, target_id, link_target(target_rel)))
            for rel, items in by_note.items():
                outcome = await self._io(
                    self._update_note, rel,
                    lambda note, items=items: _link_replies(note, items),
                    lambda: Note(None, []), False)
                result.record(outcome, rel)
            return result

    async def attachments_folder(self, chat: Chat) -> str:
        """The vault folder a chat's media files go to: the chat's own
        ``attachments`` folder, or the shared one when configured."""
        if self.config.shared_attachments:
            return f"{self.config.root}/{self.config.shared_attachments}"
        async with self._lock:
            return self.layout.attachments_folder(chat)

    # -- chat and people notes ------------------------------------------------------

    async def write_chat_note(self, chat: Chat, *, synced_through: datetime | None = None,
                              message_count: int | None = None, resync: bool = False) -> str:
        """Create or update the chat note (properties + index of period notes);
        nothing for a chat purged since its last messages."""
        async with self._lock:
            if chat.id in self._purged:
                return "unchanged"
            rel = self.layout.chat_note(chat)
            folder = self.layout.chat_folder(chat)
            folder_name = folder.rsplit("/", 1)[1]

            def change(note: Note) -> bool:
                note.frontmatter = chat_properties(chat, folder_name, note.frontmatter,
                                                   synced_through, message_count)
                # (the old title stays as an alias: links and searches by it keep working)
                body = [ln for p in note.parts
                        for ln in (p.lines if isinstance(p, UserText) else p.all_lines())]
                groups = period_groups(self.vault_dir, self.config, self.layout, chat.id, folder,
                                       self.files.staged_under(folder))
                note.parts = [UserText(replace_index(body, index_lines(groups)))]
                return True

            outcome = await self._io(self._update_note, rel, change,
                                     lambda: Note(None, [], True), resync)
            await self._io(self._save_state)
            return outcome

    async def purge_chat(self, chat: Chat, shown_elsewhere: Collection[str] = ()) -> PurgeResult:
        """Remove the chat's files that are tobsd's alone (see
        :mod:`tobsd.vault.purge`; ``shown_elsewhere``: media copies other
        chats' notes show, kept); the caller has stopped syncing the chat.
        Removed notes are forgotten, so the chat added again starts afresh."""
        async with self._lock:
            name = self.state.name_for("chats", str(chat.id))
            if name is None:
                return PurgeResult()     # nothing was ever written for it
            if self.files.batching:
                # What the batch staged so far lands first (and goes with the
                # rest); the batch goes on after.
                await asyncio.to_thread(self.files.flush)
                self.files.begin_batch()
            result = await self._io(purge_chat_folder, self.vault_dir, f"{self.config.root}/{name}",
                                    chat.id, self.config.attachments_folder, shown_elsewhere)
            self._purged.add(chat.id)
            for rel in result.deleted_notes:
                self.files.forget(rel)
                self.state.forget_note(rel)
            self._user_deleted.pop(chat.id, None)
            await self._io(self.state.save, self.vault_dir, self.config.root, durable=self.durable)
            log.info("%s: %d notes and %d media files removed, %d files kept", chat.title,
                     len(result.deleted_notes), len(result.deleted_media), len(result.kept))
            return result

    async def write_person(self, person: Person, *, resync: bool = False) -> str | None:
        """Create or update a people note; None when people notes are off."""
        async with self._lock:
            return await self._write_person_locked(person, resync)

    async def _write_person_locked(self, person: Person, resync: bool) -> str | None:
        rel = self.layout.person_note(person)
        if rel is None:
            return None

        def change(note: Note) -> bool:
            note.frontmatter = person_properties(person, note.frontmatter)
            return True

        def create() -> Note:
            return Note(None, [UserText([f"# {_heading(person.name)}", ""])])

        return await self._io(self._update_note, rel, change, create, resync)


async def _inline(fn, /, *args, **kwargs):
    return fn(*args, **kwargs)


def _heading(name: str) -> str:
    return escape_name(name or "?") or "?"


def _link_replies(note: Note, items: list[tuple[int, int, str]]) -> bool:
    changed = False
    for msg_id, target_id, target in items:
        changed |= link_reply(note, msg_id, target_id, target)
    return changed


def _mark_deleted(note: Note, ids: set[int], remove: bool) -> bool:
    """Deletion by id without the message: see :func:`~tobsd.vault.merge.mark_blocks_deleted`."""
    return mark_blocks_deleted(note, ids, remove)
