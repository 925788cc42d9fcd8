"""auth.* : login by code (and 2FA password), logout, cross-DC authorization."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ..build import get_type, make
from ..peers import user as convert_user
from ..state import ServerState, normalize_phone

CODE_LENGTH = 5


def _state(ctx: RequestContext) -> ServerState:
    return ctx.server.state


def _authorization(ctx: RequestContext, user_id: int):
    return make(types.auth.Authorization, user=convert_user(ctx.world, ctx.world.users[user_id]))


def _my_phone(ctx: RequestContext) -> str:
    return normalize_phone(ctx.world.users[ctx.world.me].phone or "")


async def send_code(ctx: RequestContext, req: functions.auth.SendCodeRequest):
    """A 5-digit code for the account's phone, recorded in state.last_codes.
    The world has one account and sign-up is not supported, so any other
    number is PHONE_NUMBER_INVALID. On a DC other than the account's home
    DC the answer is PHONE_MIGRATE_X, as on Telegram."""
    phone = normalize_phone(req.phone_number)
    if not phone or phone != _my_phone(ctx):
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    state = _state(ctx)
    if state.phone_migrate and ctx.dc_id != ctx.home_dc:
        raise RpcError(303, f"PHONE_MIGRATE_{ctx.home_dc}")
    code_hash, _code = state.new_code(phone)
    return make(types.auth.SentCode, type=make(types.auth.SentCodeTypeApp, length=CODE_LENGTH),
                phone_code_hash=code_hash)


async def sign_in(ctx: RequestContext, req: functions.auth.SignInRequest):
    """Check the code; SESSION_PASSWORD_NEEDED (401) when the world has a
    2FA password, else log the auth key in."""
    state = _state(ctx)
    if not req.phone_code_hash:
        raise RpcError(400, "PHONE_CODE_HASH_EMPTY")
    login = state.login(req.phone_code_hash)
    if login is None or state.expired(login):
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    if normalize_phone(req.phone_number) != login.phone:
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    if not req.phone_code:
        raise RpcError(400, "PHONE_CODE_EMPTY")
    if req.phone_code != login.code:
        raise RpcError(400, "PHONE_CODE_INVALID")
    login.used = True
    if ctx.world.password:
        state.password_pending.add(ctx.auth.key_id)
        raise RpcError(401, "SESSION_PASSWORD_NEEDED")
    ctx.auth.user_id = ctx.world.me
    return _authorization(ctx, ctx.world.me)


async def check_password(ctx: RequestContext, req: functions.auth.CheckPasswordRequest):
    """Verify the SRP proof against the world's password (PASSWORD_HASH_INVALID
    on mismatch). Only after auth.signIn asked for the password."""
    state = _state(ctx)
    password = ctx.world.password
    if not password or ctx.auth.key_id not in state.password_pending:
        raise RpcError(400, "AUTH_RESTART" if password else "PASSWORD_EMPTY")
    check = req.password
    if not isinstance(check, types.InputCheckPasswordSRP):
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    ok = state.srp.check(check.srp_id, check.A, check.M1)
    if ok is None:
        raise RpcError(400, "SRP_ID_INVALID")
    if not ok:
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    state.password_pending.discard(ctx.auth.key_id)
    ctx.auth.user_id = ctx.world.me
    return _authorization(ctx, ctx.world.me)


async def log_out(ctx: RequestContext, req):
    """Forget the auth key's login (auth.LoggedOut, or true in old layers)."""
    ctx.auth.user_id = None
    ctx.auth.takeout_id = None
    logged_out = get_type("auth.LoggedOut")
    return make(logged_out) if logged_out is not None else True


async def export_authorization(ctx: RequestContext, req: functions.auth.ExportAuthorizationRequest):
    user_id = ctx.require_user()
    if req.dc_id not in ctx.world.dc_ids:
        raise RpcError(400, "DC_ID_INVALID")
    auth_id, data = _state(ctx).export_auth(user_id, req.dc_id)
    return make(types.auth.ExportedAuthorization, id=auth_id, bytes=data)


async def import_authorization(ctx: RequestContext, req: functions.auth.ImportAuthorizationRequest):
    """Log this DC's auth key in with bytes exported for this DC
    (AUTH_BYTES_INVALID otherwise)."""
    exported = _state(ctx).exported.get(req.id)
    if exported is None or exported.bytes != req.bytes or exported.dc_id != ctx.dc_id:
        raise RpcError(400, "AUTH_BYTES_INVALID")
    ctx.auth.user_id = exported.user_id
    return _authorization(ctx, exported.user_id)


# request name -> handler; built into methods.HANDLERS.
HANDLERS = {
    "auth.SendCodeRequest": send_code,
    "auth.SignInRequest": sign_in,
    "auth.CheckPasswordRequest": check_password,
    "auth.LogOutRequest": log_out,
    "auth.ExportAuthorizationRequest": export_authorization,
    "auth.ImportAuthorizationRequest": import_authorization,
}
