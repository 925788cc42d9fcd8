"""messages.getDialogs / messages.getPeerDialogs."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ..build import make
from ..refs import Refs
from .common import dialog
from .messages import _date
from .resolve import input_peer

MAX_LIMIT = 100


def _listed(ctx: RequestContext, folder_id: int | None):
    """(info, top message) of the dialogs in the asked folder in Telegram's
    order: pinned dialogs first, then newest top message first. No folder:
    every dialog; folder 0: the main list; folder 1: archived."""
    out = []
    for info in ctx.world.chats():
        if folder_id is not None and (1 if info.archived else 0) != folder_id:
            continue
        out.append((info, ctx.world.top_message(info.key)))
    return [x for x in out if x[0].pinned] + [x for x in out if not x[0].pinned]


def _start(ctx: RequestContext, listed, req) -> int:
    """Where the page starts: after offset_peer when it is in the list, else
    after every dialog whose top message is not older than
    (offset_date, offset_id)."""
    if req.offset_peer is not None and not isinstance(req.offset_peer, types.InputPeerEmpty):
        try:
            key = input_peer(ctx, req.offset_peer)
        except RpcError:
            key = None
        for pos, (info, _top) in enumerate(listed):
            if info.key == key:
                return pos + 1
    offset_date = _date(req.offset_date)
    if not offset_date and not req.offset_id:
        return 0
    for pos, (info, top) in enumerate(listed):
        if info.pinned:            # pinned dialogs come first whatever their date
            continue
        date = top.date if top else 0
        msg_id = top.id if top else 0
        if offset_date and date < offset_date:
            return pos
        if offset_date and date == offset_date and (not req.offset_id or msg_id < req.offset_id):
            return pos
        if not offset_date and msg_id < req.offset_id:
            return pos
    return len(listed)


def _answer(ctx: RequestContext, page, total: int, sliced: bool):
    refs = Refs(ctx.world)
    dialogs, messages = [], []
    for info, top in page:
        refs.chat(info.key)
        dialogs.append(dialog(ctx, info, top))
        if top is not None:
            messages.extend(refs.messages(info.key, [top]))
    body = dict(dialogs=dialogs, messages=messages, chats=refs.chats(), users=refs.users())
    if sliced:
        return make(types.messages.DialogsSlice, count=total, **body)
    return make(types.messages.Dialogs, **body)


async def get_dialogs(ctx: RequestContext, req: functions.messages.GetDialogsRequest):
    """A page of dialogs: messages.Dialogs when it holds every dialog of the
    folder, else DialogsSlice with the folder's count."""
    ctx.require_user()
    listed = _listed(ctx, req.folder_id)
    # The offset is found in the full list, so that it still works when it
    # names a pinned dialog and later pages exclude pinned ones (as
    # Telethon's iter_dialogs asks after its first page).
    start = _start(ctx, listed, req)
    rest = [x for x in listed[start:] if not (req.exclude_pinned and x[0].pinned)]
    page = rest[:max(0, min(req.limit, MAX_LIMIT))]
    # As on Telegram: Dialogs only when one page holds every dialog.
    return _answer(ctx, page, len(listed), len(page) < len(listed))


async def get_peer_dialogs(ctx: RequestContext, req: functions.messages.GetPeerDialogsRequest):
    """messages.PeerDialogs for the asked peers (unknown chats are skipped)."""
    ctx.require_user()
    refs = Refs(ctx.world)
    dialogs, messages = [], []
    for item in req.peers:
        if not isinstance(item, types.InputDialogPeer):
            continue
        key = input_peer(ctx, item.peer)
        info = ctx.world.chat(key)
        if info is None:
            continue
        top = ctx.world.top_message(key)
        refs.chat(key)
        dialogs.append(dialog(ctx, info, top))
        if top is not None:
            messages.extend(refs.messages(key, [top]))
    state = make(types.updates.State, pts=ctx.world.pts, qts=ctx.world.qts,
                 date=ctx.world.date, seq=ctx.world.seq, unread_count=0)
    return make(types.messages.PeerDialogs, dialogs=dialogs, messages=messages,
                chats=refs.chats(), users=refs.users(), state=state)


HANDLERS = {
    "messages.GetDialogsRequest": get_dialogs,
    "messages.GetPeerDialogsRequest": get_peer_dialogs,
}
