"""The daemon's status in one line, for systemd's STATUS= (`systemctl
status tobsd`). The full status leaves the daemon through the control API
(GetStatus, `tobsctl status`). It never holds secrets: counts and states."""
from __future__ import annotations

from tobsd.core.states import ChatState, DaemonState

_BUSY = {ChatState.STARTING, ChatState.BACKFILLING, ChatState.VERIFYING}
_BAD = {ChatState.ERROR, ChatState.DISK_FULL, ChatState.RETRYING}

STATE_LINES = {
    DaemonState.STARTING.value: "starting: opening the database",
    DaemonState.CONNECTING.value: "connecting to Telegram",
    DaemonState.NEEDS_LOGIN.value: ("needs-login: not logged in to Telegram; run `tobsctl login` "
                                    "or `tobsd login --config ...`"),
    DaemonState.STOPPED.value: "stopped",
}


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
