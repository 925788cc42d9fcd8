"""Crash soak: kill tobsd with SIGKILL hundreds of times at random moments
of backfill and live sync, changing the world while it runs and while it is
down, then check that the vault equals the world exactly (nothing missing,
nothing twice, every edit and deletion applied, no temporary file left).

    .venv/bin/python bench/crash_soak.py --trials 300 [--seed 1] [--json]

The same check as tests/integration/daemon/test_crash.py (30 trials in
`make test`), for longer, with kill moments drawn from the clock. fakegram runs in this process; each round of
`--round` trials ends with a full check, so a failure names its round.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fakegram.crypto import ServerKey  # noqa: E402
from fakegram.testing import running_server  # noqa: E402
from tests.daemonkit import TobsdProcess, write_config  # noqa: E402
from tests.conditions import wait_for  # noqa: E402
from tests.integration.daemon.test_crash import (Mutator, backfill_done,  # noqa: E402
                                                 check_vault, crash_world, vault_matches)


async def soak(trials: int, per_round: int, seed: int, posts: int) -> dict:
    rng = random.Random(seed)
    rounds, kills, mid_backfill = 0, 0, 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tobs-soak-") as tmp:
        base = Path(tmp)
        key = ServerKey.load_or_create(base / "rsa")
        while kills < trials:
            rounds += 1
            work = base / f"round-{rounds}"
            world = crash_world(posts=posts)
            mutator = Mutator(world, rng)
            async with running_server(world, work / "fakegram", rtt_ms=10, rsa_key=key) as server:
                config = write_config(work, server, ["@firehose", "@bobby_b"], workers=6)
                for _ in range(min(per_round, trials - kills)):
                    tobsd = TobsdProcess(config).start()
                    await asyncio.sleep(rng.uniform(0.3, 2.5))
                    for _ in range(rng.randrange(0, 6)):
                        mutator.step()
                        await asyncio.sleep(rng.uniform(0, 0.15))
                    await tobsd.kill()
                    kills += 1
                    mid_backfill += not backfill_done(work / "state" / "tobsd.db")
                    for _ in range(rng.randrange(0, 3)):
                        mutator.step()
                tobsd = TobsdProcess(config).start()
                try:
                    await tobsd.wait_synced(2, timeout=180)
                    vault = work / "vault"

                    async def settled() -> bool:   # scanned off the loop: fakegram serves on it
                        return await asyncio.to_thread(vault_matches, vault, world, mutator) is None

                    await wait_for(settled, 120, what="the vault to equal the world", interval=0.5,
                                   describe=lambda: vault_matches(vault, world, mutator))
                finally:
                    await tobsd.terminate()
                check_vault(work / "vault", world, mutator)   # raises on any difference
            print(f"round {rounds}: {kills}/{trials} kills, vault equals world", file=sys.stderr)
    return {"benchmark": "crash_soak", "trials": kills, "rounds": rounds,
            "kills_during_backfill": mid_backfill, "seed": seed, "posts": posts,
            "all_rounds_equal": True, "duration_s": round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--round", type=int, default=20, help="kills between full checks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(soak(args.trials, args.round, args.seed, args.posts))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
