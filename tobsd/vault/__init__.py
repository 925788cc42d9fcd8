"""The vault: Obsidian-native Markdown for Telegram chats, written safely.

Entry points for the rest of the daemon:

* :class:`tobsd.vault.writer.VaultWriter` applies core ``Message`` models to
  period notes (``apply``, ``mark_deleted``), writes chat notes
  (``write_chat_note``) and people notes (``write_person``/``learn_people``).
* :class:`tobsd.vault.watch.VaultWatcher` feeds outside changes to
  ``VaultWriter.external_change``.
* :class:`tobsd.vault.paths.VaultLayout` (``writer.layout``) names folders and
  notes; :func:`tobsd.vault.mediafiles.attachment_name` names media files,
  which go in ``layout.attachments_folder(chat)``.
* :class:`tobsd.core.errors.DiskFull` is raised when the disk is full.

Safe to open: nothing a stranger wrote (message text, names, titles, file
names) renders as more than text; it can only produce the constructs TOBS
generates (its links, callouts, block ids and the formatting Telegram's
entities describe). The threat model, what Obsidian and its plugins
interpret and the rule for each, is ``docs/threat-model.md``; the rules live
in :mod:`~tobsd.vault.escape` (text, code, properties) and
:mod:`~tobsd.vault.names` (names), and notes of an earlier version are
brought up to date by :mod:`~tobsd.vault.migrate` at start.

Jobs by module: names/paths/state (where things live), escape/spans/inline/
entities/dates/render/render_extras/notes/frontmatter (pure rendering),
blocks/mdparse (reading notes back), merge/migrate (pure note edits),
atomic/writer/watch (disk).
"""
