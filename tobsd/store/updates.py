"""The account's common update state (pts, qts, date, seq) for updates.getDifference."""

from __future__ import annotations

from dataclasses import dataclass

from tobsd.store.db import Database


@dataclass(frozen=True, slots=True)
class UpdateState:
    pts: int
    qts: int
    date: int
    seq: int


class UpdateStateTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self) -> UpdateState | None:
        """The stored state, or None before the first updates.getState."""
        r = await self._db.fetchone("SELECT pts, qts, date, seq FROM account_state WHERE id = 1")
        return None if r is None else UpdateState(*r)

    async def set(self, state: UpdateState) -> None:
        await self._db.execute(
            "INSERT INTO account_state (id, pts, qts, date, seq) VALUES (1, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET pts = excluded.pts, qts = excluded.qts, "
            "date = excluded.date, seq = excluded.seq",
            (state.pts, state.qts, state.date, state.seq))

    async def clear(self) -> None:
        """Forget the state (after a new login, the old one means nothing)."""
        await self._db.execute("DELETE FROM account_state")
