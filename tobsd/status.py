"""The daemon's status in one line, for systemd's STATUS= (`systemctl
status tobsd`). The full status leaves the daemon through the control API
(GetStatus, `tobsctl status`). It never holds secrets: counts and states."""
from __future__ import annotations


def one_line(status: dict) -> str:
    chats = status.get("chats", [])
    if status.get("state") != "running":
        return str(status.get("state"))
    live = sum(1 for c in chats if c.get("state") == "live")
    busy = sum(1 for c in chats if c.get("state") in ("starting", "reconciling", "backfilling"))
    bad = sum(1 for c in chats if c.get("state") in ("error", "disk-full", "retrying"))
    written = sum(c.get("indexed", 0) for c in chats)
    parts = [f"{live}/{len(chats)} chats live", f"{written} messages"]
    if busy:
        parts.append(f"{busy} syncing")
    if bad:
        parts.append(f"{bad} with errors")
    return ", ".join(parts)
