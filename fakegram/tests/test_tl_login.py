"""Login by code and 2FA (real SRP), logout, cross-DC authorization, takeout."""
from __future__ import annotations

import pytest
from telethon import password as telethon_password
from telethon.tl import functions, types

from fakegram.rpc import RpcError
from fakegram.tl.testkit import ME, HandlerKit, sample_world

PHONE = "+1 555 000 1000"


def code_settings():
    return types.CodeSettings()


def send_code(phone=PHONE):
    return functions.auth.SendCodeRequest(phone_number=phone, api_id=1, api_hash="x",
                                          settings=code_settings())


async def expect(kit, request, code, message, **kw):
    with pytest.raises(RpcError) as info:
        await kit.call(request, **kw)
    assert (info.value.code, info.value.message) == (code, message)


@pytest.fixture(scope="module")
def world():
    return sample_world()


@pytest.fixture(scope="module")
def world_2fa():
    return sample_world(password="correct horse")


async def test_code_login(world):
    kit = HandlerKit(world, logged_in=False)
    await expect(kit, functions.updates.GetStateRequest(), 401, "AUTH_KEY_UNREGISTERED")
    sent = await kit.call(send_code())
    assert isinstance(sent.type, types.auth.SentCodeTypeApp) and sent.type.length == 5
    code = kit.server.state.last_codes["15550001000"]
    assert len(code) == 5 and code.isdigit()
    wrong = "00000" if code != "00000" else "11111"
    await expect(kit, functions.auth.SignInRequest(PHONE, sent.phone_code_hash, wrong),
                 400, "PHONE_CODE_INVALID")
    auth = await kit.call(functions.auth.SignInRequest(PHONE, sent.phone_code_hash, code))
    assert auth.user.id == ME and auth.user.is_self
    assert kit.auth(world.home_dc).user_id == ME
    state = await kit.call(functions.updates.GetStateRequest())
    assert state.pts == world.pts
    # a code is good once
    await expect(kit, functions.auth.SignInRequest(PHONE, sent.phone_code_hash, code),
                 400, "PHONE_CODE_EXPIRED")
    assert isinstance(await kit.call(functions.auth.LogOutRequest()), types.auth.LoggedOut)
    assert kit.auth(world.home_dc).user_id is None


async def test_code_errors(world):
    kit = HandlerKit(world, logged_in=False, code_ttl=0.0)
    await expect(kit, send_code("+1 555 999 9999"), 400, "PHONE_NUMBER_INVALID")
    await expect(kit, send_code(), 303, f"PHONE_MIGRATE_{world.home_dc}", dc_id=1)
    sent = await kit.call(send_code())
    code = kit.server.state.last_codes["15550001000"]
    await expect(kit, functions.auth.SignInRequest(PHONE, sent.phone_code_hash, code),
                 400, "PHONE_CODE_EXPIRED")          # ttl 0: already expired
    await expect(kit, functions.auth.SignInRequest(PHONE, "nope", code), 400, "PHONE_CODE_EXPIRED")


async def test_two_step_login_with_srp(world_2fa):
    kit = HandlerKit(world_2fa, logged_in=False)
    sent = await kit.call(send_code())
    code = kit.server.state.last_codes["15550001000"]
    await expect(kit, functions.auth.SignInRequest(PHONE, sent.phone_code_hash, code),
                 401, "SESSION_PASSWORD_NEEDED")
    assert kit.auth(world_2fa.home_dc).user_id is None

    pw = await kit.call(functions.account.GetPasswordRequest())
    assert pw.has_password and pw.srp_B and pw.srp_id
    bad = telethon_password.compute_check(pw, "wrong horse")
    await expect(kit, functions.auth.CheckPasswordRequest(bad), 400, "PASSWORD_HASH_INVALID")
    # an SRP session answers once
    await expect(kit, functions.auth.CheckPasswordRequest(bad), 400, "SRP_ID_INVALID")

    pw = await kit.call(functions.account.GetPasswordRequest())
    good = telethon_password.compute_check(pw, "correct horse")
    auth = await kit.call(functions.auth.CheckPasswordRequest(good))
    assert auth.user.id == ME and kit.auth(world_2fa.home_dc).user_id == ME


async def test_password_check_needs_the_code_step_first(world_2fa):
    kit = HandlerKit(world_2fa, logged_in=False)
    pw = await kit.call(functions.account.GetPasswordRequest())
    check = telethon_password.compute_check(pw, "correct horse")
    await expect(kit, functions.auth.CheckPasswordRequest(check), 400, "AUTH_RESTART")


async def test_no_password_set(world):
    kit = HandlerKit(world)
    pw = await kit.call(functions.account.GetPasswordRequest())
    assert not pw.has_password and pw.current_algo is None and pw.new_algo.g == 3


async def test_export_and_import_authorization(world):
    kit = HandlerKit(world)
    exported = await kit.call(functions.auth.ExportAuthorizationRequest(dc_id=4))
    await expect(kit, functions.auth.ExportAuthorizationRequest(dc_id=9), 400, "DC_ID_INVALID")
    await expect(kit, functions.auth.ImportAuthorizationRequest(exported.id, b"forged"),
                 400, "AUTH_BYTES_INVALID", dc_id=4)
    await expect(kit, functions.auth.ImportAuthorizationRequest(exported.id, exported.bytes),
                 400, "AUTH_BYTES_INVALID", dc_id=3)       # exported for DC 4
    assert kit.auth(4).user_id is None
    auth = await kit.call(functions.auth.ImportAuthorizationRequest(exported.id, exported.bytes),
                          dc_id=4)
    assert auth.user.id == ME and kit.auth(4).user_id == ME


async def test_takeout_sessions(world):
    kit = HandlerKit(world)
    history = functions.messages.GetHistoryRequest(types.InputPeerSelf(), 0, None, 0, 1, 0, 0, 0)
    await expect(kit, history, 400, "TAKEOUT_INVALID", takeout_id=12345)
    takeout = await kit.call(functions.account.InitTakeoutSessionRequest(message_users=True))
    assert kit.auth(world.home_dc).takeout_id == takeout.id
    await kit.call(history, takeout_id=takeout.id)
    await expect(kit, history, 400, "TAKEOUT_INVALID", takeout_id=takeout.id + 1)
    assert await kit.call(functions.account.FinishTakeoutSessionRequest(success=True),
                          takeout_id=takeout.id) is True
    assert kit.auth(world.home_dc).takeout_id is None
    await expect(kit, history, 400, "TAKEOUT_INVALID", takeout_id=takeout.id)
    await expect(kit, functions.account.FinishTakeoutSessionRequest(success=True),
                 400, "TAKEOUT_INVALID")


async def test_help_methods(world):
    kit = HandlerKit(world, logged_in=False)
    config = await kit.call(functions.help.GetConfigRequest(), dc_id=3)
    assert config.this_dc == 3
    assert [(o.id, o.ip_address, o.port) for o in config.dc_options] == kit.server.dc_options()
    assert config.expires > config.date
    nearest = await kit.call(functions.help.GetNearestDcRequest(), dc_id=3)
    assert nearest.this_dc == 3
    app = await kit.call(functions.help.GetAppConfigRequest(hash=0))
    values = {v.key: v.value.value for v in app.config.value}
    assert values["small_queue_max_active_operations_count"] == 5
    assert values["large_queue_max_active_operations_count"] == 2
    assert "upload_max_fileparts_default" in values
    same = await kit.call(functions.help.GetAppConfigRequest(hash=app.hash))
    assert isinstance(same, types.help.AppConfigNotModified)
    bytes(config), bytes(app)
