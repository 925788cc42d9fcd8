"""The chat and daemon state machines: which moves exist."""
from __future__ import annotations

import pytest

from tobsd.core.states import (CHAT_TRANSITIONS, DAEMON_TRANSITIONS, ChatState, DaemonState,
                               InvalidTransition)


def test_every_state_has_its_transitions_listed():
    assert set(CHAT_TRANSITIONS) == set(ChatState)
    assert set(DAEMON_TRANSITIONS) == set(DaemonState)


@pytest.mark.parametrize("start", list(ChatState))
def test_live_is_reached_only_from_a_finished_pass(start):
    allowed = ChatState.LIVE in CHAT_TRANSITIONS[start]
    assert allowed == (start in (ChatState.STARTING, ChatState.BACKFILLING, ChatState.RECONCILING,
                                 ChatState.VERIFYING))


def test_a_failed_chat_starts_over_before_it_can_be_live():
    for failed in (ChatState.RETRYING, ChatState.DISK_FULL, ChatState.ERROR, ChatState.PAUSED):
        with pytest.raises(InvalidTransition):
            failed.move(ChatState.LIVE)
        with pytest.raises(InvalidTransition):
            failed.move(ChatState.BACKFILLING)
        assert failed.move(ChatState.STARTING) is ChatState.STARTING


def test_complete_states_and_the_values_status_reports():
    assert {s for s in ChatState if s.complete} == {ChatState.LIVE, ChatState.RECONCILING}
    assert ChatState.DISK_FULL == "disk-full" and str(ChatState.LIVE) == "live"
    assert {s.value for s in DaemonState} == {"starting", "connecting", "running", "needs-login",
                                              "stopped"}


def test_daemon_moves():
    assert DaemonState.CONNECTING.move(DaemonState.RUNNING) is DaemonState.RUNNING
    assert DaemonState.NEEDS_LOGIN.move(DaemonState.CONNECTING) is DaemonState.CONNECTING
    with pytest.raises(InvalidTransition):
        DaemonState.STOPPED.move(DaemonState.RUNNING)
