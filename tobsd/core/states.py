"""The states a chat and the daemon can be in, and the moves between them.

These are the values the status carries (GetStatus, tobsctl status): one enum
each, so a state the code sets is always one the documentation lists.

A chat's life:

    starting ──▶ backfilling ──▶ live ──▶ reconciling ──▶ live
        │             │            ▲            │
        │             └──── (every message up to the newest indexed)
        └─▶ live (nothing to fetch below the newest page)

- `starting`: tracked, its newest page not compared with Telegram yet.
- `backfilling`: older history is being fetched; live messages are
  applied meanwhile, but the chat is not complete.
- `live`: complete. Its backfill is done and every message up to the
  newest one Telegram showed is indexed; live updates keep it so.
- `reconciling`: a live chat being compared with Telegram again (on the
  schedule or when asked); it stays complete throughout.
- `verifying`: Telegram could no longer say what changed while tobsd was
  away (the gap was beyond its update log), so the chat's history is being
  compared with the index page by page to find old edits and deletions;
  live once that pass is done.
- `retrying`: the last attempt failed (the error is shown); it is tried
  again after a pause. Never `live` until an attempt succeeds.
- `disk-full`: the vault's disk is full; retried as space returns.
- `error`: Telegram refuses the chat (private, banned, gone); not retried
  until the chat list is reloaded.
- `paused`: the user paused it.

Only the transitions in CHAT_TRANSITIONS exist; `ChatState.move` checks
them, so a chat cannot reach `live` except from a finished backfill or a
reconcile that found nothing missing.
"""
from __future__ import annotations

from enum import Enum


class InvalidTransition(RuntimeError):
    """A state change the state machine does not allow (a bug in tobsd)."""


class ChatState(str, Enum):
    STARTING = "starting"
    BACKFILLING = "backfilling"
    LIVE = "live"
    RECONCILING = "reconciling"
    VERIFYING = "verifying"
    RETRYING = "retrying"
    DISK_FULL = "disk-full"
    ERROR = "error"
    PAUSED = "paused"

    def __str__(self) -> str:
        return self.value

    @property
    def complete(self) -> bool:
        """Whether a chat in this state holds its whole history."""
        return self in (ChatState.LIVE, ChatState.RECONCILING)

    def can_move(self, new: "ChatState") -> bool:
        return new is self or new in CHAT_TRANSITIONS[self]

    def move(self, new: "ChatState") -> "ChatState":
        """`new`, when the machine allows moving there from here; else InvalidTransition."""
        if not self.can_move(new):
            raise InvalidTransition(f"chat state {self.value} -> {new.value} is not allowed")
        return new


_FAILED = {ChatState.RETRYING, ChatState.DISK_FULL, ChatState.ERROR, ChatState.PAUSED}

CHAT_TRANSITIONS: dict[ChatState, frozenset[ChatState]] = {
    # The first reconcile decides: backfill what is missing, or live at once.
    ChatState.STARTING: frozenset({ChatState.BACKFILLING, ChatState.VERIFYING, ChatState.LIVE}
                                  | _FAILED),
    # Live only once every shard is done and the cursor covers the newest page.
    ChatState.BACKFILLING: frozenset({ChatState.LIVE, ChatState.VERIFYING} | _FAILED),
    ChatState.LIVE: frozenset({ChatState.RECONCILING} | _FAILED),
    # A reconcile that finds a gap (a week offline) backfills it first.
    ChatState.RECONCILING: frozenset({ChatState.LIVE, ChatState.BACKFILLING,
                                      ChatState.VERIFYING} | _FAILED),
    # A verification pass ends live (or starts over after a failure).
    ChatState.VERIFYING: frozenset({ChatState.LIVE} | _FAILED),
    # Every failure starts over from the top: nothing it did counts as complete.
    ChatState.RETRYING: frozenset({ChatState.STARTING} | _FAILED),
    ChatState.DISK_FULL: frozenset({ChatState.STARTING} | _FAILED),
    ChatState.ERROR: frozenset({ChatState.STARTING, ChatState.PAUSED}),
    ChatState.PAUSED: frozenset({ChatState.STARTING}),
}


class DaemonState(str, Enum):
    """The daemon as a whole: `starting` (reading config, opening the
    state), `connecting` (to Telegram), `running` (chats are synced; each
    has its own ChatState), `needs-login` (the session is not authorised:
    run `tobsd login`; nothing is lost), `stopped`."""
    STARTING = "starting"
    CONNECTING = "connecting"
    RUNNING = "running"
    NEEDS_LOGIN = "needs-login"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return self.value

    def can_move(self, new: "DaemonState") -> bool:
        return new is self or new in DAEMON_TRANSITIONS[self]

    def move(self, new: "DaemonState") -> "DaemonState":
        if not self.can_move(new):
            raise InvalidTransition(f"daemon state {self.value} -> {new.value} is not allowed")
        return new


DAEMON_TRANSITIONS: dict[DaemonState, frozenset[DaemonState]] = {
    # The daemon connects first; the sync engine (which has no connecting
    # phase of its own) starts running, or finds the session not authorised.
    DaemonState.STARTING: frozenset({DaemonState.CONNECTING, DaemonState.RUNNING,
                                     DaemonState.NEEDS_LOGIN, DaemonState.STOPPED}),
    DaemonState.CONNECTING: frozenset({DaemonState.RUNNING, DaemonState.NEEDS_LOGIN,
                                       DaemonState.STOPPED}),
    DaemonState.RUNNING: frozenset({DaemonState.CONNECTING, DaemonState.NEEDS_LOGIN,
                                    DaemonState.STOPPED}),
    # After `tobsd login` the daemon connects again.
    DaemonState.NEEDS_LOGIN: frozenset({DaemonState.CONNECTING, DaemonState.RUNNING,
                                        DaemonState.STOPPED}),
    DaemonState.STOPPED: frozenset(),
}
