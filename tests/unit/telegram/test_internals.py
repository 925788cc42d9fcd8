"""The Telethon internals tobsd relies on (tobsd/telegram/internals.py and
the `_get_dc` override in client.py) still exist in the installed Telethon
and behave as used. A Telethon upgrade that moves one fails here, by name."""
from __future__ import annotations

import asyncio
import inspect

from telethon import TelegramClient
from telethon.sessions import StringSession

from tobsd.telegram.client import OverridableClient
from tobsd.telegram.internals import close_idle_exported_senders, updates_pending


def client() -> TelegramClient:
    return TelegramClient(StringSession(), 1, "0" * 32, receive_updates=True)


async def test_the_update_state_internals_exist():
    c = client()
    assert hasattr(c, "_message_box") and hasattr(c._message_box, "getting_diff_for")
    assert isinstance(c._updates_queue, asyncio.Queue)
    assert updates_pending(c) is False
    c._updates_queue.put_nowait(object())
    assert updates_pending(c) is True
    c._updates_queue.get_nowait()
    c._message_box.getting_diff_for.add(object())
    assert updates_pending(c) is True


async def test_the_exported_sender_cleanup_exists():
    c = client()
    assert inspect.iscoroutinefunction(c._clean_exported_senders)
    await close_idle_exported_senders(c)   # nothing borrowed: nothing to close


def test_the_dc_lookup_override_matches_telethon():
    base = inspect.signature(TelegramClient._get_dc)
    ours = inspect.signature(OverridableClient._get_dc)
    assert list(base.parameters) == list(ours.parameters) == ["self", "dc_id", "cdn"]
    assert inspect.iscoroutinefunction(TelegramClient._get_dc)
    assert hasattr(TelegramClient, "_config")
