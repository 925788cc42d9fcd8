"""users.* : User objects and UserFull."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ..build import get_type, make
from ..peers import user as convert_user
from .resolve import input_user


async def get_users(ctx: RequestContext, req: functions.users.GetUsersRequest):
    """Vector<User> of the users that resolve; unknown ones are left out."""
    ctx.require_user()
    out = []
    for item in req.id:
        try:
            out.append(convert_user(ctx.world, input_user(ctx, item)))
        except RpcError:
            continue
    return out


async def get_full_user(ctx: RequestContext, req: functions.users.GetFullUserRequest):
    """users.UserFull (or the bare UserFull in layers before it existed)."""
    ctx.require_user()
    u = input_user(ctx, req.id)
    full = make(types.UserFull, id=u.id, about=u.about or None, settings=make(types.PeerSettings),
                notify_settings=make(types.PeerNotifySettings), common_chats_count=0,
                user=convert_user(ctx.world, u))
    wrapper = get_type("users.UserFull")
    if wrapper is None:
        return full
    return make(wrapper, full_user=full, chats=[], users=[convert_user(ctx.world, u)])


HANDLERS = {
    "users.GetUsersRequest": get_users,
    "users.GetFullUserRequest": get_full_user,
}
