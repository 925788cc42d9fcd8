"""The period notes of a chat's folder, grouped as the chat note's index lists them."""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from tobsd.vault.options import VaultConfig
from tobsd.vault.paths import VaultLayout


def is_period_name(stem: str) -> bool:
    """Whether a note name is a period's: ``YYYY-MM`` or ``YYYY-MM-DD``."""
    return (len(stem) in (7, 10) and stem[:4].isdigit() and stem[4] == "-"
            and stem[5:7].isdigit() and (len(stem) == 7 or (stem[7] == "-" and stem[8:].isdigit())))


def period_groups(vault_dir: Path, config: VaultConfig, layout: VaultLayout, chat_id: int,
                  folder: str, also: Iterable[str] = ()
                  ) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The period notes under the chat's ``folder`` (vault-relative), as
    (topic title or None, [(link target, name)]), the chat's own first, then
    topics by title. ``also``: notes not on disk yet that count as there
    (vault-relative paths ending in ``.md``)."""
    base = layout.absolute(folder)
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and d != config.attachments_folder)
        rel_dir = Path(dirpath).relative_to(vault_dir).as_posix()
        found.update(f"{rel_dir}/{name}" for name in filenames)
    found.update(also)
    # Topic folders keep the name of their first title; the headings show the current one.
    topics = {name: layout.topic_title(chat_id, int(key)) for key, name in
              layout.state.names.get(f"topics:{chat_id}", {}).items()}
    groups: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    for rel in found:
        rel_dir, name = rel.rsplit("/", 1)
        stem = name[:-3]
        if not name.endswith(".md") or not is_period_name(stem):
            continue
        topic_dir = rel_dir.rsplit("/", 1)[0]
        title = None if topic_dir == folder else topics.get(
            topic_dir.rsplit("/", 1)[1], topic_dir.rsplit("/", 1)[1])
        groups[title].append((f"{rel_dir}/{stem}", stem))
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    return [(title, sorted(notes)) for title, notes in ordered]
