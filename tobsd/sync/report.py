"""The sync engine's report of itself and every chat (`EngineReport`,
mixed into `SyncEngine`): states, cursors and index counts for the status."""
from __future__ import annotations

import time
from dataclasses import asdict, is_dataclass

from .tracked import TrackedChat

COUNT_EVERY_S = 60.0     # an idle chat's index count is refreshed this often


class EngineReport:
    """Uses the engine's chats, store, writer, source and catch-up."""

    async def status(self) -> dict:
        """The engine's and every chat's state. It iterates over a snapshot
        of the chats: chats are added and removed while it awaits the store."""
        chats = []
        tracked = list(self.chats.values())
        # The states before the counts: a chat that turns live while the
        # store is read is reported as it was, never live beside a count
        # taken before its last page was recorded.
        states = {st.chat.id: (st.state, st.error) for st in tracked}
        cursors = await self.store.cursors.get_many(st.chat.id for st in tracked)
        indexed = await self._indexed(tracked)
        for st in tracked:
            cursor = cursors[st.chat.id]
            verifying = self._verifying.get(st.chat.id)
            state, error = states[st.chat.id]
            chats.append({
                "id": st.chat.id, "title": st.chat.title, "kind": st.chat.kind.value,
                "state": state, "error": error, "written": st.written,
                "max_applied_id": cursor.max_applied_id,
                "backfill_done": cursor.backfill_done,
                "indexed": indexed[st.chat.id],
                # Notes the user deleted: their old messages stay out.
                "deleted_notes": self.writer.deleted_notes(st.chat.id),
                "verify": _asdict(verifying) if verifying is not None else None,
            })
        return {"state": self.state, "error": self.error, "chats": chats,
                "source": _asdict(self.source.status()),
                "catch_up": {**self.catchup.status(),
                             "verify_pending": len(await self.store.updates.verify_pending())}}

    async def _indexed(self, tracked: list[TrackedChat]) -> dict[int, int]:
        """Each chat's index count, counted again (all in one read) only
        after it wrote something (or a minute passed, for writes counted
        elsewhere)."""
        now = time.monotonic()
        stale = {st.chat.id: st.written for st in tracked
                 if st.counted is None or st.counted[1] != st.written
                 or now - st.counted[2] > COUNT_EVERY_S}
        if stale:
            # `written` as it was before the count: a page applied while the
            # count runs makes the next report count again.
            counts = await self.store.index.counts(stale)
            for st in tracked:
                if st.chat.id in stale:
                    st.counted = (counts[st.chat.id], stale[st.chat.id], now)
        return {st.chat.id: st.counted[0] for st in tracked}


def _asdict(obj) -> dict:
    return asdict(obj) if is_dataclass(obj) else dict(obj or {})
