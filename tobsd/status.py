"""The daemon's status in one line, for systemd's STATUS= (`systemctl
status tobsd`). The full status leaves the daemon through the control API
(GetStatus, `tobsctl status`). It never holds secrets: counts and states."""
from __future__ import annotations

STATE_LINES = {
    "starting": "starting: opening the database",
    "connecting": "connecting to Telegram",
    "needs-login": "needs-login: not logged in to Telegram; run `tobsctl login` or `tobsd login --config ...`",
    "stopped": "stopped",
}


def one_line(status: dict) -> str:
    """The summary systemd shows: the daemon's state, and while running
    the chats' progress, errors and a Takeout delay."""
    chats = status.get("chats", [])
    state = status.get("state")
    if state != "running":
        return STATE_LINES.get(state, str(state))
    live = sum(1 for c in chats if c.get("state") == "live")
    busy = sum(1 for c in chats if c.get("state") in ("starting", "reconciling", "backfilling"))
    bad = sum(1 for c in chats if c.get("state") in ("error", "disk-full", "retrying"))
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
