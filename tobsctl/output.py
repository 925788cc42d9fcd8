"""What tobsctl prints: with --json exactly one JSON document on stdout (one
per line for the streaming commands: `status --watch`, `events --follow`),
else text and tables through rich (no colour when stdout is not a terminal)."""
from __future__ import annotations

import json
import sys

from rich.console import Console


class Output:
    def __init__(self, as_json: bool):
        self.json = as_json
        self.console = Console(highlight=False)
        self.errors = Console(stderr=True, highlight=False)

    def document(self, data) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def emit(self, data, human) -> None:
        """`data` for --json, else call `human()` to print for people."""
        if self.json:
            self.document(data)
        else:
            human()

    def say(self, text: str) -> None:
        self.console.print(text, markup=False, soft_wrap=True)

    def error(self, message: str, exit_code: int, code: str = "") -> None:
        if self.json:
            self.document({"error": {"message": message, "code": code, "exit_code": exit_code}})
        else:
            self.errors.print(f"tobsctl: {message}", markup=False, soft_wrap=True)
