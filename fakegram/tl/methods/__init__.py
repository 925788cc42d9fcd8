"""The API method handlers, keyed by request CONSTRUCTOR_ID.

`HANDLERS` is built explicitly from each namespace module's table of
request name -> handler; requests the installed Telethon layer lacks are
skipped. Every handler is wrapped so a request sent inside invokeWithTakeout
(ctx.takeout_id set) is refused with TAKEOUT_INVALID unless it names an open
takeout session of the logged-in user.
"""
from __future__ import annotations

from functools import wraps

from ...rpc import RequestContext, RpcError
from ..build import get_request
from . import account, auth, channels, contacts, dialogs, help, messages, topics, updates, upload, users

_TABLES = (auth.HANDLERS, account.HANDLERS, help.HANDLERS, users.HANDLERS, messages.HANDLERS,
           dialogs.HANDLERS, topics.HANDLERS, channels.HANDLERS, updates.HANDLERS,
           upload.HANDLERS, contacts.HANDLERS)


def check_takeout(ctx: RequestContext) -> None:
    """TAKEOUT_INVALID when the request is wrapped in a takeout session that
    is not open (or belongs to another user)."""
    if ctx.takeout_id is None:
        return
    if not ctx.server.state.takeout_valid(ctx.takeout_id, ctx.auth.user_id):
        raise RpcError(400, "TAKEOUT_INVALID")


def _guarded(handler):
    @wraps(handler)
    async def run(ctx: RequestContext, request):
        check_takeout(ctx)
        return await handler(ctx, request)
    return run


def build_handlers() -> dict[int, object]:
    """CONSTRUCTOR_ID -> handler for every request the installed layer has."""
    out = {}
    for table in _TABLES:
        for name, handler in table.items():
            cls = get_request(name)
            if cls is not None:
                out[cls.CONSTRUCTOR_ID] = _guarded(handler)
    return out


HANDLERS: dict[int, object] = build_handlers()

__all__ = ["HANDLERS", "build_handlers", "check_takeout"]
