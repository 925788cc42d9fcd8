"""The Telethon internals tobsd relies on, in one place.

Telethon offers no public hook for these; each use says why it is needed.
`tests/unit/telegram/test_internals.py` checks every one of them against
the installed Telethon, so an upgrade that moves one fails there, by name,
instead of somewhere in the daemon.

* `updates_pending(client)`: whether the client is still fetching the
  difference it asked for on connecting (`_message_box.getting_diff_for`)
  or has updates queued for its handlers (`_updates_queue`). `catch_up()`
  waits on it; Telethon's public `catch_up()` would send another
  getDifference instead of telling when the first one is done.
* `close_idle_exported_senders(client)`: closes the per-DC connections
  Telethon opened for file downloads (`_clean_exported_senders`); it also
  does so by itself after a minute, and `disconnect()` closes everything.
* `OverridableClient._get_dc` (client.py) is overridden so a configured DC
  endpoint wins over help.getConfig's; `TelegramClient._config` is the
  class-level cache of that answer.
"""
from __future__ import annotations


def updates_pending(client) -> bool:
    """Whether Telethon still fetches a difference or holds updates to hand out."""
    box = client._message_box
    return bool(box.getting_diff_for) or not client._updates_queue.empty()


async def close_idle_exported_senders(client) -> None:
    """Close the exported (other-DC) connections Telethon keeps for downloads."""
    await client._clean_exported_senders()
