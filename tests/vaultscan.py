"""Read a generated vault back into messages, to compare it with the world.

`scan(vault_dir)` parses every note under the vault and returns, per note
folder, the message blocks found: {msg_id: [BlockView, ...]} so a test can
check that each message appears exactly once, with the right text, and
deletion marks where Telegram deleted it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tobsd.vault.blocks import parse_note


@dataclass(frozen=True)
class BlockView:
    note: str
    msg_id: int
    rev: int
    text: str
    deleted: bool
    intact: bool


def scan(vault_dir: Path) -> list[BlockView]:
    out = []
    for path in sorted(Path(vault_dir).rglob("*.md")):
        rel = path.relative_to(vault_dir).as_posix()
        note = parse_note(path.read_text(encoding="utf-8"))
        for block in note.blocks():
            text, _ = block.text()
            out.append(BlockView(rel, block.msg_id, block.rev, text, block.deleted_mark,
                                 block.intact))
    return out


def by_message(blocks: list[BlockView]) -> dict[int, list[BlockView]]:
    """Blocks grouped by message id (revisions included)."""
    grouped: dict[int, list[BlockView]] = defaultdict(list)
    for b in blocks:
        grouped[b.msg_id].append(b)
    return dict(grouped)


def leftovers(vault_dir: Path) -> list[str]:
    """Temporary files a writer left behind (there must be none)."""
    return [p.name for p in Path(vault_dir).rglob("*") if p.is_file() and
            p.name.startswith(".tobs-tmp-")]
