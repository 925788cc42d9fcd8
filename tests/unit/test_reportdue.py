"""When the status is taken again (tobsd.reportdue) and chat-note rounds
(tobsd.sync.due): woken by events, never by a clock at rest."""
from __future__ import annotations

import asyncio

from tobsd.core.states import ChatState, DaemonState
from tobsd.reportdue import ReportDue, at_rest
from tobsd.sync.due import DueSet

LONG = 3600.0   # an interval no test waits out: only an event ends the wait


async def test_a_state_change_ends_the_wait_at_once_even_right_after_a_report():
    due = ReportDue(min_interval_s=LONG, max_interval_s=LONG)
    waiting = asyncio.create_task(due.wait(at_rest=True))
    await asyncio.sleep(0)
    assert not waiting.done()
    due.now()
    await asyncio.wait_for(waiting, 30)


async def test_at_rest_progress_ends_the_wait_and_nothing_else_does():
    due = ReportDue(min_interval_s=0.0, max_interval_s=LONG)
    waiting = asyncio.create_task(due.wait(at_rest=True))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not waiting.done()
    due.soon()
    await asyncio.wait_for(waiting, 30)


async def test_progress_is_reported_no_more_often_than_the_interval_unless_a_state_changes():
    due = ReportDue(min_interval_s=LONG, max_interval_s=LONG)
    due.now()
    await asyncio.wait_for(due.wait(), 30)   # a report just went out
    waiting = asyncio.create_task(due.wait(at_rest=True))
    due.soon()            # progress right after a report: held back...
    for _ in range(10):
        await asyncio.sleep(0)
    assert not waiting.done()
    due.now()             # ...until a state changes
    await asyncio.wait_for(waiting, 30)


def test_at_rest_only_when_every_chat_is_settled_and_no_flood_wait_counts_down():
    live = {"state": DaemonState.RUNNING, "source": {"flood_waits": {}},
            "chats": [{"state": ChatState.LIVE}, {"state": ChatState.PAUSED},
                      {"state": ChatState.ERROR}]}
    assert at_rest(live)
    assert not at_rest({**live, "chats": live["chats"] + [{"state": ChatState.BACKFILLING}]})
    assert not at_rest({**live, "source": {"flood_waits": {"messages.getHistory": 12.0}}})
    assert not at_rest({**live, "state": DaemonState.CONNECTING})
    assert not at_rest({})


async def test_due_chats_wait_for_the_first_mark_and_come_in_one_round():
    due = DueSet()
    taking = asyncio.create_task(due.take(0.0))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not taking.done()
    due.add(1)
    due.add(2)
    due.add(1)
    assert await asyncio.wait_for(taking, 30) == {1, 2}
    assert len(due) == 0
