"""The Telethon internals tobsd relies on, in one place.

Telethon offers no public hook for these; each use says why it is needed.
`tests/unit/telegram/test_internals.py` checks every one of them against
the installed Telethon, so an upgrade that moves one fails there, by name,
instead of somewhere in the daemon.

* `close_idle_exported_senders(client)`: closes the per-DC connections
  Telethon opened for file downloads (`_clean_exported_senders`); it also
  does so by itself after a minute, and `disconnect()` closes everything.
* `OverridableClient._get_dc` (client.py) is overridden so a configured DC
  endpoint wins over help.getConfig's; `TelegramClient._config` is the
  class-level cache of that answer.
* `OverridableClient._handle_auto_reconnect` (client.py) is extended so
  tobsd hears that Telethon reconnected by itself: updates may have been
  lost meanwhile, and tobsd then asks for the differences (Telethon calls
  it after every automatic reconnect and has no public event for it).
"""
from __future__ import annotations


async def close_idle_exported_senders(client) -> None:
    """Close the exported (other-DC) connections Telethon keeps for downloads."""
    await client._clean_exported_senders()
