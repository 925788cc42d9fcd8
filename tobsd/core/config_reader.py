"""Typed, path-aware reading of a parsed TOML table, for `tobsd.core.config`.

A `TableReader` wraps one TOML table and knows its key path ("limits",
"chats[2]"). Each `get_*` call checks one key's type and range and returns the
value, or records a problem that names the full key path and returns the
default, so one pass over a file reports every mistake at once. `finish()`
reports the keys nobody asked for, with a "did you mean" from difflib.

Values are quoted in problems to help the user find them; callers reading a
secret pass `secret=True`, and then only the value's type is ever described.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T")

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "a table",
    dt.date: "a date",
    dt.datetime: "a date-time",
    dt.time: "a time",
}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def describe(value: Any, secret: bool = False) -> str:
    """A short description of `value` for a problem message; only its type if secret."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if secret:
        return kind
    text = repr(value) if not isinstance(value, str) else '"' + value.replace('"', '\\"') + '"'
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kind} {text}" if isinstance(value, (list, dict)) else text


class Problems:
    """The problems found while reading one file, in the order found."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.items.append(f"{key}: {problem}")


class TableReader:
    """Reads the keys of one TOML table; see the module docstring."""

    def __init__(self, table: dict[str, Any], path: str, problems: Problems) -> None:
        self.table = table
        self.path = path
        self.problems = problems
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        """The full key path of `name` in this table."""
        return f"{self.path}.{name}" if self.path else name

    def problem(self, name: str, text: str) -> None:
        self.problems.add(self.key(name), text)

    def has(self, name: str) -> bool:
        self._seen.add(name)
        return name in self.table

    def raw(self, name: str) -> Any:
        self._seen.add(name)
        return self.table.get(name)

    def _typed(self, name: str, want: type | tuple[type, ...], default: T, what: str, secret: bool = False) -> Any:
        self._seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        # TOML booleans are Python ints; an integer key must not take one.
        if isinstance(value, bool) and want is not bool and bool not in (want if isinstance(want, tuple) else (want,)):
            self.problem(name, f"expected {what}, got {describe(value, secret)}")
            return default
        if not isinstance(value, want):
            self.problem(name, f"expected {what}, got {describe(value, secret)}")
            return default
        return value

    def get_bool(self, name: str, default: bool) -> bool:
        return self._typed(name, bool, default, "true or false")

    def get_int(self, name: str, default: int | None, lo: int | None = None, hi: int | None = None,
                secret: bool = False) -> Any:
        """An integer in [lo, hi]. `secret`: the value is never quoted (a
        secret pasted into the wrong key must not be echoed)."""
        raw = self.table.get(name)
        value = self._typed(name, int, default, "an integer", secret)
        if not isinstance(raw, int) or isinstance(raw, bool):
            return value  # absent (the default) or of the wrong type (already reported)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"from {lo} to {hi}" if lo is not None and hi is not None else (
                f"at least {lo}" if lo is not None else f"at most {hi}")
            self.problem(name, f"expected an integer {bounds}, got "
                               + (describe(value, secret) if secret else str(value)))
            return default
        return value

    def get_str(self, name: str, default: str | None, secret: bool = False, allow_empty: bool = False) -> Any:
        value = self._typed(name, str, default, "a string", secret)
        if name in self.table and isinstance(value, str) and not allow_empty and not value.strip():
            self.problem(name, "must not be empty")
            return default
        return value

    def get_choice(self, name: str, default: str, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        value = self.get_str(name, default)
        if value is default or value in choices:
            return value
        self.problem(name, f"expected one of {', '.join(repr(c) for c in choices)}, got {describe(value)}"
                     + suggest(value, choices))
        return default

    def get_path(self, name: str, default: Path | None, base: Path) -> Any:
        """A path; `~` expands, and a relative path resolves against `base`."""
        value = self.get_str(name, None)
        if value is None:
            return default
        return resolve_path(value, base)

    def get_date(self, name: str, default: dt.date | None) -> Any:
        """A date, as a TOML date (2024-01-31) or a string holding one."""
        self._seen.add(name)
        if name not in self.table:
            return default
        value = self.table[name]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(name, f"expected a date like 2024-01-31, got {describe(value)}")
        return default

    def get_list(self, name: str, item: Callable[[Any], T], default: tuple = ()) -> tuple:
        """A list; `item(value)` checks each element and raises ValueError(problem) for a bad one."""
        value = self._typed(name, list, None, "an array")
        if value is None:
            return default
        out = []
        for i, element in enumerate(value):
            try:
                out.append(item(element))
            except ValueError as e:
                self.problems.add(f"{self.key(name)}[{i}]", str(e))
        return tuple(out)

    def get_table(self, name: str) -> "TableReader":
        """The sub-table `name` (an empty one when absent or of the wrong type)."""
        value = self._typed(name, dict, {}, "a table")
        return TableReader(value, self.key(name), self.problems)

    def get_tables(self, name: str) -> list["TableReader"]:
        """An array of tables (`[[name]]`)."""
        value = self._typed(name, list, [], "an array of tables ([[" + self.key(name) + "]])")
        readers = []
        for i, element in enumerate(value):
            key = f"{self.key(name)}[{i}]"
            if not isinstance(element, dict):
                self.problems.add(key, f"expected a table, got {describe(element)}")
                continue
            readers.append(TableReader(element, key, self.problems))
        return readers

    def finish(self, known: Iterable[str] = ()) -> None:
        """Report every key of the table that was never read, suggesting a close known one."""
        candidates = set(known) | self._seen
        for name in self.table:
            if name not in self._seen:
                self.problem(name, "unknown key" + suggest(name, sorted(candidates)))


def suggest(word: str, candidates: Iterable[str]) -> str:
    """'; did you mean "x"?' for the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def resolve_path(value: str, base: Path) -> Path:
    """Expand `~` and make `value` absolute against `base` (the config file's folder)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)
