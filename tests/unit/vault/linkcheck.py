"""Resolve every wikilink, embed and block reference in a vault the way Obsidian does.

* ``[[target]]``, ``[[target|alias]]``, ``![[target]]``, ``[[target#Heading]]``,
  ``[[target#^block]]``.
* A target with a ``/`` is a path from the vault root (``.md`` implied for
  notes); without one it is a file name, and when several files share it
  Obsidian takes the one with the shortest path.
* ``#Heading`` must match a heading of the note; ``#^id`` a block id (a line
  ending in `` ^id``, or a line that is only ``^id``).
* Links inside code spans, fenced blocks and ``%% %%`` comments do not count;
  backslash-escaped brackets are not links.

Returns a list of human-readable problems; empty means every link resolves.
"""

from __future__ import annotations

import re
from pathlib import Path

_LINK = re.compile(r"(?<!\\)(!?)\[\[([^\[\]]+?)\]\]")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_BLOCK_ID = re.compile(r"(?:^|\s)\^([A-Za-z0-9-]+)\s*$")


def _strip_code_and_comments(text: str) -> str:
    text = re.sub(r"%%.*?%%", "", text, flags=re.S)
    out, fence = [], None
    for line in text.split("\n"):
        bare = re.sub(r"^(>\s?)+", "", line)
        m = re.match(r"^(`{3,}|~{3,})", bare)
        if fence:
            if bare.startswith(fence) and bare.strip("`~ ") == "":
                fence = None
            out.append("")
            continue
        if m and "`" not in bare[len(m.group(1)):]:
            fence = m.group(1)
            out.append("")
            continue
        out.append(re.sub(r"(`+)(.+?)\1", "", line))
    return "\n".join(out)


class Vault:
    """An index of a vault folder's files for link resolution."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
        self.lower = {f.lower(): f for f in self.files}

    def resolve(self, target: str) -> str | None:
        candidates = [target, target + ".md"]
        if "/" in target:
            for c in candidates:
                if c.lower() in self.lower:
                    return self.lower[c.lower()]
            return None
        matches = [f for f in self.files if f.rsplit("/", 1)[-1].lower() in (c.lower() for c in candidates)]
        return min(matches, key=lambda f: (f.count("/"), len(f))) if matches else None

    def anchors(self, rel: str) -> tuple[set[str], set[str]]:
        text = (self.root / rel).read_text("utf-8")
        headings, blocks = set(), set()
        for line in _strip_code_and_comments(text).split("\n"):
            if m := _HEADING.match(line):
                headings.add(m.group(1))
            if m := _BLOCK_ID.search(line):
                blocks.add(m.group(1))
        return headings, blocks


def check_vault(root: Path) -> list[str]:
    """Every unresolved link in the markdown notes under ``root``."""
    vault = Vault(root)
    problems = []
    for rel in vault.files:
        if not rel.endswith(".md"):
            continue
        text = _strip_code_and_comments((root / rel).read_text("utf-8"))
        for m in _LINK.finditer(text):
            raw = m.group(2).split("|", 1)[0]
            target, _, anchor = raw.partition("#")
            found = vault.resolve(target) if target else rel
            if found is None:
                problems.append(f"{rel}: unresolved [[{raw}]]")
                continue
            if anchor:
                if not found.endswith(".md"):
                    problems.append(f"{rel}: anchor into a non-note [[{raw}]]")
                    continue
                headings, blocks = vault.anchors(found)
                if anchor.startswith("^"):
                    if anchor[1:] not in blocks:
                        problems.append(f"{rel}: no block {anchor} in {found}")
                elif anchor.split("#")[-1] not in headings:
                    problems.append(f"{rel}: no heading #{anchor} in {found}")
    return problems
