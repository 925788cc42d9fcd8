"""systemd's STATUS= line: what each daemon state says, progress while running."""
from __future__ import annotations

from tobsd.status import one_line


def test_states_other_than_running_say_what_is_happening():
    assert one_line({"state": "connecting"}) == "connecting to Telegram"
    assert one_line({"state": "needs-login"}).startswith("needs-login: ")
    assert "tobsd login" in one_line({"state": "needs-login"})


def test_running_shows_progress_errors_and_a_takeout_delay():
    status = {"state": "running", "source": {"takeout": "delayed until 2026-12-06 10:00 UTC"},
              "chats": [{"state": "live", "indexed": 10}, {"state": "backfilling", "indexed": 5},
                        {"state": "error", "indexed": 0}]}
    assert one_line(status) == (
        "1/3 chats live, 15 messages, 1 syncing, 1 with errors, Takeout delayed until 2026-12-06 10:00 UTC")
    status["source"]["takeout"] = "open"
    assert "Takeout" not in one_line(status)
