"""account.* : the 2FA password parameters and takeout sessions."""
from __future__ import annotations

import secrets

from telethon.tl import types

from ...rpc import RequestContext, RpcError
from .. import srp
from ..build import make


def _algo(salt1: bytes, salt2: bytes):
    return make(types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow,
                salt1=salt1, salt2=salt2, g=srp.G, p=srp.P_BYTES)


async def get_password(ctx: RequestContext, req):
    """account.Password: when the world has a password, its SRP parameters
    (current_algo, a fresh srp_B and srp_id); always a new_algo to set one."""
    state = ctx.server.state
    new_algo = _algo(secrets.token_bytes(8), secrets.token_bytes(16))
    common = dict(new_algo=new_algo,
                  new_secure_algo=make(types.SecurePasswordKdfAlgoSHA512, salt=secrets.token_bytes(8)),
                  secure_random=secrets.token_bytes(32))
    password = ctx.world.password
    if not password:
        return make(types.account.Password, has_password=False, **common)
    srp_id, srp_B = state.srp.start(password)
    return make(types.account.Password, has_password=True,
                current_algo=_algo(state.srp.salt1, state.srp.salt2),
                srp_B=srp_B, srp_id=srp_id, **common)


async def init_takeout_session(ctx: RequestContext, req):
    """Open a takeout session for this auth key (account.Takeout)."""
    user_id = ctx.require_user()
    takeout_id = ctx.server.state.open_takeout(user_id)
    ctx.auth.takeout_id = takeout_id
    return make(types.account.Takeout, id=takeout_id)


async def finish_takeout_session(ctx: RequestContext, req):
    """Close the open takeout session (the one the request is wrapped in, or
    this key's); TAKEOUT_INVALID when there is none."""
    ctx.require_user()
    state = ctx.server.state
    takeout_id = ctx.takeout_id if ctx.takeout_id is not None else ctx.auth.takeout_id
    if takeout_id is None or takeout_id not in state.takeouts:
        raise RpcError(400, "TAKEOUT_INVALID")
    state.close_takeout(takeout_id)
    if ctx.auth.takeout_id == takeout_id:
        ctx.auth.takeout_id = None
    return True


HANDLERS = {
    "account.GetPasswordRequest": get_password,
    "account.InitTakeoutSessionRequest": init_takeout_session,
    "account.FinishTakeoutSessionRequest": finish_takeout_session,
}
