"""Watches the vault for changes made by anyone else (the user, Obsidian, a sync tool).

Every changed ``.md`` path is handed to a callback (normally
:meth:`VaultWriter.external_change`), so the writer's next write to that note
re-reads it and compares content before swapping. The writer's own writes
also show up here; that is harmless (it only costs one re-read) and keeps
the watcher free of any knowledge of the writer. Temp files of atomic writes
and dot folders are ignored.

At rest the watcher costs nothing noticeable: it waits in watchfiles' own
blocking wait (the Rust notifier, no timeout), so no Python code runs until
something changes or the watcher is stopped.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from watchfiles import awatch

from tobsd.vault.atomic import TEMP_PREFIX


def _interesting(path: str) -> bool:
    # Plain string work: every write of the writer's own shows up here
    # (a temp file made, a note swapped in, the temp file removed).
    parts = path.rsplit("/", 4)
    name = parts[-1]
    if not name.endswith(".md") or name == ".md" or name.startswith(TEMP_PREFIX):
        return False
    return not any(part.startswith(".") for part in parts[1:-1])


class VaultWatcher:
    """Runs ``watchfiles.awatch`` over ``folder`` until :meth:`stop` (see module doc)."""

    def __init__(self, folder: Path, on_change: Callable[[Path], None], *,
                 debounce_ms: int = 50, step_ms: int = 50) -> None:
        self.folder = Path(folder)
        self.on_change = on_change
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Watch until stopped; set ``ready`` once the watch is in place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # rust_timeout=0: wait for a change (or the stop event) as long as it
        # takes, instead of coming back to Python on a timer.
        watcher = awatch(self.folder, stop_event=self._stop, debounce=self.debounce_ms,
                         step=self.step_ms, recursive=True, rust_timeout=0)
        first = asyncio.ensure_future(watcher.__anext__())
        # The watch is in place once the generator's first step ran (it sets
        # up the notifier, then waits in a thread).
        await asyncio.sleep(0)
        self.ready.set()
        try:
            changes = await first
        except StopAsyncIteration:
            return
        while True:
            for _change, path in changes:
                if _interesting(path):
                    self.on_change(Path(path))
            try:
                changes = await watcher.__anext__()
            except StopAsyncIteration:
                return

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stop.set()
