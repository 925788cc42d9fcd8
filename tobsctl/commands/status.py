"""tobsctl status [--watch [--until-live]]: the daemon's and every chat's state."""
from __future__ import annotations

import time

from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tobs.v1 import pb
from tobsctl.jsonout import to_json

NAME = "status"
HELP = "show the daemon's state and every chat's"
REFRESH_S = 1.0


def add_arguments(p) -> None:
    p.add_argument("--watch", "-w", action="store_true",
                   help="redraw every second (with --json: one document per line)")
    p.add_argument("--until-live", action="store_true",
                   help="with --watch: stop once every chat is live (or in error)")


def all_live(resp) -> bool:
    return resp.daemon.state == "running" and bool(resp.chats) and \
        all(c.state in ("live", "error", "paused") for c in resp.chats)


def run(ctx) -> int:
    client = ctx.client
    if not ctx.args.watch:
        resp = client.call("GetStatus", pb.GetStatusRequest())
        ctx.out.emit(to_json(resp), lambda: ctx.out.console.print(render(resp)))
        return 0
    if ctx.out.json:
        while True:
            resp = client.call("GetStatus", pb.GetStatusRequest())
            ctx.out.document(to_json(resp))
            if ctx.args.until_live and all_live(resp):
                return 0
            time.sleep(REFRESH_S)
    with Live(console=ctx.out.console, auto_refresh=False) as live:
        while True:
            resp = client.call("GetStatus", pb.GetStatusRequest())
            live.update(render(resp), refresh=True)
            if ctx.args.until_live and all_live(resp):
                return 0
            time.sleep(REFRESH_S)


def render(resp):
    d = resp.daemon
    head = Text.assemble((f"tobsd {d.version}", "bold"), f"  {d.state}",
                         f"  up {_duration(d.uptime_s)}", f"  pid {d.pid}")
    lines = [head]
    if d.HasField("account"):
        lines.append(Text(f"account   {d.account.name} ({d.account.id})"))
    lines.append(Text(f"telegram  " + (", ".join(f"dc{c.dc} {c.state}" for c in d.dcs) or "-")
                      + f"; takeout {d.takeout or '-'}"))
    if d.flood_waits:
        lines.append(Text("waiting   " + ", ".join(f"{w.key} {w.seconds_left:.0f}s" for w in d.flood_waits)))
    for p in d.pacing:
        learned = f", ceiling {p.low:.1f}-{p.high:.1f}/s" if p.HasField("high") else ""
        lines.append(Text(f"pacing    {p.key} {p.rate:.1f}/s{learned}"))
    lines.append(Text(f"rate      {d.messages_per_s:.1f} msg/s   memory {d.rss_bytes / 2**20:.0f} MiB"
                      f"   cpu {d.cpu_percent:.0f}%"))
    if d.HasField("media"):
        lines.append(_media_line(d.media))
    if d.error:
        lines.append(Text(f"error     {d.error}", style="red"))
    if d.config_error:
        lines.append(Text(f"config    {d.config_error}", style="red"))
    table = Table(box=None, pad_edge=False)
    for col in ("CHAT", "STATE", "MESSAGES", "PROGRESS", "LAG", "MEDIA"):
        table.add_column(col)
    for c in resp.chats:
        state = c.state + (f" ({c.error})" if c.error else "")
        if c.state == "backfilling" and c.backfill_ids_total:
            eta = f" {_duration(c.eta_s)} left" if c.eta_s else ""
            progress = Table.grid(padding=(0, 1))
            progress.add_row(ProgressBar(total=c.backfill_ids_total, completed=c.backfill_ids_done,
                                         width=20),
                             Text(f"{100 * c.backfill_ids_done / c.backfill_ids_total:.0f}%{eta}"))
        elif c.state == "backfilling":
            progress = ProgressBar(total=None, width=20, pulse=True)
        else:
            progress = Text("done" if c.backfill_done else "")
        table.add_row(c.title, state, str(c.indexed), progress,
                      _duration(c.lag_s) if c.HasField("newest_message") else "-",
                      _chat_media(c.media) if c.HasField("media") else "-")
    for u in resp.unresolved:
        table.add_row(u.ref, f"unresolved ({u.error})", "", "", "", "")
    errors = [Text(f"  {c.title}: {e}", style="yellow") for c in resp.chats if c.HasField("media")
              for e in c.media.errors]
    if errors:
        return Group(*lines, Text(""), table, Text(""), Text("media failures"), *errors)
    return Group(*lines, Text(""), table)


def _media_line(m) -> Text:
    budget = f" of {m.budget_bytes / 2**20:.0f} MiB budget" if m.budget_bytes else ""
    text = (f"media     {m.stored_bytes / 2**20:.1f} MiB stored{budget}, "
            f"{m.downloading} downloading, {m.files_stored} files and "
            f"{m.bytes_fetched / 2**20:.1f} MiB fetched; "
            f"dedup {m.dedup_by_id} by id, {m.dedup_by_content} by content")
    if m.budget_reached:
        return Text(text + "; DISK BUDGET REACHED: downloads wait", style="red")
    return Text(text)


def _chat_media(m) -> str:
    parts = [f"{m.done} done"]
    for label, n in (("queued", m.queued), ("failed", m.failed), ("skipped", m.skipped),
                     ("over budget", m.over_budget)):
        if n:
            parts.append(f"{n} {label}")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
