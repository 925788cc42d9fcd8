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


async def open_download_sender(client, dc_id: int, auth_key=None):
    """A new connection to `dc_id` for downloads, authorised; returns it.

    Telethon keeps one exported connection per DC (`_borrow_exported_sender`);
    parallel part requests want several, and downloads on the home DC must
    not share the connection that carries updates and history. This builds
    what `_create_exported_sender` builds, from the same parts
    (`_get_dc`, `_connection`, `_log`, `_proxy`, `_local_addr`,
    `_init_request`): with `auth_key` None a fresh key (DH) and the user's
    authorisation exported to it; with a key already authorised there (the
    session's on the home DC, or another connection's), that key.
    """
    import copy

    from telethon import functions
    from telethon.network import MTProtoSender
    from telethon.tl.alltlobjects import LAYER

    dc = await client._get_dc(dc_id)
    # Updates belong to the main connection: this one asks for none (every
    # request goes in invokeWithoutUpdates) and drops any that still come.
    sender = MTProtoSender(auth_key, loggers=client._log, updates_queue=_DropUpdates())
    await sender.connect(client._connection(dc.ip_address, dc.port, dc.id, loggers=client._log,
                                            proxy=client._proxy, local_addr=client._local_addr))
    init = copy.copy(client._init_request)   # shared by Telethon: never mutated here
    try:
        if auth_key is None:
            auth = await client(functions.auth.ExportAuthorizationRequest(dc_id))
            init.query = functions.auth.ImportAuthorizationRequest(id=auth.id, bytes=auth.bytes)
        else:
            init.query = functions.help.GetNearestDcRequest()
        await sender.send(functions.InvokeWithoutUpdatesRequest(
            functions.InvokeWithLayerRequest(LAYER, init)))
    except BaseException:
        await sender.disconnect()
        raise
    return sender


async def call_on(client, sender, request):
    """Send `request` on `sender`, without updates. The sender turns an RPC
    error into Telethon's typed error (FloodWaitError, FileMigrateError...).
    Not through `client._call`: its flood-wait cache is keyed by the outer
    request's constructor, the same invokeWithoutUpdates for every part, so
    one flood wait would spread to every DC; the rate scheduler owns them."""
    from telethon import functions
    return await sender.send(functions.InvokeWithoutUpdatesRequest(request))


class _DropUpdates:
    """The updates queue of a download connection: updates are not its job."""

    def put_nowait(self, item) -> None:
        pass
