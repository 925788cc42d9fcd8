"""Conversions between the service facade's plain values and protobuf."""
from __future__ import annotations

import time

from google.protobuf.timestamp_pb2 import Timestamp

from tobs.v1 import pb

ORIGINS = {"config": pb.CHAT_ORIGIN_CONFIG, "sync_all": pb.CHAT_ORIGIN_SYNC_ALL,
           "api": pb.CHAT_ORIGIN_API}


def timestamp(seconds: float | None) -> Timestamp | None:
    if seconds is None:
        return None
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def chat_status(chat: dict) -> pb.ChatStatus:
    return pb.ChatStatus(
        id=chat.get("id") or 0, title=chat["title"], kind=chat.get("kind") or "", state=chat["state"],
        error=chat.get("error") or "", written=chat.get("written", 0),
        indexed=chat.get("indexed", 0), max_applied_id=chat.get("max_applied_id", 0),
        backfill_done=bool(chat.get("backfill_done")),
        backfill_ids_done=chat.get("backfill_ids_done", 0),
        backfill_ids_total=chat.get("backfill_ids_total", 0), eta_s=chat.get("eta_s", 0.0),
        newest_message=timestamp(chat.get("newest_message")), lag_s=chat.get("lag_s", 0.0),
        origin=ORIGINS.get(chat.get("origin", ""), pb.CHAT_ORIGIN_UNSPECIFIED),
        deleted_notes=chat.get("deleted_notes") or [], ref=chat.get("ref") or "",
        verify=pb.VerifyProgress(**chat["verify"]) if chat.get("verify") else None,
        media=chat_media(chat["media"]) if chat.get("media") else None)


def chat_media(m: dict) -> pb.ChatMedia:
    counts = m.get("counts", {})
    return pb.ChatMedia(queued=counts.get("queued", 0), done=counts.get("done", 0),
                        failed=counts.get("failed", 0) + counts.get("gone", 0),
                        skipped=counts.get("skipped", 0), over_budget=counts.get("budget", 0),
                        errors=m.get("errors", []))


def media_status(m: dict) -> pb.MediaStatus:
    disk, counters, source = m.get("disk", {}), m.get("counters", {}), m.get("source", {})
    return pb.MediaStatus(
        budget_bytes=disk.get("budget_bytes", 0), stored_bytes=disk.get("stored_bytes", 0),
        referenced_bytes=disk.get("referenced_bytes", 0), budget_reached=disk.get("budget_reached", False),
        downloading=m.get("active", 0), bytes_fetched=counters.get("bytes_fetched", 0),
        files_stored=counters.get("files_stored", 0), dedup_by_id=counters.get("dedup_by_id", 0),
        dedup_by_content=counters.get("dedup_by_content", 0),
        parts_resumed=counters.get("parts_resumed", 0),
        parts_hash_checked=counters.get("parts_hash_checked", 0), retries=counters.get("retries", 0),
        reference_refreshes=source.get("reference_refreshes", 0),
        dc_migrations=source.get("dc_migrations", 0),
        files_processed=counters.get("processed", 0))


def pacer(key: str, p: dict) -> pb.Pacer:
    out = pb.Pacer(key=key, rate=p.get("rate") or 0.0, flood_waits=p.get("flood_waits") or 0)
    if p.get("low") is not None:
        out.low = p["low"]
    if p.get("high") is not None:
        out.high = p["high"]
    return out


def status(snap: dict) -> pb.GetStatusResponse:
    account = snap.get("account")
    daemon = pb.DaemonStatus(
        state=snap["state"], version=snap["version"], pid=snap["pid"], uptime_s=snap["uptime_s"],
        account=pb.Account(id=account["id"], name=account["name"]) if account else None,
        dcs=[pb.DcConnection(dc=d["dc"], state=d["state"]) for d in snap["dcs"]],
        takeout=snap["takeout"] or "",
        flood_waits=[pb.FloodWait(key=k, seconds_left=v) for k, v in sorted(snap["flood_waits"].items())],
        pacing=[pacer(k, v) for k, v in sorted(snap.get("pacing", {}).items())],
        queues=pb.Queues(**snap["queues"]), messages_per_s=snap["messages_per_s"],
        rss_bytes=snap["rss_bytes"], cpu_percent=snap["cpu_percent"],
        config_error=snap["config_error"], error=snap.get("error") or "",
        catch_up=pb.CatchUp(**snap["catch_up"]) if snap.get("catch_up") else None,
        accelerators=pb.Accelerators(**snap["accelerators"]) if snap.get("accelerators") else None,
        media=media_status(snap["media"]) if snap.get("media") else None)
    return pb.GetStatusResponse(
        daemon=daemon, chats=[chat_status(c) for c in snap["chats"]],
        unresolved=[pb.UnresolvedChat(ref=u["ref"], error=u["error"]) for u in snap.get("unresolved", [])])


def chat_info(info: dict) -> pb.ChatInfo:
    return pb.ChatInfo(
        id=info["id"], title=info["title"], kind=info["kind"], username=info["username"],
        origin=ORIGINS.get(info["origin"], pb.CHAT_ORIGIN_UNSPECIFIED),
        config_entry=info["config_entry"], since=info["since"], media=info["media"],
        remove_deleted=info["remove_deleted"], paused=info["paused"], state=info["state"])


def event(ev) -> pb.Event:
    """A tobsd.events.DaemonEvent as a protobuf Event."""
    f = ev.fields
    out = pb.Event(time=timestamp(ev.time), dropped=ev.dropped)
    if ev.kind == "chat_state":
        out.chat_state.CopyFrom(pb.ChatStateChanged(chat_id=f["chat_id"], title=f["title"],
                                                    state=f["state"], error=f["error"]))
    elif ev.kind == "progress":
        out.progress.CopyFrom(pb.Progress(chat_id=f["chat_id"], title=f["title"],
                                          written=f["written"], indexed=f["indexed"]))
    elif ev.kind == "config_reloaded":
        out.config_reloaded.CopyFrom(pb.ConfigReloaded(ok=f["ok"], error=f["error"], chats=f["chats"]))
    elif ev.kind == "log":
        out.log.CopyFrom(pb.LogLine(level=f["level"], logger=f["logger"], message=f["message"]))
    elif ev.kind == "daemon_state":
        out.daemon_state.CopyFrom(pb.DaemonStateChanged(state=f["state"], error=f["error"]))
    return out


LOG_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


def now() -> float:
    return time.time()
