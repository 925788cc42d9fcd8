"""The `update_state` and `verify_pending` tables: where catching up resumes.

`update_state` holds the account's common-box state (box 0: pts, qts, date,
seq) and each channel's pts (box = the channel's marked id). Rows are only
written after the vault and the index hold what they cover, in the same
transaction as the last index rows when there are any. `verify_pending`
lists chats whose gap outran Telegram's update log, with how far their
verification pass got, so a restart resumes it.
"""
from __future__ import annotations

from tobsd.core.ports import ACCOUNT_BOX, UpdateState as BoxState
from tobsd.store.db import Database

__all__ = ["ACCOUNT_BOX", "BoxState", "UpdateStateTable"]


def sql_put(conn, box: int, state: BoxState) -> None:
    """Store the box's state; a pts below the stored one changes nothing."""
    conn.execute("INSERT INTO update_state (box, pts, qts, date, seq) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT(box) DO UPDATE SET pts = excluded.pts, qts = excluded.qts, "
                 "date = excluded.date, seq = excluded.seq WHERE excluded.pts >= update_state.pts",
                 (box, state.pts, state.qts, state.date, state.seq))


def sql_verify_add(conn, chat_id: int) -> None:
    """(Re)start the chat's verification pass from the newest message."""
    conn.execute("INSERT INTO verify_pending (chat_id, next_offset, checked) VALUES (?, 0, 0) "
                 "ON CONFLICT(chat_id) DO UPDATE SET next_offset = 0, checked = 0", (chat_id,))


def sql_verify_advance(conn, chat_id: int, next_offset: int, checked: int) -> None:
    conn.execute("UPDATE verify_pending SET next_offset = ?, checked = ? WHERE chat_id = ?",
                 (next_offset, checked, chat_id))


def sql_verify_done(conn, chat_id: int) -> None:
    conn.execute("DELETE FROM verify_pending WHERE chat_id = ?", (chat_id,))


class UpdateStateTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, box: int) -> BoxState | None:
        r = await self._db.fetchone("SELECT pts, qts, date, seq FROM update_state WHERE box = ?",
                                    (box,))
        return BoxState(*r) if r else None

    async def put(self, box: int, state: BoxState) -> None:
        await self._db.run(sql_put, box, state)

    async def boxes(self) -> set[int]:
        """The boxes with a stored state."""
        return {r[0] for r in await self._db.fetchall("SELECT box FROM update_state")}

    async def verify_pending(self) -> dict[int, tuple[int, int]]:
        """chat_id -> (next_offset, messages checked so far)."""
        return {r[0]: (r[1], r[2]) for r in await self._db.fetchall(
            "SELECT chat_id, next_offset, checked FROM verify_pending")}

    async def verify_add(self, chat_id: int) -> None:
        await self._db.run(sql_verify_add, chat_id)
