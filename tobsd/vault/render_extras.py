"""Body lines for everything in a message that is not its text: media, polls,
places, contacts, dice, games, invoices, stories, web previews, reactions and
service actions.

Every string that comes from Telegram is escaped with
:func:`~tobsd.vault.escape.escape_name`; every kind, known or not, renders
to at least one visible line (an unknown kind names its Telegram type).
Lines are returned without the callout's ``> `` prefix.
"""

from __future__ import annotations

from typing import Callable

from tobsd.core.models import (ActionKind, MediaKind, MediaRef, Message, Person, Reaction,
                               ServiceAction)
from tobsd.vault.escape import (break_pairs, code_span, escape_name, has_code_hostile_chars,
                                link_label, safe_url)
from tobsd.vault.names import is_safe_component

EMBEDDABLE = {"png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "heic",
              "mp3", "webm", "wav", "m4a", "ogg", "3gp", "flac",
              "mp4", "ogv", "mov", "mkv", "pdf"}
_ICONS = {MediaKind.PHOTO: "🖼", MediaKind.VOICE: "🎤", MediaKind.ROUND: "⏺", MediaKind.VIDEO: "🎬",
          MediaKind.AUDIO: "🎵", MediaKind.GIF: "🎞", MediaKind.STICKER: "🏷",
          MediaKind.ANIMATED_STICKER: "🏷", MediaKind.VIDEO_STICKER: "🏷", MediaKind.DOCUMENT: "📎"}

PersonLink = Callable[[Person], str]


def _one_line(text: str) -> str:
    return escape_name(text or "")


def _type_code(name: str) -> str:
    """A Telegram type name as inline code (led by U+200B like all inline code, see escape)."""
    clean = "".join(c for c in " ".join(name.split()) if not has_code_hostile_chars(c))
    return code_span(break_pairs(clean or "?"))


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _map_link(lat: float, lon: float) -> str:
    url = f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}"
    return f"[{lat:.6f}, {lon:.6f}]({url})"


def _details(m: MediaRef) -> list[str]:
    return [d for d in (_size(m.size), _duration(m.duration),
                        f"{m.width}×{m.height}" if m.width and m.height else "") if d]


def _linkable(path: str | None) -> bool:
    return bool(path) and all(is_safe_component(part) for part in path.split("/"))


def _ext(path: str) -> str:
    return path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""


def _derived(m: MediaRef, role: str) -> str | None:
    for r, path in m.derived:
        if r == role and _linkable(path) and _ext(path) in EMBEDDABLE:
            return path
    return None


def _status_line(m: MediaRef) -> list[str]:
    detail = f": {_one_line(m.status_detail)}" if m.status_detail else ""
    if m.status == "downloading":
        return ["⏳ *downloading…*"]
    if m.status == "failed":
        return [f"⚠️ *download failed{detail}*"]
    return []


def _transcript_lines(m: MediaRef) -> list[str]:
    if not m.transcript or not m.transcript.strip():
        return []
    lines = ["> [!quote]- Transcript"]
    lines += ["> " + _one_line(line) for line in m.transcript.strip().splitlines() if line.strip()]
    return lines


def _file_lines(m: MediaRef) -> list[str]:
    """An embed of the file (or of what processing made of it: the playable
    .ogg of a voice note, the animated .webp of a sticker, a compact video,
    with a video's poster above it), its download status, and a voice note's
    transcript as a collapsed callout."""
    linkable = _linkable(m.path)
    if linkable:
        shown = (_derived(m, "playable") or _derived(m, "compact") or _derived(m, "animation")
                 or _derived(m, "still") or m.path)
        if _ext(shown) in EMBEDDABLE:
            lines = []
            poster = _derived(m, "poster")
            if poster and m.status is None:
                lines.append(f"![[{poster}]]")
            lines.append(f"![[{shown}]]")   # the embed shows the file itself: no details to format
            if shown != m.path and m.status is None:
                lines.append(f"📎 [[{m.path}|original]]")
            return lines + _status_line(m) + _transcript_lines(m)
    icon = _ICONS.get(m.kind, "📎")
    details = _details(m)
    if linkable:
        label = link_label(m.file_name or m.emoji or m.kind.value)
        return ([f"{icon} [[{m.path}|{label}]]" + (" · " + " · ".join(details) if details else "")]
                + _status_line(m) + _transcript_lines(m))
    name = f" {_one_line(m.file_name)}" if m.file_name else ""
    extra = (" · " + " · ".join(details)) if details else ""
    if m.status == "failed":
        why = f"download failed: {_one_line(m.status_detail)}" if m.status_detail else "download failed"
    elif m.status == "skipped" and m.status_detail:
        why = f"not downloaded: {_one_line(m.status_detail)}"
    else:
        why = "not downloaded"
    return [f"{icon} {m.kind.value.replace('_', ' ')}{name}{extra} · *{why}*"]


