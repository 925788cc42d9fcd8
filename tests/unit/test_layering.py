"""The layering rule, checked on the source: core imports nothing of ours;
telegram, store, vault and media import only core; sync talks to them
through core's ports; Telethon is imported only in tobsd/telegram."""
from __future__ import annotations

import ast
from pathlib import Path

TOBSD = Path(__file__).resolve().parents[2] / "tobsd"

ALLOWED = {
    "core": {"core"},
    "telegram": {"core", "telegram"},
    "store": {"core", "store"},
    "vault": {"core", "vault"},
    "media": {"core", "media"},
    "sync": {"core", "sync"},
}


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_every_package_imports_only_what_the_rule_allows():
    modules = sorted(TOBSD.rglob("*.py"))
    assert len(modules) > 50
    wrong = []
    for path in modules:
        package = path.relative_to(TOBSD).parts[0]
        for name in imports(path):
            top = name.split(".")
            if top[0] == "telethon" and package != "telegram":
                wrong.append(f"{path.relative_to(TOBSD)}: {name}")
            if top[0] == "tobsd" and package in ALLOWED:
                if len(top) < 2 or top[1] not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(TOBSD)}: {name}")
    assert wrong == []
