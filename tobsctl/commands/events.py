"""tobsctl events [--follow] [--log-level LEVEL]: what tobsd does.

Without --follow: each chat's current state, then exit. With --follow:
every event as it happens (with --json one document per line) until tobsd
stops or Ctrl-C."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.jsonout import to_json

NAME = "events"
HELP = "show tobsd's events (chat states, progress, reloads, log lines); --follow streams them"


def add_arguments(p) -> None:
    p.add_argument("--follow", "-f", action="store_true", help="keep streaming events")
    p.add_argument("--log-level", default="", choices=["", "debug", "info", "warning", "error"],
                   help="also stream log lines at this level or above")


def describe(ev) -> str:
    kind = ev.WhichOneof("kind")
    stamp = ev.time.ToDatetime().strftime("%H:%M:%S")
    if kind == "chat_state":
        c = ev.chat_state
        text = f"{c.title}: {c.state}" + (f" ({c.error})" if c.error else "")
    elif kind == "progress":
        text = f"{ev.progress.title}: {ev.progress.indexed} messages ({ev.progress.written} written)"
    elif kind == "config_reloaded":
        r = ev.config_reloaded
        text = f"configuration reloaded: {r.chats} chats" if r.ok else f"configuration refused: {r.error}"
    elif kind == "log":
        text = f"{ev.log.level} {ev.log.logger}: {ev.log.message}"
    elif kind == "daemon_state":
        text = f"tobsd: {ev.daemon_state.state}" + (f" ({ev.daemon_state.error})" if ev.daemon_state.error else "")
    else:
        text = kind or "?"
    dropped = f" [{ev.dropped} earlier events dropped]" if ev.dropped else ""
    return f"{stamp} {text}{dropped}"


def run(ctx) -> int:
    client = ctx.client
    if not ctx.args.follow:
        resp = client.call("GetStatus", pb.GetStatusRequest())
        events = [pb.Event(chat_state=pb.ChatStateChanged(chat_id=c.id, title=c.title, state=c.state,
                                                          error=c.error)) for c in resp.chats]
        for ev in events:
            ev.time.GetCurrentTime()
        ctx.out.emit({"events": [to_json(e) for e in events]},
                     lambda: [ctx.out.say(describe(e)) for e in events])
        return 0
    for ev in client.stream("WatchEvents", pb.WatchEventsRequest(log_level=ctx.args.log_level)):
        if ctx.out.json:
            ctx.out.document(to_json(ev))
        else:
            ctx.out.say(describe(ev))
    return 0
