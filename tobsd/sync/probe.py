"""Finding which of a window of indexed messages Telegram no longer has,
without downloading the messages that are still there.

A probe asks messages.getHistory for the one message at a position:
`offset_id` one above the window's newest id, `add_offset` the window's
length less one, `limit` 1 (core.telegram.org/api/offsets: the result
starts at offsetFromID(offset_id) + add_offset), with the result hash of
the id expected there, the window's oldest (ids never enter an old range,
so with nothing deleted in the window that position holds exactly it).
Telegram answers `messagesNotModified` (20 bytes) when the position still
holds that message, i.e. when none of the window's messages was deleted;
otherwise it sends the one message found there. A window that changed is
halved and its halves probed, down to single messages, where the probe is a
direct existence test (the newest message below id + 1 is the message
itself or it is gone). A deletion among 100 messages so costs about ten
small requests instead of the page.

Every message a probe brings back is real and current: the caller applies
them (an edit or a message missing from the index is repaired on the way).

What a probe cannot see: edits (positions and ids do not change), and a
window where the index misses as many messages as were deleted (the
position balances out); the backfill's completeness check keeps the index
from missing messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

from tobsd.core.models import Chat, Message
from tobsd.core.ports import HistoryPage, TelegramSource


@dataclass(slots=True)
class ProbeResult:
    gone: list[int] = field(default_factory=list)      # ids Telegram no longer has
    seen: list[Message] = field(default_factory=list)  # messages the probes brought back
    requests: int = 0
    not_modified: int = 0                               # of them answered messagesNotModified
    gave_up: bool = False     # more requests were needed than allowed: ask for the window whole


class WindowProbe:
    """Probes one chat's history; `ask(**history_kwargs)` makes one
    messages.getHistory request (the caller meters it)."""

    def __init__(self, source: TelegramSource, chat: Chat,
                 ask: Callable[..., Awaitable[HistoryPage]] | None = None, *,
                 max_requests: int = 1_000_000) -> None:
        self.source, self.chat = source, chat
        self._ask = ask or (lambda **kw: source.history(chat, **kw))
        self.max_requests = max_requests

    async def deleted(self, window: Sequence[int]) -> ProbeResult:
        """The ids of `window` (indexed live ids, newest first, consecutive
        in the index) that Telegram no longer has; `gave_up` (and `gone`
        incomplete) when finding them took more than `max_requests`."""
        result = ProbeResult()
        if window:
            await self._search(list(window), result, known_changed=False)
        return result

    async def _unchanged(self, window: list[int], result: ProbeResult) -> bool:
        page = await self._ask(offset_id=window[0] + 1, add_offset=len(window) - 1, limit=1,
                               unless_ids=[window[-1]])
        result.requests += 1
        if page.not_modified:
            result.not_modified += 1
            return True
        result.seen.extend(page.messages)
        return False

    async def _search(self, window: list[int], result: ProbeResult, *,
                      known_changed: bool) -> None:
        if result.requests >= self.max_requests:
            result.gave_up = True
            return
        if len(window) == 1:
            # Always asked, never inferred: the message exists or it is gone.
            if not await self._unchanged(window, result):
                result.gone.append(window[0])
            return
        if not known_changed and await self._unchanged(window, result):
            return
        half = len(window) // 2
        newer, older = window[:half], window[half:]
        before = len(result.gone)
        await self._search(newer, result, known_changed=False)
        # The window changed: if its newer half did not, the older one did.
        await self._search(older, result, known_changed=len(result.gone) == before)
