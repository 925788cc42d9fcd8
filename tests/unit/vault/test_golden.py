"""Golden files: the fixture world (every message kind) renders to the checked-in vault.

On a mismatch the test shows a unified diff per file. Run with
``UPDATE_GOLDEN=1`` to rewrite ``tests/unit/vault/golden/`` after an intended
change (and review the diff before committing it).
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from tests.unit.vault.linkcheck import check_vault
from tests.unit.vault.world import build_vault

GOLDEN = Path(__file__).parent / "golden"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".tobs" not in p.parts}


async def test_world_renders_to_the_golden_vault(tmp_path):
    await build_vault(tmp_path)
    actual = _tree(tmp_path)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in actual.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    expected = _tree(GOLDEN)
    report = []
    for rel in sorted(set(actual) | set(expected)):
        a, e = actual.get(rel), expected.get(rel)
        if a == e:
            continue
        if a is None or e is None:
            report.append(f"{'missing' if a is None else 'unexpected'} file: {rel}")
            continue
        report.extend(difflib.unified_diff(e.decode("utf-8", "replace").splitlines(),
                                           a.decode("utf-8", "replace").splitlines(),
                                           f"golden/{rel}", f"rendered/{rel}", lineterm=""))
    assert not report, "vault differs from golden files (UPDATE_GOLDEN=1 to accept):\n" + "\n".join(report)


async def test_every_link_in_the_world_vault_resolves(tmp_path):
    await build_vault(tmp_path)
    assert check_vault(tmp_path) == []


def test_golden_vault_links_resolve():
    assert check_vault(GOLDEN) == []


def test_link_checker_finds_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Note.md").write_text("# Top\ntext ^blk\n")
    (tmp_path / "b.md").write_text(
        "[[a/Note#Top]] [[Note#^blk]] [[a/Note]] `[[ignored]]` \\[\\[escaped\\]\\]\n"
        "[[missing]] [[a/Note#Nope]] [[a/Note#^gone]] ![[a/pic.png]]\n")
    problems = check_vault(tmp_path)
    assert len(problems) == 4, problems
    assert any("missing" in p for p in problems) and any("Nope" in p for p in problems)
    assert any("^gone" in p for p in problems) and any("pic.png" in p for p in problems)