def _poll_lines(m: MediaRef) -> list[str]:
    flags = [f for f, on in (("quiz", m.poll_quiz), ("closed", m.poll_closed)) if on]
    lines = [f"📊 **{_one_line(m.poll_question or '') or 'poll'}**" + "".join(f" · {f}" for f in flags)]
    total = m.poll_total_voters
    for ans in m.poll_answers:
        mark = " ✓" if ans.correct else ""
        mark += " (your vote)" if ans.chosen else ""
        if ans.voters is None:
            lines.append(f"- {_one_line(ans.text)}{mark}")
        else:
            pct = f" ({100 * ans.voters / total:.0f}%)" if total else ""
            lines.append(f"- {_one_line(ans.text)} — {ans.voters}{pct}{mark}")
    if total is not None:
        lines.append(f"{total} voter{'s' if total != 1 else ''}")
    return lines


def media_lines(m: MediaRef, msg_id: int) -> list[str]:
    """Lines shown above the text for a message's attachment (webpages go below: see ``after_lines``)."""
    k = m.kind
    if k in (MediaKind.PHOTO, MediaKind.VOICE, MediaKind.ROUND, MediaKind.VIDEO, MediaKind.AUDIO,
             MediaKind.GIF, MediaKind.STICKER, MediaKind.ANIMATED_STICKER,
             MediaKind.VIDEO_STICKER, MediaKind.DOCUMENT):
        return _file_lines(m)
    if k == MediaKind.GEO and m.latitude is not None and m.longitude is not None:
        return [f"📍 {_map_link(m.latitude, m.longitude)}"]
    if k == MediaKind.VENUE:
        parts = [f"**{_one_line(m.title or 'venue')}**"]
        if m.address:
            parts.append(_one_line(m.address))
        if m.latitude is not None and m.longitude is not None:
            parts.append(_map_link(m.latitude, m.longitude))
        return ["📍 " + " · ".join(parts)]
    if k == MediaKind.CONTACT:
        parts = [f"**{_one_line(m.contact_name or 'contact')}**"]
        if m.phone:
            url = safe_url("tel:" + "".join(c for c in m.phone if c.isdigit() or c == "+"))
            parts.append(f"[{_one_line(m.phone)}]({url})" if url else _one_line(m.phone))
        return ["👤 " + " · ".join(parts)]
    if k == MediaKind.POLL:
        return _poll_lines(m)
    if k == MediaKind.DICE:
        value = f" → {m.value}" if m.value is not None else ""
        return [f"🎲 {_one_line(m.emoji or '🎲')}{value}"]
    if k == MediaKind.GAME:
        lines = [f"🎮 **{_one_line(m.title or 'game')}**"]
        return lines + ([_one_line(m.description)] if m.description else [])
    if k == MediaKind.INVOICE:
        price = ""
        if m.amount is not None:
            price = f" · {m.amount / 100:.2f} {_one_line(m.currency or '')}".rstrip()
        lines = [f"🧾 **{_one_line(m.title or 'invoice')}**{price}"]
        return lines + ([_one_line(m.description)] if m.description else [])
    if k == MediaKind.STORY:
        who = f" from {m.peer_id}" if m.peer_id is not None else ""
        return [f"📖 story {m.story_id if m.story_id is not None else '?'}{who}"]
    if k == MediaKind.WEBPAGE:
        return []
    return [f"⚠️ unsupported media: {_type_code(m.type_name or k.value)}"]


