"""YAML frontmatter (Obsidian properties): written safely, merged without losing the user's keys.

Values are written as: integers bare, strings double-quoted
(:func:`~tobsd.vault.escape.yaml_quote`, valid for any YAML reader), lists
as flow sequences of quoted strings (``tags`` bare words), datetimes as
``YYYY-MM-DDTHH:MM:SS`` (Obsidian's "Date & time" type; TOBS writes UTC) and
None as an empty value (YAML null).

:func:`merge_frontmatter` replaces the keys TOBS manages and keeps every other
top-level entry (with its continuation lines) exactly as the user wrote it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from tobsd.vault.escape import yaml_quote, yaml_unquote

_KEY_RE = re.compile(r"^([^\s#:][^:]*):(?:\s|$)")
_BARE_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_/-]*$")

Value = int | str | list | datetime | None


def format_value(key: str, value: Value) -> str:
    """One property value as YAML text (see module doc)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, (list, tuple)):
        items = [v if (key == "tags" and _BARE_WORD.match(v)) else yaml_quote(v) for v in value]
        return "[" + ", ".join(items) + "]"
    return yaml_quote(str(value))


def render_frontmatter(props: dict[str, Value]) -> list[str]:
    """``---`` fenced property lines in the given key order."""
    lines = ["---"]
    for key, value in props.items():
        text = format_value(key, value)
        lines.append(f"{key}: {text}" if text else f"{key}:")
    lines.append("---")
    return lines


def split_entries(body: list[str]) -> list[tuple[str | None, list[str]]]:
    """Frontmatter body lines grouped by top-level key (continuation lines stay with their key)."""
    entries: list[tuple[str | None, list[str]]] = []
    for line in body:
        m = _KEY_RE.match(line)
        if m and not line.startswith((" ", "\t", "-")):
            entries.append((m.group(1).strip(), [line]))
        elif entries:
            entries[-1][1].append(line)
        else:
            entries.append((None, [line]))
    return entries


def merge_frontmatter(existing: list[str] | None, managed: dict[str, Value]) -> list[str]:
    """New frontmatter: ``managed`` keys (in their order) first, then the user's other entries."""
    fresh = render_frontmatter(managed)
    if not existing:
        return fresh
    body = existing[1:-1]
    kept = [line for key, lines in split_entries(body) if key not in managed for line in lines]
    return fresh[:-1] + kept + ["---"]


def read_string_list(existing: list[str] | None, key: str) -> list[str]:
    """Read a list property written by TOBS (flow list of quoted strings, or block list)."""
    if not existing:
        return []
    for k, lines in split_entries(existing[1:-1]):
        if k != key:
            continue
        first = lines[0].split(":", 1)[1].strip()
        items: list[str] = []
        if first.startswith("["):
            for m in re.finditer(r'"(?:[^"\\]|\\.)*"', first):
                items.append(yaml_unquote(m.group(0)))
        for line in lines[1:]:
            item = line.strip()
            if item.startswith("- "):
                raw = item[2:].strip()
                items.append(yaml_unquote(raw) if raw.startswith('"') else raw.strip("'"))
        return items
    return []


def read_string(existing: list[str] | None, key: str) -> str | None:
    """Read a string property written by TOBS (a double-quoted scalar); None when absent."""
    if not existing:
        return None
    for k, lines in split_entries(existing[1:-1]):
        if k == key:
            raw = lines[0].split(":", 1)[1].strip()
            if raw.startswith('"'):
                try:
                    return yaml_unquote(raw)
                except ValueError:   # changed by hand into something else
                    return None
            return raw or None
    return None
