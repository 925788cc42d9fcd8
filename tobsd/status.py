"""The daemon's status, for people and programs: a JSON file in the state
folder (rewritten atomically about once a second, and at once when the
daemon's or a chat's state changes) and a one-line summary for
systemd's STATUS=. It never holds secrets: ids, titles, counts and states."""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tobsd.core.states import ChatState, DaemonState

_BUSY = {ChatState.STARTING, ChatState.BACKFILLING}
_BAD = {ChatState.ERROR, ChatState.DISK_FULL, ChatState.RETRYING}

STATE_LINES = {
    DaemonState.STARTING.value: "starting: opening the database",
    DaemonState.CONNECTING.value: "connecting to Telegram",
    DaemonState.NEEDS_LOGIN.value: "needs-login: not logged in to Telegram; run `tobsd login --config ...`",
    DaemonState.STOPPED.value: "stopped",
}


class StatusReporter:
    interval_s = 1.0

    def __init__(self, path: Path):
        self.path = Path(path)

    async def write(self, status: dict) -> None:
        await asyncio.to_thread(self._write, json.dumps(status, indent=1, default=str))

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        # 0600 like everything in the state folder (chat titles are private).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    @staticmethod
    def one_line(status: dict) -> str:
        """The summary systemd shows: the daemon's state, and while running
        the chats' progress, errors and a Takeout delay."""
        chats = status.get("chats", [])
        state = status.get("state")
        if state != DaemonState.RUNNING:
            return STATE_LINES.get(str(state), str(state))
        # A chat being reconciled is complete: it counts as live.
        live = sum(1 for c in chats if c.get("state") in (ChatState.LIVE, ChatState.RECONCILING))
        busy = sum(1 for c in chats if c.get("state") in _BUSY)
        bad = sum(1 for c in chats if c.get("state") in _BAD)
        written = sum(c.get("indexed", 0) for c in chats)
        parts = [f"{live}/{len(chats)} chats live", f"{written} messages"]
        if busy:
            parts.append(f"{busy} syncing")
        if bad:
            parts.append(f"{bad} with errors")
        takeout = str((status.get("source") or {}).get("takeout") or "")
        if takeout.startswith("delayed"):
            parts.append("Takeout " + takeout)
        return ", ".join(parts)
