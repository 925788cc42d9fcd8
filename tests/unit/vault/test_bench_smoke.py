"""Smoke run of the vault benchmark: it runs and reports every measure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conditions import slack


BENCH = Path(__file__).resolve().parents[3] / "bench" / "render.py"


def test_bench_quick_json_reports_all_measures():
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", "--no-fsync"],
                         capture_output=True, text=True, timeout=slack(120), check=True)
    result = json.loads(out.stdout)
    assert set(result) >= {"messages", "daily_notes", "render_msgs_per_s", "write_msgs_per_s",
                           "edit_note_messages", "edit_ms_warm", "edit_ms_cold", "edit_note_bytes"}
    assert result["messages"] == 5000 and result["daily_notes"] == 20
    assert result["write_msgs_per_s"] > 0 and result["edit_ms_warm"] > 0
