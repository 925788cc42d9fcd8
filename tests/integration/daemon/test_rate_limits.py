"""A real tobsd against fakegram enforcing a strict flood model: the pacer
learns the ceiling, the backfill completes exactly, a live message still
arrives while the backfill rides the limit, and what was learned survives a
restart."""
from __future__ import annotations

import sqlite3

from fakegram.control import Control
from fakegram.world import WorldBuilder
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import by_message, scan

KEY = "messages.getHistory@dc2+takeout"
STRICT = {"name": "strict", "penalty": {"window_s": 10, "growth": 2, "max_wait_s": 8},
          "families": [{"name": "history", "methods": ["messages.getHistory"],
                        "rate": 4, "burst": 4}]}


def learned_rates(state_dir) -> dict:
    with sqlite3.connect(state_dir / "tobsd.db") as db:
        return dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'learned_rate:%'"))


async def test_backfill_under_a_strict_flood_model_is_exact_and_learns_the_ceiling(make_server,
                                                                                   tmp_path):
    b = WorldBuilder(seed=11)
    b.synthetic_channel("Paced", count=4000, username="paced")
    world = b.build()
    async with make_server(world) as server:
        control = Control(server)
        control.set_flood_model(STRICT)
        config = write_config(tmp_path, server, ["@paced"], workers=6)
        tobsd = TobsdProcess(config).start()
        try:
            # Once the pacer has met the limit, a live post lands although
            # the backfill is still riding it.
            await tobsd.wait_for(lambda s: s["source"].get("pacing", {}).get(KEY, {})
                                 .get("flood_waits", 0) > 0, 60, "a flood wait met by the pacer")
            posted = control.post(("channel", world.chats()[0].id), "live while paced")["id"]
            status = await tobsd.wait_synced(1, timeout=120)
            assert status["chats"][0]["state"] == "live"
            pacing = status["source"]["pacing"][KEY]
            # A rate that flooded is known, near the model's 4 requests/s,
            # and the pacer runs below it.
            assert pacing["high"] is not None and 2.0 <= pacing["high"] <= 40.0, pacing
            assert pacing["rate"] < pacing["high"], pacing
        finally:
            assert await tobsd.terminate() == 0
        mine = by_message(scan(tmp_path / "vault"))
        assert sorted(mine) == list(range(1, posted + 1))
        assert all(len(v) == 1 for v in mine.values())
        stats = control.flood_model()
        assert stats["flood_waits"]["history"] >= 1
        # Far fewer refusals than requests: the pacer stays under the limit.
        assert stats["flood_waits"]["history"] * 4 < stats["passed"]["history"]

        saved = learned_rates(tmp_path / "state")
        assert "learned_rate:" + KEY in saved
        before = server.request_log()[-1]["seq"]
        again = TobsdProcess(config).start()
        try:
            status = await again.wait_for(
                lambda s: KEY in s["source"].get("pacing", {}) and
                all(c["state"] == "live" for c in s["chats"]) and s["chats"], 60,
                "the restarted daemon live")
            restarted = status["source"]["pacing"][KEY]
            assert restarted["high"] is not None and restarted["high"] <= pacing["high"] * 1.01
        finally:
            assert await again.terminate() == 0
        refused = [r for r in server.request_log(since=before) if r["error"]]
        assert refused == []
