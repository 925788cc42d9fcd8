"""The Telethon internals tobsd relies on (tobsd/telegram/internals.py and
the `_get_dc` and `_handle_auto_reconnect` overrides in client.py) still exist in the installed Telethon
and behave as used. A Telethon upgrade that moves one fails here, by name."""
from __future__ import annotations

import inspect

from telethon import TelegramClient
from telethon.sessions import StringSession

from tobsd.telegram.client import OverridableClient
from tobsd.telegram.internals import close_idle_exported_senders


def client() -> TelegramClient:
    return TelegramClient(StringSession(), 1, "0" * 32, receive_updates=True)


def test_the_reconnect_hook_matches_telethon():
    # Telethon's sender calls it (as auto_reconnect_callback) after every
    # automatic reconnect; ours runs Telethon's, then tells tobsd.
    assert inspect.iscoroutinefunction(TelegramClient._handle_auto_reconnect)
    assert list(inspect.signature(TelegramClient._handle_auto_reconnect).parameters) == ["self"]
    assert OverridableClient._handle_auto_reconnect is not TelegramClient._handle_auto_reconnect
    from telethon.client import telegrambaseclient
    assert "auto_reconnect_callback=self._handle_auto_reconnect" in \
        inspect.getsource(telegrambaseclient)


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


def test_the_download_connection_parts_exist():
    """open_download_sender builds what Telethon's _create_exported_sender
    builds, from the same parts; call_on uses _call."""
    from telethon.client import telegrambaseclient
    from telethon.network import MTProtoSender
    source = inspect.getsource(telegrambaseclient.TelegramBaseClient._create_exported_sender)
    for part in ("self._get_dc(dc_id)", "self._connection(", "loggers=self._log", "proxy=self._proxy",
                 "local_addr=self._local_addr", "self._init_request", "ImportAuthorizationRequest"):
        assert part in source, part
    assert list(inspect.signature(MTProtoSender.__init__).parameters)[:2] == ["self", "auth_key"]
    c = client()
    assert hasattr(c, "_init_request") and hasattr(c, "_log")
    # MTProtoSender.send answers a future whose error is Telethon's typed one.
    assert "rpc_message_to_error" in inspect.getsource(MTProtoSender)
    assert list(inspect.signature(MTProtoSender.send).parameters)[:2] == ["self", "request"]
