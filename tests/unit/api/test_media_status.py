"""Media status from the daemon's snapshot to protobuf and `tobsctl status`'s text."""
from __future__ import annotations

from rich.console import Console

from tobsctl.commands.status import render
from tobsd.api.helpers import status


def snapshot(**media) -> dict:
    return {
        "state": "running", "version": "0", "pid": 1, "uptime_s": 5.0, "account": None, "dcs": [],
        "takeout": "", "flood_waits": {}, "pacing": {}, "messages_per_s": 0.0, "rss_bytes": 0,
        "cpu_percent": 0.0, "config_error": "", "queues": {"writer_in_flight": 0, "chats_waiting": 0},
        "chats": [{"id": 5, "title": "News", "state": "live",
                   "media": {"counts": {"done": 3, "queued": 1, "failed": 1, "gone": 1, "budget": 2},
                             "errors": ["message 9: FILE_ID_INVALID"]}}],
        "media": {"disk": {"budget_bytes": 10 << 20, "stored_bytes": 11 << 20, "referenced_bytes": 30 << 20,
                           "budget_reached": True}, "active": 1,
                  "counters": {"bytes_fetched": 12 << 20, "files_stored": 3, "dedup_by_id": 4,
                               "dedup_by_content": 1, "parts_resumed": 2, "parts_hash_checked": 7,
                               "retries": 1, "processed": 5},
                  "source": {"reference_refreshes": 2, "dc_migrations": 1}, **media},
    }


def test_media_counts_and_the_disk_budget_reach_status_and_tobsctl():
    resp = status(snapshot())
    m, chat = resp.daemon.media, resp.chats[0].media
    assert (m.budget_bytes, m.stored_bytes, m.referenced_bytes, m.budget_reached) == (10 << 20, 11 << 20,
                                                                                      30 << 20, True)
    assert (m.dedup_by_id, m.dedup_by_content, m.reference_refreshes, m.dc_migrations) == (4, 1, 2, 1)
    assert m.files_processed == 5
    assert (chat.done, chat.queued, chat.failed, chat.over_budget) == (3, 1, 2, 2)
    assert list(chat.errors) == ["message 9: FILE_ID_INVALID"]
    console = Console(width=200, record=True)
    console.print(render(resp))
    text = console.export_text()
    assert "DISK BUDGET REACHED" in text and "11.0 MiB stored of 10 MiB budget" in text
    assert "3 done, 1 queued, 2 failed, 2 over budget" in text
    assert "News: message 9: FILE_ID_INVALID" in text


def test_a_daemon_without_media_leaves_the_fields_unset():
    snap = snapshot()
    snap.pop("media")
    snap["chats"][0].pop("media")
    resp = status(snap)
    assert not resp.daemon.HasField("media") and not resp.chats[0].HasField("media")
