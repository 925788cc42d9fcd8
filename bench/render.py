"""Benchmark: vault render + write throughput, and the cost of one edit.

    python bench/render.py            # 100,000 messages into daily notes; edit in a 5,000-message note
    python bench/render.py --quick    # small counts, finishes in seconds
    python bench/render.py --json     # one JSON object instead of the table

Measures, on a fresh temporary vault:

* ``render``: pure rendering (message -> block lines), messages per second;
* ``write``: the real writer (render, merge into daily notes, atomic write
  with fsync) fed in batches like the sync engine does, messages per second;
* ``edit``: applying one edited message to a note that already holds
  ``edit_note_messages`` blocks (median of several edits), in milliseconds;
  both with the writer's cache warm (the usual case) and cold (first touch
  after a restart or an outside change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tobsd.core.models import Chat, ChatKind, Entity, EntityKind, Message, Person  # noqa: E402
from tobsd.vault.render import RenderContext, render_block  # noqa: E402
from tobsd.vault.writer import VaultWriter  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PEOPLE = [Person(i, f"Person {i}", f"user{i}") for i in range(1, 21)]
WORDS = ("the quick brown fox jumps over the lazy dog [[not a link]] #tag 50% $5 <b> "
         "**stars** `code` ^id https://example.com/x_y").split()


def make_messages(chat: Chat, count: int, per_day: int) -> list[Message]:
    """Deterministic messages: varied lengths, some formatting, replies and edits."""
    out = []
    for i in range(1, count + 1):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(5 + i % 25)]
        text = " ".join(words)
        if i % 10 == 0:
            text += "\nsecond line\nthird line"
        ents = (Entity(EntityKind.BOLD, 0, 3), Entity(EntityKind.ITALIC, 4, 5)) if i % 3 == 0 else ()
        date = T0 + timedelta(days=(i - 1) // per_day, seconds=((i - 1) % per_day) * (86000 // per_day))
        out.append(Message(chat.id, i, date, PEOPLE[i % len(PEOPLE)], text, ents))
    return out


def bench_render(messages: list[Message]) -> float:
    ctx = RenderContext()
    start = time.perf_counter()
    for m in messages:
        render_block(m, ctx)
    return len(messages) / (time.perf_counter() - start)


async def bench_write(vault: Path, messages: list[Message], chat: Chat, batch: int,
                      durable: bool) -> tuple[float, int]:
    writer = VaultWriter(vault, durable=durable)
    start = time.perf_counter()
    for k in range(0, len(messages), batch):
        await writer.apply(chat, messages[k:k + batch])
    elapsed = time.perf_counter() - start
    notes = len({m.date.date() for m in messages})
    return len(messages) / elapsed, notes


async def bench_edit(vault: Path, n: int, edits: int, durable: bool) -> dict[str, float]:
    chat = Chat(-2, ChatKind.GROUP, "Big day")
    msgs = make_messages(chat, n, per_day=n)
    writer = VaultWriter(vault, durable=durable)
    for k in range(0, n, 1000):
        await writer.apply(chat, msgs[k:k + 1000])
    warm, cold = [], []
    for e in range(edits):
        victim = msgs[(e * 997) % n]
        edited = Message(chat.id, victim.id, victim.date, victim.sender, f"edited {e}",
                         edit_date=victim.date + timedelta(minutes=1))
        start = time.perf_counter()
        await writer.apply(chat, [edited])
        warm.append(time.perf_counter() - start)
        fresh = VaultWriter(vault, durable=durable)
        edited.text = f"edited again {e}"
        start = time.perf_counter()
        await fresh.apply(chat, [edited])
        cold.append(time.perf_counter() - start)
        writer = fresh
    size = sum(p.stat().st_size for p in (vault / "Telegram" / "Big day").rglob("*.md"))
    return {"edit_ms_warm": statistics.median(warm) * 1000, "edit_ms_cold": statistics.median(cold) * 1000,
            "edit_note_bytes": size}


async def run(args) -> dict:
    count, per_day, note_n, edits = (5_000, 250, 1_000, 3) if args.quick else (100_000, 250, 5_000, 5)
    chat = Chat(-1, ChatKind.SUPERGROUP, "Bench chat")
    messages = make_messages(chat, count, per_day)
    with tempfile.TemporaryDirectory(prefix="tobs-bench-") as tmp:
        render_rate = bench_render(messages[: min(count, 20_000)])
        write_rate, notes = await bench_write(_mkdir(Path(tmp) / "a"), messages, chat, 500,
                                              not args.no_fsync)
        edit = await bench_edit(_mkdir(Path(tmp) / "b"), note_n, edits, not args.no_fsync)
    return {"messages": count, "daily_notes": notes, "batch": 500, "fsync": not args.no_fsync,
            "render_msgs_per_s": round(render_rate), "write_msgs_per_s": round(write_rate),
            "edit_note_messages": note_n, **{k: round(v, 2) for k, v in edit.items()}}


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-fsync", action="store_true", help="skip fsync (pure CPU + page cache cost)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [("messages written", f"{result['messages']:,} into {result['daily_notes']} daily notes"),
            ("render only", f"{result['render_msgs_per_s']:,} msg/s"),
            ("render + write" + (" (fsync)" if result["fsync"] else ""), f"{result['write_msgs_per_s']:,} msg/s"),
            (f"one edit, {result['edit_note_messages']:,}-msg note, warm", f"{result['edit_ms_warm']:.1f} ms"),
            (f"one edit, {result['edit_note_messages']:,}-msg note, cold", f"{result['edit_ms_cold']:.1f} ms"),
            ("that note's size", f"{result['edit_note_bytes'] / 1e6:.2f} MB")]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