def after_lines(msg: Message) -> list[str]:
    """Lines shown below the text: web preview, then reactions."""
    lines: list[str] = []
    m = msg.media
    if m is not None and m.kind == MediaKind.WEBPAGE:
        url = safe_url(m.url or "")
        title = _one_line(m.title or m.site_name or m.url or "link")
        site = f"{_one_line(m.site_name)} · " if m.site_name and m.title else ""
        lines.append(f"🔗 {site}[{title}]({url})" if url else f"🔗 {site}{title}")
        if m.description:
            lines.append(_one_line(m.description))
    if msg.reactions:
        lines.append(reactions_line(msg.reactions))
    return lines


def reactions_line(reactions: tuple[Reaction, ...]) -> str:
    """``👍 3 · ❤ 1``."""
    return " · ".join(f"{_one_line(r.emoji)} {r.count}" for r in reactions)


def _people(users: tuple[Person, ...], link: PersonLink) -> str:
    return ", ".join(link(u) for u in users) or "someone"


def service_lines(msg: Message, link: PersonLink, pinned_link: Callable[[int], str]) -> list[str]:
    """The sentence describing a service action (always at least one line)."""
    a: ServiceAction = msg.action  # type: ignore[assignment]
    k = a.kind
    title = f"“{_one_line(a.title)}”" if a.title else ""
    if k == ActionKind.CHAT_CREATE:
        return [f"created the group {title}".rstrip()]
    if k == ActionKind.CHANNEL_CREATE:
        return [f"created the channel {title}".rstrip()]
    if k == ActionKind.JOIN:
        if a.users and msg.sender and [u.id for u in a.users] == [msg.sender.id]:
            return ["joined the group"]
        return [f"added {_people(a.users, link)}"]
    if k == ActionKind.JOIN_BY_LINK:
        return ["joined the group via invite link"]
    if k == ActionKind.JOIN_BY_REQUEST:
        return ["was accepted into the group"]
    if k == ActionKind.LEAVE:
        if a.users and msg.sender and [u.id for u in a.users] == [msg.sender.id]:
            return ["left the group"]
        return [f"removed {_people(a.users, link)}"]
    if k == ActionKind.PIN:
        return [f"pinned {pinned_link(a.pinned_msg_id) if a.pinned_msg_id else 'a message'}"]
    if k == ActionKind.TITLE:
        return [f"changed the title to {title or '“”'}"]
    if k == ActionKind.PHOTO:
        lines = ["changed the chat photo"]
        if msg.media and msg.media.path and all(is_safe_component(p) for p in msg.media.path.split("/")):
            lines.append(f"![[{msg.media.path}]]")
        return lines
    if k == ActionKind.PHOTO_DELETE:
        return ["removed the chat photo"]
    if k in (ActionKind.CALL, ActionKind.GROUP_CALL):
        what = ("video " if a.video else "") + ("group call" if k == ActionKind.GROUP_CALL else "call")
        parts = [f"📞 {what}"]
        if a.duration is not None:
            parts.append(_duration(a.duration))
        if a.reason:
            parts.append(_one_line(a.reason))
        return [" · ".join(parts)]
    if k == ActionKind.TOPIC_CREATE:
        icon = f"{_one_line(a.icon_emoji)} " if a.icon_emoji else ""
        return [f"created the topic {icon}{title}".rstrip()]
    if k == ActionKind.TOPIC_EDIT:
        changes = []
        if a.title:
            changes.append(f"renamed it to {title}")
        if a.closed is not None:
            changes.append("closed it" if a.closed else "reopened it")
        if a.icon_emoji:
            changes.append(f"set the icon {_one_line(a.icon_emoji)}")
        return ["edited the topic: " + (", ".join(changes) or "no visible change")]
    if k == ActionKind.MIGRATE:
        return [f"upgraded the group to a supergroup ({a.migrated_to})" if a.migrated_to
                else "upgraded the group to a supergroup"]
    if k == ActionKind.SCREENSHOT:
        return ["took a screenshot"]
    if k == ActionKind.HISTORY_CLEAR:
        return ["cleared the history"]
    if k == ActionKind.GAME_SCORE:
        return [f"scored {a.score if a.score is not None else '?'}"]
    if k == ActionKind.PAYMENT:
        return ["made a payment"]
    if k == ActionKind.CUSTOM:
        return [_one_line(a.text or "") or "service message"]
    return [f"⚠️ unsupported service message: {_type_code(a.type_name or k.value)}"]
