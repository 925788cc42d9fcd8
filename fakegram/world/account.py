"""A generated account: hundreds of chats of every kind, as a real user has.

`account_world(chats=400)` builds a world whose mix follows a typical
account: most chats are private (about 62%), the rest basic groups,
supergroups and broadcast channels in equal parts; most chats are small (a
few dozen to a few hundred messages), a few are large (a few thousand).
The history of each chat runs over its own active period within the last
two years, in conversations (bursts of messages minutes apart), so the
account-wide ids of private chats and basic groups
interleave across chats by date, as Telegram assigns them. About one
message in eight replies to an earlier one of its chat, one in twenty was
edited, one in twenty-five carries media (photos, voice notes, documents,
polls, locations), channels have views.

Everything is derived from `seed`: the same arguments give the same world.
About 250 messages a chat on average (400 chats: about 100,000 messages).
"""
from __future__ import annotations

import random

from .builder import WorldBuilder
from .model import ChatInfo, User
from .world import World

NOW = 1_760_000_000
SPAN_S = 2 * 365 * 86400          # the account's history: two years
KIND_SHARES = (("private", 0.625), ("group", 0.125), ("supergroup", 0.125), ("channel", 0.125))
WORDS = ("hello", "tomorrow", "meeting", "coffee", "train", "photo", "idea", "plan", "late",
         "weekend", "project", "draft", "thanks", "lunch", "call", "review", "music", "book",
         "garden", "ticket", "ok", "sure", "maybe", "news", "update", "release", "bug", "fix")


def chat_sizes(chats: int, rng: random.Random) -> list[tuple[str, int]]:
    """(kind, message count) for each chat: the kind mix above, sizes from a
    heavy-tailed distribution (most small, a few large)."""
    kinds: list[str] = []
    for kind, share in KIND_SHARES:
        kinds += [kind] * round(chats * share)
    kinds = (kinds + ["private"] * chats)[:chats]
    rng.shuffle(kinds)
    out = []
    for kind in kinds:
        # log-normal around ~120 messages, capped; channels run a little larger
        size = int(rng.lognormvariate(5.05 if kind != "channel" else 5.45, 1.0))
        out.append((kind, max(3, min(size, 6000))))
    return out


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))


def account_world(chats: int = 400, seed: int = 16) -> World:
    """The generated account with `chats` chats (see the module docstring)."""
    if chats < 1:
        raise ValueError("an account world needs at least one chat")
    rng = random.Random(seed)
    b = WorldBuilder(seed=seed, now=NOW)
    people: list[User] = [b.user(first_name=f"Friend {n}", username=f"friend{n}")
                          for n in range(max(8, chats))]
    for n, (kind, size) in enumerate(chat_sizes(chats, rng)):
        members = rng.sample(people, k=min(len(people), rng.randint(2, 12)))
        if kind == "private":
            info = b.private(people[n % len(people)])
        elif kind == "group":
            info = b.group(f"Group {n}", members=members)
        elif kind == "supergroup":
            info = b.supergroup(f"Supergroup {n}", username=f"super{n}", members=members)
        else:
            info = b.channel(f"Channel {n}", username=f"channel{n}")
        _fill(b, info, size, rng)
    return b.build()


def _fill(b: WorldBuilder, info: ChatInfo, size: int, rng: random.Random) -> None:
    """`size` messages over the chat's own active period, oldest first."""
    length = rng.randint(SPAN_S // 20, SPAN_S)
    end = NOW - rng.randint(0, SPAN_S - length) - 60
    start = end - length
    b.set_created(info, start)   # its creation's service message comes first
    dates = _conversation_dates(size, start, end, rng)
    senders = [m for m in info.members if m != b.me.id] or [b.me.id]
    sent = []
    for date in dates:
        sender = None if info.kind == "channel" else \
            (b.me.id if rng.random() < 0.35 else rng.choice(senders))
        media = _media(b, rng) if rng.random() < 0.04 else None
        reply = rng.choice(sent[-50:]) if sent and rng.random() < 0.125 else None
        edited = date + rng.randint(30, 3600) if rng.random() < 0.05 else None
        msg = b.message(info, _text(rng), from_id=sender, date=date, media=media,
                        reply_to=reply, edit_date=min(edited, NOW) if edited else None)
        sent.append(msg)


def _conversation_dates(size: int, start: int, end: int, rng: random.Random) -> list[int]:
    """`size` dates in [start, end], ascending, in conversations: bursts of
    a few to a few dozen messages about two minutes apart, on days spread
    over the chat's active period (as people write)."""
    conversations = max(1, round(size / rng.uniform(5, 15)))
    begins = [rng.randint(start + 1, end) for _ in range(conversations)]
    dates = []
    for begin in begins:
        dates.append(begin)
    for _ in range(size - conversations):
        at = rng.randrange(conversations)
        begins[at] += 1 + int(rng.expovariate(1 / 120))
        dates.append(min(begins[at], end))
    return sorted(dates[:size])


def _media(b: WorldBuilder, rng: random.Random):
    pick = rng.random()
    if pick < 0.5:
        return b.photo()
    if pick < 0.65:
        return b.voice()
    if pick < 0.8:
        return b.document(size=rng.randint(1_000, 200_000), file_name="notes.pdf",
                          mime_type="application/pdf")
    if pick < 0.9:
        return b.poll("Where?", ["here", "there", "elsewhere"])
    return b.geo(52.52 + rng.random() / 10, 13.40 + rng.random() / 10)
