"""What the sync engine keeps of each chat it tracks (TrackedChat), the
options a chat is tracked with, and how a chat's failure is classed."""
from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from tobsd.core.errors import DiskFull
from tobsd.core.models import Chat
from tobsd.core.states import ChatState


def is_disk_full(exc: BaseException) -> bool:
    # Every layer raises DiskFull; a bare ENOSPC/EDQUOT from elsewhere counts too.
    return isinstance(exc, DiskFull) or \
        (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT))


@dataclass
class ChatOptions:
    since: date | None = None
    paused: bool = False

    @property
    def since_dt(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime(self.since.year, self.since.month, self.since.day, tzinfo=timezone.utc)


class IncompleteChat(RuntimeError):
    """A chat's sync ended without it being complete (shards pending or the
    backfill not recorded done); it is retried, never reported live."""


@dataclass
class TrackedChat:
    """What the engine knows of one chat, for status reports."""
    chat: Chat
    options: ChatOptions
    state: ChatState = ChatState.STARTING   # changed only through `move`
    error: str | None = None
    written: int = 0              # messages written (new or changed) since start
    live_contiguous: bool = False  # reconciled this session: live "new" may move the cursor
    last_reconcile: float = 0.0
    task: asyncio.Task | None = field(default=None, repr=False)
    resume_run: int | None = None  # the catch-up run that may bring it back complete (followed.py)
    followed: bool = False        # recorded in the followed_chats table
    seen_top: int = -1            # the newest id its last reconcile saw
    wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # The index count last reported, and `written` and the time it was
    # counted at: counting a big chat's rows every second is the largest
    # cost of an idle daemon, and the count only moves when messages are written.
    counted: tuple[int, int, float] | None = field(default=None, repr=False)

    def move(self, new: ChatState) -> bool:
        """Go to `new` (InvalidTransition if the state machine has no such
        move); True when the state changed."""
        old, self.state = self.state, self.state.move(new)
        return old is not new
